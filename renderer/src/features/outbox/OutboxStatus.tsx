/**
 * The status bar's word on the Outbox: what waits for the network, what waits for the user, and
 * messages that went out but not to everyone (said here, since they are in Sent and the Outbox
 * folder may be gone from the sidebar).
 */
import { call } from '../../api/client.js';
import { useMessages, useServices } from '../../app/context.js';
import { formatTime } from '../../app/format.js';
import { stateText, waitingText, type OutboxEntry } from './outbox-text.js';
import { useOutbox } from './useOutbox.js';

export function OutboxStatusLine({ accountIds }: { accountIds: readonly string[] }) {
  const { api } = useServices();
  const store = useMessages();
  const items = (useOutbox(accountIds) ?? []) as OutboxEntry[];
  // Waiting for the server (no network, server down): said once for all accounts.
  const retrying = items.filter((i) => i.state === 'retrying');
  const stuck = items.filter((i) => i.state === 'failed' || i.state === 'maybe-sent').length;
  const partly = items.filter((i) => i.state === 'sent');
  const next = Math.min(...retrying.map((i) => i.nextAttemptAt ?? Infinity));
  const waiting = waitingText(retrying.length);
  return (
    <>
      {waiting && (
        <div className="status-line outbox-waiting">
          {`${waiting}${Number.isFinite(next) ? ` (next try at ${formatTime(next)})` : ''}.`}
        </div>
      )}
      {stuck > 0 && <div className="status-line error">{stuck === 1 ? '1 message in the Outbox needs your attention.' : `${stuck} messages in the Outbox need your attention.`}</div>}
      {partly.map((i) => (
        <div key={i.id} className="status-line error">
          <span>{`“${store.get(i.id)?.subject || '(no subject)'}”: ${stateText(i, Date.now()).refusals ?? 'Sent, but not to everyone.'}`}</span>
          <button type="button" onClick={() => void call(api, 'discardQueued', { id: i.id }).catch(() => {})}>
            Dismiss
          </button>
        </div>
      ))}
    </>
  );
}
