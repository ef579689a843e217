/**
 * libmime's header readers (decodeHeader, decodeWords, parseHeaderValue) without loading libmime
 * for ordinary mail (issue 18: libmime's import was ~100 ms of CPU at every parse worker's start).
 * Each is libmime 5.6's code, copied step for step, with one limit: encoded words are decoded here
 * only in UTF-8 and in the single-byte charsets charset.ts decodes as iconv-lite does (windows-1252,
 * which is what libmime makes of US-ASCII and Latin-1 too, ISO-8859-x, KOI8, windows-125x). Any
 * other input (another charset, libmime's own join marker) is handed to libmime, loaded then
 * (libmime-lazy.ts), so the answer is libmime's for every input: test/unit/mime-header-value.test.ts
 * compares every header field of the SpamAssassin corpus and tens of thousands of generated values.
 *
 * Ported from libmime (https://github.com/nodemailer/libmime), Copyright (c) 2014-2016 Andris
 * Reinman, MIT License (node_modules/libmime/LICENSE has its full text). To be replaced by a reader
 * of our own from RFC 2045/2047/2231, proven equal by the same tests.
 */
import { iconvSingleByte } from './charset.js';
import { libmime } from './libmime-lazy.js';
import { decodeHexEscapes } from './part-text.js';

/** Thrown inside when an input is outside what the copies here are sure of; never escapes this module. */
const UNSURE = new Error('left to libmime');

// libmime's normalizeCharset for the labels decoded here (lowercased and trimmed), and for the
// names it gives them: the charsets charset.ts decodes as iconv-lite does, UTF-8, and the spellings
// of US-ASCII and Latin-1 that libmime reads as windows-1252. The test checks each label.
const SINGLE_BYTE: [string, string][] = [
  ...['2', '3', '4', '5', '6', '7', '8', '10', '13', '14', '15'].map((n): [string, string] => [`iso-8859-${n}`, `ISO-8859-${n}`]),
  ['iso-8859-8-i', 'ISO-8859-8'],
  ['koi8-r', 'KOI8-R'],
  ['koi8-u', 'KOI8-U'],
  ...['1250', '1251', '1252', '1254', '1256', '1257', '1258'].map((n): [string, string] => [`windows-${n}`, `windows-${n}`]),
];
const CHARSETS = new Map<string, string>([
  ['utf-8', 'UTF-8'],
  ['utf8', 'UTF-8'],
  ...['us-ascii', 'ascii', 'iso-8859-1', 'iso8859-1', 'iso_8859-1', 'latin1', 'cp1252'].map((label): [string, string] => [label, 'windows-1252']),
  ...SINGLE_BYTE,
]);
/** The labels decoded here; a test reads them. */
export const DECODED_LABELS: readonly string[] = [...CHARSETS.keys()];

function normalizeCharset(label: string): string {
  // libmime reads a missing (empty) label as UTF-8.
  if (label === '') return 'UTF-8';
  const name = CHARSETS.get(label.toLowerCase().trim());
  if (name === undefined) throw UNSURE;
  return name;
}

function decodeBytes(bytes: Buffer, name: string): string {
  if (name === 'UTF-8') return bytes.toString('utf-8');
  // ISO-8859-8 is what libmime names iso-8859-8-i too; the two decode alike.
  const text = iconvSingleByte(bytes, name.toLowerCase());
  if (text === null) throw UNSURE;
  return text;
}

/** libmime's Q decoding of an encoded word's text (spaces after "=" dropped, "_" and whitespace as spaces). */
function qBytes(text: string): Buffer {
  return decodeHexEscapes(Buffer.from(text.replace(/=\s+([0-9a-fA-F])/g, '=$1').replace(/[_\s]/g, ' ')));
}

/**
 * libbase64's decode (1.4): characters beyond Latin-1 skipped, and text padded in the middle (two
 * joined words) decoded segment by segment, where Buffer alone would stop at the first "=".
 */
function bBytes(input: string): Buffer {
  // eslint-disable-next-line no-control-regex -- the Latin-1 range
  const text = /[^\u0000-\u00ff]/.test(input) ? input.replace(/[^\u0000-\u00ff]+/g, '') : input;
  const padPos = text.indexOf('=');
  if (padPos < 0 || !/[a-zA-Z0-9+/\-_]/.test(text.slice(padPos))) return Buffer.from(text, 'base64');
  const output = Buffer.alloc(Math.floor((text.length * 3) / 4));
  let length = 0;
  for (let start = 0; start <= text.length; ) {
    let end = text.indexOf('=', start);
    if (end < 0) end = text.length;
    if (end > start) length += output.write(text.substring(start, end), length, 'base64');
    start = end + 1;
  }
  return Buffer.from(output.subarray(0, length));
}

