/**
 * Folders: the Unified Inbox on top, then each account (collapsible, with its sync state) with
 * its Inbox, special folders, Archive and its years, Trash, and the user's folders nested and
 * collapsible; unread counts as badges (a collapsed folder counts what is below it). Messages
 * dragged from the list drop on a folder of their own account (Alt or Ctrl copies).
 */
import { useLiveQuery } from 'dexie-react-hooks';
import { useState, type DragEvent, type MouseEvent } from 'react';
import { useMessages, useServices } from '../../app/context.js';
import type { MessageStore } from '../../db/message-store.js';
import { sameView, type MailboxView } from '../../db/message-store.js';
import { inAccountOrder, type StatusRow } from '../../db/database.js';
import { folderTree, shownInSidebar, type FolderNode } from '../folders/tree.js';
import { isCopyDrag, type DragInfo } from '../folders/drag.js';
import { SavedSearchList, type SavedSearchListProps } from '../search/SavedSearchList.js';
import { useCollapsed } from './collapsed.js';

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

/** What a context menu is for: the Unified Inbox, an account, or one folder of one account. */
export type FolderTarget = { kind: 'unified' } | { kind: 'account'; accountId: string } | { kind: 'folder'; accountId: string; folder: string };
type At = { x: number; y: number };

export interface SidebarProps {
  view: MailboxView;
  onSelect: (v: MailboxView) => void;
  onContextMenu?: (target: FolderTarget, at: At) => void;
  onNewFolder?: (accountId: string) => void;
  /** The messages being dragged from the list, if any. */
  drag?: DragInfo | null;
  /** Messages dropped on a folder of their own account. */
  onDrop?: (ids: string[], folder: string, copy: boolean) => void;
  /** The saved searches, shown as virtual folders under the Unified Inbox. */
  savedSearches?: SavedSearchListProps;
  /** The account whose On the server view fills the list pane (no folder is current then). */
  serverAccountId?: string | null;
  onServer?: (accountId: string) => void;
}

/** Where the context menu goes: at the pointer, or by the element for the context-menu key. */
function menuAt(e: MouseEvent<HTMLElement>): At {
  const r = e.currentTarget.getBoundingClientRect();
  return e.clientX || e.clientY ? { x: e.clientX, y: e.clientY } : { x: r.left + 16, y: r.bottom };
}

/** Unread in a folder and, when it is collapsed, in every folder below it. */
function unreadOf(store: MessageStore, accountId: string, node: FolderNode, deep: boolean): number {
  let n = store.folderCounts(accountId, node.key).unread;
  if (deep) for (const c of node.children) n += unreadOf(store, accountId, c, true);
  return n;
}

export function totalOf(store: MessageStore, accountId: string, node: FolderNode): number {
  let n = store.folderCounts(accountId, node.key).total;
  for (const c of node.children) n += totalOf(store, accountId, c);
  return n;
}

function Badge({ count, kind }: { count: number; kind: 'unread' | 'total' }) {
  if (count <= 0) return null;
  return (
    <span className={`badge${kind === 'total' ? ' badge-total' : ''}`} aria-label={kind === 'unread' ? `${count} unread` : `${count} message${count === 1 ? '' : 's'}`}>
      {count.toLocaleString()}
    </span>
  );
}

function FolderRow(props: SidebarProps & { accountId: string; node: FolderNode; depth: number; collapsed: ReadonlySet<string>; toggle: (key: string) => void }) {
  const store = useMessages();
  const { accountId, node } = props;
  const view: MailboxView = { kind: 'folder', accountId, folder: node.key };
  const active = sameView(view, props.view) && !props.serverAccountId;
  const slot = `${accountId}\u0000${node.key}`;
  const closed = node.children.length > 0 && props.collapsed.has(slot);
  const [over, setOver] = useState<'ok' | 'refused' | null>(null);
  const drag = props.drag;
  // Onto a folder of the messages' own account that not all of them are in already (Drafts and
  // the Outbox hold what the user writes, not filed mail).
  const allowed =
    !!drag && drag.accounts.size === 1 && drag.accounts.has(accountId) && !(drag.folders.size === 1 && drag.folders.has(node.key)) && node.role !== 'drafts' && node.role !== 'outbox';
  const dragOver = (e: DragEvent) => {
    if (!drag) return;
    if (allowed) {
      e.preventDefault();
      e.dataTransfer.dropEffect = isCopyDrag(e) ? 'copy' : 'move';
    }
    setOver(allowed ? 'ok' : 'refused');
  };
  // Drafts and the Outbox count what waits in them; the other folders what is unread.
  const totalBadge = node.role === 'drafts' || node.role === 'outbox';
  const count = totalBadge ? store.folderCounts(accountId, node.key).total : node.role === 'trash' ? 0 : unreadOf(store, accountId, node, closed);
  return (
    <li>
      <div className="folder-line" style={{ paddingLeft: props.depth * 14 }}>
        {node.children.length > 0 ? (
          <button type="button" className="twisty" aria-label={`${closed ? 'Expand' : 'Collapse'} ${node.name}`} aria-expanded={!closed} onClick={() => props.toggle(slot)}>
            <span aria-hidden="true">{closed ? '▸' : '▾'}</span>
          </button>
        ) : (
          <span className="twisty-space" />
        )}
        <button
          type="button"
          className={`folder${active ? ' active' : ''}${over === 'ok' ? ' drop-target' : over === 'refused' ? ' drop-refused' : ''}`}
          aria-current={active ? 'page' : undefined}
          data-account={accountId}
          data-folder={node.key}
          onClick={() => props.onSelect(view)}
          onContextMenu={(e) => {
            if (!props.onContextMenu) return;
            e.preventDefault();
            props.onContextMenu({ kind: 'folder', accountId, folder: node.key }, menuAt(e));
          }}
          onDragEnter={dragOver}
          onDragOver={dragOver}
          onDragLeave={() => setOver(null)}
          onDrop={(e) => {
            setOver(null);
            if (!drag || !allowed) return;
            e.preventDefault();
            props.onDrop?.(drag.ids, node.key, isCopyDrag(e));
          }}
        >
          <span className="folder-label">{node.name}</span>
          <Badge count={count} kind={totalBadge ? 'total' : 'unread'} />
        </button>
      </div>
      {node.children.length > 0 && !closed && (
        <ul role="group" aria-label={node.name}>
          {node.children.map((c) => (
            <FolderRow key={c.key} {...props} node={c} depth={props.depth + 1} />
          ))}
        </ul>
      )}
    </li>
  );
}

