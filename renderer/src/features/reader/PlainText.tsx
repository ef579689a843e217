/** A text/plain body, readable: wrapped, quotes dimmed, http(s) and mailto links clickable (through the LinkGuard). */
import { Fragment, useEffect, useMemo, useRef, type MouseEvent } from 'react';
import { Pieces, type Piece } from '../search/Highlighted.js';
import { markBudget, splitMatches, termPattern, type MarkBudget, type SearchTerm } from '../search/highlight.js';
import type { LinkHandlers } from './LinkGuard.js';

const LINK = /\b(https?:\/\/[^\s<>"')\]]+[^\s<>"'.,;:!?)\]]|mailto:[^\s<>"']+|[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,})/g;

/**
 * The search's words to mark: their expression built once per body, and one budget of marks and
 * searched characters for the whole body, used up line by line (the rest is shown unmarked).
 */
type Marks = { terms: readonly SearchTerm[]; pattern: RegExp | null; budget: MarkBudget };

/** Text, or a link (its text); each cut into pieces with the marks. */
type Part = { pieces: Piece[] } | { href: string; text: string; pieces: Piece[] };

const cut = (text: string, marks: Marks): Piece[] => (marks.pattern ? splitMatches(text, marks.terms, marks.pattern, marks.budget) : [{ text, hit: false }]);

/** A line cut into text and links, each with its search marks. */
function parts(line: string, marks: Marks): Part[] {
  const out: Part[] = [];
  let last = 0;
  for (const m of line.matchAll(LINK)) {
    out.push({ pieces: cut(line.slice(last, m.index), marks) });
    const text = m[0];
    out.push({ href: /^(https?|mailto):/i.test(text) ? text : `mailto:${text}`, text, pieces: cut(text, marks) });
    last = m.index + text.length;
  }
  out.push({ pieces: cut(line.slice(last), marks) });
  return out;
}

function linkify(parts: Part[], links: LinkHandlers) {
  return parts.map((p, i) =>
    !('href' in p) ? (
      <Fragment key={i}>
        <Pieces pieces={p.pieces} />
      </Fragment>
    ) : (
      <a
        key={i}
        href={p.href}
        rel="noopener noreferrer"
        onMouseEnter={() => links.hover(p)}
        onMouseLeave={() => links.hover(null)}
        onFocus={() => links.hover(p)}
        onBlur={() => links.hover(null)}
        onClick={(e) => activate(e, p, links)}
        onAuxClick={(e) => activate(e, p, links)}
        onDragStart={(e) => e.preventDefault()}
      >
        <Pieces pieces={p.pieces} />
      </a>
    ),
  );
}

function activate(e: MouseEvent, link: { href: string; text: string }, links: LinkHandlers) {
  // The link never navigates the app; the guard opens it outside (or asks first).
  e.preventDefault();
  if (e.button === 0 || e.button === 1) links.activate(link);
}

const NO_TERMS: readonly SearchTerm[] = [];

export function PlainText({ text, links, terms = NO_TERMS }: { text: string; links: LinkHandlers; terms?: readonly SearchTerm[] }) {
  // Cut once per body and words, not on every render of the pane.
  const lines = useMemo(() => {
    const marks: Marks = { terms, pattern: terms.length ? termPattern(terms) : null, budget: markBudget() };
    return text
      .replace(/\r\n/g, '\n')
      .split('\n')
      .map((line) => ({ quote: /^\s*>/.test(line), parts: line === '' ? null : parts(line, marks) }));
  }, [text, terms]);
  // The first marked word is brought into view, as in the HTML frame.
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (terms.length) ref.current?.querySelector('mark')?.scrollIntoView?.({ block: 'nearest' });
  }, [text, terms]);
  return (
    <div className="plain-body" ref={ref}>
      {lines.map((line, i) => (
        <div key={i} className={line.quote ? 'quote' : undefined}>
          {line.parts ? linkify(line.parts, links) : '\u00a0'}
        </div>
      ))}
    </div>
  );
}
