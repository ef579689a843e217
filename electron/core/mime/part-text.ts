/**
 * A text part's body decoded exactly as mailparser decodes it for its `text` and `html`: transfer
 * encoding (libbase64's and libqp's rules), then format=flowed, then the charset (charset.ts's
 * rule, which parse.ts gives mailparser too), then LF line ends. The fast summary path depends on
 * getting the same characters, so each step follows the code it stands in for rather than
 * raw.ts's forgiving decoders.
 */
import { decodesLineByLine, decodeText } from './charset.js';

export interface TextPartCoding {
  /** Content-Transfer-Encoding, lowercased, as mailsplit reads it ('' when absent). */
  encoding: string;
  charset: string | null;
  /** Lowercased media type: an HTML part without a usable charset is read by its <meta>. */
  contentType: string;
  flowed: boolean;
  delSp: boolean;
}

/** The transfer encodings whose decoding is reproduced here; anything else goes to mailparser. */
export function knownTransferEncoding(encoding: string): boolean {
  return encoding === '' || encoding === '7bit' || encoding === '8bit' || encoding === 'binary' || encoding === 'base64' || encoding === 'quoted-printable';
}

/**
 * libbase64's stream decoder drops every byte outside the alphabet and decodes quartet by quartet;
 * with padding only at the very end that is exactly Buffer's base64 decoding of the cleaned text.
 * Padding inside the data (separately padded segments) is decoded differently, so: null.
 */
function decodeBase64(raw: Buffer): Buffer | null {
  let text = raw.toString('latin1');
  if (/[^A-Za-z0-9+/=]/.test(text)) text = text.replace(/[^A-Za-z0-9+/=]/g, '');
  const pad = text.indexOf('=');
  if (pad >= 0 && !/^=+$/.test(text.slice(pad))) return null;
  return Buffer.from(text, 'base64');
}

function hexValue(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  if (code >= 0x41 && code <= 0x46) return code - 0x37;
  if (code >= 0x61 && code <= 0x66) return code - 0x57;
  return -1;
}

/** Each "=" and two hex digits (either case) as the byte they name, everything else as it is (libqp's and libmime's Q rule). */
export function decodeHexEscapes(input: Buffer): Buffer {
  const out = Buffer.allocUnsafe(input.length);
  let o = 0;
  const len = input.length;
  for (let i = 0; i < len; i++) {
    const code = input[i] as number;
    if (code === 0x3d && i < len - 2) {
      const hi = hexValue(input[i + 1] as number);
      const lo = hexValue(input[i + 2] as number);
      if (hi >= 0 && lo >= 0) {
        out[o++] = hi * 16 + lo;
        i += 2;
        continue;
      }
    }
    out[o++] = code;
  }
  return out.subarray(0, o);
}

/** libqp's decode(), which its stream decoder applies to the whole body at once. */
function decodeQuotedPrintable(raw: Buffer): Buffer {
  const input = raw
    .toString('latin1')
    .replace(/(^|[^ \t])[ \t]+(?=[\n\r\u2028\u2029]|$)/g, '$1')
    .replace(/[=](?:\r?\n|$)/g, '');
  return decodeHexEscapes(Buffer.from(input, 'latin1'));
}

/**
 * libmime's decodeFlowed (5.6, which mailparser runs): soft line breaks (a line ending in a space)
 * joined within a paragraph of one quote depth, space-stuffing removed, delsp=yes's added spaces
 * dropped. Copied so that a flowed part (Thunderbird's and Apple Mail's plain text) does not load
 * libmime; test/unit/mime-header-value.test.ts compares it with libmime's on generated bodies.
 */