/** The account's mailbox as the server holds it now (issue 16 §3), below its folders. */
function ServerEntry({ accountId, active, onServer }: { accountId: string; active: boolean; onServer: (accountId: string) => void }) {
  return (
    <li>
      <div className="folder-line">
        <span className="twisty-space" />
        <button type="button" className={`folder server-entry${active ? ' active' : ''}`} aria-current={active ? 'page' : undefined} data-account={accountId} title="What the server holds now: delete or download without checking mail" onClick={() => onServer(accountId)}>
          <span className="folder-label">On the server</span>
        </button>
      </div>
    </li>
  );
}

export function Sidebar(props: SidebarProps) {
  const { db } = useServices();
  const store = useMessages();
  const accounts = useLiveQuery(() => db.accounts.toArray().then(inAccountOrder), [db]) ?? [];
  const statuses = useLiveQuery(() => db.status.toArray(), [db]) ?? [];
  const [collapsed, toggle] = useCollapsed();
  const byId = new Map(statuses.map((s) => [s.accountId, s]));
  const unified: MailboxView = { kind: 'unified' };
  const unifiedActive = sameView(unified, props.view) && !props.serverAccountId;
  return (
    <nav className="sidebar" aria-label="Folders">
      <ul>
        <li>
          <button
            type="button"
            className={`folder unified-folder${unifiedActive ? ' active' : ''}`}
            aria-current={unifiedActive ? 'page' : undefined}
            onClick={() => props.onSelect(unified)}
            onContextMenu={(e) => {
              if (!props.onContextMenu) return;
              e.preventDefault();
              props.onContextMenu({ kind: 'unified' }, menuAt(e));
            }}
          >
            <span className="folder-label">Unified Inbox</span>
            <Badge count={store.loaded ? store.unreadCount(unified) : 0} kind="unread" />
          </button>
        </li>
      </ul>
      {props.savedSearches && <SavedSearchList {...props.savedSearches} />}
      {accounts.map((a) => {
        const s = byId.get(a.id);
        const closed = collapsed.has(a.id);
        const note = stateLabel(s);
        const error = s?.lastError ? `${s.lastError.code}: ${s.lastError.message}` : null;
        const tree = folderTree(store.folders(a.id), store.filedFolders(a.id)).filter((n) => shownInSidebar(n, totalOf(store, a.id, n)));
        return (
          <section key={a.id} className="account-section" aria-label={a.name}>
            <div className="account-head">
              <button
                type="button"
                className="account-folder"
                aria-expanded={!closed}
                title={error ?? undefined}
                onClick={() => toggle(a.id)}
                onContextMenu={(e) => {
                  if (!props.onContextMenu) return;
                  e.preventDefault();
                  props.onContextMenu({ kind: 'account', accountId: a.id }, menuAt(e));
                }}
              >
                <span className="twisty-mark" aria-hidden="true">
                  {closed ? '▸' : '▾'}
                </span>
                <span className="folder-label">{a.name}</span>
                {note && <span className={`folder-note${error ? ' error' : ''}`}>{note}</span>}
                {closed && <Badge count={tree.reduce((n, f) => n + (f.role === 'trash' ? 0 : unreadOf(store, a.id, f, true)), 0)} kind="unread" />}
              </button>
              {props.onNewFolder && (
                <button type="button" className="new-folder" aria-label={`New folder in ${a.name}`} title="New folder" onClick={() => props.onNewFolder?.(a.id)}>
                  +
                </button>
              )}
            </div>
            {!closed && (
              <ul role="group" aria-label={`${a.name} folders`}>
                {tree.map((node) => (
                  <FolderRow key={node.key} {...props} accountId={a.id} node={node} depth={0} collapsed={collapsed} toggle={toggle} />
                ))}
                {props.onServer && <ServerEntry accountId={a.id} active={props.serverAccountId === a.id} onServer={props.onServer} />}
              </ul>
            )}
          </section>
        );
      })}
    </nav>
  );
}
