/**
 * Above a search's results: what main understood ("Searching for …"), what it left out in plain
 * words (a malformed query is answered, never refused), and Save search.
 */
import type { SearchAnswer } from './useSearch.js';

export function SearchStatus({ answer, savedAs, onSave }: { answer: SearchAnswer; savedAs: string | null; onSave: () => void }) {
  if (answer.status === 'idle') return null;
  const result = answer.status === 'answered' ? answer.result : null;
  return (
    <div className="search-status" role="status" aria-label="Search">
      {answer.status === 'failed' ? (
        <span>Only senders, subjects and first lines are searched: {answer.message.replace(/\.?$/, '.')}</span>
      ) : result ? (
        <span>
          Searching for <q className="understood">{result.understood || 'everything'}</q>
        </span>
      ) : (
        <span className="muted">Searching…</span>
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
