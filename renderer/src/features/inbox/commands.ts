/**
 * What can be done to a set of messages, offered the same way by the selection pane, the context
 * menu and the keyboard: only the commands that would change something (Mark as read when some
 * are unread, Mark as unread when all are read; likewise for flags), and the folder's own moves.
 */
import type { MessageRow } from '../../db/database.js';
import { isOwnMail } from '../../db/rows.js';
import { inTrash } from '../folders/tree.js';

export type Command = 'read' | 'unread' | 'flag' | 'unflag' | 'move' | 'archive' | 'junk' | 'not-junk' | 'trash' | 'restore' | 'delete';

export const COMMAND_LABELS: Record<Command, string> = {
  read: 'Mark as read',
  unread: 'Mark as unread',
  flag: 'Flag',
  unflag: 'Unflag',
  move: 'Move to…',
  archive: 'Archive',
  junk: 'Junk',
  'not-junk': 'Not junk',
  trash: 'Move to Trash',
  restore: 'Restore',
  delete: 'Delete permanently',
};

/** The keys that do the same, shown beside the menu items. */
export const COMMAND_KEYS: Partial<Record<Command, string>> = { move: 'M', archive: 'A', junk: '!', 'not-junk': '!', trash: 'Delete', delete: 'Delete', read: 'U', unread: 'U', flag: 'S', unflag: 'S' };

/** Commands that take the messages out of the view they are in. */
export const LEAVES_VIEW: ReadonlySet<Command> = new Set(['move', 'archive', 'junk', 'not-junk', 'trash', 'restore', 'delete']);

/** Junk's targets without the user's own mail (a selection may mix Sent and Inbox rows). */
export function junkable(rows: readonly MessageRow[]): MessageRow[] {
  return rows.filter((r) => !isOwnMail(r.folder));
}

/**
 * Junk on a selection, split: the received messages it moves, and in plain words what it left
 * (the user's own mail from Sent, Drafts or the Outbox), so a mixed selection is never junked
 * only in part without a word; null when nothing was left out.
 */
export function junkSplit(rows: readonly MessageRow[]): { ids: string[]; skipped: string | null } {
  const ids = junkable(rows).map((r) => r.id);
  const left = rows.length - ids.length;
  if (left === 0) return { ids, skipped: null };
  if (ids.length === 0) return { ids, skipped: left === 1 ? 'Your own message is not junk: it was left where it is.' : 'Your own messages are not junk: they were left where they are.' };
  return { ids, skipped: left === 1 ? '1 of your own messages was left where it is.' : `${left.toLocaleString()} of your own messages were left where they are.` };
}

export function commandsFor(rows: readonly MessageRow[]): Command[] {
  if (rows.length === 0) return [];
  const out: Command[] = [];
  out.push(rows.some((r) => !r.seen) ? 'read' : 'unread');
  out.push(rows.some((r) => !r.flagged) ? 'flag' : 'unflag');
  const trashed = rows.filter((r) => inTrash(r.folder)).length;
  if (trashed === rows.length) out.push('move', 'restore', 'delete');
  else if (trashed === 0) {
    // Junk is not offered for what the user wrote (Sent, Drafts, Outbox): it would teach the
    // filter that their own mail is spam. (Mark as unread stays, as in Thunderbird.)
    const junk: Command[] = rows.every((r) => r.folder === 'Junk') ? ['not-junk'] : rows.some((r) => !isOwnMail(r.folder)) ? ['junk'] : [];
    out.push('move', 'archive', ...junk, 'trash');
  }
  else out.push('move');
  return out;
}
