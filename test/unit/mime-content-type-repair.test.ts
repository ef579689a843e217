/**
 * A Content-Type without its ';' (`TEXT/PLAIN charset=US-ASCII`, spam-2/00204) is read as the
 * type and parameters it plainly names, as mail clients read it: the body is the message's text
 * in the list's snippet, in the reading pane and in search, not an attachment. Both summary paths
 * (fast and mailparser) and the reading pane agree. Only a valid type/subtype followed by
 * whitespace and name=value parameters is repaired; anything else is read as before.
 */
import { describe, expect, it } from 'vitest';
import { readBody } from '../../electron/core/mime/body.js';
import { repairContentType, repairHeaderBlock } from '../../electron/core/mime/content-type.js';
import { summarizeFast, summarizeWithMailparser } from '../../electron/core/mime/summary.js';
import { extractText } from '../../electron/core/search/extract.js';
import { words } from '../../electron/core/search/query.js';
import { eml, messageFolder } from '../support/mime.js';
import { corpusFileSync } from '../support/spam-corpus.js';

const corpus = (name: string): Buffer => corpusFileSync(`${name}.txt`);

const folder = messageFolder('popbox-mime-ctype-');

/** "Привет" in KOI8-R: only read right when the part's charset parameter is honoured. */
const KOI8 = Buffer.from([0xf0, 0xd2, 0xc9, 0xd7, 0xc5, 0xd4]);

/** What the user sees of one message: list row (both paths), reading pane, search words. */
async function seen(message: Buffer) {
  const file = await folder.store(message);
  const reference = await summarizeWithMailparser(file);
  const fast = await summarizeFast(file);
  const body = await readBody(file);
  const indexed = await extractText(file);
  return { reference, fast, body, search: words(indexed.body), files: indexed.files };
}

describe('a Content-Type whose parameters lack the ";"', () => {
  it('spam-2/00204 (TEXT/PLAIN charset=US-ASCII): its text is the body everywhere', async () => {
    const message = corpus('spam-2/00204.4cf15f97b8ea08bfafab7d5091b8fbe7');
    expect(message.toString('latin1')).toContain('\nContent-Type: TEXT/PLAIN charset=US-ASCII\n');
    const s = await seen(message);
    expect(s.reference.hasAttachments).toBe(false);
    expect(s.reference.snippet).toMatch(/^To: avfs@fazekas\.hu Attn: Marketing Department/);
    // The fast path answers, and answers what mailparser answers.
    expect(s.fast).toStrictEqual(s.reference);
    expect(s.body.attachments).toEqual([]);
    expect(s.body.html).toBeNull();
    expect(s.body.text).toContain('Our anti-spamming company policy:');
    expect(s.search).toEqual(expect.arrayContaining(['romanian', 'marketplace', 'inquiry']));
  });

  it('text/html charset="utf-8": an HTML body in UTF-8', async () => {
    const message = Buffer.concat([eml('From: a@example.com\nSubject: html\nContent-Type: text/html charset="utf-8"\n\n'), Buffer.from('<p>Grüße aus Köln</p>\r\n', 'utf8')]);
    const s = await seen(message);
    expect(s.reference).toMatchObject({ hasAttachments: false, snippet: 'Grüße aus Köln' });
    expect(s.fast).toStrictEqual(s.reference);
    expect(s.body.attachments).toEqual([]);
    expect(s.body.html).toContain('<p>Grüße aus Köln</p>');
    expect(s.search).toEqual(expect.arrayContaining(['grüße', 'köln']));
  });

  it('the charset named without ";" is the one the text is decoded with', async () => {
    const message = Buffer.concat([eml('From: a@example.com\nSubject: koi8\nContent-Type: text/plain  charset=koi8-r\n\n'), KOI8, Buffer.from('\r\n')]);
    const s = await seen(message);
    expect(s.reference).toMatchObject({ hasAttachments: false, snippet: 'Привет' });
    expect(s.fast).toStrictEqual(s.reference);
    expect(s.body.text?.trim()).toBe('Привет');
    expect(s.search).toContain('привет');
  });

  it('a multipart with "boundary=" after folding whitespace, and a part without ";" inside it', async () => {
    const message = Buffer.concat([
      eml(
        'From: a@example.com\nSubject: alt\nContent-Type: multipart/mixed\n\tboundary="mix"\n\n--mix\nContent-Type: text/plain charset=koi8-r\n\n',
      ),
      KOI8,
      eml('\n--mix\nContent-Type: application/pdf name="offer.pdf"\nContent-Transfer-Encoding: base64\n\nJVBERi0xLjQK\n--mix--\n'),
    ]);
    const s = await seen(message);
    expect(s.reference).toMatchObject({ hasAttachments: true, snippet: 'Привет' });
    expect(s.fast).toStrictEqual(s.reference);
    expect(s.body.text?.trim()).toBe('Привет');
    expect(s.body.attachments).toMatchObject([{ filename: 'offer.pdf', contentType: 'application/pdf', size: 9 }]);
    expect(s.search).toContain('привет');
    expect(s.files).toBe('offer.pdf');
  });

  it('anything else is read as before: not repaired, the fast path hands it to mailparser', async () => {
    for (const type of ['text/plain charset', 'text/plain, charset=us-ascii', 'text/plain charset=us-ascii extra', 'text plain charset=us-ascii', 'text/plain charset=a"b']) {
      const message = eml(`From: a@example.com\nSubject: odd\nContent-Type: ${type}\n\nplain words here\n`);
      const s = await seen(message);
      expect(s.fast, type).toBeNull();
      expect(s.reference.snippet, type).toBe('');
      expect(s.body.attachments.length, type).toBe(1);
    }
  });
});

