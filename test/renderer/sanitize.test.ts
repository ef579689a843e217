/**
 * The email HTML sanitizer under jsdom (DOMPurify needs a real DOM; happy-dom lets payloads
 * through): every hostile payload comes out inert, remote references are dropped until allowed
 * and then go through our origin's proxy, cid: references become the inline parts.
 */
import { describe, expect, it } from 'vitest';
import { frameDocument, proxied, sanitizeEmailHtml } from '../../renderer/src/features/reader/sanitize.js';
import { messageFrameCsp, appCsp } from '../../shared/csp.js';
import { PWNED_PAYLOADS, trackingPayloads } from '../fixtures/hostile-mail.js';

const TRACKER = 'http://tracker.example';
const ORIGIN = 'http://127.0.0.1:4000';
const opts = (allowRemote: boolean, cid = new Map<string, string>()) => ({ allowRemote, cid, origin: ORIGIN });

function parse(html: string): Document {
  return new DOMParser().parseFromString(`<body>${html}</body>`, 'text/html');
}

describe('sanitizeEmailHtml', () => {
  it.each(PWNED_PAYLOADS)('disarms %s', (payload) => {
    const { html } = sanitizeEmailHtml(payload, opts(false));
    const doc = parse(html);
    expect(doc.querySelectorAll('script, iframe, object, embed, svg, math, form, input, meta, link, base, noscript').length).toBe(0);
    for (const el of doc.querySelectorAll('*')) {
      for (const a of el.attributes) {
        expect(a.name.startsWith('on')).toBe(false);
        expect(a.value).not.toMatch(/^\s*(javascript|data:text|vbscript):/i);
      }
    }
    expect(html).not.toMatch(/expression\s*\(/i);
    expect(html).not.toContain('__pwned=');
  });

  it('drops every remote reference while remote content is blocked, and counts them', () => {
    const { html, blockedRemote } = sanitizeEmailHtml(trackingPayloads(TRACKER).join('\n'), opts(false));
    expect(html).not.toContain('tracker.example/pixel');
    expect(html).not.toMatch(/tracker\.example\/(protocol-relative|srcset|inline-bg|table-bg|import|style-bg|font|link|prefetch|refresh|base|poster|audio|form)/);
    expect(blockedRemote).toBeGreaterThanOrEqual(7);
    // Ordinary links stay, without a target: the reading pane opens them (after showing where).
    const a = parse(html).querySelector('#tracked')!;
    expect(a.getAttribute('href')).toBe(`${TRACKER}/click`);
    expect(a.hasAttribute('target')).toBe(false);
    expect(a.getAttribute('rel')).toBe('noopener noreferrer');
  });

  it("drops the mail's own link targets: nothing in the frame opens a window or leaves the frame by itself", () => {
    const { html } = sanitizeEmailHtml(
      '<a id="a" href="https://shop.example/" target="_blank">a</a><a id="b" href="#top" target="_top">b</a><a id="c" href="mailto:ann@example.org" target="x">c</a><map name="m"><area id="d" href="https://shop.example/" target="_parent" alt="d"></map>',
      opts(false),
    );
    const doc = parse(html);
    expect([...doc.querySelectorAll('[target]')].map((el) => el.id)).toEqual([]);
    expect(doc.querySelector('#a')!.getAttribute('href')).toBe('https://shop.example/');
  });

  it('routes remote images and styles through the proxy once allowed', () => {
    const { html, blockedRemote } = sanitizeEmailHtml(trackingPayloads(TRACKER).join('\n'), opts(true));
    expect(blockedRemote).toBe(2); // the two @import rules stay blocked
    const doc = parse(html);
    expect(doc.querySelector('img')!.getAttribute('src')).toBe(proxied(ORIGIN, `${TRACKER}/pixel.gif?id=1`));
    expect([...doc.querySelectorAll('div')].map((d) => d.getAttribute('style'))).toContain(`background-image:url("${proxied(ORIGIN, `${TRACKER}/inline-bg.gif`)}")`);
    // Nothing points at the tracker directly except the plain link.
    const viaProxy = new RegExp(`${ORIGIN.replace(/[.:/]/g, '\\$&')}/remote\\?u=[^"')\\s]+`, 'g');
    const direct = [...doc.querySelectorAll('*')].flatMap((el) => [...el.attributes].filter((a) => a.value.replace(viaProxy, '').includes('tracker.example')).map((a) => `${el.tagName}.${a.name}`));
    expect(direct).toEqual(['A.href']);
    expect(doc.querySelector('style')!.textContent!.replace(viaProxy, '')).not.toContain('tracker.example');
  });

  it('replaces cid: references with the inline parts and drops unknown ones', () => {
    const cid = new Map([['logo@x', 'data:image/png;base64,AAAA']]);
    const { html } = sanitizeEmailHtml('<img id="a" src="cid:logo@x"><img id="b" src="cid:missing@x"><div id="c" style="background:url(cid:logo@x)"></div>', opts(false, cid));
    const doc = parse(html);
    expect(doc.querySelector('#a')!.getAttribute('src')).toBe('data:image/png;base64,AAAA');
    expect(doc.querySelector('#b')!.hasAttribute('src')).toBe(false);
    expect(doc.querySelector('#c')!.getAttribute('style')).toContain('data:image/png;base64,AAAA');
  });

  it('keeps safe data: images but not SVG ones', () => {
    const { html } = sanitizeEmailHtml('<img id="p" src="data:image/png;base64,AAAA"><img id="s" src="data:image/svg+xml;base64,PHN2Zz4=">', opts(false));
    const doc = parse(html);
    expect(doc.querySelector('#p')!.getAttribute('src')).toBe('data:image/png;base64,AAAA');
    expect(doc.querySelector('#s')!.hasAttribute('src')).toBe(false);
  });

  it('puts the frame policy first in the frame document', () => {
    const doc = frameDocument('<p>hi</p>', messageFrameCsp({ remote: false }));
    expect(doc.indexOf('Content-Security-Policy')).toBeLessThan(doc.indexOf('<body>'));
    expect(messageFrameCsp({ remote: false })).toContain("script-src 'none'");
    expect(messageFrameCsp({ remote: false })).not.toContain("'self'");
    expect(messageFrameCsp({ remote: true })).toContain("img-src data: blob: 'self'");
    expect(appCsp()).not.toMatch(/https?:/);
  });
});

describe('noscript, read as a browser with scripts on reads it', () => {
  const newsletter =
    '<noscript><p>Images not showing? <a href="https://news.example/view">View online</a></noscript>' +
    '<h1 id="headline">Headline</h1><div class="article"><p>First article</p></div><ul><li>Second article</li></ul>';

  it('keeps what follows a noscript holding an unclosed <p>, and says something was removed', () => {
    const { html, removed } = sanitizeEmailHtml(newsletter, opts(false));
    const doc = parse(html);
    expect(doc.querySelector('#headline')?.textContent).toBe('Headline');
    expect(doc.body.textContent).toContain('First article');
    expect(doc.body.textContent).toContain('Second article');
    expect(doc.body.textContent).not.toContain('Images not showing');
    expect(removed).toEqual(['text for mail programs without scripts']);
  });

  it('finds no noscript in comments, attribute values or style sheets', () => {
    const html = '<!-- <noscript> --><a id="a" title="<noscript>">link</a><style>/* <noscript> */ p { color: red }</style><p id="tail">after</p>';
    const out = sanitizeEmailHtml(html, opts(false));
    const doc = parse(out.html);
    expect(doc.querySelector('#tail')?.textContent).toBe('after');
    expect(doc.querySelector('#a')?.getAttribute('title')).toBe('<noscript>');
    expect(out.removed).toEqual([]);
  });

  it('drops an unterminated noscript to the end, as a browser does, and an empty one without a word', () => {
    expect(parse(sanitizeEmailHtml('<p id="before">before</p><NOSCRIPT><p>rest', opts(false)).html).body.textContent).toBe('before');
    const pixel = sanitizeEmailHtml('<noscript><img src="https://t.example/p.gif"></noscript><p>text</p>', opts(false));
    expect(parse(pixel.html).body.textContent).toBe('text');
    expect(pixel.removed).toEqual([]);
  });

  it('names removed forms and embedded pages in plain words, and nothing for a plain message', () => {
    expect(sanitizeEmailHtml('<form><input name="q"><button>Go</button></form><iframe src="https://x.example"></iframe><p>x</p>', opts(false)).removed).toEqual(['forms', 'embedded pages']);
    expect(sanitizeEmailHtml('<p>Hello <b>there</b></p><script>x()</script><style>p{}</style>', opts(false)).removed).toEqual([]);
  });
});