/** libmime's decodeWord: one encoded word's charset (an RFC 2231 language cut off), encoding and text. */
function decodeWord(charset: string, encoding: string, text: string): string {
  const star = charset.indexOf('*');
  const name = normalizeCharset(star >= 0 ? charset.substring(0, star) : charset);
  const enc = encoding.toUpperCase();
  const bytes = enc === 'Q' ? qBytes(text) : enc === 'B' ? bBytes(text) : Buffer.from(text);
  return decodeBytes(bytes, name);
}

/** The marker libmime's decodeWords puts between words it joins (and removes wherever it finds it). */
const JOIN = '__\x00JOIN\x00__';

const sameCharset = (a: string, b: string): boolean => a === b || normalizeCharset(a) === normalizeCharset(b);

function decodeWordsHere(str: string): string {
  return (
    str
      // adjacent base64 words of one charset are joined before decoding (a character may be split between them)
      .replace(/(=\?([^?]+)\?[Bb]\?[^?]*\?=)\s*(?==\?([^?]+)\?[Bb]\?[^?]*\?=)/g, (match, left: string, chLeft: string, chRight: string) =>
        sameCharset(chLeft || '', chRight || '') ? left + JOIN : match,
      )
      .replace(/(=\?([^?]+)\?[Qq]\?[^?]*\?=)\s*(?==\?([^?]+)\?[Qq]\?[^?]*\?=)/g, (match, left: string, chLeft: string, chRight: string) =>
        sameCharset(chLeft || '', chRight || '') ? left + JOIN : match,
      )
      // eslint-disable-next-line no-control-regex -- libmime's join marker holds NULs
      .replace(/(\?=)?__\x00JOIN\x00__(=\?([^?]+)\?[QqBb]\?)?/g, '')
      // whitespace between encoded words is not part of the text
      .replace(/(=\?[^?]+\?[QqBb]\?[^?]*\?=)\s+(?==\?[^?]+\?[QqBb]\?[^?]*\?=)/g, '$1')
      .replace(/=\?([\w_\-*]+)\?([QqBb])\?([^?]*)\?=/g, (_m, charset: string, encoding: string, text: string) => decodeWord(charset, encoding, text))
  );
}

/** libmime's decodeWords: a value's RFC 2047 encoded words decoded (may throw where libmime throws). */
export function decodeWords(str: string): string {
  const marked = str.includes(JOIN);
  if (!marked && !str.includes('=?')) return str;
  if (!marked) {
    try {
      return decodeWordsHere(str);
    } catch (e) {
      if (e !== UNSURE) throw e;
    }
  }
  return libmime().decodeWords(str);
}

/** libmime's decodeHeader: a field's lowercased name and its unfolded, trimmed value. */
export function decodeHeader(headerLine: string): { key: string; value: string } {
  const line = headerLine.replace(/(?:\r?\n|\r)[ \t]*/g, ' ').trim();
  const match = /^\s*([^:]+):(.*)$/.exec(line);
  return { key: (match?.[1] || '').trim().toLowerCase(), value: (match?.[2] || '').trim() };
}

/** A structured header value: the value before the parameters, and the parameters by lowercased name. */
export interface HeaderValue {
  value: string;
  params: Record<string, string>;
  /**
   * The params assembled from RFC 2231 forms (name*=, name*0=, name*0*=): already decoded, so a
   * caller that runs decodeWords over the params leaves these out, as mailparser does. Non-enumerable,
   * as in libmime, so the {value, params} shape stays as it is.
   */
  readonly decodedParams: string[];
}

/** Where the comment opening at `start` closes (comments nest, "\" escapes), or -1. */
function findCommentEnd(str: string, start: number): number {
  let depth = 0;
  for (let i = start, len = str.length; i < len; i++) {
    const chr = str.charAt(i);
    if (chr === '\\') i++;
    else if (chr === '(') depth++;
    else if (chr === ')' && --depth === 0) return i;
  }
  return -1;
}

/** An own property even for the key "__proto__" (a plain assignment would set the prototype). */
function setOwn(obj: Record<string, string>, key: string, value: string): void {
  if (key === '__proto__') Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true });
  else obj[key] = value;
}

const isWSP = (chr: string): boolean => chr === ' ' || chr === '\t' || chr === '\r' || chr === '\n' || chr === '\f' || chr === '\v';

const STAGE_KEY = 1;
const STAGE_VALUE = 2;

