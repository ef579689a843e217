/**
 * Charsets as the reading pane and the list show them: one rule (electron/core/mime/charset.ts)
 * for the body the reader opens, the snippet the list shows (both of its paths) and the header
 * fields. Small crafted messages, one per rule, then the whole SpamAssassin corpus.
 */
import fs from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { readBody } from '../../electron/core/mime/body.js';
import { decodeSource } from '../../electron/core/mime/charset.js';
import { summarize, summarizeFast, summarizeWithMailparser } from '../../electron/core/mime/summary.js';
import { htmlToText } from '../../electron/core/mime/text.js';
import { eml, messageFolder } from '../support/mime.js';
import { CORPUS_GROUPS, corpusMessage, corpusNames } from '../support/spam-corpus.js';

const messages = messageFolder('popbox-mime-charset-');
const store = messages.store;

/** Bytes of `text` in an encoding, as the binary string eml() takes. */
const utf8 = (text: string) => Buffer.from(text, 'utf8').toString('latin1');
const bytes = (...b: number[]) => Buffer.from(b).toString('latin1');

/** What the reader shows (its text, or its HTML as text) and what the list shows, by both summary paths. */
async function shown(message: Buffer) {
  const file = await store(message);
  const body = await readBody(file);
  const fast = await summarizeFast(file);
  const slow = await summarizeWithMailparser(file);
  if (fast) expect(fast.snippet, 'the fast snippet path agrees with mailparser').toBe(slow.snippet);
  return { text: body.text, html: body.html, rendered: body.html !== null ? htmlToText(body.html).trim() : (body.text ?? '').trim(), summary: slow };
}

