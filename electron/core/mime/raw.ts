/**
 * The fallback for mail mailparser refuses (a header block over its limit, too many parts,
 * anything that makes it fail): raw headers and a best-effort text from the first bytes of
 * the body. It works on a bounded prefix and cannot fail on content.
 */
import fs from 'node:fs/promises';
import { contentTypeOf, fieldValue, splitHeader, type HeaderLine } from './headers.js';
import { decodeText } from './charset.js';
import { htmlToText } from './text.js';
import type { MessageSource } from './parse.js';

/** Reads at most `max` bytes from the start of the message. */
export async function readPrefix(source: MessageSource, max: number): Promise<Buffer> {
  if (Buffer.isBuffer(source)) return source.subarray(0, max);
  const handle = await fs.open(source, 'r');
  try {
    const buf = Buffer.allocUnsafe(max);
    let filled = 0;
    while (filled < max) {
      const { bytesRead } = await handle.read(buf, filled, max - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return buf.subarray(0, filled);
  } finally {
    await handle.close();
  }
}

function transferEncoding(lines: readonly HeaderLine[]): string {
  const line = lines.find((l) => l.key === 'content-transfer-encoding');
  return line ? fieldValue(line).toLowerCase() : '';
}

function decodeQuotedPrintable(buf: Buffer): Buffer {
  const out = Buffer.allocUnsafe(buf.length);
  let o = 0;
  const hex = (c: number | undefined): number =>
    c === undefined ? -1 : c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x41 && c <= 0x46 ? c - 0x37 : c >= 0x61 && c <= 0x66 ? c - 0x57 : -1;
  for (let i = 0; i < buf.length; i++) {
    const c = buf[i] as number;
    if (c !== 0x3d) {
      out[o++] = c;
      continue;
    }
    if (buf[i + 1] === 0x0a) i += 1; // soft line break
    else if (buf[i + 1] === 0x0d && buf[i + 2] === 0x0a) i += 2;
    else if (hex(buf[i + 1]) >= 0 && hex(buf[i + 2]) >= 0) {
      out[o++] = hex(buf[i + 1]) * 16 + hex(buf[i + 2]);
      i += 2;
    } else out[o++] = c;
  }
  return out.subarray(0, o);
}

function decodeTransfer(body: Buffer, encoding: string): Buffer {
  if (encoding === 'base64') return Buffer.from(body.toString('latin1').replace(/[^A-Za-z0-9+/]/g, ''), 'base64');
  if (encoding === 'quoted-printable') return decodeQuotedPrintable(body);
  return body;
}

/** The parts of a multipart body, as far as `body` reaches; a missing closing delimiter is fine. */
function splitParts(body: Buffer, boundary: string): Buffer[] {
  const delimiter = Buffer.from(`--${boundary}`, 'latin1');
  const starts: number[] = [];
  for (let i = body.indexOf(delimiter); i >= 0; i = body.indexOf(delimiter, i + delimiter.length)) {
    if (i === 0 || body[i - 1] === 0x0a) starts.push(i);
  }
  const parts: Buffer[] = [];
  for (let k = 0; k < starts.length; k++) {
    const at = starts[k] as number;
    if (body[at + delimiter.length] === 0x2d && body[at + delimiter.length + 1] === 0x2d) break; // closing
    const lineEnd = body.indexOf(0x0a, at);
    if (lineEnd < 0) break;
    parts.push(body.subarray(lineEnd + 1, starts[k + 1] ?? body.length));
  }
  return parts;
}

/**
 * Best-effort readable text of a message body: the first text/plain part (else text/html as
 * text) found by following multipart boundaries, decoded by transfer encoding and charset.
 */
export function rawBodyText(lines: readonly HeaderLine[], body: Buffer, depth = 0): string {
  const ct = contentTypeOf(lines);
  const disposition = lines.find((l) => l.key === 'content-disposition');
  if (disposition && /^\s*attachment/i.test(fieldValue(disposition))) return '';
  if (ct.type.startsWith('multipart/')) {
    const boundary = ct.params.boundary;
    if (!boundary || depth >= 4) return '';
    const parts = splitParts(body, boundary).map((p) => {
      const { lines: partLines, bodyOffset } = splitHeader(p);
      return { lines: partLines, body: p.subarray(bodyOffset), type: contentTypeOf(partLines).type };
    });
    const pick = parts.find((p) => p.type === 'text/plain') ?? parts.find((p) => p.type === 'text/html') ?? parts.find((p) => p.type.startsWith('multipart/'));
    return pick ? rawBodyText(pick.lines, pick.body, depth + 1) : '';
  }
  if (!ct.type.startsWith('text/') && ct.type !== 'message/delivery-status') return '';
  // LF line ends, as mailparser gives its text.
  const text = decodeText(decodeTransfer(body, transferEncoding(lines)), ct.params.charset, { html: ct.type === 'text/html' }).replace(/\r\n/g, '\n');
  return ct.type === 'text/html' ? htmlToText(text) : text;
}

/** Whether the prefix shows an attachment: a part that says so, or a named file. */
export function looksLikeItHasAttachments(prefix: Buffer): boolean {
  const text = prefix.toString('latin1');
  return /^content-disposition:[ \t]*attachment/im.test(text) || /\bfilename\*?[0-9*]*=/i.test(text);
}
