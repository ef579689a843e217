/** The views' queries, answered from the message store in memory (see message-store.ts). */
import type { MailboxView, MessageStore, SortKey } from './message-store.js';

export type { MailboxView, SortKey } from './message-store.js';

/** The terms of a search box's text: lower case, split on white space. */
export function searchTerms(search: string): string[] {
  return search.toLowerCase().split(/\s+/).filter(Boolean);
}

/** The ids of the view, in order; with a search, only the matching ones. */
export function viewIds(store: MessageStore, view: MailboxView, sort: SortKey, search = ''): string[] {
  const ids = store.viewIds(view, sort);
  const terms = searchTerms(search);
  return terms.length ? store.filter(ids, terms) : ids;
}
