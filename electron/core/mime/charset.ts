/**
 * The one rule for turning a text part's (or a header's) bytes into characters, shared by the
 * reading pane, the list's snippets and the header fields, so all three show the same text.
 *
 * Real mail often names no charset, names one that does not fit its bytes (us-ascii on 8-bit
 * text), or names one in a spelling no decoder knows (CHINESEBIG5, x-unknown). Like Thunderbird,
 * such text is read as UTF-8 when its bytes are valid UTF-8 and as windows-1252 when not (1252
 * maps every byte, and undeclared 8-bit mail is almost always one of the two); an HTML part
 * without a usable label is first read by its own `<meta charset>`, as a browser would.
 */
import { TextDecoder } from 'node:util';
import { libcharset, libmime } from './libmime-lazy.js';
import { replaceWhereFound } from './replace-where-found.js';

const utf8Strict = new TextDecoder('utf-8', { fatal: true });

/**
 * Spellings seen in real mail that neither the WHATWG labels nor libmime know, keyed by the
 * label lowercased with everything but letters and digits removed. null: the label says nothing
 * about the bytes, so they are read by the fallback rule.
 */
const ALIASES = new Map<string, string | null>([
  ['chinesebig5', 'big5'],
  ['big5hk', 'big5'],
  ['xxbig5', 'big5'],
  ['gb2312charset', 'gbk'],
  ['chinesegb2312', 'gbk'],
  ['xeuccn', 'gbk'],
  ['ksc5601', 'euc-kr'],
  ['ksc56011987', 'euc-kr'],
  ['ksc56011989', 'euc-kr'],
  ['ksc56011992', 'euc-kr'],
  ['xwindows949', 'euc-kr'],
  ['cp949', 'euc-kr'],
  ['uhc', 'euc-kr'],
  ['iso88591i', 'windows-1252'],
  ['iso8859', 'windows-1252'],
  ['latin', 'windows-1252'],
  ['westerneuropean', 'windows-1252'],
  ['ansi', 'windows-1252'],
  ['cp1252', 'windows-1252'],
  ['win1252', 'windows-1252'],
  ['xsjis', 'shift_jis'],
  ['sjis', 'shift_jis'],
  ['shiftjis', 'shift_jis'],
  ['cp932', 'shift_jis'],
  // The US-ASCII family: 7-bit text decodes the same either way, and 8-bit bytes under such
  // a label are a mislabelled part, not a request for windows-1252 (which WHATWG maps them to).
  ['usascii', null],
  ['ascii', null],
  ['ansix341968', null],
  ['iso646us', null],
  ['us', null],
  // Labels that name no charset at all.
  ['xunknown', null],
  ['unknown', null],
  ['unknown8bit', null],
  ['xunknown8bit', null],
  ['default', null],
  ['defaultcharset', null],
  ['charset', null],
  ['none', null],
  ['8bit', null],
  ['7bit', null],
  ['xuserdefined', null],
  ['iso', null],
  // UTF-7 can carry markup past filters ("+ADw-script+AD4-" is "<script>"): never decoded as such.
  ['utf7', null],
  ['unicode11utf7', null],
  ['csunicode11utf7', null],
  ['utf7imap', null],
  // Transfer encodings given as a charset.
  ['base64', null],
  ['hex', null],
]);

const resolved = new Map<string, string | null>();

function squeeze(label: string): string {
  return label.toLowerCase().replace(/[^a-z0-9]/g, '');
}

/**
 * The charset a label names, as its WHATWG name (TextDecoder resolves the labels), or null when
 * the label names nothing usable (missing, unknown, the US-ASCII family, refused): then the
 * fallback rule reads the bytes.
 */