describe('charsets in the reading pane and the list', () => {
  it('reads a part with no charset as windows-1252 when its 8-bit bytes are not UTF-8', async () => {
    const m = await shown(eml('Subject: x\nContent-Type: text/plain\n\nCaf\xe9 cr\xe8me \x93quoted\x94 \x80100\n'));
    expect(m.rendered).toBe('Café crème “quoted” €100');
    expect(m.summary.snippet).toBe('Café crème “quoted” €100');
  });

  it('keeps a part with no charset as UTF-8 when its bytes are valid UTF-8', async () => {
    const m = await shown(eml(`Subject: x\n\n${utf8('Grüße, 世界')}\n`));
    expect(m.rendered).toBe('Grüße, 世界');
    expect(m.summary.snippet).toBe('Grüße, 世界');
  });

  it('reads a part labelled us-ascii that holds 8-bit bytes by the same rule', async () => {
    const latin = await shown(eml('Subject: x\nContent-Type: text/plain; charset=us-ascii\n\nna\xefve r\xe9sum\xe9\n'));
    expect(latin.rendered).toBe('naïve résumé');
    const u = await shown(eml(`Subject: x\nContent-Type: text/plain; charset="US-ASCII"\nContent-Transfer-Encoding: 8bit\n\n${utf8('naïve résumé')}\n`));
    expect(u.rendered).toBe('naïve résumé');
    expect(u.summary.snippet).toBe('naïve résumé');
  });

  it('knows the spellings real mailers use: CHINESEBIG5, ks_c_5601-1987, gb2312_charset', async () => {
    const big5 = await shown(eml(`Subject: x\nContent-Type: text/plain; charset=CHINESEBIG5\nContent-Transfer-Encoding: 8bit\n\n${bytes(0xa4, 0xa4, 0xa4, 0xe5)}\n`));
    expect(big5.rendered).toBe('中文');
    expect(big5.summary.snippet).toBe('中文');
    const korean = await shown(eml(`Subject: x\nContent-Type: text/plain; charset=ks_c_5601-1987\nContent-Transfer-Encoding: 8bit\n\n${bytes(0xc7, 0xd1, 0xb1, 0xdb)}\n`));
    expect(korean.rendered).toBe('한글');
    const gb = await shown(eml(`Subject: x\nContent-Type: text/plain; charset=gb2312_charset\nContent-Transfer-Encoding: 8bit\n\n${bytes(0xd6, 0xd0, 0xce, 0xc4)}\n`));
    expect(gb.rendered).toBe('中文');
  });

  it('reads labels that name no charset (x-unknown, unknown-8bit, default) by the fallback rule', async () => {
    const u = await shown(eml(`Subject: x\nContent-Type: text/plain; charset=x-unknown\n\n${utf8('Ærø — ok')}\n`));
    expect(u.rendered).toBe('Ærø — ok');
    const w = await shown(eml('Subject: x\nContent-Type: text/plain; charset=unknown-8bit\n\nJos\xe9\n'));
    expect(w.rendered).toBe('José');
    const d = await shown(eml('Subject: x\nContent-Type: text/plain; charset=default\nContent-Transfer-Encoding: quoted-printable\n\nJos=E9\n'));
    expect(d.rendered).toBe('José');
    expect(d.summary.snippet).toBe('José');
  });

  it("reads an HTML part without a usable label by its own <meta charset> (both forms)", async () => {
    const meta = await shown(eml(`Subject: x\nContent-Type: text/html\n\n<html><head><meta charset="big5"></head><body><p>${bytes(0xa4, 0xa4, 0xa4, 0xe5)}</p></body></html>\n`));
    expect(meta.rendered).toBe('中文');
    expect(meta.summary.snippet).toBe('中文');
    const equiv = await shown(
      eml(`Subject: x\nContent-Type: text/html; charset=x-unknown\n\n<html><head><META http-equiv="Content-Type" content="text/html; charset=ks_c_5601-1987"></head><body>${bytes(0xc7, 0xd1, 0xb1, 0xdb)}</body></html>\n`),
    );
    expect(equiv.rendered).toBe('한글');
    // A usable MIME label wins over the document's own claim, as in Thunderbird.
    const labelled = await shown(eml(`Subject: x\nContent-Type: text/html; charset=windows-1252\n\n<meta charset="big5"><p>Caf\xe9</p>\n`));
    expect(labelled.rendered).toBe('Café');
  });

  it('keeps a part labelled utf-8 as UTF-8 and never decodes UTF-7', async () => {
    const u = await shown(eml(`Subject: x\nContent-Type: text/plain; charset=utf-8\n\n${utf8('Grüße')}\n`));
    expect(u.rendered).toBe('Grüße');
    const seven = await shown(eml('Subject: x\nContent-Type: text/html; charset=utf-7\n\n+ADw-script+AD4-alert(1)+ADw-/script+AD4-\n'));
    expect(seven.html).not.toContain('<script>');
  });

  it('reads raw 8-bit header bytes as UTF-8 when valid, else windows-1252, and encoded words with odd labels', async () => {
    const latin = await shown(eml('Subject: R\xe9union \x96 lundi\nFrom: Ren\xe9 <rene@example.org>\n\nbody\n'));
    expect(latin.summary.subject).toBe('Réunion – lundi');
    expect(latin.summary.from[0]?.name).toBe('René');
    const u = await shown(eml(`Subject: ${utf8('Grüße aus Köln')}\n\nbody\n`));
    expect(u.summary.subject).toBe('Grüße aus Köln');
    const words = await shown(eml('Subject: =?CHINESEBIG5?B?pKSk5Q==?= and =?x-unknown?Q?caf=E9?=\nFrom: =?ks_c_5601-1987?B?x9Gx2w==?= <k@example.org>\n\nbody\n'));
    expect(words.summary.subject).toBe('中文 and café');
    expect(words.summary.from[0]?.name).toBe('한글');
  });

  it('decodes a message source line by line for View source, so Latin-1 headers read beside a UTF-8 body', () => {
    const source = eml(`Subject: R\xe9union\nContent-Type: text/plain; charset=utf-8\n\n${utf8('Grüße')}\n`);
    expect(decodeSource(source)).toBe('Subject: Réunion\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nGrüße\r\n');
    expect(decodeSource(Buffer.from('plain ascii, no newline'))).toBe('plain ascii, no newline');
  });

  it('shows the same text in the reader and the list for a long unlabelled part', async () => {
    // Long enough that the list's fast path would decode only the start of a labelled part.
    const long = `${'plain words '.repeat(4000)}and then caf\xe9\n`;
    const m = await shown(eml(`Subject: x\nContent-Type: text/plain\n\n${long}`));
    expect(m.rendered.endsWith('and then café')).toBe(true);
    expect(m.summary.snippet).not.toContain('\ufffd');
    expect(await summarize(await store(eml(`Subject: x\nContent-Type: text/plain\n\n${long}`)))).toEqual(m.summary);
  });
});

// The SpamAssassin public corpus (devDependency), ~6,000 real messages from 2002. Before the one
// charset rule, 187 of them showed U+FFFD in the reading pane; the few left have binary garbage
// in a part labelled as text (a mailing list's trailer, a truncated EUC-KR part).

describe('the SpamAssassin corpus in the reading pane', () => {
  it('shows U+FFFD in almost no real message', async () => {
    let total = 0;
    const bad: string[] = [];
    for (const folder of CORPUS_GROUPS) {
      for (const name of await corpusNames(folder)) {
        const raw = await corpusMessage(folder, name);
        const file = messages.path('corpus.eml');
        await fs.writeFile(file, raw);
        const body = await readBody(file);
        const rendered = body.html !== null ? htmlToText(body.html) : (body.text ?? '');
        total++;
        if (rendered.includes('\ufffd')) bad.push(`${folder}/${name}`);
      }
    }
    expect(total).toBeGreaterThan(6000);
    expect(bad.length, bad.join('\n')).toBeLessThanOrEqual(6);
  }, 300_000);
});
