/**
 * Send streams the message to disk (issue 15 §5: a 25 MB attachment without several whole copies):
 * the CRLF pass survives any chunking, the file holds exactly the bytes the Buffer form builds,
 * base64 from the page is checked and decoded a slice at a time, and the Outbox's check of a
 * file refuses what checkedMessage refuses.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { simpleParser } from 'mailparser';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import type { Identity } from '../../shared/accounts.js';
import { buildMessage, buildMessageToFile, toCrlf, type ComposeInput } from '../../electron/core/compose/build-message.js';
import { CrlfTransform } from '../../electron/core/compose/crlf-stream.js';
import { base64DecodedBytes } from '../../shared/compose.js';
import { checkedMessage, checkedMessageFile } from '../../electron/core/outbox/outbox.js';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'popbox-compose-stream-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

const alice: Identity = { id: 'i1', name: 'Alice Ärger', address: 'alice@example.org', default: true };
const now = new Date('2026-03-04T05:06:07Z');

async function throughCrlf(chunks: Buffer[]): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const c of Readable.from(chunks, { objectMode: false }).pipe(new CrlfTransform())) out.push(c as Buffer);
  return Buffer.concat(out);
}

/** Cut `whole` at the given points (sorted, may repeat: empty chunks too). */
function cut(whole: Buffer, points: number[]): Buffer[] {
  const at = [...points].sort((a, b) => a - b);
  const pieces: Buffer[] = [];
  let prev = 0;
  for (const p of at) {
    pieces.push(whole.subarray(prev, p));
    prev = p;
  }
  pieces.push(whole.subarray(prev));
  return pieces.filter((p) => p.length > 0);
}

