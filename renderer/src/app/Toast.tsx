/**
 * A passing note over the bottom of the window after a command ("Moved 3 messages to Work."),
 * with Undo while there is something to undo. It leaves after a while; a new note replaces it.
 */
import { useEffect } from 'react';

export interface ToastNote {
  text: string;
  undoable: boolean;
  /** Bumped for every note, so the same words again start the timer again. */
  n: number;
}

export const TOAST_MS = 8_000;

export function Toast({ note, onUndo, onClose }: { note: ToastNote | null; onUndo: () => void; onClose: () => void }) {
  useEffect(() => {
    if (!note) return;
    const t = setTimeout(onClose, TOAST_MS);
    return () => clearTimeout(t);
  }, [note?.n]);
  if (!note) return null;
  return (
    <div className="toast" role="status" aria-live="polite">
      <span className="toast-text">{note.text}</span>
      {note.undoable && (
        <button type="button" className="small" onClick={onUndo} title="Undo (Ctrl+Z)">
          Undo
        </button>
      )}
      <button type="button" className="small toast-close" aria-label="Dismiss" onClick={onClose}>
        ×
      </button>
    </div>
  );
}
