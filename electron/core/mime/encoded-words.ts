/**
 * RFC 2047 encoded words (`=?charset?Q|B?text?=`) read into text, for the charsets read here
 * without libmime: UTF-8 and the single-byte ones charset.ts decodes. The answer must be the one
 * mailparser shows (it decodes with libmime), so the lenient rules real mail needs are libmime's:
 *
 * - Words side by side (nothing but whitespace between them) form a run, and the whitespace
 *   inside a run is not text (RFC 2047 §6.2). "Whitespace" is any JavaScript white space,
 *   NBSP and U+2028 included, as the text may come from UTF-8 header bytes.
 * - Inside a run, neighbours of one encoding whose charsets name one decoder are one word: their
 *   encoded texts are joined before decoding, as senders split a character (or a Q escape)
 *   between two words although §5 forbids it.
 * - A charset label may carry anything but "?" and still delimit a word; only a word whose label
 *   is a token (letters, digits, "_", "-", "*") is decoded, the others stay as they are. An
 *   RFC 2231 language ("utf-8*en") is cut off.
 * - Q: "_" and any whitespace read as a space; whitespace between "=" and a hex digit is a fold
 *   inside the word and dropped; an "=" without two hex digits stays as it is.
 * - B: characters beyond Latin-1 are skipped; padding may stand inside the text (two words
 *   joined), so each padded piece is decoded on its own.
 *
 * Every reader here answers null for input it leaves to libmime: a charset label it does not
 * know, words that overlap (an "=?" that starts a word inside another word), or libmime's own
 * join marker (NULs around "JOIN", never seen in mail), which libmime removes wherever it is.
 */
import { iconvSingleByte } from './charset.js';
import { decodeHexEscapes } from './part-text.js';

/**
 * The charset labels read here (lowercased, trimmed) and the decoder each names, as libmime names
 * it: US-ASCII and Latin-1 are windows-1252 to it (as to WHATWG), ISO-8859-8-I is ISO-8859-8.
 * Two words are joined only when their labels name the same decoder.
 */
const DECODERS: ReadonlyMap<string, string> = (() => {
  const map = new Map<string, string>([
    ['utf-8', 'utf-8'],
    ['utf8', 'utf-8'],
    ['iso-8859-8-i', 'iso-8859-8'],
    ['koi8-r', 'koi8-r'],
    ['koi8-u', 'koi8-u'],
  ]);
  for (const label of ['windows-1252', 'cp1252', 'us-ascii', 'ascii', 'iso-8859-1', 'iso8859-1', 'iso_8859-1', 'latin1']) map.set(label, 'windows-1252');
  for (const part of [2, 3, 4, 5, 6, 7, 8, 10, 13, 14, 15]) map.set(`iso-8859-${part}`, `iso-8859-${part}`);
  for (const page of [1250, 1251, 1254, 1256, 1257, 1258]) map.set(`windows-${page}`, `windows-${page}`);
  return map;
})();

/** The labels read here; the tests decode every byte in each of them. */
export const DECODED_LABELS: readonly string[] = [...DECODERS.keys()];

/** The decoder a label names, or null when it is not one read here. No label at all means UTF-8. */
function decoderFor(label: string): string | null {
  if (label === '') return 'utf-8';
  return DECODERS.get(label.toLowerCase().trim()) ?? null;
}

/** The decoder a label names when an RFC 2231 language may follow it ("utf-8*en"), or null. */
export function decoderWithLanguage(label: string): string | null {
  const language = label.indexOf('*');
  return decoderFor(language < 0 ? label : label.slice(0, language));
}

/** Bytes as text in one of the decoders above (null if a Node without that converter). */
export function bytesAsText(bytes: Buffer, decoder: string): string | null {
  return decoder === 'utf-8' ? bytes.toString('utf-8') : iconvSingleByte(bytes, decoder);
}

const WHITE = /\s/;
const isWhite = (ch: string): boolean => ch !== '' && WHITE.test(ch);
const isHexDigit = (ch: string): boolean => (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F');

/** The bytes a Q-encoded text stands for (RFC 2047 §4.2, with the leniencies above). */
function bytesOfQ(text: string): Buffer {
  let plain = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text.charAt(i);
    if (ch === '=') {
      let next = i + 1;
      while (isWhite(text.charAt(next))) next++;
      // a fold between "=" and its hex digits
      if (next > i + 1 && isHexDigit(text.charAt(next))) i = next - 1;
      plain += '=';
    } else {
      plain += ch === '_' || isWhite(ch) ? ' ' : ch;
    }
  }
  return decodeHexEscapes(Buffer.from(plain));
}

