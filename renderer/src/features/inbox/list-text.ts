/** What the message list says when it is empty, and where each message is when it spans folders. */
import { INBOX } from '../../../../shared/folders.js';
import type { MessageRow } from '../../db/database.js';
import type { MailboxView } from '../../db/message-store.js';
import { folderName } from '../folders/tree.js';
import { noMatchText } from '../search/no-match.js';

/** `view`: what the list shows (a search of all folders is 'all'); `activity`: what sync is doing, said in an empty Inbox instead of "No messages yet". */
export function emptyListText(search: string, view: MailboxView, activity: string | null): string {
  const folder = view.kind === 'folder' ? view.folder : null;
  if (search.trim()) return noMatchText(search, view.kind === 'all');
  if (folder === 'Trash') return 'Trash is empty.';
  if (folder !== null && folder !== INBOX) return `No messages in ${folderName(folder)}.`;
  return activity ?? 'No messages yet. Use Get Mail to check now.';
}

/** The place shown on each row: account › folder for a search of all folders, the account in a Unified Inbox of several. */
export function placeOfRows(listView: MailboxView, severalAccounts: boolean, accountName: (id: string) => string): ((r: MessageRow) => string) | undefined {
  if (listView.kind === 'all') return (r) => (severalAccounts ? `${accountName(r.accountId)} › ${folderName(r.folder)}` : folderName(r.folder));
  if (listView.kind === 'unified' && severalAccounts) return (r) => accountName(r.accountId);
  return undefined;
}

/** What the window title and the list's heading call a view. */
export function viewTitle(view: MailboxView, accountName: (id: string) => string): string {
  if (view.kind === 'unified') return 'Unified Inbox';
  if (view.kind === 'all') return 'All folders';
  return `${folderName(view.folder)} — ${accountName(view.accountId)}`;
}
