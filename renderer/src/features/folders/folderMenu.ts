/** The context menu of a folder, an account or the Unified Inbox in the sidebar. */
import { pathOf, roleOf } from '../../../../shared/folders.js';
import type { MenuItem } from '../../app/Menu.js';
import type { MailboxView, MessageStore } from '../../db/message-store.js';
import type { MenuSpec } from '../inbox/menus.js';
import type { FolderTarget } from '../sidebar/Sidebar.js';
import { folderName, inTrash } from './tree.js';
import { NOT_A_TARGET, type FilingDialog } from './useFiling.js';

export function folderMenu(
  target: FolderTarget,
  store: MessageStore,
  to: { accountName: (id: string) => string; markAllRead: (v: MailboxView) => void; openDialog: (d: FilingDialog) => void },
): MenuSpec {
  if (target.kind === 'account') return { label: to.accountName(target.accountId), items: [{ label: 'New folder…', onSelect: () => to.openDialog({ kind: 'new', accountId: target.accountId, parent: [] }) }] };
  const v: MailboxView = target.kind === 'unified' ? { kind: 'unified' } : { kind: 'folder', accountId: target.accountId, folder: target.folder };
  const unread = store.loaded ? store.unreadCount(v) : 0;
  const items: MenuItem[] = [];
  if (target.kind === 'folder' && inTrash(target.folder)) {
    const total = store.folderCounts(target.accountId, target.folder).total;
    if (target.folder === 'Trash') items.push({ label: 'Empty Trash…', disabled: total === 0, onSelect: () => to.openDialog({ kind: 'empty-trash', accountId: target.accountId }) });
  } else items.push({ label: 'Mark all as read', disabled: unread === 0, onSelect: () => to.markAllRead(v) });
  if (target.kind === 'folder') {
    const { accountId, folder } = target;
    // The special folders stay (Archive's year folders are the user's to rename or delete).
    const userFolder = roleOf(folder) === null && !store.folders(accountId).some((f) => f.key === folder && f.role !== null);
    if (!inTrash(folder) && !NOT_A_TARGET.has(folder)) items.push({ label: 'New folder inside…', separatorBefore: true, onSelect: () => to.openDialog({ kind: 'new', accountId, parent: pathOf(folder) }) });
    if (userFolder) {
      items.push({ label: 'Rename…', onSelect: () => to.openDialog({ kind: 'rename', accountId, folder }) });
      items.push({ label: 'Delete…', onSelect: () => to.openDialog({ kind: 'delete', accountId, folder }) });
    }
  }
  return { label: target.kind === 'unified' ? 'Unified Inbox' : folderName(target.folder), items };
}
