/** The views' queries, answered from the message store in memory (see message-store.ts). */
import type { MailboxView, MessageStore, SortKey } from './message-store.js';
import { searchTerms } from './search.js';

export type { MailboxView, SortKey } from './message-store.js';

export { searchTerms } from './search.js';

/** The ids of the view, in order; with a search, only the matching ones. */
export function viewIds(store: MessageStore, view: MailboxView, sort: SortKey, search = ''): string[] {
  const ids = store.viewIds(view, sort);
  const terms = searchTerms(search);
  return terms.length ? store.filter(ids, terms) : ids;
}
