/**
 * The first answer to `search` before the full-text index exists: every word of the query must
 * appear in the sender, recipients, subject or snippet of the journal's summaries. Temporary:
 * the index (search-index.ts) replaces it; kept only so the screen can call `search` today.
 */
import type { MessageRecord } from '../../../shared/changes.js';
import type { SearchInput, SearchResult } from '../../../shared/search.js';

export function scanSearch(records: Iterable<MessageRecord>, input: SearchInput): SearchResult {
  const words = input.query.toLowerCase().split(/\s+/).filter(Boolean);
  const hits: MessageRecord[] = [];
  for (const m of records) {
    if (input.accountId !== undefined && m.accountId !== input.accountId) continue;
    if (input.folder !== undefined && m.folder !== input.folder) continue;
    const s = m.summary;
    const hay = [s.subject, s.snippet, ...[...s.from, ...s.to, ...s.cc].flatMap((a) => [a.name, a.address])].join('\n').toLowerCase();
    if (words.every((w) => hay.includes(w))) hits.push(m);
  }
  hits.sort((a, b) => (b.summary.date ?? '').localeCompare(a.summary.date ?? '') || b.receivedAt - a.receivedAt);
  const ids = hits.slice(0, input.limit ?? 1000).map((m) => m.id);
  return { ids, total: hits.length, terms: words.map((text) => ({ text, prefix: false })), understood: words.join(' '), ignored: [], snippets: [] };
}
