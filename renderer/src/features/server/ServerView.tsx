/**
 * On the server (issue 16 §3): what one account's POP3 mailbox holds now, in place of the
 * message list. The header says how big the mailbox is and when it was listed (Refresh connects
 * again); the list ticks messages to delete on the server without downloading them, download,
 * or download headers only. Main holds the truth and asks before deleting; the screen only asks.
 */
import { useEffect, useMemo, useState, type KeyboardEvent } from 'react';
import type { ServerMessage } from '../../../../shared/server-view.js';
import { isApiError } from '../../api/client.js';
import { formatListDate } from '../../app/format.js';
import { ServerList } from './ServerList.js';
import { actionState, deletedText, downloadedText, listedText, mailboxText, serverErrorText, type ServerAction } from './server-text.js';
import { FILTER_LABELS, shownMessages, type ServerFilter, type ServerSort } from './shown.js';
import type { ServerSource } from './source.js';
import { failureOf, useServerListing, type ServerFailure } from './useServerListing.js';
import { useServerSelection } from './useServerSelection.js';
import './server.css';

export interface ServerViewProps {
  accountId: string;
  accountName: string;
  source: ServerSource;
  /** Show a stored message (Enter or double-click on a downloaded row). */
  onOpen: (localId: string) => void;
  /** A passing note ("2 messages deleted from the server"). */
  onNotice: (text: string) => void;
  /** The account's settings; `focusPassword` to type the password there. */
  onOpenSettings: (accountId: string, focusPassword: boolean) => void;
}

/** Now, again every 30 s, so "Listed 2 min ago" stays true while the view is open. */
function useMinuteClock(): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 30_000);
    return () => clearInterval(t);
  }, []);
  return now;
}

const ACTION_LABEL: Record<ServerAction, string> = { delete: 'Delete from server', download: 'Download', headers: 'Download headers only' };
const BUSY_LABEL: Record<ServerAction, string> = { delete: 'Deleting on the server…', download: 'Downloading…', headers: 'Downloading headers…' };

/** Why Download does less than the selection, or nothing: said under the buttons, not only in a tooltip. */
function downloadNote(ticked: readonly ServerMessage[]): string | null {
  const st = actionState('download', ticked);
  if (st.disabledReason) return `${st.disabledReason} Download does nothing for ${ticked.length === 1 ? 'it' : 'them'}; Delete from server still can.`;
  return st.leftOut ? `Download leaves out ${st.leftOut}.` : null;
}

