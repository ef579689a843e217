/**
 * The views' queries. Lists are read through compound indexes that end in the message id, so
 * every key is unique: the list asks for its ordered ids once (keys only, no rows) and the rows
 * on screen by id. No `offset()` anywhere (slow on compound indexes).
 */
import type { Folder, MessageRow, PopboxDb } from './database.js';

export type MailboxView = { kind: 'unified' } | { kind: 'account'; accountId: string } | { kind: 'trash' };
export type SortKey = 'date' | 'from' | 'subject';

const FIELD: Record<SortKey, string> = { date: 'date', from: 'fromKey', subject: 'subjectKey' };

// Bounds for one component of a compound key: below every number and string, above every
// number and realistic string. (Not MAX: as a nested array it trips fake-indexeddb.)
const MIN = -Infinity;
const MAX = '\uffff';

export function folderOf(view: MailboxView): Folder {
  return view.kind === 'trash' ? 'trash' : 'inbox';
}

function ordered(db: PopboxDb, view: MailboxView, sort: SortKey) {
  const field = FIELD[sort];
  const folder = folderOf(view);
  const coll =
    view.kind === 'account'
      ? db.messages
          .where(`[accountId+folder+${field}+id]`)
          .between([view.accountId, folder, MIN, MIN], [view.accountId, folder, MAX, MAX])
      : db.messages.where(`[folder+${field}+id]`).between([folder, MIN, MIN], [folder, MAX, MAX]);
  // Newest first; names and subjects A to Z.
  return sort === 'date' ? coll.reverse() : coll;
}

/** The ids of the view, in order; with a search, only the matching ones. */
export async function viewIds(db: PopboxDb, view: MailboxView, sort: SortKey, search: string): Promise<string[]> {
  const terms = search.toLowerCase().split(/\s+/).filter(Boolean);
  const coll = ordered(db, view, sort);
  if (terms.length === 0) return (await coll.primaryKeys()) as string[];
  return (await coll.filter((m) => terms.every((t) => m.text.includes(t))).primaryKeys()) as string[];
}

/** The first `n` rows of a view, for the first paint before the id list is in. */
export function firstRows(db: PopboxDb, view: MailboxView, sort: SortKey, n: number): Promise<MessageRow[]> {
  return ordered(db, view, sort).limit(n).toArray();
}

export async function unreadCount(db: PopboxDb, view: MailboxView): Promise<number> {
  const folder = folderOf(view);
  if (view.kind === 'account') return db.messages.where('[accountId+folder+seen]').equals([view.accountId, folder, 0]).count();
  return db.messages.where('[folder+seen]').equals([folder, 0]).count();
}

export function countOf(db: PopboxDb, view: MailboxView): Promise<number> {
  const folder = folderOf(view);
  if (view.kind === 'account')
    return db.messages
      .where('[accountId+folder+date+id]')
      .between([view.accountId, folder, MIN, MIN], [view.accountId, folder, MAX, MAX])
      .count();
  return db.messages.where('[folder+date+id]').between([folder, MIN, MIN], [folder, MAX, MAX]).count();
}
