/**
 * Email HTML made inert (DESIGN §3.7). DOMPurify removes scripts, handlers and dangerous
 * elements; on top of it we drop everything that can reach the network or the app (forms,
 * frames, SVG, meta refresh, base) and rewrite what can load: cid: images from the message's
 * own parts, remote images and styles only when the user allowed them, and then only through
 * the host's proxy on our own origin. Links keep only http(s) and mailto, and no target.
 */
import DOMPurify from 'dompurify';
import { REMOTE_PROXY_PATH } from '../../../../shared/csp.js';
import { serializeString, serializeToken, tokenizeCss } from './css-tokens.js';
import { dropNoscript } from './noscript.js';

export interface SanitizeOptions {
  /** Load remote content (through the proxy). */
  allowRemote: boolean;
  /** cid (without <>) → data: URL of the inline part. */
  cid: ReadonlyMap<string, string>;
  /** The app's origin, for absolute proxy URLs. */
  origin: string;
  /** The message the content belongs to: the host caps each message's remote fetches and bytes. */
  message?: string;
}

export interface Sanitized {
  html: string;
  /** Remote images, styles and fonts that were held back. */
  blockedRemote: number;
  /** What a reader would have seen that was taken out, in plain words ("forms"), for a note. */
  removed: string[];
}

// Removed elements the reader would have seen, by the words a note uses for them. Scripts,
// styles and the head's elements show nothing, so their removal needs no word.
const VISIBLE_REMOVALS: Record<string, string> = {
  form: 'forms',
  input: 'forms',
  button: 'forms',
  textarea: 'forms',
  select: 'forms',
  iframe: 'embedded pages',
  frame: 'embedded pages',
  frameset: 'embedded pages',
  portal: 'embedded pages',
  object: 'plug-in content',
  embed: 'plug-in content',
  applet: 'plug-in content',
  audio: 'audio and video',
  video: 'audio and video',
  svg: 'vector drawings',
  math: 'formulas',
};
const NOSCRIPT_WORDS = 'text for mail programs without scripts';

const FORBID_TAGS = ['script', 'iframe', 'frame', 'frameset', 'object', 'embed', 'applet', 'form', 'input', 'button', 'textarea', 'select', 'option', 'meta', 'link', 'base', 'svg', 'math', 'audio', 'video', 'source', 'track', 'portal', 'noscript', 'template', 'dialog'];
const FORBID_ATTR = ['srcset', 'ping', 'action', 'formaction', 'poster', 'xlink:href', 'autofocus', 'contenteditable'];
const URL_ATTRS = ['src', 'background', 'href', 'cite', 'longdesc', 'lowsrc', 'dynsrc'];

const isRemote = (u: string) => /^\s*(https?:)?\/\//i.test(u);
const SAFE_DATA_IMAGE = /^data:image\/(png|gif|jpe?g|webp|bmp|x-icon|avif);/i;

export function proxied(origin: string, url: string, message?: string): string {
  const absolute = url.trim().startsWith('//') ? `https:${url.trim()}` : url.trim();
  return `${origin}${REMOTE_PROXY_PATH}?u=${encodeURIComponent(absolute)}${message ? `&m=${encodeURIComponent(message)}` : ''}`;
}

// Functions whose string arguments are addresses the engine fetches.
const URL_FUNCTIONS = new Set(['url', 'src', 'image', '-webkit-image', 'image-set', '-webkit-image-set', '-moz-image-set']);
// What else may stand directly inside one of them. Anything more (var(), attr(), env()...)
// could put an address there that we never see.
const inUrlFunctionOk = (name: string) => URL_FUNCTIONS.has(name) || name === 'type' || /gradient$/.test(name);
// Properties some engines run as code: the declaration goes whole.
const CODE_PROPERTIES = new Set(['behavior', '-moz-binding']);

/**
 * Rewrites CSS text so that nothing in it loads except a message's own parts, safe data:
 * images and, once allowed, remote content through the host's proxy: every url(), every
 * address in image-set() and src(), quoted or not, escaped or not, as the browser would read
 * it (see css-tokens.ts). Names are compared in lower case, which folds at least what the
 * browser's ASCII folding does. @import is always dropped: it pulls in a sheet we never see. A
 * declaration or rule we cannot read with confidence (a string the line or the text ends
 * inside, a parenthesis never closed, a malformed url()) is dropped whole, as is one that
 * runs code in some engine (expression(), behavior, -moz-binding). The rest is written back
 * without escapes or comments that could be read two ways.
 */
