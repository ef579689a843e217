/**
 * The email HTML sanitizer under jsdom (DOMPurify needs a real DOM; happy-dom lets payloads
 * through): every hostile payload comes out inert, remote references are dropped until allowed
 * and then go through our origin's proxy, cid: references become the inline parts.
 */
import { describe, expect, it } from 'vitest';
import { frameDocument, proxied, sanitizeEmailHtml } from '../../renderer/src/features/reader/sanitize.js';
import { messageFrameCsp, appCsp } from '../../shared/csp.js';
import { PWNED_PAYLOADS, cssBypassDeclarations, cssBypassPayloads, trackingPayloads } from '../fixtures/hostile-mail.js';

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

  describe('CSS written to slip past the rewriter', () => {
    // Anything that still names the tracker once the proxy's own addresses are taken out.
    const viaProxy = new RegExp(`${ORIGIN.replace(/[.:/]/g, '\\$&')}/remote\\?u=[A-Za-z0-9%._~*'()!-]+`, 'g');
    // A custom property's string is only text until something uses it, and the one use that
    // would load it (image-set(var(--cb))) must be gone.
    const leftovers = (html: string) => [
      ...(html.replace(viaProxy, '').replace(/--cb:(&quot;|")[^"&]*(&quot;|")/g, '').match(/tracker\.example[^"'\s]*/g) ?? []),
      ...(html.match(/image-set\(var/g) ?? []),
    ];
    const cases = cssBypassDeclarations(TRACKER).flatMap(({ id, css, rule }) => [
      { name: `${id} in a style attribute: ${css('attr')}`, html: `<div style="${css('attr').replace(/"/g, '&quot;')}">x</div>` },
      { name: `${id} in a style element: ${css('style')}`, html: `<style>${rule ? css('style') : `.x{${css('style')}}`}</style><div class="x">x</div>` },
    ]);

    it.each(cases)('loads nothing while blocked: $name', ({ html }) => {
      const out = sanitizeEmailHtml(html, opts(false));
      expect(leftovers(out.html)).toEqual([]);
    });

    it.each(cases)('loads only through the proxy once allowed: $name', ({ html }) => {
      expect(leftovers(sanitizeEmailHtml(html, opts(true)).html)).toEqual([]);
    });

    it('counts every address held back, however it was written', () => {
      expect(sanitizeEmailHtml(cssBypassPayloads(TRACKER).join(''), opts(false)).blockedRemote).toBeGreaterThanOrEqual(cssBypassDeclarations(TRACKER).length * 2);
    });

    it('rewrites escaped url() and image-set() strings to the proxy, and keeps the harmless declarations around them', () => {
      const { html } = sanitizeEmailHtml(
        `<div id="a" style="color:red;background:u\\72l(${TRACKER}/a.gif);font-family:&quot;Comic Sans&quot;, serif"></div><div id="b" style="margin:0 auto;background-image:image-set(&quot;${TRACKER}/e.gif&quot; 1x, url(${TRACKER}/e2.gif) 2x)"></div>`,
        opts(true),
      );
      const doc = parse(html);
      expect(doc.querySelector('#a')!.getAttribute('style')).toBe(`color:red;background:url("${proxied(ORIGIN, `${TRACKER}/a.gif`)}");font-family:"Comic Sans", serif`);
      expect(doc.querySelector('#b')!.getAttribute('style')).toBe(`margin:0 auto;background-image:image-set("${proxied(ORIGIN, `${TRACKER}/e.gif`)}" 1x, url("${proxied(ORIGIN, `${TRACKER}/e2.gif`)}") 2x)`);
    });

    it('keeps harmless escapes meaning what they meant: a class that starts with a digit, a Chinese font name, a quote in a string', () => {
      const { html } = sanitizeEmailHtml('<style>.\\31 0{font-family:\\5b8b\\4f53, "A\\"B"}</style>', opts(false));
      expect(parse(html).querySelector('style')!.textContent).toBe('.\\31 0{font-family:宋体, "A\\"B"}');
    });

    it('drops only the declaration a quote or parenthesis never closes in, and every @import', () => {
      const { html } = sanitizeEmailHtml(
        `<div id="a" style="color:red;background:url('${TRACKER}/g.gif&quot;)"></div><style>@import"${TRACKER}/c.css";p{color:blue}</style>`,
        opts(true),
      );
      const doc = parse(html);
      expect(doc.querySelector('#a')!.getAttribute('style')).toBe('color:red;');
      // No stray semicolon left at the top of the sheet: it would void the next rule.
      expect(doc.querySelector('style')!.textContent).toBe('p{color:blue}');
    });
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
