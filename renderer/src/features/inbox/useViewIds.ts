/**
 * The ordered ids of a view, live. Before the message store has loaded, the Unified Inbox shows
 * the head record's first rows so a cold start paints at once; a search filters the list in
 * memory.
 */
import { useEffect, useMemo } from 'react';
import { useMessages } from '../../app/context.js';
import { searchTerms, type MailboxView } from '../../db/queries.js';
import { measure } from '../../app/timing.js';
import { orderedIds, type ListSort } from './sort.js';

export function useViewIds(view: MailboxView, sort: ListSort, reversed: boolean, search: string): { ids: string[]; complete: boolean } {
  const store = useMessages();
  const base = store.loaded ? orderedIds(store, view, sort, reversed) : null;
  // Phrases hold spaces: the terms are kept apart by a character no term holds.
  const termsKey = searchTerms(search).join('\n');

  // Once the list is in, build the search text in the background so the first search is instant.
  useEffect(() => {
    if (!store.loaded) return;
    const t = setTimeout(() => store.prepareSearch(), 500);
    return () => clearTimeout(t);
  }, [store, store.loaded]);

  const found = useMemo(() => {
    if (!base || termsKey === '') return null;
    const t0 = performance.now();
    const ids = store.filter(base, termsKey.split('\n'));
    measure('popbox:search', t0);
    return ids;
    // The store's version too: a change of text (a message's rest downloaded) or flags shows.
  }, [store, base, termsKey, termsKey === '' ? 0 : store.version]);

  // Before the store is loaded: the head's rows, unless a search is typed (it waits for the store).
  if (!base) return { ids: termsKey === '' && sort === 'date' && !reversed ? (store.headFor(view, sort) ?? []) : [], complete: false };
  return { ids: found ?? base, complete: true };
}
