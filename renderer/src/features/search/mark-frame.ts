/**
 * The search's words marked in the reading pane's HTML body (issue 17). The frame's document is
 * already sanitized and shown under its own CSP (DESIGN §3.7): this only splits its text nodes
 * and wraps the matching pieces in <mark> elements it creates itself, with no attribute but
 * its own marker, so nothing from the message is parsed again and neither the sanitizer nor
 * the CSP changes. The marks go away the same way, leaving the text as it was.
 */
import { matchRanges, termPattern, type SearchTerm } from './highlight.js';

/** Our marks carry this; the sanitizer keeps no data- attribute, so the message cannot fake one. */
export const HIT_ATTR = 'data-popbox-hit';
// Text in these is not what the reader sees as the message's words.
const SKIP = new Set(['SCRIPT', 'STYLE', 'TITLE', 'TEXTAREA', 'NOSCRIPT', 'TEMPLATE', 'HEAD']);
/** Enough for any real message; a hostile one with a million matches stays cheap. */
const MAX_MARKS = 2000;

/** Removes the marks this module added, joining the text back. */
export function unmarkDocument(doc: Document): void {
  for (const m of [...doc.querySelectorAll(`mark[${HIT_ATTR}]`)]) {
    const parent = m.parentNode;
    if (!parent) continue;
    parent.replaceChild(doc.createTextNode(m.textContent ?? ''), m);
    parent.normalize();
  }
}

/** Marks every match of `terms` in the body's text; returns how many. */
export function markDocument(doc: Document, terms: readonly SearchTerm[]): number {
  unmarkDocument(doc);
  const pattern = termPattern(terms);
  if (!pattern || !doc.body) return 0;
  const walker = doc.createTreeWalker(doc.body, NodeFilter.SHOW_TEXT, {
    acceptNode: (n) => {
      for (let p = n.parentElement; p && p !== doc.body; p = p.parentElement) if (SKIP.has(p.tagName)) return NodeFilter.FILTER_REJECT;
      return n.nodeValue && n.nodeValue.trim() ? NodeFilter.FILTER_ACCEPT : NodeFilter.FILTER_SKIP;
    },
  });
  const nodes: Text[] = [];
  for (let n = walker.nextNode(); n; n = walker.nextNode()) nodes.push(n as Text);
  let count = 0;
  for (const node of nodes) {
    const ranges = matchRanges(node.data, terms, pattern);
    // From the end, so the offsets before each cut stay right.
    for (let k = ranges.length - 1; k >= 0 && count < MAX_MARKS; k--) {
      const [s, e] = ranges[k]!;
      const hit = node.splitText(s);
      hit.splitText(e - s);
      const mark = doc.createElement('mark');
      mark.setAttribute(HIT_ATTR, '');
      hit.parentNode!.replaceChild(mark, hit);
      mark.appendChild(hit);
      count++;
    }
    if (count >= MAX_MARKS) break;
  }
  return count;
}
