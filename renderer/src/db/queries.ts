/**
 * The views' queries. Lists are read through compound indexes that end in the message id, so
 * every key is unique: the list asks for its ordered ids once (keys only, no rows) and the rows
 * on screen by id. No `offset()` anywhere (slow on compound indexes).
 */
import type { Folder, MessageRow, PopboxDb } from './database.js';
import type { SearchIndex } from './search-index.js';

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

function range(db: PopboxDb, view: MailboxView, field: string, perAccount: boolean) {
  const folder = folderOf(view);
  return perAccount && view.kind === 'account'
    ? db.messages.where(`[accountId+folder+${field}+id]`).between([view.accountId, folder, MIN, MIN], [view.accountId, folder, MAX, MAX])
    : db.messages.where(`[folder+${field}+id]`).between([folder, MIN, MIN], [folder, MAX, MAX]);
}

/**
 * The ids of the view, in order (newest first; names and subjects A to Z); with a search, only
 * the matching ones. Keys only, read ascending in one request (a reversed read would walk a
 * cursor); account views sorted by sender or subject filter the folder's order by account.
 */
export async function viewIds(db: PopboxDb, view: MailboxView, sort: SortKey, search: string, index?: SearchIndex): Promise<string[]> {
  const terms = search.toLowerCase().split(/\s+/).filter(Boolean);
  const perAccount = sort === 'date';
  const t0 = performance.now();
  let ids = (await range(db, view, FIELD[sort], perAccount).primaryKeys()) as string[];
  performance.measure('popbox:viewIds', { start: t0 });
  if (sort === 'date') ids.reverse();
  const accountId = view.kind === 'account' && !perAccount ? view.accountId : undefined;
  if (terms.length === 0 && accountId === undefined) return ids;
  if (!index) throw new Error('viewIds: a search needs the search index');
  ids = await index.filter(ids, terms, accountId);
  return ids;
}

/** The first `n` rows of a view, for the first paint before the id list is in. */
export function firstRows(db: PopboxDb, view: MailboxView, sort: SortKey, n: number): Promise<MessageRow[]> {
  if (sort === 'date') return range(db, view, 'date', true).reverse().limit(n).toArray();
  const coll = range(db, view, FIELD[sort], false);
  return (view.kind === 'account' ? coll.filter((m) => m.accountId === view.accountId) : coll).limit(n).toArray();
}

export async function unreadCount(db: PopboxDb, view: MailboxView): Promise<number> {
  const folder = folderOf(view);
  if (view.kind === 'account') return db.messages.where('[accountId+folder+seen]').equals([view.accountId, folder, 0]).count();
  return db.messages.where('[folder+seen]').equals([folder, 0]).count();
}