export function rewriteCss(css: string, opts: SanitizeOptions, count: { blocked: number }): string {
  const address = (raw: string): string => {
    const u = raw.trim();
    if (/^cid:/i.test(u)) return opts.cid.get(u.slice(4).replace(/^<|>$/g, '')) ?? '';
    if (SAFE_DATA_IMAGE.test(u)) return u;
    if (isRemote(u)) {
      if (opts.allowRemote) return proxied(opts.origin, u, opts.message);
      count.blocked++;
      return '';
    }
    return '';
  };
  const tokens = tokenizeCss(css);
  let out = '';
  // The text since the last ; { or } outside any parenthesis: one declaration, prelude or rule.
  let part = '';
  let drop = false;
  // Open functions (their names in lower case) and brackets, innermost last.
  const open: string[] = [];
  const nextSignificant = (k: number) => {
    let j = k + 1;
    while (tokens[j]?.type === 'ws' || tokens[j]?.type === 'comment') j++;
    return tokens[j];
  };
  tokens.forEach((t, k) => {
    if (open.length === 0 && t.type === 'delim' && (t.value === ';' || t.value === '{' || t.value === '}')) {
      // A dropped part takes its semicolon along: at the top of a sheet a stray one would
      // become the start of the next rule's selector and void that rule.
      out += drop ? (t.value === ';' ? '' : t.value) : part + t.value;
      part = '';
      drop = false;
      return;
    }
    const inner = open.at(-1) ?? '';
    switch (t.type) {
      case 'at':
        if (t.value.toLowerCase() === 'import') {
          drop = true;
          count.blocked++;
        }
        break;
      case 'function': {
        const name = t.value.toLowerCase();
        if (name === 'expression' || (URL_FUNCTIONS.has(inner) && !inUrlFunctionOk(name))) drop = true;
        open.push(name);
        break;
      }
      case 'ident': {
        const next = nextSignificant(k);
        if (CODE_PROPERTIES.has(t.value.toLowerCase()) && next?.type === 'delim' && next.value === ':') drop = true;
        break;
      }
      case 'delim':
        if (t.value === '(' || t.value === '[' || t.value === '{') open.push(t.value);
        else if (t.value === ')' && inner !== '[' && inner !== '{') open.pop();
        else if ((t.value === ']' && inner === '[') || (t.value === '}' && inner === '{')) open.pop();
        break;
      case 'string':
        if (t.unterminated) drop = true;
        if (URL_FUNCTIONS.has(inner)) {
          part += serializeString(address(t.value));
          return;
        }
        break;
      case 'url':
        if (t.unterminated) drop = true;
        part += `url(${serializeString(address(t.value))})`;
        return;
      case 'bad-string':
      case 'bad-url':
        drop = true;
        break;
    }
    part += serializeToken(t);
  });
  // What the text ends inside of would be closed by the browser: too unsure to keep.
  return out + (drop || open.length > 0 ? '' : part);
}

export function sanitizeEmailHtml(html: string, opts: SanitizeOptions, purify = DOMPurify): Sanitized {
  const count = { blocked: 0 };
  const noscript = dropNoscript(html);
  purify.addHook('uponSanitizeElement', (node, data) => {
    if (data.tagName === 'style' && node.textContent) node.textContent = rewriteCss(node.textContent, opts, count);
  });
  purify.addHook('afterSanitizeAttributes', (node) => {
    const el = node as Element;
    if (el.hasAttribute('style')) el.setAttribute('style', rewriteCss(el.getAttribute('style') ?? '', opts, count));
    for (const attr of URL_ATTRS) {
      const value = el.getAttribute(attr);
      if (value === null) continue;
      if (attr === 'href') {
        if (el.tagName === 'A' || el.tagName === 'AREA') {
          // No target: a link never opens from the frame by itself. The reading pane shows where
          // it goes and opens it (LinkGuard); anything it misses is a blocked frame navigation.
          if (/^\s*(https?:|mailto:)/i.test(value)) {
            el.setAttribute('rel', 'noopener noreferrer');
          } else if (!value.trim().startsWith('#')) {
            el.removeAttribute('href');
          }
        } else {
          el.removeAttribute('href');
        }
        continue;
      }
      if (/^\s*cid:/i.test(value)) {
        const data = opts.cid.get(value.trim().slice(4).replace(/^<|>$/g, ''));
        if (data) el.setAttribute(attr, data);
        else el.removeAttribute(attr);
      } else if (isRemote(value)) {
        if (opts.allowRemote && (attr === 'src' || attr === 'background')) el.setAttribute(attr, proxied(opts.origin, value, opts.message));
        else {
          count.blocked++;
          el.removeAttribute(attr);
          if (el.tagName === 'IMG') el.setAttribute('data-blocked', 'remote');
        }
      } else if (!(attr === 'src' && SAFE_DATA_IMAGE.test(value))) {
        el.removeAttribute(attr);
      }
    }
  });
  try {
    const clean = purify.sanitize(noscript.html, {
      FORBID_TAGS,
      FORBID_ATTR,
      ALLOW_DATA_ATTR: false,
      FORCE_BODY: true,
      WHOLE_DOCUMENT: false,
      USE_PROFILES: { html: true },
    });
    const removed = new Set<string>();
    if (noscript.removedWithText > 0) removed.add(NOSCRIPT_WORDS);
    for (const r of purify.removed) {
      const tag = 'element' in r ? r.element.nodeName.toLowerCase() : '';
      const words = Object.hasOwn(VISIBLE_REMOVALS, tag) ? VISIBLE_REMOVALS[tag] : undefined;
      if (words) removed.add(words);
    }
    return { html: clean, blockedRemote: count.blocked, removed: [...removed] };
  } finally {
    purify.removeAllHooks();
  }
}

/** The srcdoc of the message frame: its own CSP first, then the sanitized body. */
export function frameDocument(bodyHtml: string, csp: string): string {
  const escapedCsp = csp.replace(/"/g, '&quot;');
  return `<!doctype html><html><head><meta http-equiv="Content-Security-Policy" content="${escapedCsp}"><meta name="referrer" content="no-referrer"><meta charset="utf-8"><style>html{color-scheme:light}body{margin:16px;font:15px/1.5 system-ui,sans-serif;word-wrap:break-word;overflow-wrap:anywhere}img{max-width:100%;height:auto}img[data-blocked]{display:none}pre{white-space:pre-wrap}</style></head><body>${bodyHtml}</body></html>`;
}
