/**
 * The rich-text body as it leaves the computer: the renderer is untrusted (DESIGN §3.8), so main
 * rebuilds the HTML from an allow-list before sending. Tags a simple editor writes (bold, italic,
 * links, lists, quotes, paragraphs) are kept with no attributes but a link's http(s)/mailto
 * href; script, style and other active content go with everything inside them; every other tag
 * goes and its text stays; comments and processing instructions go. One pass, linear in the input.
 */
import { tagEnd, tagNameAt } from '../../../shared/html-scan.js';
import { decodeEntities } from '../mime/text.js';

const ALLOWED = new Set([
  'a', 'b', 'strong', 'i', 'em', 'u', 's', 'strike', 'del', 'ins', 'sub', 'sup', 'br', 'p', 'div', 'span',
  'blockquote', 'ul', 'ol', 'li', 'pre', 'code', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'hr',
  'table', 'thead', 'tbody', 'tr', 'td', 'th',
]);
const VOID = new Set(['br', 'hr']);
/** Dropped with their content. */
const DROPPED_WITH_CONTENT = new Set(['script', 'style', 'iframe', 'object', 'embed', 'noscript', 'template', 'textarea', 'select', 'title', 'head', 'svg', 'math', 'frameset', 'noembed', 'xmp', 'plaintext']);

const ATTR = /([^\s"'>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?/g;

function escapeAttr(v: string): string {
  return v.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A link target worth keeping: http, https or mailto, after entities and whitespace (browsers ignore both). */
function safeHref(raw: string): string | null {
  // eslint-disable-next-line no-control-regex -- browsers skip control characters in a scheme
  const v = decodeEntities(raw).replace(/[\x00-\x20\x7f]+/g, '');
  return /^(?:https?:\/\/|mailto:)/i.test(v) ? v : null;
}

function attributes(tag: string, source: string): string {
  if (tag !== 'a') return '';
  ATTR.lastIndex = 0;
  for (let m = ATTR.exec(source); m; m = ATTR.exec(source)) {
    if (m[1]!.toLowerCase() !== 'href') continue;
    const href = safeHref(m[2] ?? m[3] ?? m[4] ?? '');
    return href ? ` href="${escapeAttr(href)}"` : '';
  }
  return '';
}

/** Text between tags with any stray "<" or ">" escaped (entities pass through; they are inert). */
function text(s: string): string {
  return s.replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function sanitizeHtml(html: string): string {
  let out = '';
  let i = 0;
  while (i < html.length) {
    const lt = html.indexOf('<', i);
    const textEnd = lt < 0 ? html.length : lt;
    if (textEnd > i) out += text(html.slice(i, textEnd));
    if (lt < 0) break;
    if (html.startsWith('<!--', lt)) {
      const close = html.indexOf('-->', lt + 4);
      i = close < 0 ? html.length : close + 3;
      continue;
    }
    if (html[lt + 1] === '!' || html[lt + 1] === '?') {
      i = tagEnd(html, lt + 2);
      continue;
    }
    const closing = html[lt + 1] === '/';
    const tag = tagNameAt(html, lt + (closing ? 2 : 1));
    if (!tag) {
      out += '&lt;';
      i = lt + 1;
      continue;
    }
    const end = tagEnd(html, tag.end);
    const name = tag.name;
    i = end;
    if (!closing && DROPPED_WITH_CONTENT.has(name)) {
      const endTag = new RegExp(`</${name}\\b`, 'gi');
      endTag.lastIndex = i;
      const found = endTag.exec(html);
      i = found ? tagEnd(html, found.index + 2) : html.length;
      continue;
    }
    if (!ALLOWED.has(name)) continue;
    if (closing) {
      if (!VOID.has(name)) out += `</${name}>`;
    } else {
      out += `<${name}${attributes(name, html.slice(tag.end, Math.max(tag.end, end - 1)))}>`;
    }
  }
  return out;
}
