/**
 * What can be done to a set of messages, offered the same way by the selection pane, the context
 * menu and the keyboard: only the commands that would change something (Mark as read when some
 * are unread, Mark as unread when all are read; likewise for flags), and the folder's own moves.
 */
import type { MessageRow } from '../../db/database.js';

export type Command = 'read' | 'unread' | 'flag' | 'unflag' | 'trash' | 'restore' | 'delete';

export const COMMAND_LABELS: Record<Command, string> = {
  read: 'Mark as read',
  unread: 'Mark as unread',
  flag: 'Flag',
  unflag: 'Unflag',
  trash: 'Move to Trash',
  restore: 'Restore',
  delete: 'Delete permanently',
};

/** Commands that take the messages out of the view they are in. */
export const LEAVES_VIEW: ReadonlySet<Command> = new Set(['trash', 'restore', 'delete']);

export function commandsFor(rows: readonly MessageRow[]): Command[] {
  if (rows.length === 0) return [];
  const out: Command[] = [];
  out.push(rows.some((r) => !r.seen) ? 'read' : 'unread');
  out.push(rows.some((r) => !r.flagged) ? 'flag' : 'unflag');
  if (rows.every((r) => r.folder === 'trash')) out.push('restore', 'delete');
  else if (rows.every((r) => r.folder === 'inbox')) out.push('trash');
  return out;
}
