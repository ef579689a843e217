/**
 * The window's undo history and its toast: `announce` says what was done (with Undo when it can
 * be taken back), `undo` takes back the newest step (Ctrl+Z or the toast's button).
 */
import { useCallback, useState } from 'react';
import { undoLast } from '../features/inbox/undoable.js';
import type { ToastNote } from './Toast.js';
import { UndoHistory } from './undo.js';

export function useUndo() {
  const [history] = useState(() => new UndoHistory());
  const [toast, setToast] = useState<ToastNote | null>(null);
  const announce = useCallback((text: string, undoable: boolean) => setToast((t) => ({ text, undoable, n: (t?.n ?? 0) + 1 })), []);
  const undo = useCallback(() => void undoLast(history, announce), [history, announce]);
  const dismiss = useCallback(() => setToast(null), []);
  /** Adds a remark to the note just announced (one note says it all, with its Undo), or says it alone. */
  const remark = useCallback((text: string) => setToast((t) => (t ? { ...t, text: `${t.text} ${text}` } : { text, undoable: false, n: 1 })), []);
  return { history, toast, announce, remark, undo, dismiss };
}