function parseHere(str: string, stripCommentsOption: boolean): HeaderValue {
  let stripComments = stripCommentsOption;
  const response = { value: '', params: {} } as HeaderValue;
  Object.defineProperty(response, 'decodedParams', { value: [], writable: true, enumerable: false, configurable: true });
  let key: string | false = false;
  let value = '';
  // Whitespace outside quotes is not part of the value: the significant part ends here.
  let valueEnd = 0;
  let stage = STAGE_VALUE;
  let quote = false;
  let quoteClosed = false;
  let escaped = false;
  // Whether a "(" continues a parameter's unquoted token (`filename=Invoice(1).pdf`) instead of opening a comment.
  let tokenOpen = false;
  const commit = (): void => {
    const collected = value.substring(0, valueEnd);
    value = '';
    valueEnd = 0;
    if (stage === STAGE_KEY) {
      const name = collected.toLowerCase();
      if (name && !Object.hasOwn(response.params, name)) setOwn(response.params, name, '');
    } else if (key === false) {
      response.value = collected;
    } else if (!Object.hasOwn(response.params, key)) {
      // a parameter given twice keeps its first value
      setOwn(response.params, key, collected);
    }
  };
  for (let i = 0, len = str.length; i < len; i++) {
    const chr = str.charAt(i);
    if (stripComments && chr === '(' && !quote && !escaped && !tokenOpen) {
      let end = findCommentEnd(str, i);
      // An unclosed comment runs to the end, unless a parameter follows it (then it is content).
      if (end < 0 && str.indexOf(';', i) < 0) end = len - 1;
      if (end >= 0) {
        i = end;
        continue;
      }
      stripComments = false;
    }
    if (stage === STAGE_KEY) {
      if (chr === '=') {
        key = value.substring(0, valueEnd).toLowerCase();
        value = '';
        valueEnd = 0;
        stage = STAGE_VALUE;
        tokenOpen = true;
      } else if (chr === ';') {
        commit();
      } else if (isWSP(chr)) {
        if (value.length) value += chr;
      } else {
        value += chr;
        valueEnd = value.length;
      }
      continue;
    }
    // STAGE_VALUE
    if (quoteClosed && chr !== ';') {
      // what follows a closed quoted string up to the ";" is junk
      escaped = false;
      continue;
    }
    if (escaped) {
      value += chr;
      valueEnd = value.length;
      tokenOpen = key !== false && !quote;
    } else if (chr === '\\') {
      escaped = true;
      continue;
    } else if (chr === '"') {
      quoteClosed = quote;
      quote = !quote;
      tokenOpen = false;
    } else if (!quote && chr === ';') {
      commit();
      stage = STAGE_KEY;
      tokenOpen = false;
      quoteClosed = false;
    } else if (!quote && isWSP(chr)) {
      if (value.length) value += chr;
      tokenOpen = false;
    } else {
      value += chr;
      valueEnd = value.length;
      tokenOpen = key !== false && !quote;
    }
    escaped = false;
  }
  commit();

  // RFC 2231 continuations (name*0, name*1*, name*=charset'lang'value), assembled apart so that
  // half a value never shows.
  const continuations = new Map<string, { charset: string | false; values: { nr: number; value: string }[] }>();
  for (const name of Object.keys(response.params)) {
    const match = /\*((\d+)\*?)?$/.exec(name);
    if (!match) continue;
    const actualKey = name.substring(0, match.index).toLowerCase();
    const nr = Number(match[2]) || 0;
    let part = response.params[name] as string;
    delete response.params[name];
    let continuation = continuations.get(actualKey);
    if (!continuation) {
      continuation = { charset: false, values: [] };
      continuations.set(actualKey, continuation);
    }
    const extended = nr === 0 && match[0].charAt(match[0].length - 1) === '*' ? /^([^']*)'[^']*'(.*)$/.exec(part) : null;
    if (extended) {
      continuation.charset = extended[1] || 'utf-8';
      part = extended[2] as string;
    }
    continuation.values.push({ nr, value: part });
  }
  for (const [name, continuation] of continuations) {
    const joined = continuation.values
      .sort((a, b) => a.nr - b.nr)
      .map((v) => v.value)
      .join('');
    // decoded once here, both ways: decoding it again would turn a percent-encoded "=?utf-8?Q?=2Eexe?=" into ".exe"
    response.decodedParams.push(name);
    if (!continuation.charset) {
      setOwn(response.params, name, decodeWords(joined));
      continue;
    }
    // "%AB" as the quoted-printable "=AB", decoded in the parameter's charset
    const qp = joined
      .replace(/[=_\s]/g, (s) => {
        if (s === ' ') return '_';
        const c = s.charCodeAt(0).toString(16);
        return `%${c.length < 2 ? '0' : ''}${c}`;
      })
      .replace(/%/g, '=');
    setOwn(response.params, name, decodeWord(continuation.charset, 'Q', qp));
  }
  return response;
}

/** libmime's parseHeaderValue (`text/plain; charset=utf-8`, Content-Disposition, RFC 2231 parameters). */
export function parseHeaderValue(str: string, options?: { stripComments?: boolean }): HeaderValue {
  try {
    return parseHere(str, !!options?.stripComments);
  } catch (e) {
    if (e !== UNSURE) throw e;
  }
  return libmime().parseHeaderValue(str, options);
}
