/** Text with the search's words marked (<mark>), for the list's snippet and plain-text bodies. */
import type { SearchTerm } from './highlight.js';
import { markBudget, splitMatches } from './highlight.js';

export type Piece = { text: string; hit: boolean };

/** Pieces already cut (a body cuts all its text under one budget of marks). */
export function Pieces({ pieces }: { pieces: readonly Piece[] }) {
  return (
    <>
      {pieces.map((p, i) =>
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

export function Highlighted({ text, terms, pattern }: { text: string; terms: readonly SearchTerm[]; pattern?: RegExp | null }) {
  if (terms.length === 0) return <>{text}</>;
  return <Pieces pieces={splitMatches(text, terms, pattern, markBudget())} />;
}
