import fs from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { openAttachment, readBody, saveAttachment } from '../../electron/core/mime/body.js';
import { MessageBody } from '../../shared/messages.js';
import { generateMessage } from '../support/mailgen.js';
import { base64Lines, eml, messageFolder, noise, sha256 } from '../support/mime.js';

const folder = messageFolder('popbox-mime-body-');
const store = folder.store;

async function body(message: Buffer, opts?: { maxTextBytes?: number }): Promise<MessageBody> {
  return MessageBody.parse(await readBody(await store(message), opts));
}

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

const logo = noise(2_000, 11);
const report = noise(150_000, 12);
// A text attachment keeps the message's CRLF line breaks: that is its canonical form.
const notes = Buffer.from('Zeile eins\r\nZeile zwei: Grüße', 'utf8');

/** multipart/mixed( multipart/related( alternative(plain, html), image ), pdf (RFC 2231 name), text file (QP) ) */
const rich = eml(`From: Ann <ann@example.com>
Subject: Quarterly report
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="outer"

--outer
Content-Type: multipart/related; boundary="rel"

--rel
Content-Type: multipart/alternative; boundary="alt"

--alt
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: quoted-printable

Hello, the report is attached. Gr=C3=BC=C3=9Fe
--alt
Content-Type: text/html; charset=utf-8

<p onclick="steal()">Hello, <img src="cid:logo.123@example.com"> the report</p><script>alert(1)</script>
--alt--
--rel
Content-Type: image/png; name="logo.png"
Content-ID: <logo.123@example.com>
Content-Disposition: inline; filename="logo.png"
Content-Transfer-Encoding: base64

${base64Lines(logo)}--rel--
--outer
Content-Type: application/pdf
Content-Disposition: attachment;
 filename*0*=iso-8859-15''R%E9sum%E9%20;
 filename*1*=%A4.pdf
Content-Transfer-Encoding: base64

${base64Lines(report)}
--outer
Content-Type: text/plain; charset=utf-8; name="=?UTF-8?Q?Notizen_f=C3=BCr_dich.txt?="
Content-Disposition: attachment; filename*=UTF-8''Notizen%20f%C3%BCr%20dich.txt
Content-Transfer-Encoding: quoted-printable

Zeile eins
Zeile zwei: Gr=C3=BC=C3=9Fe
--outer--
`);

describe('readBody', () => {
  it('returns text, HTML exactly as received, attachments with decoded sizes and the cid map', async () => {
    const b = await body(rich);
    expect(b.text).toBe('Hello, the report is attached. Grüße');
    expect(b.html).toBe('<p onclick="steal()">Hello, <img src="cid:logo.123@example.com"> the report</p><script>alert(1)</script>');
    expect(b.truncated).toBe(false);
    expect(b.attachments).toEqual([
      { id: '1', filename: 'logo.png', contentType: 'image/png', size: logo.length, contentId: 'logo.123@example.com', inline: true },
      { id: '2', filename: 'Résumé €.pdf', contentType: 'application/pdf', size: report.length, contentId: null, inline: false },
      { id: '3', filename: 'Notizen für dich.txt', contentType: 'text/plain', size: notes.length, contentId: null, inline: false },
    ]);
    expect(b.cidMap).toEqual({ 'logo.123@example.com': '1' });
  });

  it('gives null text for an HTML-only message and null HTML for a plain one', async () => {
    const html = await body(eml('Subject: h\nContent-Type: text/html; charset=utf-8\n\n<p>Only HTML</p>\n'));
    // Line endings come back as LF; otherwise the HTML is byte for byte what was sent.
    expect(html).toMatchObject({ text: null, html: '<p>Only HTML</p>\n', attachments: [], cidMap: {} });
    const plain = await body(eml('Subject: p\nContent-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: 8bit\n\nCaf\xe9\n'));
    expect(plain).toMatchObject({ text: 'Café\n', html: null });
    const empty = await body(eml('Subject: nothing'));
    expect(empty).toMatchObject({ html: null, attachments: [], truncated: false });
  });

  it('cuts text and HTML at maxTextBytes, on a character boundary, and says so', async () => {
    const text = 'ä€😀 '.repeat(2_000); // 10 bytes per repetition in UTF-8
    const b = await body(
      Buffer.from(
        `Subject: long\r\nContent-Type: multipart/alternative; boundary=a\r\n\r\n--a\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${text}\r\n` +
          `--a\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>${text}</p>\r\n--a--\r\n`,
        'utf8',
      ),
      { maxTextBytes: 1_001 },
    );
    expect(b.truncated).toBe(true);
    for (const part of [b.text, b.html]) {
      expect(part).not.toBeNull();
      expect(Buffer.byteLength(part as string)).toBeLessThanOrEqual(1_001);
      expect(Buffer.byteLength(part as string)).toBeGreaterThan(980);
      expect(part).not.toContain('\ufffd');
      expect(part).not.toMatch(/[\ud800-\udbff]$/);
    }
    const small = await body(eml('Subject: s\n\nshort\n'), { maxTextBytes: 1_001 });
    expect(small).toMatchObject({ text: 'short\n', truncated: false });
  });

  it('opens broken MIME: garbage base64, a missing closing boundary', async () => {
    const b = await body(
      eml(`Subject: broken
Content-Type: multipart/mixed; boundary=x

--x
Content-Type: text/plain

Readable part.
--x
Content-Type: application/octet-stream
Content-Disposition: attachment; filename="junk.bin"
Content-Transfer-Encoding: base64

@@@@ this is not base64 $$$$
QUJD`),
    );
    expect(b.text).toBe('Readable part.');
    expect(b.attachments).toHaveLength(1);
    expect(b.attachments[0]).toMatchObject({ id: '1', filename: 'junk.bin' });
  });

  it('falls back to the raw text when mailparser gives up', async () => {
    let text = 'Subject: many parts\nContent-Type: multipart/mixed; boundary=Q\n\n--Q\nContent-Type: text/plain\n\nFirst part.\n';
    for (let i = 0; i < 1100; i++) text += `--Q\nContent-Type: text/plain\n\npart ${i}\n`;
    const b = await body(eml(`${text}--Q--\n`));
    expect(b).toMatchObject({ text: 'First part.\n', html: null, attachments: [], cidMap: {} });
  });

  it('reports a missing message file as not-found', async () => {
    await expect(readBody(folder.path('nope.eml'))).rejects.toMatchObject({ code: 'not-found' });
  });
});

