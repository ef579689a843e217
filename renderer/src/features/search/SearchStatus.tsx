/**
 * Above a search's results: while main works, "Searching for “lunch”…" (the query as typed);
 * once answered, how many messages match what main understood ("12 results for “lunch”"); what
 * it left out in plain words (a malformed query is answered, never refused), and Save search.
 */
import type { SearchResult } from '../../../../shared/search.js';
import type { SearchAnswer } from './useSearch.js';

/**
 * What main understood, as a person reads it: main writes a word matched as a prefix with a
 * trailing "…" ("lunch…"), which inside quotes looks like a typo, and every word typed is a
 * prefix while it is typed anyway, so the mark is left out here.
 */
export function understoodText(understood: string): string {
  return understood.replace(/…(?=\s|$)/g, '').trim();
}

/** "12 results for “lunch”" (the quotes are the <q>'s); the count is every match, not only those listed. */
export function resultsText(result: Pick<SearchResult, 'total'>): string {
  return `${result.total.toLocaleString()} result${result.total === 1 ? '' : 's'}`;
}

export function SearchStatus({ answer, query, savedAs, onSave }: { answer: SearchAnswer; query: string; savedAs: string | null; onSave: () => void }) {
  if (answer.status === 'idle') return null;
  const result = answer.status === 'answered' ? answer.result : null;
  const said = result ? understoodText(result.understood) : '';
  return (
    <div className="search-status" role="status" aria-label="Search">
      {answer.status === 'failed' ? (
        <span>Only senders, subjects and first lines are searched: {answer.message.replace(/\.?$/, '.')}</span>
      ) : result ? (
        <span className="search-summary">
          {resultsText(result)}
          {said ? (
            <>
              {' for '}
              <q className="understood">{said}</q>
            </>
          ) : null}
        </span>
      ) : (
        <span className="muted search-summary">
          Searching for <q className="understood">{query.trim()}</q>…
        </span>
      )}
      {result && result.ignored.length > 0 && (
        <span className="search-ignored">
          Left out: {result.ignored.join('; ')}.
        </span>
      )}
      {savedAs ? (
        <span className="muted">Saved as “{savedAs}”</span>
      ) : (
        <button type="button" className="small" onClick={onSave} title="Keep this search in the sidebar">
          Save search
        </button>
      )}
    </div>
  );
}

/** The list's count while searching: all matches, and when main sent fewer ids, how many are shown. */
export function searchCountText(answer: SearchAnswer, shown: number): string | undefined {
  if (answer.status !== 'answered') return answer.status === 'searching' ? 'Searching…' : undefined;
  const { total } = answer.result;
  const n = (k: number) => k.toLocaleString();
  if (total > shown) return `Best ${n(shown)} of ${n(total)} matches`;
  return `${n(shown)} match${shown === 1 ? '' : 'es'}`;
}
