/**
 * Header fields read without loading libmime for ordinary mail (issue 18: libmime's import was
 * ~100 ms of CPU at every parse worker's start): a field split into name and value, RFC 2047
 * encoded words (encoded-words.ts), and structured values with RFC 2231 parameters
 * (header-params.ts). Our own readers, written from the RFCs with the leniencies real mail needs;
 * their answers are mailparser's (libmime's) for every input, and what they do not read (a charset
 * they leave to iconv-lite, overlapping words) is handed to libmime, loaded then (libmime-lazy.ts).
 * test/unit/mime-header-value.test.ts compares them with libmime on every header field of the
 * SpamAssassin corpus and tens of thousands of generated values.
 */
import { readEncodedWords } from './encoded-words.js';
import { type HeaderValue, readHeaderValue } from './header-params.js';
import { libmime } from './libmime-lazy.js';

export { DECODED_LABELS } from './encoded-words.js';
export type { HeaderValue } from './header-params.js';

/** A value's RFC 2047 encoded words decoded. */
export function decodeWords(str: string): string {
  return readEncodedWords(str) ?? libmime().decodeWords(str);
}

/** A field's lowercased name and its unfolded, trimmed value (empty both when it has no name). */
export function decodeHeader(headerLine: string): { key: string; value: string } {
  const line = headerLine.replace(/(?:\r\n|\n|\r)[ \t]*/g, ' ').trim();
  const colon = line.indexOf(':');
  // libmime takes the value to the end of a line only: a line or paragraph separator left in it means no field
  if (colon <= 0 || /[\u2028\u2029]/.test(line.slice(colon))) return { key: '', value: '' };
  return { key: line.slice(0, colon).trim().toLowerCase(), value: line.slice(colon + 1).trim() };
}

/** A structured value (`text/plain; charset=utf-8`, Content-Disposition, RFC 2231 parameters). */
export function parseHeaderValue(str: string, options?: { stripComments?: boolean }): HeaderValue {
  return readHeaderValue(str, !!options?.stripComments, decodeWords) ?? libmime().parseHeaderValue(str, options);
}
