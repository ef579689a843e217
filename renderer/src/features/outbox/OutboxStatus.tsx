/** The status bar's word on the Outbox: what waits for the network, and what waits for the user. */
import { formatTime } from '../../app/format.js';
import { waitingText } from './outbox-text.js';
import { useOutbox } from './useOutbox.js';

export function OutboxStatusLine({ accountIds }: { accountIds: readonly string[] }) {
  const items = useOutbox(accountIds) ?? [];
  // Waiting for the server (no network, server down): said once for all accounts.
  const retrying = items.filter((i) => i.state === 'retrying');
  const stuck = items.filter((i) => i.state === 'failed' || i.state === 'maybe-sent').length;
  const next = Math.min(...retrying.map((i) => i.nextAttemptAt ?? Infinity));
  const waiting = waitingText(retrying.length);
  return (
    <>
      {waiting && (
        <div className="status-line outbox-waiting">
          {waiting}
          {Number.isFinite(next) ? ` (next try at ${formatTime(next)})` : ''}.
        </div>
      )}
      {stuck > 0 && (
        <div className="status-line error">
          {stuck === 1 ? '1 message in the Outbox needs your attention.' : `${stuck} messages in the Outbox need your attention.`}
        </div>
      )}
    </>
  );
}