export function decodeFlowed(input: string, delSp: boolean): string {
  const lines = input.split(/\r?\n/);
  const result: string[] = [];
  // The paragraph as its non-empty pieces, joined once at its end (appending would be quadratic).
  let parts: string[] = [];
  let partsLength = 0;
  let depth = 0;
  let prefix = '';
  const pushPart = (part: string): void => {
    if (part) {
      parts.push(part);
      partsLength += part.length;
    }
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    // RFC 3676 §4.5: ">" marks quote depth, and one space after them is stuffing.
    let lineDepth = 0;
    while (line.charCodeAt(lineDepth) === 0x3e) lineDepth++;
    const prefixLength = lineDepth && line.charCodeAt(lineDepth) === 0x20 ? lineDepth + 1 : lineDepth;
    const content = line.slice(prefixLength);
    const last = parts.length ? (parts[parts.length - 1] as string) : '';
    // A signature separator ("-- ") is never a soft break.
    const isSoftBreak = lineDepth === depth && last.endsWith(' ') && !(partsLength === 3 && parts.join('') === '-- ');
    if (isSoftBreak) {
      if (delSp) {
        parts.pop();
        partsLength -= last.length;
        pushPart(last.slice(0, -1));
        pushPart(content);
      } else {
        // the continuation's stuffing (a quoted line's is part of its prefix)
        pushPart(lineDepth ? content : content.replace(/^ /, ''));
      }
    } else {
      if (i > 0) result.push(prefix + parts.join(''));
      parts = [];
      partsLength = 0;
      depth = lineDepth;
      prefix = line.slice(0, prefixLength);
      pushPart(content);
    }
  }
  if (partsLength || prefix) result.push(prefix + parts.join(''));
  // RFC 3676 §4.4: space-stuffing
  return result.join('\n').replace(/^ /gm, '');
}

/**
 * The part's text as mailparser's `textContent` has it, from the raw body bytes mailparser
 * would have fed its decoder (already cut at the text budget). Null when the transfer encoding
 * is one whose result cannot be reproduced exactly.
 */
export function decodeTextPart(raw: Buffer, coding: TextPartCoding): string | null {
  let bytes: Buffer;
  if (coding.encoding === 'base64') {
    const decoded = decodeBase64(raw);
    if (decoded === null) return null;
    bytes = decoded;
  } else if (coding.encoding === 'quoted-printable') {
    bytes = raw.length ? decodeQuotedPrintable(raw) : raw;
  } else {
    bytes = raw;
  }
  if (coding.flowed && bytes.length) {
    bytes = Buffer.from(decodeFlowed(bytes.toString('latin1'), coding.delSp), 'latin1');
  }
  const text = decodeText(bytes, coding.charset, { html: coding.contentType === 'text/html' });
  // As .replace(/\r?\n/g, '\n'), which rebuilt every text, CRLF or not, several times slower.
  return text.replaceAll('\r\n', '\n');
}

/**
 * The start of what decodeTextPart(raw, coding) gives, from about the first `bytes` bytes of
 * `raw` only: enough for a snippet of a long part without decoding all of it. Null when this
 * part has to be decoded whole (format=flowed, a charset whose start can depend on later bytes,
 * padding).
 */
export function decodeTextPartStart(raw: Buffer, coding: TextPartCoding, bytes: number): string | null {
  if (raw.length <= bytes || coding.flowed || !decodesLineByLine(coding.charset)) return null;
  let head: Buffer;
  if (coding.encoding === 'base64') {
    // Whole quartets decode to exactly the first bytes of the whole.
    let text = raw.toString('latin1', 0, bytes).replace(/[^A-Za-z0-9+/=]/g, '');
    if (text.includes('=')) return null;
    text = text.slice(0, text.length - (text.length % 4));
    head = Buffer.from(text, 'base64');
  } else {
    // Up to a line break: quoted-printable's soft breaks and trailing-space rule look no further.
    const lf = raw.lastIndexOf(0x0a, bytes - 1);
    if (lf < 0) return null;
    head = raw.subarray(0, lf + 1);
  }
  const text = decodeTextPart(head, { ...coding, encoding: coding.encoding === 'base64' ? '' : coding.encoding });
  // A character cut in two at the end (base64 cuts anywhere) is all that may differ.
  return text === null ? null : text.slice(0, Math.max(0, text.length - 64));
}
