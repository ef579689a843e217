/**
 * "Sending… Undo" for the undo window after Send, then "Sent “subject”." once the Outbox says the
 * server took it (or "Will be sent at …" after Send later).
 */
import { useEffect, useRef, useState } from 'react';
import type { OutboxItem } from '../../../../shared/contract.js';
import { call, type PopboxApi } from '../../api/client.js';
import { failureText } from '../../app/ConfirmDialog.js';
import type { SentNote } from './ComposeForm.js';
import { formatSendTime } from './send-later.js';

/** Main holds a message this long before sending it (the outbox's undo window). */
export const UNDO_SEND_MS = 5_000;
const LATER_NOTE_MS = 8_000;
const SENT_NOTE_MS = 4_000;
/** "Sending…" past the undo window waits this long for the Outbox's word; the Outbox view says the rest. */
const SENDING_WAIT_MS = 60_000;

/** The message's fate as its account's Outbox tells it: gone from it (or kept as sent) is sent. */
type Outcome = 'sending' | 'sent' | 'failed';
const FAILED: ReadonlySet<OutboxItem['state']> = new Set(['failed', 'retrying', 'maybe-sent']);

/**
 * Undo send: the message leaves the Outbox for Drafts; `onUndone` gets the id it has there and
 * either opens it (null) or returns what to say instead (a compose panel is in use).
 */
export function SendingToast({
  api,
  note,
  onUndone,
  onClose,
}: {
  api: PopboxApi;
  note: SentNote;
  onUndone: (note: SentNote) => string | null;
  onClose: () => void;
}) {
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [windowOver, setWindowOver] = useState(false);
  const [outcome, setOutcome] = useState<Outcome>('sending');
  // Once Undo is pressed the message leaving the Outbox means undone, not sent.
  const undoing = useRef(false);
  useEffect(() => {
    if (note.sendAt) return;
    let live = true;
    const look = () =>
      call(api, 'outboxStatus', { accountId: note.accountId }).then(
        (list) => {
          if (!live || undoing.current) return;
          const item = list.find((i) => i.id === note.id);
          if (!item || item.state === 'sent') setOutcome('sent');
          else if (FAILED.has(item.state)) setOutcome('failed');
        },
        () => {},
      );
    const off = api.on('outboxChanged', ({ accountId }) => {
      if (accountId === note.accountId) void look();
    });
    // A change told before this note listened is not missed.
    void look();
    return () => {
      live = false;
      off();
    };
  }, [api, note]);
  useEffect(() => {
    if (error || (busy && !done)) return;
    // A failure is the Outbox's to explain, as before: the note just goes.
    if (outcome === 'failed') return onClose();
    const ms = done || note.sendAt ? LATER_NOTE_MS : outcome === 'sent' ? SENT_NOTE_MS : windowOver ? SENDING_WAIT_MS - UNDO_SEND_MS : UNDO_SEND_MS;
    const t = setTimeout(() => (done || note.sendAt || outcome === 'sent' || windowOver ? onClose() : setWindowOver(true)), ms);
    return () => clearTimeout(t);
  }, [note, error, busy, done, outcome, windowOver]);
  const undo = async () => {
    undoing.current = true;
    setBusy(true);
    try {
      await call(api, 'cancelSend', { id: note.id });
      setDone(onUndone(note));
    } catch (e) {
      undoing.current = false;
      setError(failureText(e));
      setBusy(false);
    }
  };
  const sent = outcome === 'sent' && !done;
  const text = error ?? done ?? (note.sendAt ? `Will be sent ${formatSendTime(new Date(note.sendAt))}.` : sent ? (note.subject ? `Sent “${note.subject}”.` : 'Sent.') : 'Sending…');
  return (
    <div className="toast sending-toast" role="status" aria-live="polite">
      <span className="toast-text">{text}</span>
      {!error && !done && !sent && !windowOver && (
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