describe('CrlfTransform', () => {
  it('makes the same bytes as toCrlf however the input is cut (a CR ending one chunk, its LF starting the next)', async () => {
    const bytes = fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(Array.from(a, (b) => [0x0d, 0x0a, 0x41, 0x42][b % 4]!)));
    await fc.assert(
      fc.asyncProperty(
        bytes.chain((b) => fc.tuple(fc.constant(b), fc.array(fc.integer({ min: 0, max: b.length }), { maxLength: 20 }))),
        async ([whole, points]) => {
          const streamed = await throughCrlf(cut(whole, points));
          expect(streamed.equals(toCrlf(Buffer.from(whole)))).toBe(true);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('holds a CR at a chunk end: CR | LF is one line end, CR | x and a final CR are each made CRLF', async () => {
    expect((await throughCrlf([Buffer.from('a\r'), Buffer.from('\nb')])).toString()).toBe('a\r\nb');
    expect((await throughCrlf([Buffer.from('a\r'), Buffer.from('b')])).toString()).toBe('a\r\nb');
    expect((await throughCrlf([Buffer.from('a\r')])).toString()).toBe('a\r\n');
    expect((await throughCrlf([Buffer.from('\r'), Buffer.from('\r'), Buffer.from('\n')])).toString()).toBe('\r\n\r\n');
    expect((await throughCrlf([Buffer.from('a\n\nb')])).toString()).toBe('a\r\n\r\nb');
  });
});

/** The two builds of one message differ only in their random Message-ID and MIME boundaries. */
function normalized(raw: Buffer): string {
  return raw
    .toString('latin1')
    .replace(/^Message-ID: <[^>]+>/im, 'Message-ID: <x>')
    .replace(/_NmP-[0-9a-f]+-Part_/g, '_NmP-x-Part_');
}

/** Base64 wrapped like a mail client would (76 per line, CRLF), so whitespace splits 4-character groups across 64 KB slices. */
function wrapped(bytes: Buffer, width = 77): string {
  const b64 = bytes.toString('base64');
  const out: string[] = [];
  for (let i = 0; i < b64.length; i += width) out.push(b64.slice(i, i + width));
  return out.join('\r\n');
}

describe('buildMessageToFile', () => {
  const fileBytes = Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 7919) % 256));
  const attachmentPath = path.join(work, 'report.bin');
  fs.writeFileSync(attachmentPath, fileBytes);
  const base: ComposeInput = {
    to: ['Bob <bob@bücher.example>'],
    cc: ['carol@example.org'],
    bcc: ['dave@example.org'],
    subject: 'Quarterly numbers — Grüße',
    text: 'Hello Bob,\nthe numbers\rare attached.\n\n> quoted\n-- \nAlice',
    html: '<p>Hello <b>Bob</b><script>alert(1)</script></p>\n<p>second</p>',
    attachments: [
      { filename: 'page.bin', contentType: 'application/octet-stream', content: wrapped(fileBytes) },
      { filename: 'stored.bin', content: fileBytes },
      { filename: 'forwarded.eml', contentType: 'message/rfc822', content: Buffer.from('Subject: old\n\nbare\nline ends\r\n') },
    ],
  };

  it('writes exactly the bytes buildMessage returns (Message-ID and boundaries aside), fsynced in its own file', async () => {
    const inMemory = await buildMessage(alice, base, { now });
    const onDisk = await buildMessageToFile(alice, base, path.join(work, 'sending'), { now });
    const bytes = fs.readFileSync(onDisk.file);
    expect(onDisk.size).toBe(bytes.length);
    expect(normalized(bytes)).toBe(normalized(inMemory.raw));
    expect(onDisk.envelope).toEqual(inMemory.envelope);
    expect(onDisk.envelope.to).toEqual(['bob@xn--bcher-kva.example', 'carol@example.org', 'dave@example.org']);
    expect(bytes.toString('latin1')).not.toMatch(/dave@example\.org/);
    expect(bytes.toString('latin1')).not.toMatch(/<script/i);
    expect(() => checkedMessage(bytes)).not.toThrow();
    expect(fs.statSync(onDisk.file).mode & 0o777).toBe(0o600);
  });

  it('reads a file attachment from disk into the same message as its bytes would make, and the recipient gets the file', async () => {
    const asBytes = { ...base, attachments: [{ filename: 'report.bin', content: fileBytes }] };
    const asFile = { ...base, attachments: [{ filename: 'report.bin', content: { file: attachmentPath, size: fileBytes.length } }] };
    const a = await buildMessage(alice, asBytes, { now });
    const b = await buildMessageToFile(alice, asFile, path.join(work, 'sending'), { now });
    const bytes = fs.readFileSync(b.file);
    expect(normalized(bytes)).toBe(normalized(a.raw));
    const parsed = await simpleParser(bytes);
    expect(parsed.attachments[0]!.content.equals(fileBytes)).toBe(true);
  });

  it('decodes wrapped base64 from the page slice by slice into the original bytes', async () => {
    const big = Buffer.from(Array.from({ length: 200_003 }, (_, i) => (i * 31 + 7) % 256));
    for (const width of [76, 77, 1000, 65_537]) {
      const built = await buildMessageToFile(alice, { ...base, attachments: [{ filename: 'x.bin', content: wrapped(big, width) }] }, path.join(work, 'sending'), { now });
      const parsed = await simpleParser(fs.readFileSync(built.file));
      expect(parsed.attachments[0]!.content.equals(big), `width ${width}`).toBe(true);
    }
  });

  it('refuses base64 that is not (a bad character, padding in the middle, a broken group) and leaves no file behind', async () => {
    const dir = path.join(work, 'refused');
    const good = Buffer.alloc(100_000, 1).toString('base64');
    for (const content of [`${good.slice(0, 70_000)}!${good.slice(70_000)}`, `QQ==${good}`, `${good}QQ`, 'QQ===']) {
      await expect(buildMessageToFile(alice, { ...base, attachments: [{ filename: 'bad.bin', content }] }, dir, { now })).rejects.toThrow(/"bad\.bin": its content is not base64/);
    }
    expect(fs.existsSync(dir) ? fs.readdirSync(dir) : []).toEqual([]);
  });

  it('keeps build-message checks: a bad address is refused before any file is written', async () => {
    const dir = path.join(work, 'checks');
    await expect(buildMessageToFile(alice, { ...base, to: ['not an address'] }, dir, { now })).rejects.toThrow(/is not an email address/);
    expect(fs.existsSync(dir)).toBe(false);
  });

  it('a file attachment that cannot be read fails the build in words and leaves no file', async () => {
    const dir = path.join(work, 'missing');
    const input = { ...base, attachments: [{ filename: 'gone.bin', content: { file: path.join(work, 'gone.bin'), size: 10 } }] };
    await expect(buildMessageToFile(alice, input, dir, { now })).rejects.toThrow(/ENOENT/);
    expect(fs.readdirSync(dir)).toEqual([]);
  });
});

describe('checkedMessageFile (the Outbox taking a built file)', () => {
  const file = (name: string, bytes: Buffer) => {
    const p = path.join(work, name);
    fs.writeFileSync(p, bytes);
    return p;
  };

  it('refuses what checkedMessage refuses, with the same words', async () => {
    for (const bytes of [Buffer.from('a\r\nb\nc\r\n'), Buffer.from('\nab'), Buffer.from('a\rb\r\n'), Buffer.alloc(0)]) {
      const expected = (() => {
        try {
          checkedMessage(bytes);
          return null;
        } catch (e) {
          return (e as Error).message;
        }
      })();
      await expect(checkedMessageFile(file('m.eml', bytes))).rejects.toThrow(expected!);
    }
  });

  it('finds a bare CR or LF across its 256 KB reads, and gives a message without a final line end CRLF, as checkedMessage does', async () => {
    const piece = 256 * 1024;
    const crAtEnd = Buffer.alloc(piece + 10, 0x41);
    crAtEnd[piece - 1] = 0x0d; // last byte of the first read, followed by "A"
    await expect(checkedMessageFile(file('cr.eml', crAtEnd))).rejects.toThrow(`bare carriage return at byte ${piece - 1}`);
    const lfAtStart = Buffer.alloc(piece + 10, 0x41);
    lfAtStart[piece] = 0x0a; // first byte of the second read, after "A"
    await expect(checkedMessageFile(file('lf.eml', lfAtStart))).rejects.toThrow(`bare line feed at byte ${piece}`);
    const split = Buffer.alloc(piece + 10, 0x41);
    split[piece - 1] = 0x0d;
    split[piece] = 0x0a;
    for (const [name, bytes] of [['split.eml', split], ['cr-last.eml', Buffer.from('a\r\nb\r')], ['ok.eml', Buffer.from('a\r\n')]] as const) {
      const p = file(name, bytes);
      const size = await checkedMessageFile(p);
      const want = checkedMessage(bytes);
      expect(fs.readFileSync(p).equals(want)).toBe(true);
      expect(size).toBe(want.length);
    }
  });
});

describe('base64DecodedBytes (the contract\'s size limit)', () => {
  it('counts what stripping all whitespace at once counted, whitespace runs across its 64 KB slices included', () => {
    const old = (b64: string) => Math.floor((b64.replace(/\s+/g, '').length * 3) / 4);
    fc.assert(
      fc.property(fc.array(fc.constantFrom('QUJD', 'QQ==', ' ', '\r\n', '\t', '\u00a0', 'x'.repeat(40_000), ' '.repeat(30_000)), { maxLength: 12 }), (parts) => {
        const b64 = parts.join('');
        expect(base64DecodedBytes(b64)).toBe(old(b64));
      }),
      { numRuns: 200 },
    );
    expect(base64DecodedBytes(wrapped(Buffer.alloc(3_000_000)))).toBe(3_000_000);
  });
});
