/**
 * The ordered ids of a view, live. The first screenful arrives first so the list paints at once;
 * the whole list follows; a search filters that list in memory (no IndexedDB per keystroke).
 */
import { useLiveQuery } from 'dexie-react-hooks';
import { useEffect, useState } from 'react';
import { useServices } from '../../app/context.js';
import { firstRows, viewIds, type MailboxView, type SortKey } from '../../db/queries.js';

const FIRST = 60;

export function useViewIds(view: MailboxView, sort: SortKey, search: string): { ids: string[]; complete: boolean } {
  const { db, readModel } = useServices();
  const key = JSON.stringify([view, sort]);
  const first = useLiveQuery(async () => ({ key, ids: (await firstRows(db, view, sort, FIRST)).map((r) => r.id) }), [db, key]);
  // The whole list only once the first screenful is in: IndexedDB answers in order, and the
  // first rows should not wait behind 100,000 keys.
  const firstIn = first?.key === key;
  const full = useLiveQuery(async () => (firstIn ? { key, ids: await viewIds(db, view, sort, '', readModel.search) } : undefined), [db, key, firstIn]);
  const base = full?.key === key ? full.ids : null;

  // Once the list is in, load the search text in the background so the first search is instant.
  useEffect(() => {
    if (!base) return;
    const t = setTimeout(() => void readModel.search.ready(), 500);
    return () => clearTimeout(t);
  }, [base !== null, readModel]);

  const terms = search.toLowerCase().split(/\s+/).filter(Boolean);
  const termsKey = terms.join(' ');
  const [found, setFound] = useState<{ base: string[]; terms: string; ids: string[] } | null>(null);
  useEffect(() => {
    if (!base || termsKey === '') return;
    let live = true;
    const t0 = performance.now();
    void readModel.search.filter(base, termsKey.split(' ')).then((ids) => {
      performance.measure('popbox:search', { start: t0 });
      if (live) setFound({ base, terms: termsKey, ids });
    });
    return () => {
      live = false;
    };
  }, [base, termsKey, readModel]);

  if (termsKey !== '') {
    // The previous results stay on screen until the new ones are in.
    if (found) return { ids: found.ids, complete: found.base === base && found.terms === termsKey };
    return { ids: [], complete: false };
  }
  if (base) return { ids: base, complete: true };
  if (firstIn) return { ids: first.ids, complete: false };
  return { ids: [], complete: false };
}
