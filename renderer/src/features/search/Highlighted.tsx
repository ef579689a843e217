/** Text with the search's words marked (<mark>), for the list's snippet and plain-text bodies. */
import type { SearchTerm } from './highlight.js';
import { splitMatches } from './highlight.js';

export function Highlighted({ text, terms, pattern }: { text: string; terms: readonly SearchTerm[]; pattern?: RegExp | null }) {
  if (terms.length === 0) return <>{text}</>;
  return (
    <>
      {splitMatches(text, terms, pattern).map((p, i) =>
        p.hit ? (
          <mark key={i} className="search-hit">
            {p.text}
          </mark>
        ) : (
          p.text
        ),
      )}
    </>
  );
}
