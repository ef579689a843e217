/** Folders: the Unified Inbox, each account's Inbox, Trash; unread counts and sync state. */
import { useLiveQuery } from 'dexie-react-hooks';
import { useMessages, useServices } from '../../app/context.js';
import type { MailboxView } from '../../db/queries.js';
import { inAccountOrder, type StatusRow } from '../../db/database.js';

function sameView(a: MailboxView, b: MailboxView): boolean {
  return a.kind === b.kind && (a.kind !== 'account' || (b.kind === 'account' && a.accountId === b.accountId));
}

function stateLabel(s: StatusRow | undefined): string | null {
  if (!s) return null;
  switch (s.state) {
    case 'syncing':
      return 'Checking…';
    case 'needs-password':
      return 'Needs password';
    case 'needs-attention':
      return 'Needs attention';
    case 'retrying':
      return 'Will retry';
    case 'offline':
      return 'Offline';
    default:
      return null;
  }
}

type FolderMenu = (v: MailboxView, at: { x: number; y: number }) => void;

function FolderItem(props: { view: MailboxView; label: string; current: MailboxView; onSelect: (v: MailboxView) => void; onContextMenu?: FolderMenu; note?: string | null; error?: string | null }) {
  const store = useMessages();
  const unread = store.loaded ? store.unreadCount(props.view) : 0;
  const active = sameView(props.view, props.current);
  return (
    <li>
      <button
        type="button"
        className={`folder${active ? ' active' : ''}${props.view.kind === 'account' ? ' account-folder' : ''}`}
        aria-current={active ? 'page' : undefined}
        onClick={() => props.onSelect(props.view)}
        onContextMenu={(e) => {
          if (!props.onContextMenu) return;
          e.preventDefault();
          // The context-menu key gives no pointer position: show it by the folder.
          const r = e.currentTarget.getBoundingClientRect();
          props.onContextMenu(props.view, e.clientX || e.clientY ? { x: e.clientX, y: e.clientY } : { x: r.left + 16, y: r.bottom });
        }}
        title={props.error ?? undefined}
      >
        <span className="folder-label">{props.label}</span>
        {props.note && <span className={`folder-note${props.error ? ' error' : ''}`}>{props.note}</span>}
        {unread > 0 && (
          <span className="badge" aria-label={`${unread} unread`}>
            {unread}
          </span>
        )}
      </button>
    </li>
  );
}

export function Sidebar(props: { view: MailboxView; onSelect: (v: MailboxView) => void; onContextMenu?: FolderMenu }) {
  const { db } = useServices();
  const accounts = useLiveQuery(() => db.accounts.toArray().then(inAccountOrder), [db]) ?? [];
  const statuses = useLiveQuery(() => db.status.toArray(), [db]) ?? [];
  const byId = new Map(statuses.map((s) => [s.accountId, s]));
  return (
    <nav className="sidebar" aria-label="Folders">
      <ul>
        <FolderItem view={{ kind: 'unified' }} label="Unified Inbox" current={props.view} onSelect={props.onSelect} onContextMenu={props.onContextMenu} />
        {accounts.map((a) => {
          const s = byId.get(a.id);
          return (
            <FolderItem
              key={a.id}
              view={{ kind: 'account', accountId: a.id }}
              label={`${a.name} Inbox`}
              current={props.view}
              onSelect={props.onSelect}
              onContextMenu={props.onContextMenu}
              note={stateLabel(s)}
              error={s?.lastError ? `${s.lastError.code}: ${s.lastError.message}` : null}
            />
          );
        })}
        <FolderItem view={{ kind: 'trash' }} label="Trash" current={props.view} onSelect={props.onSelect} onContextMenu={props.onContextMenu} />
      </ul>
    </nav>
  );
}
