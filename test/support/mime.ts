/** Hand-built MIME messages for the mime-* tests. */
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import nodePath from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { toCrlf } from './mailgen.js';

/**
 * A message from a template: leading indentation is not stripped, so write it flush left.
 * `\xNN` escapes in the template become single bytes (latin1), which is how tests put raw
 * 8-bit charsets and NULs into a message. Line endings become CRLF, as the store keeps them.
 */
export function eml(text: string): Buffer {
  return toCrlf(Buffer.from(text, 'latin1'));
}

/** Base64 in 76-character lines, LF-terminated (toCrlf/eml make them CRLF). */
export function base64Lines(data: Buffer): string {
  return `${data.toString('base64').replace(/.{76}/g, '$&\n').replace(/\n$/, '')}\n`;
}

export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Deterministic pseudo-random bytes (xorshift32), so attachments are incompressible but reproducible. */
export function noise(size: number, seed = 1): Buffer {
  const out = Buffer.allocUnsafe(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

/**
 * Writes a multipart message with a short text part and one base64 attachment of
 * `attachmentBytes` bytes to `file`, streaming (never holding the attachment in memory).
 * Returns the SHA-256 of the attachment's decoded bytes.
 */
export async function writeBigAttachmentMessage(file: string, attachmentBytes: number): Promise<string> {
  const out = fs.createWriteStream(file);
  const write = async (data: string | Buffer): Promise<void> => {
    if (!out.write(data)) await once(out, 'drain');
  };
  const hash = createHash('sha256');
  await write(
    'From: Big Sender <big@example.com>\r\nTo: popbox@example.net\r\nSubject: A very large attachment\r\n' +
      'Date: Mon, 01 Jan 2024 10:00:00 +0000\r\nMessage-ID: <big@example.com>\r\nMIME-Version: 1.0\r\n' +
      'Content-Type: multipart/mixed; boundary="BIG-BOUNDARY"\r\n\r\n--BIG-BOUNDARY\r\n' +
      'Content-Type: text/plain; charset=us-ascii\r\n\r\nThe archive is attached.\r\n--BIG-BOUNDARY\r\n' +
      'Content-Type: application/octet-stream; name="archive.bin"\r\nContent-Disposition: attachment; filename="archive.bin"\r\n' +
      'Content-Transfer-Encoding: base64\r\n\r\n',
  );
  const block = 57 * 16 * 1024; // a multiple of 57 bytes, so every base64 line but the last is full
  for (let done = 0, seed = 1; done < attachmentBytes; done += block, seed++) {
    const raw = noise(Math.min(block, attachmentBytes - done), seed);
    hash.update(raw);
    await write(base64Lines(raw).replace(/\n/g, '\r\n'));
  }
  await write('--BIG-BOUNDARY--\r\n');
  out.end();
  await once(out, 'finish');
  return hash.digest('hex');
}

/** SHA-256 of a file, streamed. */
export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of fs.createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * A temporary folder for one test file's messages, made before its tests and removed after
 * them (registers the file's beforeAll/afterAll): `store` writes a message there and returns
 * its path; `path` names another file in it.
 */
export function messageFolder(prefix: string): { store(message: Buffer): Promise<string>; path(...names: string[]): string } {
  let dir = '';
  let n = 0;
  beforeAll(async () => {
    dir = await fsp.mkdtemp(nodePath.join(os.tmpdir(), prefix));
  });
  afterAll(async () => {
    await fsp.rm(dir, { recursive: true, force: true });
  });
  return {
    path: (...names) => nodePath.join(dir, ...names),
    async store(message) {
      const file = nodePath.join(dir, `m${++n}.eml`);
      await fsp.writeFile(file, message);
      return file;
    },
  };
}