describe('repairContentType', () => {
  it('inserts the missing ";" only where the value is a type and name=value parameters', () => {
    expect(repairContentType('TEXT/PLAIN charset=US-ASCII')).toBe('TEXT/PLAIN; charset=US-ASCII');
    expect(repairContentType('text/html charset="utf-8"')).toBe('text/html; charset="utf-8"');
    expect(repairContentType('multipart/mixed \tboundary="a b"; x=y')).toBe('multipart/mixed; boundary="a b"; x=y');
    expect(repairContentType('text/plain charset=x format=flowed')).toBe('text/plain; charset=x; format=flowed');
    for (const ok of ['text/plain', 'text/plain; charset=x', 'text/plain ;charset=x', '']) expect(repairContentType(ok), ok).toBeNull();
    for (const bad of ['text/plain charset', 'text/plain, charset=x', 'text plain charset=x', 'text/plain charset=x junk', 'text/plain (c) charset=x', 'text/plain charset="x', 'text/plain charset=é', 'text/plain name="=?utf-8?Q?a?="'])
      expect(repairContentType(bad), bad).toBeNull();
  });

  it('rewrites only the first Content-Type field of a header block, every other byte as it was', () => {
    const block = Buffer.from('From x  Mon Jun 24 2002\nSubject: a\r\nContent-Type: TEXT/PLAIN\n\tcharset=US-ASCII\r\nContent-Type: text/html x=y\nX-A: b\n\n', 'latin1');
    expect(repairHeaderBlock(block)?.toString('latin1')).toBe('From x  Mon Jun 24 2002\nSubject: a\r\nContent-Type: TEXT/PLAIN; charset=US-ASCII\r\nContent-Type: text/html x=y\nX-A: b\n\n');
    expect(repairHeaderBlock(Buffer.from('Subject: a\nContent-Type: text/plain; charset=x\n\n'))).toBeNull();
    expect(repairHeaderBlock(Buffer.from('Subject: a\nno colon\nContent-Type: text/plain charset=x\n\n'))).toBeNull();
    expect(repairHeaderBlock(Buffer.from('Subject: a\n\n'))).toBeNull();
  });
});
