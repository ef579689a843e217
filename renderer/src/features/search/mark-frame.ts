/**
 * The search's words marked in the reading pane's HTML body (issue 17). The frame's document is
 * already sanitized and shown under its own CSP (DESIGN §3.7): this only splits its text nodes
 * and wraps the matching pieces in <mark> elements it creates itself, with no attribute but
 * its own marker, so nothing from the message is parsed again and neither the sanitizer nor
 * the CSP changes. The marks go away the same way, leaving the text as it was.
 */
import { markBudget, matchRanges, termPattern, type SearchTerm } from './highlight.js';

/** Our marks carry this; the sanitizer keeps no data- attribute, so the message cannot fake one. */
export const HIT_ATTR = 'data-popbox-hit';
// Text in these is not what the reader sees as the message's words (local names: SVG's too).
const SKIP = new Set(['script', 'style', 'title', 'textarea', 'noscript', 'template', 'head']);
/**
 * Nodes looked at per marking, elements and text alike: a real message has far fewer; a hostile
 * one with millions of empty elements or lines stops here instead of freezing the window.
 */
export const MAX_NODES = 300_000;
const ENOUGH = Symbol('enough nodes looked at');

const isOurMark = (n: Node | null): n is Element => n !== null && n.nodeType === Node.ELEMENT_NODE && (n as Element).localName === 'mark' && (n as Element).hasAttribute(HIT_ATTR);
const joinable = (n: Node | null): n is Node => n !== null && (n.nodeType === Node.TEXT_NODE || isOurMark(n));

/**
 * Removes the marks this module added, joining the text back. Each run of text and marks that
 * one text node was split into becomes one text node again, built once: no normalize() of the
 * parent (which walks its whole subtree, once per mark) and no text grown piece by piece.
 */
export function unmarkDocument(doc: Document): void {
  const done = new Set<Node>();
  for (const m of doc.querySelectorAll(`mark[${HIT_ATTR}]`)) {
    const parent = m.parentNode;
    if (!parent || done.has(m)) continue;
    let first: Node = m;
    while (joinable(first.previousSibling)) first = first.previousSibling;
    const run: Node[] = [];
    for (let n: Node | null = first; joinable(n); n = n.nextSibling) run.push(n);
    for (const n of run) done.add(n);
    parent.insertBefore(doc.createTextNode(run.map((n) => n.textContent ?? '').join('')), first);
    for (const n of run) parent.removeChild(n);
  }
}

/**
 * Marks the matches of `terms` in the body's text, up to MAX_MARKS, in the first MAX_NODES nodes
 * and MAX_SCAN_CHARS characters; returns how many. Each node is visited once: the walk leaves
 * out a skipped element's whole subtree rather than looking up every text node's ancestors.
 */
export function markDocument(doc: Document, terms: readonly SearchTerm[]): number {
  unmarkDocument(doc);
  const pattern = termPattern(terms);
  if (!pattern || !doc.body) return 0;
  let seen = 0;
  const walker = doc.createTreeWalker(doc.body, NodeFilter.SHOW_ELEMENT | NodeFilter.SHOW_TEXT, {
    acceptNode: (n) => {
      // Thrown out of the walk: once it is over the limit, not another node is looked at.
      if (++seen > MAX_NODES) throw ENOUGH;
      if (n.nodeType === Node.ELEMENT_NODE) return SKIP.has((n as Element).localName) ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_SKIP;
      return n.nodeValue && n.nodeValue.trim() ? NodeFilter.FILTER_ACCEPT : NodeFilter.FILTER_SKIP;
    },
  });
  const budget = markBudget();
  // The text nodes and their matches are found first and cut afterwards, so the walk never sees a cut.
  const found: { node: Text; ranges: [number, number][] }[] = [];
  try {
    for (let n = walker.nextNode(); n && budget.marks > 0 && budget.chars > 0; n = walker.nextNode()) {
      const node = n as Text;
      const scan = node.data.length > budget.chars ? node.data.slice(0, budget.chars) : node.data;
      budget.chars -= scan.length;
      const ranges = matchRanges(scan, terms, pattern, budget.marks);
      budget.marks -= ranges.length;
      if (ranges.length) found.push({ node, ranges });
    }
  } catch (e) {
    if (e !== ENOUGH) throw e;
  }
  let count = 0;
  for (const { node, ranges } of found) {
    // From the end, so the offsets before each cut stay right.
    for (let k = ranges.length - 1; k >= 0; k--) {
      const [s, e] = ranges[k]!;
      const hit = node.splitText(s);
      hit.splitText(e - s);
      const mark = doc.createElement('mark');
      mark.setAttribute(HIT_ATTR, '');
      hit.parentNode!.replaceChild(mark, hit);
      mark.appendChild(hit);
      count++;
    }
  }
  return count;
}
