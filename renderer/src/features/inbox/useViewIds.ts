/** The ordered ids of a view, live; the first screenful arrives first so the list paints at once. */
import { useLiveQuery } from 'dexie-react-hooks';
import { useServices } from '../../app/context.js';
import { firstRows, viewIds, type MailboxView, type SortKey } from '../../db/queries.js';

const FIRST = 60;

export function useViewIds(view: MailboxView, sort: SortKey, search: string): { ids: string[]; complete: boolean } {
  const { db } = useServices();
  const key = JSON.stringify([view, sort, search]);
  const full = useLiveQuery(async () => ({ key, ids: await viewIds(db, view, sort, search) }), [db, key]);
  const first = useLiveQuery(async () => ({ key, ids: search ? null : (await firstRows(db, view, sort, FIRST)).map((r) => r.id) }), [db, key]);
  if (full && full.key === key) return { ids: full.ids, complete: true };
  if (first && first.key === key && first.ids) return { ids: first.ids, complete: false };
  return { ids: [], complete: false };
}