describe('saveAttachment', () => {
  it('saves byte-exact copies (base64, quoted-printable, inline image)', async () => {
    const file = await store(rich);
    const cases: [string, Buffer][] = [
      ['1', logo],
      ['2', report],
      ['3', notes],
    ];
    for (const [id, expected] of cases) {
      const dest = folder.path(`saved-${id}`);
      const { size } = await saveAttachment(file, id, dest);
      expect(size).toBe(expected.length);
      expect(sha256(await fs.readFile(dest))).toBe(sha256(expected));
    }
  });

  it('saves the attachment of a generated realistic message byte-exact', async () => {
    const msg = generateMessage(4242, 300_000, { attachment: true });
    const text = msg.toString('latin1');
    // The generator's first attachment: the base64 lines after the first "Content-Transfer-Encoding: base64" header.
    const start = text.indexOf('\n\n', text.indexOf('Content-Transfer-Encoding: base64')) + 2;
    const end = text.indexOf('\n--', start);
    const expected = Buffer.from(text.slice(start, end), 'base64');
    const dest = folder.path('generated.bin');
    const { size } = await saveAttachment(await store(msg), '1', dest);
    expect(size).toBe(expected.length);
    expect(sha256(await fs.readFile(dest))).toBe(sha256(expected));
  });

  it('refuses to overwrite an existing file and leaves it untouched', async () => {
    const file = await store(rich);
    const dest = folder.path('existing.pdf');
    await fs.writeFile(dest, 'precious');
    await expect(saveAttachment(file, '2', dest)).rejects.toMatchObject({ code: 'exists', message: `${dest} already exists` });
    expect(await fs.readFile(dest, 'utf8')).toBe('precious');
  });

  it('rejects an unknown attachment id with not-found and leaves nothing behind', async () => {
    const file = await store(rich);
    const sub = await fs.mkdtemp(folder.path('dest-'));
    for (const id of ['4', '0', 'x', '']) {
      await expect(saveAttachment(file, id, path.join(sub, 'out.bin'))).rejects.toMatchObject({ code: 'not-found' });
    }
    expect(await fs.readdir(sub)).toEqual([]);
  });

  it('leaves only the destination in its directory (no temporary files)', async () => {
    const file = await store(rich);
    const sub = await fs.mkdtemp(folder.path('dest-'));
    await saveAttachment(file, '2', path.join(sub, 'report.pdf'));
    expect(await fs.readdir(sub)).toEqual(['report.pdf']);
  });

  it('fails with storage when the destination directory does not exist, creating nothing', async () => {
    const file = await store(rich);
    await expect(saveAttachment(file, '1', folder.path('no-such-dir', 'x.png'))).rejects.toMatchObject({ code: 'storage' });
  });

  it('saves an attachment that comes before a part mailparser would choke on, without reading that far', async () => {
    const payload = noise(5_000, 21);
    // 4 MB of filler keeps the trouble beyond what the parser reads ahead, so stopping once the
    // attachment is saved never meets it. An attachment after the trouble cannot be had.
    let text = `Subject: then too many parts\nContent-Type: multipart/mixed; boundary=Q\n\n--Q\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\n${base64Lines(payload)}`;
    text += `--Q\nContent-Type: text/plain\n\n${'filler line of text\n'.repeat(200_000)}`;
    for (let i = 0; i < 1100; i++) text += `--Q\nContent-Type: text/plain\n\npart ${i}\n`;
    text += `--Q\nContent-Type: application/pdf\nContent-Transfer-Encoding: base64\n\nJVBERi0K\n--Q--\n`;
    const file = await store(eml(text));
    const dest = folder.path('before-the-trouble.bin');
    expect(await saveAttachment(file, '1', dest)).toEqual({ size: payload.length });
    expect(sha256(await fs.readFile(dest))).toBe(sha256(payload));
    await expect(saveAttachment(file, '2', folder.path('after-the-trouble.pdf'))).rejects.toMatchObject({ code: 'not-found' });
  });

  it('reports a missing message file as not-found', async () => {
    await expect(saveAttachment(folder.path('nope.eml'), '1', folder.path('x'))).rejects.toMatchObject({ code: 'not-found' });
  });
});

describe('openAttachment', () => {
  it('streams one attachment byte-exact', async () => {
    const file = await store(rich);
    expect(sha256(await collect(await openAttachment(file, '2')))).toBe(sha256(report));
    expect(sha256(await collect(await openAttachment(file, '1')))).toBe(sha256(logo));
  });

  it('rejects an unknown id with not-found', async () => {
    await expect(openAttachment(await store(rich), '9')).rejects.toMatchObject({ code: 'not-found' });
  });

  it('can be abandoned half-way without hanging', async () => {
    const big = eml(`Subject: big\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\n${base64Lines(noise(3_000_000, 5))}`);
    const stream = await openAttachment(await store(big), '1');
    const first = await new Promise<Buffer>((resolve) => stream.once('data', resolve));
    expect(first.length).toBeGreaterThan(0);
    stream.destroy();
    await new Promise((resolve) => stream.once('close', resolve));
  });
});
