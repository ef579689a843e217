/** "Sending… Undo" for the undo window after Send (or "Will be sent at …" after Send later). */
import { useEffect, useState } from 'react';
import { call, type PopboxApi } from '../../api/client.js';
import { failureText } from '../../app/ConfirmDialog.js';
import type { SentNote } from './ComposeForm.js';
import { formatSendTime } from './send-later.js';

/** Main holds a message this long before sending it (the outbox's undo window). */
export const UNDO_SEND_MS = 5_000;
const LATER_NOTE_MS = 8_000;

/**
 * Undo send: the message leaves the Outbox for Drafts; `onUndone` gets the id it has there and
 * either opens it (null) or returns what to say instead (a compose panel is in use).
 */
export function SendingToast({ api, note, onUndone, onClose }: { api: PopboxApi; note: SentNote; onUndone: (note: SentNote) => string | null; onClose: () => void }) {
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    if (error || (busy && !done)) return;
    const t = setTimeout(onClose, done || note.sendAt ? LATER_NOTE_MS : UNDO_SEND_MS);
    return () => clearTimeout(t);
  }, [note, error, busy, done]);
  const undo = async () => {
    setBusy(true);
    try {
      await call(api, 'cancelSend', { id: note.id });
      setDone(onUndone(note));
    } catch (e) {
      setError(failureText(e));
      setBusy(false);
    }
  };
  const text = error ?? done ?? (note.sendAt ? `Will be sent ${formatSendTime(new Date(note.sendAt))}.` : 'Sending…');
  return (
    <div className="toast sending-toast" role="status" aria-live="polite">
      <span className="toast-text">{text}</span>
      {!error && !done && (
        <button type="button" className="small" onClick={() => void undo()} disabled={busy}>
          Undo
        </button>
      )}
      <button type="button" className="small toast-close" aria-label="Dismiss" onClick={onClose}>
        ×
      </button>
    </div>
  );
}
