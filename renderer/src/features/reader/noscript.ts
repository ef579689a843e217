/**
 * `<noscript>` read as a browser with scripting on reads it: its content is raw text up to the
 * next `</noscript`, never markup. DOMPurify parses with scripting off, where a `<noscript>`
 * holding an unclosed `<p>`, `<div>` or `<li>` (newsletters' "Images not showing?") never
 * closes, and everything after it — the headline, the articles — went with it. Cutting the
 * noscript blocks out of the source before sanitizing gives what a browser shows.
 *
 * The scan knows just enough HTML not to find a `<noscript` where a browser would not: inside
 * comments, attribute values, and the raw-text elements (script, style, textarea, title…).
 * Whatever it leaves still goes through the sanitizer, so a mistake here can only change what
 * is shown, never what runs.
 */
import { tagEnd, tagNameAt } from '../../../../shared/html-scan.js';

// Elements whose content is text up to their own end tag.
const RAW_TEXT = new Set(['script', 'style', 'textarea', 'title', 'xmp', 'iframe', 'noembed', 'noframes', 'plaintext']);
/** Index of the `</name` that ends a raw-text element's content (case-insensitive), or -1. */
function endTagAt(html: string, name: string, from: number): number {
  const re = new RegExp(`</${name}(?=[\\s/>]|$)`, 'gi');
  re.lastIndex = from;
  return re.exec(html)?.index ?? -1;
}

export interface NoscriptResult {
  html: string;
  /** noscript blocks removed that held visible text (not just whitespace or a tracking pixel). */
  removedWithText: number;
}

export function dropNoscript(html: string): NoscriptResult {
  if (!/<noscript/i.test(html)) return { html, removedWithText: 0 };
  let out = '';
  let copied = 0;
  let removedWithText = 0;
  let i = 0;
  while (i < html.length) {
    const lt = html.indexOf('<', i);
    if (lt < 0) break;
    if (html.startsWith('<!--', lt)) {
      const close = html.indexOf('-->', lt + 4);
      i = close < 0 ? html.length : close + 3;
      continue;
    }
    const tag = tagNameAt(html, lt + 1);
    if (!tag) {
      i = lt + 1; // "a < b", an end tag, a doctype: text or nothing that can open a raw-text element
      continue;
    }
    const name = tag.name;
    const afterTag = tagEnd(html, tag.end);
    if (name === 'noscript') {
      const end = endTagAt(html, 'noscript', afterTag);
      const stop = end < 0 ? html.length : tagEnd(html, end + '</noscript'.length);
      const content = html.slice(afterTag, end < 0 ? html.length : end);
      if (content.replace(/<[^>]*>/g, '').trim()) removedWithText++;
      out += html.slice(copied, lt);
      copied = stop;
      i = stop;
      continue;
    }
    if (RAW_TEXT.has(name)) {
      if (name === 'plaintext') break;
      const end = endTagAt(html, name, afterTag);
      i = end < 0 ? html.length : end + 2;
      continue;
    }
    i = afterTag;
  }
  return { html: out + html.slice(copied), removedWithText };
}
