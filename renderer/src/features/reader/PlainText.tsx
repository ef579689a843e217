/** A text/plain body, readable: wrapped, quotes dimmed, http(s) and mailto links clickable. */
import { Fragment } from 'react';

const LINK = /\b(https?:\/\/[^\s<>"')\]]+[^\s<>"'.,;:!?)\]]|mailto:[^\s<>"']+|[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,})/g;

function linkify(line: string) {
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
      <Fragment key={i}>{p}</Fragment>
    ) : (
      <a key={i} href={p.href} target="_blank" rel="noopener noreferrer">
        {p.text}
      </a>
    ),
  );
}

export function PlainText({ text }: { text: string }) {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  return (
    <div className="plain-body">
      {lines.map((line, i) => (
        <div key={i} className={/^\s*>/.test(line) ? 'quote' : undefined}>
          {line === '' ? '\u00a0' : linkify(line)}
        </div>
      ))}
    </div>
  );
}