export function charsetFor(label: string | null | undefined): string | null {
  const key = (label ?? '').trim().replace(/^["']|["']$/g, '').toLowerCase();
  if (!key) return null;
  let name = resolved.get(key);
  if (name !== undefined) return name;
  name = null;
  const alias = ALIASES.get(squeeze(key));
  if (alias !== null) {
    // libmime's spelling only for a label TextDecoder does not know (libmime loads then: libmime-lazy.ts).
    const candidates: (() => string)[] = alias !== undefined ? [() => alias] : [() => key, () => libmime().normalizeCharset(key), () => key.replace(/_/g, '-')];
    for (const candidate of candidates) {
      try {
        name = new TextDecoder(candidate()).encoding;
        break;
      } catch {
        // not a WHATWG label: try the next spelling
      }
    }
  }
  // WHATWG's "replacement" decoder (iso-2022-kr, hz-gb-2312…) turns everything into one U+FFFD.
  if (name === 'replacement') name = null;
  if (resolved.size < 256) resolved.set(key, name);
  return name;
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

// windows-1252's 0x80–0x9F as WHATWG maps them; the five bytes 1252 leaves undefined stay C1
// controls (invisible) rather than becoming U+FFFD as in iconv-lite.
const CP1252_HIGH = '\u20ac\u0081\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\u008d\u017d\u008f\u0090\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\u009d\u017e\u0178';

// iconv-lite's windows-1252: the five bytes 1252 leaves undefined are U+FFFD.
const ICONV_1252_HIGH = CP1252_HIGH.replace(/[\u0080-\u009f]/g, '\ufffd');

/**
 * Single-byte charsets (WHATWG names) whose TextDecoder decoding is iconv-lite's byte for byte, once
 * the bytes a Windows code page leaves undefined (C1 controls from TextDecoder) are U+FFFD as in
 * iconv-lite: test/unit/mime-header-value.test.ts checks all 256 bytes of each. Not ibm866,
 * windows-874, -1253, -1255 and the Mac charsets (a few bytes differ), nor Node's windows-1252
 * (Latin-1 there).
 */
const ICONV_LIKE_WHATWG = new Set([
  ...['2', '3', '4', '5', '6', '7', '8', '8-i', '10', '13', '14', '15'].map((n) => `iso-8859-${n}`),
  'koi8-r',
  'koi8-u',
  ...['1250', '1251', '1254', '1256', '1257', '1258'].map((n) => `windows-${n}`),
]);
const singleByteDecoders = new Map<string, TextDecoder>();

/** C1 controls: how Latin-1 reads the bytes 0x80–0x9f, which the windows-* charsets give other characters. */
const C1 = /[\x80-\x9f]/g;

/** Bytes as Latin-1 but for 0x80–0x9f, which are `high`'s characters (windows-1252's table). */
function latin1As(buf: Buffer, high: string): string {
  const text = buf.toString('latin1');
  return replaceWhereFound(text, C1, (c) => high[c.charCodeAt(0) - 0x80] as string);
}

/**
 * Bytes in a single-byte charset (its WHATWG name) as iconv-lite (so libmime and mailparser) decodes
 * them, without loading either; null for a charset not decoded here.
 */
export function iconvSingleByte(buf: Buffer, name: string): string | null {
  if (name === 'windows-1252') return latin1As(buf, ICONV_1252_HIGH);
  if (!ICONV_LIKE_WHATWG.has(name)) return null;
  let decoder = singleByteDecoders.get(name);
  if (!decoder) {
    try {
      decoder = new TextDecoder(name);
    } catch {
      return null; // a Node built with fewer ICU converters: iconv-lite decodes
    }
    singleByteDecoders.set(name, decoder);
  }
  const text = decoder.decode(buf);
  return name.startsWith('windows-') ? replaceWhereFound(text, C1, '\ufffd') : text;
}

/**
 * Bytes in a known charset. The decoding itself is iconv-lite's (as mailparser decodes): single-byte
 * charsets by iconvSingleByte, the rest through libmime (loaded for the first such part), except
 * windows-1252 (also what WHATWG calls iso-8859-1), which is a table: Node's TextDecoder reads it
 * as Latin-1, turning curly quotes into controls.
 */
function decodeAs(bytes: Uint8Array, name: string): string {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  if (name === 'utf-8') return buf.toString('utf8');
  if (name === 'windows-1252') return latin1As(buf, CP1252_HIGH);
  // A lone surrogate from broken UTF-16 must not reach the UI as one.
  return iconvSingleByte(buf, name) ?? libcharset().decode(buf, name).replace(LONE_SURROGATE, '\ufffd');
}

// The <meta> that names an HTML document's charset, in either form (`charset=` or http-equiv's
// `content="text/html; charset=…"`), searched in the first bytes as a browser's prescan does.
const META_CHARSET = /<meta\b[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9_.:()-]+)/i;
const META_PRESCAN_BYTES = 4096;

/** The charset an HTML document names for itself, if it is a known one. */
export function htmlMetaCharset(bytes: Uint8Array): string | null {
  const head = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.length, META_PRESCAN_BYTES)).toString('latin1');
  const m = META_CHARSET.exec(head);
  const name = m ? charsetFor(m[1]) : null;
  // A document cannot be in UTF-16 and also spell its <meta> in ASCII: HTML reads it as UTF-8.
  return name?.startsWith('utf-16') ? 'utf-8' : name;
}

/** Undeclared bytes: UTF-8 when they are valid UTF-8, windows-1252 when not. */
export function decodeUndeclared(bytes: Uint8Array): string {
  try {
    return utf8Strict.decode(bytes);
  } catch {
    return decodeAs(bytes, 'windows-1252');
  }
}

/**
 * A text part's bytes (transfer encoding already undone) as text: by its label when a decoder
 * knows it, else (HTML only) by its `<meta charset>`, else by decodeUndeclared.
 */
export function decodeText(bytes: Uint8Array, label: string | null | undefined, opts: { html?: boolean } = {}): string {
  const name = charsetFor(label) ?? (opts.html ? htmlMetaCharset(bytes) : null);
  return name ? decodeAs(bytes, name) : decodeUndeclared(bytes);
}

/**
 * Whether decodeText's answer for the first bytes of a part (up to a line break) is the start
 * of its answer for the whole part. Not for the fallback rule, which looks at every byte, nor
 * for multi-byte charsets in which a line-break byte can be part of a character.
 */
export function decodesLineByLine(label: string | null | undefined): boolean {
  return /^(?:utf-8|windows-\d+|iso-8859-\d+(?:-i)?|koi8-[ru]|ibm866|macintosh|x-mac-cyrillic)$/.test(charsetFor(label) ?? '');
}

/**
 * The charset an encoded word (RFC 2047) should be decoded with, as a label libmime knows:
 * its own label through the alias table, or (where that names nothing) the fallback rule
 * applied to the word's bytes.
 */
export function encodedWordCharset(label: string, bytes: Uint8Array): string {
  const name = charsetFor(label);
  if (name) return name;
  try {
    utf8Strict.decode(bytes);
    return 'utf-8';
  } catch {
    return 'windows-1252';
  }
}

/**
 * A message's raw source as text for "View source" and the header view: line by line by the
 * fallback rule, so a header written in Latin-1 reads as it does in the reading pane even when
 * another part of the same message is valid UTF-8.
 */
export function decodeSource(bytes: Uint8Array): string {
  try {
    return utf8Strict.decode(bytes);
  } catch {
    const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
    const lines: string[] = [];
    for (let start = 0; start <= buf.length; ) {
      const lf = buf.indexOf(0x0a, start);
      const end = lf < 0 ? buf.length : lf + 1;
      lines.push(decodeUndeclared(buf.subarray(start, end)));
      if (lf < 0) break;
      start = end;
    }
    return lines.join('');
  }
}