/** The bytes a B-encoded text stands for (RFC 2047 §4.1, with the leniencies above). */
function bytesOfB(text: string): Buffer {
  // eslint-disable-next-line no-control-regex -- everything beyond Latin-1
  const latin = text.replace(/[^\u0000-\u00ff]+/g, '');
  if (!latin.includes('=')) return Buffer.from(latin, 'base64');
  const pieces: Buffer[] = [];
  for (const piece of latin.split('=')) if (piece) pieces.push(Buffer.from(piece, 'base64'));
  return Buffer.concat(pieces);
}

/** One word's text (Q or B) decoded, or null when its charset is not read here. */
function decodeWordText(label: string, encoding: string, text: string): string | null {
  const decoder = decoderWithLanguage(label);
  if (decoder === null) return null;
  return bytesAsText(encoding === 'Q' || encoding === 'q' ? bytesOfQ(text) : bytesOfB(text), decoder);
}

/** An encoded word as found in a value: where it stands and its three fields. */
interface Word {
  start: number;
  end: number;
  label: string;
  encoding: string;
  text: string;
}

/** The encoded word starting at `at` (which holds "=?"), or null if none does. */
function wordAt(value: string, at: number): Word | null {
  const afterLabel = value.indexOf('?', at + 2);
  if (afterLabel <= at + 2) return null;
  const encoding = value.charAt(afterLabel + 1);
  if (!(encoding === 'Q' || encoding === 'q' || encoding === 'B' || encoding === 'b') || value.charAt(afterLabel + 2) !== '?') return null;
  const afterText = value.indexOf('?', afterLabel + 3);
  if (afterText < 0 || value.charAt(afterText + 1) !== '=') return null;
  return { start: at, end: afterText + 2, label: value.slice(at + 2, afterLabel), encoding, text: value.slice(afterLabel + 3, afterText) };
}

/** Every encoded word in the value, in order; null if two overlap. */
function findWords(value: string): Word[] | null {
  const words: Word[] = [];
  let end = 0;
  for (let at = value.indexOf('=?'); at >= 0; at = value.indexOf('=?', at + 1)) {
    const word = wordAt(value, at);
    if (!word) continue;
    if (word.start < end) return null;
    words.push(word);
    end = word.end;
  }
  return words;
}

function onlyWhite(value: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (!isWhite(value.charAt(i))) return false;
  return true;
}

/** Whether two neighbouring words are read as one; null when a label is not one read here. */
function readAsOne(left: Word, right: Word): boolean | null {
  if (left.encoding.toUpperCase() !== right.encoding.toUpperCase()) return false;
  if (left.label === right.label) return true;
  const a = decoderFor(left.label);
  const b = decoderFor(right.label);
  return a === null || b === null ? null : a === b;
}

const TOKEN_LABEL = /^[\w*-]+$/;

/** A (possibly joined) word as text: decoded when its label is a token, else as written. */
function wordAsText(word: Word): string | null {
  if (!TOKEN_LABEL.test(word.label)) return `=?${word.label}?${word.encoding}?${word.text}?=`;
  return decodeWordText(word.label, word.encoding, word.text);
}

/** libmime joins neighbouring words with this marker, and reads one found in the input as its own. */
const LIBMIME_JOIN_MARKER = '__\x00JOIN\x00__';

/** The value with its encoded words decoded, or null when it is left to libmime. */
export function readEncodedWords(value: string): string | null {
  if (value.includes(LIBMIME_JOIN_MARKER)) return null;
  const words = findWords(value);
  if (words === null) return null;
  if (words.length === 0) return value;
  let out = value.slice(0, (words[0] as Word).start);
  // the word being built from neighbours read as one
  let current = { ...(words[0] as Word) };
  for (let i = 1; i <= words.length; i++) {
    const next = words[i];
    const adjacent = next !== undefined && onlyWhite(value, current.end, next.start);
    if (next && adjacent) {
      const one = readAsOne(words[i - 1] as Word, next);
      if (one === null) return null;
      if (one) {
        current.text += next.text;
        current.end = next.end;
        continue;
      }
    }
    const text = wordAsText(current);
    if (text === null) return null;
    out += text;
    // whitespace between words of one run is dropped; anything else stays
    if (!adjacent) out += value.slice(current.end, next ? next.start : value.length);
    if (next) current = { ...next };
  }
  return out;
}
