/**
 * Rich text for the compose screen: pasted HTML cleaned down to what the editor offers (bold,
 * italic, links, lists, quotes, paragraphs) with DOMPurify, and the faithful plain-text part
 * that goes beside the HTML (lists as "- ", quotes as "> ", links with their address).
 */
import DOMPurify from 'dompurify';

const ALLOWED_TAGS = ['b', 'strong', 'i', 'em', 'u', 'a', 'ul', 'ol', 'li', 'blockquote', 'p', 'br', 'div'];

/** HTML from the clipboard (or a stored draft) reduced to the editor's own formatting. */
export function cleanHtml(html: string): string {
  const clean = DOMPurify.sanitize(html, { ALLOWED_TAGS, ALLOWED_ATTR: ['href'], ALLOWED_URI_REGEXP: /^(?:https?:|mailto:)/i, KEEP_CONTENT: true });
  return typeof clean === 'string' ? clean : String(clean);
}

export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Plain text as editor HTML: one <div> a line, quoted lines ("> ") as a blockquote. */
export function textToHtml(text: string): string {
  const out: string[] = [];
  let quote: string[] = [];
  const flush = () => {
    if (quote.length) out.push(`<blockquote>${quote.map((l) => `<div>${escapeHtml(l) || '<br>'}</div>`).join('')}</blockquote>`);
    quote = [];
  };
  for (const line of text.split(/\r?\n/)) {
    const m = /^> ?(.*)$/.exec(line);
    if (m) quote.push(m[1]!);
    else {
      flush();
      out.push(`<div>${escapeHtml(line) || '<br>'}</div>`);
    }
  }
  flush();
  return out.join('');
}

const BLOCK = new Set(['P', 'DIV', 'UL', 'OL', 'LI', 'BLOCKQUOTE']);

/** The text part of a rich message: what a reader of plain text should see. */
export function htmlToText(html: string): string {
  const root = document.createElement('div');
  root.innerHTML = cleanHtml(html);
  const lines: string[] = [];
  let line = '';
  const breakLine = (prefix: string) => {
    lines.push(prefix + line);
    line = '';
  };
  const walk = (node: Node, prefix: string) => {
    for (const child of [...node.childNodes]) {
      if (child.nodeType === Node.TEXT_NODE) {
        line += (child.textContent ?? '').replace(/\s+/g, ' ');
        continue;
      }
      if (!(child instanceof HTMLElement)) continue;
      const tag = child.tagName;
      if (tag === 'BR') {
        breakLine(prefix);
        continue;
      }
      if (BLOCK.has(tag) && line) breakLine(prefix);
      if (tag === 'BLOCKQUOTE') walk(child, `${prefix}> `);
      else if (tag === 'UL' || tag === 'OL') {
        let n = 0;
        for (const li of [...child.children]) {
          n += 1;
          line = tag === 'OL' ? `${n}. ` : '- ';
          walk(li, prefix);
          if (line) breakLine(prefix);
        }
      } else if (tag === 'A') {
        const before = line;
        walk(child, prefix);
        const href = child.getAttribute('href') ?? '';
        const label = line.slice(before.length);
        if (href && label.trim() !== href.replace(/^mailto:/, '')) line += ` <${href}>`;
      } else walk(child, prefix);
      if (BLOCK.has(tag) && line) breakLine(prefix);
    }
  };
  walk(root, '');
  if (line) lines.push(line);
  return lines.join('\n').replace(/[ \t]+$/gm, '');
}