export function ServerView({ accountId, accountName, source, onOpen, onNotice, onOpenSettings }: ServerViewProps) {
  const { listing, refreshing, error, refresh, drop } = useServerListing(source, accountId);
  const [filter, setFilter] = useState<ServerFilter>('all');
  const [sort, setSort] = useState<{ by: ServerSort; reversed: boolean }>({ by: 'server', reversed: false });
  const [busy, setBusy] = useState<ServerAction | null>(null);
  const [failure, setFailure] = useState<ServerFailure | null>(null);
  const [hint, setHint] = useState<string | null>(null);
  const now = useMinuteClock();

  const shown = useMemo(() => (listing ? shownMessages(listing.messages, filter, sort.by, sort.reversed) : []), [listing, filter, sort]);
  const order = useMemo(() => shown.map((m) => m.uidl), [shown]);
  const byUidl = useMemo(() => new Map((listing?.messages ?? []).map((m) => [m.uidl, m])), [listing]);
  const sel = useServerSelection(order);
  const ticked = [...sel.selected].flatMap((u) => byUidl.get(u) ?? []);
  const focusedMsg = sel.focused ? (byUidl.get(sel.focused) ?? null) : null;

  // A new account: nothing ticked, no old failure.
  useEffect(() => {
    sel.clear();
    setFailure(null);
    setHint(null);
  }, [accountId]);

  const run = async (action: ServerAction, targets: readonly ServerMessage[]) => {
    const { uidls } = actionState(action, targets);
    if (uidls.length === 0 || busy) return;
    setBusy(action);
    setFailure(null);
    setHint(null);
    try {
      if (action === 'delete') {
        const r = await source.remove(accountId, uidls);
        // Deleted, or already gone: either way no longer on the server.
        drop(uidls);
        onNotice(deletedText(r));
      } else {
        const r = await source.download(accountId, uidls, action === 'headers');
        onNotice(downloadedText(r, action === 'headers'));
      }
    } catch (e) {
      // "No" to main's own question: nothing happened, nothing to say (Popbox closing, `closing`, is said).
      if (!(isApiError(e) && e.code === 'cancelled')) setFailure(failureOf(e));
    } finally {
      setBusy(null);
    }
  };

  const openRow = (m: ServerMessage | null) => {
    if (!m) return;
    if (m.localId && (m.local === 'downloaded' || m.local === 'headers-only')) onOpen(m.localId);
    else setHint(m.local === 'deleted-here' ? 'You deleted this message here; it is only on the server now.' : 'This message is only on the server: download it to read it here.');
  };

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    if (e.altKey || (e.target as HTMLElement).tagName === 'INPUT') return;
    const mod = e.ctrlKey || e.metaKey;
    const keys: Record<string, () => void> = mod
      ? { a: sel.selectAll }
      : {
          ArrowDown: () => sel.step(1),
          j: () => sel.step(1),
          ArrowUp: () => sel.step(-1),
          k: () => sel.step(-1),
          Home: () => sel.step(-order.length),
          End: () => sel.step(order.length),
          PageDown: () => sel.step(15),
          PageUp: () => sel.step(-15),
          ' ': () => sel.focused && sel.toggle(sel.focused),
          x: () => sel.focused && sel.toggle(sel.focused),
          // The ticked messages, else the focused one.
          Delete: () => void run('delete', ticked.length ? ticked : focusedMsg ? [focusedMsg] : []),
          Enter: () => openRow(focusedMsg),
          Escape: sel.clear,
        };
    const act = keys[e.key.length === 1 ? e.key.toLowerCase() : e.key];
    if (!act) return;
    // The window's mail shortcuts (Delete to Trash, Enter to open) must not act behind this list.
    e.preventDefault();
    e.stopPropagation();
    act();
  };

  // Never listed (or not read yet): the listing's numbers mean nothing, and one line says what is
  // happening — "Asking the server…" while it connects, else why there is no list (walkthrough m5:
  // the first paint said "Asking…", "Not listed yet" and "0 messages" together).
  const unknown = !listing || listing.listedAt === null;
  const problem = failure ?? error;
  const said = problem && serverErrorText(problem.code, problem.message, accountName);
  const button = (action: ServerAction) => {
    const st = actionState(action, ticked);
    const title = st.disabledReason ?? (st.leftOut ? `${ACTION_LABEL[action]}: ${st.uidls.length.toLocaleString()}; left out: ${st.leftOut}` : undefined);
    return (
      <button type="button" className={`small${action === 'delete' ? ' danger' : ''}`} disabled={!!st.disabledReason || busy !== null} title={title} onClick={() => void run(action, ticked)}>
        {ACTION_LABEL[action]}
        {ticked.length > 0 && st.uidls.length > 0 ? ` (${st.uidls.length.toLocaleString()})` : ''}
      </button>
    );
  };

  return (
    <div className="list-pane server-pane">
      <h2 className="list-title">{accountName} — on the server</h2>
      <div className="list-header sv-summary">
        <span className="sv-stat">{!unknown ? mailboxText(listing.messageCount, listing.mailboxBytes) : refreshing ? '' : listing ? 'Not listed yet' : 'Loading…'}</span>
        <span className="sv-listed" aria-live="polite">
          {refreshing ? 'Asking the server…' : listing?.listedAt ? listedText(listing.listedAt, now, formatListDate) : ''}
        </span>
        <button type="button" className="small" disabled={refreshing} onClick={refresh} title="Connect to the server and list what it holds now">
          Refresh
        </button>
      </div>
      {said && (
        <div className="sv-problem" role="alert">
          <span>{said.text}</span>
          {said.fix === 'password' && (
            <button type="button" className="small primary" onClick={() => onOpenSettings(accountId, true)}>
              Enter password
            </button>
          )}
          {said.fix === 'settings' && (
            <button type="button" className="small" onClick={() => onOpenSettings(accountId, false)}>
              Open settings
            </button>
          )}
          {said.fix === 'retry' && !failure && (
            <button type="button" className="small" disabled={refreshing} onClick={refresh}>
              Try again
            </button>
          )}
        </div>
      )}
      {listing && (listing.truncated || listing.headersPending > 0) && (
        <p className="sv-note muted">
          {listing.truncated && `Showing the newest ${listing.messages.length.toLocaleString()} of ${listing.messageCount.toLocaleString()} messages. `}
          {listing.headersPending > 0 && `Headers of ${listing.headersPending.toLocaleString()} message${listing.headersPending === 1 ? '' : 's'} not fetched yet: Refresh fetches them.`}
        </p>
      )}
      <div className="list-header sv-tools">
        <label>
          Show{' '}
          <select value={filter} onChange={(e) => setFilter(e.target.value as ServerFilter)}>
            {Object.entries(FILTER_LABELS).map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        </label>
        {button('delete')}
        {button('download')}
        {button('headers')}
        <span className="count" aria-live="polite">
          {busy ? BUSY_LABEL[busy] : unknown ? '' : `${ticked.length > 0 ? `${ticked.length.toLocaleString()} of ` : ''}${shown.length.toLocaleString()} ${ticked.length > 0 ? 'selected' : `message${shown.length === 1 ? '' : 's'}`}`}
        </span>
      </div>
      {ticked.length > 0 && downloadNote(ticked) && <p className="sv-note muted">{downloadNote(ticked)}</p>}
      {hint && (
        <p className="sv-note" role="status">
          {hint}
        </p>
      )}
      <ServerList
        messages={shown}
        selected={sel.selected}
        focused={sel.focused}
        sort={sort.by}
        reversed={sort.reversed}
        onSort={(by) => setSort((s) => ({ by, reversed: s.by === by ? !s.reversed : false }))}
        onToggle={sel.toggle}
        onClick={sel.click}
        onOpen={openRow}
        onKeyDown={onKeyDown}
        emptyText={unknown ? (refreshing || !listing ? '' : 'Refresh lists what the server holds.') : listing.messages.length === 0 ? 'The server holds no messages.' : 'No message here matches this filter.'}
      />
    </div>
  );
}
