/**
 * Full-text search (issue 17): the query goes up as the person typed it, main parses it
 * (Gmail/notmuch forms: words, "phrases", prefix-as-you-type, from:, to:, subject:,
 * has:attachment, is:unread, is:flagged, in:FOLDER, account:, before:/after:, larger:) and
 * answers ranked ids. A malformed query is never an error: main answers what it understood.
 */
import { z } from 'zod';

export const SEARCH_QUERY_MAX = 1000;
export const SEARCH_LIMIT_MAX = 10_000;
/** Results that carry a snippet around their first match (the rows a list shows first). */
export const SEARCH_SNIPPETS_MAX = 200;

export const SearchInput = z.strictObject({
  query: z.string().max(SEARCH_QUERY_MAX),
  /** How many ids at most (default 1,000). */
  limit: z.number().int().min(1).max(SEARCH_LIMIT_MAX).optional(),
  /** Only this account's mail (the query's account: still applies on top). */
  accountId: z.string().min(1).max(200).optional(),
  /** Only this folder key of that account, or a special key (Inbox, Archive…) in every account. */
  folder: z.string().min(1).max(1000).optional(),
});
export type SearchInput = z.infer<typeof SearchInput>;

export const SearchResult = z.object({
  /** Message ids, best first (relevance, then recency). */
  ids: z.array(z.string()),
  /** How many messages match in all (ids may be cut at the limit). */
  total: z.number(),
  /** The words to highlight in lists and the reading pane (lower case; a prefix matches word starts). */
  terms: z.array(z.object({ text: z.string(), prefix: z.boolean() })),
  /** What main understood, written back as a canonical query (shown as "Searching for …"). */
  understood: z.string(),
  /** Parts of the query that were not understood and were left out, in plain words. */
  ignored: z.array(z.string()),
  /** For the first results: a short text around the first match ({id, text}); the list shows it in place of the snippet. */
  snippets: z.array(z.object({ id: z.string(), text: z.string() })),
});
export type SearchResult = z.infer<typeof SearchResult>;

/** A query kept as a virtual folder in the sidebar. */
export const SavedSearch = z.strictObject({
  id: z.string().min(1).max(100),
  name: z.string().trim().min(1, 'needs a name').max(200),
  query: z.string().max(SEARCH_QUERY_MAX),
});
export type SavedSearch = z.infer<typeof SavedSearch>;
export const SAVED_SEARCHES_MAX = 200;
