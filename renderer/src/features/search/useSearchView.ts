/**
 * The list's ids while a search is typed: main's answer in its rank order once it has come (only
 * rows the read model holds, so the count and the keys agree with what is shown); before that,
 * the instant in-memory filter as a first paint. With the words to mark and main's snippets.
 */
import { useMemo } from 'react';
import { useMessages, useServices } from '../../app/context.js';
import type { MailboxView } from '../../db/message-store.js';
import type { ListSort } from '../inbox/sort.js';
import { useViewIds } from '../inbox/useViewIds.js';
import { termPattern, type SearchTerm } from './highlight.js';
import { searchScope, useSearch, type SearchAnswer } from './useSearch.js';

export interface SearchView {
  ids: string[];
  complete: boolean;
  answer: SearchAnswer;
  /** Main has not answered this query yet (the list is the in-memory filter's). */
  pending: boolean;
  /** What to mark in the list and the reading pane. */
  terms: readonly SearchTerm[];
  pattern: RegExp | null;
  /** main's text around the first match, by id, in place of the stored snippet. */
  snippets: ReadonlyMap<string, string>;
}

const NONE: readonly SearchTerm[] = [];
const NO_SNIPPETS: ReadonlyMap<string, string> = new Map();

/** Words to mark before main answers: the plain words typed (not operators, OR or -left-out), the last one a prefix while it is being typed. */
export function typedTerms(query: string): SearchTerm[] {
  const tokens = [...query.matchAll(/"([^"]*)"?|(\S+)/g)].map((m) => ({ text: (m[1] ?? m[2] ?? '').toLowerCase().trim(), quoted: m[1] !== undefined }));
  // Only the very last token, while it is still being typed (no space after it), is a prefix.
  const typing = /\s$/.test(query) ? -1 : tokens.length - 1;
  return tokens.flatMap((t, i) => (t.text && (t.quoted || !/^-|^or$|^\w+:/.test(t.text)) ? [{ text: t.text, prefix: !t.quoted && i === typing }] : []));
}

export function useSearchView(view: MailboxView, sort: ListSort, reversed: boolean, search: string): SearchView {
  const { api } = useServices();
  const store = useMessages();
  const local = useViewIds(view, sort, reversed, search.trim());
  const scope = useMemo(() => searchScope(view), [view.kind, view.kind === 'folder' ? view.accountId : '', view.kind === 'folder' ? view.folder : '']);
  const answer = useSearch(api, search, scope, store.version);
  const result = answer.status === 'answered' ? answer.result : null;
  const ids = useMemo(() => (result && store.loaded ? result.ids.filter((id) => store.get(id) !== undefined) : null), [result, store, store.loaded, store.version]);
  const fresh = answer.status === 'idle' ? NONE : result ? result.terms : typedTerms(search);
  // The same words keep the same array: an answer asked again (the mail changed) does not mark the reading pane anew.
  const termsKey = JSON.stringify(fresh);
  const terms = useMemo(() => fresh, [termsKey]);
  const pattern = useMemo(() => (terms.length ? termPattern(terms) : null), [terms]);
  const snippets = useMemo(() => (result ? new Map(result.snippets.map((s) => [s.id, s.text])) : NO_SNIPPETS), [result]);
  if (answer.status === 'idle') return { ...local, answer, pending: false, terms: NONE, pattern: null, snippets: NO_SNIPPETS };
  return { ids: ids ?? local.ids, complete: ids ? true : local.complete, answer, pending: answer.status === 'searching', terms, pattern, snippets };
}
