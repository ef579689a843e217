/** A text/plain body, readable: wrapped, quotes dimmed, http(s) and mailto links clickable (through the LinkGuard). */
import { Fragment, useEffect, useRef, type MouseEvent } from 'react';
import { Highlighted } from '../search/Highlighted.js';
import { termPattern, type SearchTerm } from '../search/highlight.js';
import type { LinkHandlers } from './LinkGuard.js';

const LINK = /\b(https?:\/\/[^\s<>"')\]]+[^\s<>"'.,;:!?)\]]|mailto:[^\s<>"']+|[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,})/g;

/** The search's words to mark, and their expression built once per body. */
type Marks = { terms: readonly SearchTerm[]; pattern: RegExp | null };

function linkify(line: string, links: LinkHandlers, marks: Marks) {
  const parts: (string | { href: string; text: string })[] = [];
  let last = 0;
  for (const m of line.matchAll(LINK)) {
    parts.push(line.slice(last, m.index));
    const text = m[0];
    parts.push({ href: /^(https?|mailto):/i.test(text) ? text : `mailto:${text}`, text });
    last = m.index + text.length;
  }
  parts.push(line.slice(last));
  return parts.map((p, i) =>
    typeof p === 'string' ? (
      <Fragment key={i}>
        <Highlighted text={p} {...marks} />
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
        <Highlighted text={p.text} {...marks} />
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
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  const marks: Marks = { terms, pattern: terms.length ? termPattern(terms) : null };
  // The first marked word is brought into view, as in the HTML frame.
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (terms.length) ref.current?.querySelector('mark')?.scrollIntoView?.({ block: 'nearest' });
  }, [text, terms]);
  return (
    <div className="plain-body" ref={ref}>
      {lines.map((line, i) => (
        <div key={i} className={/^\s*>/.test(line) ? 'quote' : undefined}>
          {line === '' ? '\u00a0' : linkify(line, links, marks)}
        </div>
      ))}
    </div>
  );
}
