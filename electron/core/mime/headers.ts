/**
 * The summary's header fields, read from raw header lines. The same code serves lines that
 * mailparser split and lines split here when mailparser gave up, so a broken message and a
 * healthy one are described the same way.
 */
import type * as Mailparser from 'mailparser';
import { createRequire } from 'node:module';
import type { Address, MessageSummary } from '../../../shared/messages.js';
import { encodedWordCharset } from './charset.js';
// libmime's decodeWords, as header-value.ts reproduces it
import { decodeWords as libmimeWords, parseHeaderValue } from './header-value.js';
import { bytesToText, stripControls } from './text.js';

/**
 * One header field as mailparser reports it: lowercase name, and the whole field (name, colon,
 * folding included) as a binary string, one char per byte, so undeclared 8-bit bytes survive.
 */
export interface HeaderLine {
  key: string;
  line: string;
}

export type HeaderFields = Pick<MessageSummary, 'subject' | 'from' | 'to' | 'cc' | 'date' | 'messageId' | 'inReplyTo' | 'references'>;

/** A hostile header must not turn into a megabyte of subject or a million recipients. */
const MAX_SUBJECT_CHARS = 1000;
const MAX_ADDRESSES = 1000;
const MAX_REFERENCES = 200;

/**
 * Splits the header block at the start of `buf` (which may be just a prefix of the message).
 * Forgiving where mailparser is strict: a line without a colon is skipped, a leading mbox
 * "From " line too, NUL bytes are dropped later. `bodyOffset` is where the body starts, or
 * `buf.length` when no blank line ends the header in `buf` (`ended` tells the two apart);
 * `skipped` counts the lines that were not header fields.
 */
export function splitHeader(buf: Buffer): { lines: HeaderLine[]; bodyOffset: number; ended: boolean; skipped: number } {
  let end = buf.length;
  let bodyOffset = buf.length;
  let ended = false;
  const firstLf = buf.indexOf(0x0a);
  if (firstLf === 0 || (firstLf === 1 && buf[0] === 0x0d)) {
    return { lines: [], bodyOffset: firstLf + 1, ended: true, skipped: 0 }; // starts with a blank line: no header at all
  }
  for (let i = firstLf; i >= 0; i = buf.indexOf(0x0a, i + 1)) {
    const next = buf[i + 1] === 0x0d ? i + 2 : i + 1;
    if (buf[next] === 0x0a) {
      end = i;
      bodyOffset = next + 1;
      ended = true;
      break;
    }
  }
  const lines: HeaderLine[] = [];
  let current: HeaderLine | null = null;
  let skipped = 0;
  for (const raw of buf.toString('latin1', 0, end).split(/\r?\n/)) {
    if ((raw.startsWith(' ') || raw.startsWith('\t')) && current) {
      current.line += `\r\n${raw}`;
      continue;
    }
    const colon = raw.indexOf(':');
    const key = colon > 0 ? raw.slice(0, colon).trim().toLowerCase() : '';
    if (!key || /\s/.test(key)) {
      current = null; // not a header field ("From " envelope line, garbage): skip it and its continuations
      skipped++;
      continue;
    }
    current = { key, line: raw };
    lines.push(current);
  }
  return { lines, bodyOffset, ended, skipped };
}

/** The unfolded, charset-decoded value of a field, encoded words still in place. */
export function fieldValue(h: HeaderLine): string {
  const colon = h.line.indexOf(':');
  const raw = colon >= 0 ? h.line.slice(colon + 1) : h.line;
  return stripControls(bytesToText(raw.replace(/\r?\n/g, ''))).trim();
}

function values(lines: readonly HeaderLine[], key: string): string[] {
  return lines.filter((l) => l.key === key).map(fieldValue);
}

// An encoded word: charset (with an optional RFC 2231 language), Q or B, the encoded text.
const ENCODED_WORD = /=\?([^?*\s]+)(\*[^?\s]*)?\?([QqBb])\?([^?\s]*)\?=/g;

/** The bytes an encoded word's text stands for. */
function wordBytes(encoding: string, text: string): Buffer {
  if (encoding === 'b' || encoding === 'B') return Buffer.from(text, 'base64');
  return Buffer.from(text.replace(/_/g, ' ').replace(/=([0-9A-Fa-f]{2})/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16))), 'latin1');
}

/** Each encoded word's charset as charset.ts reads it (aliases, and the fallback rule for labels that name nothing). */
function relabelWords(value: string): string {
  if (!value.includes('=?')) return value;
  return value.replace(ENCODED_WORD, (_m, label: string, lang: string | undefined, enc: string, text: string) => `=?${encodedWordCharset(label, wordBytes(enc, text))}${lang ?? ''}?${enc}?${text}?=`);
}

function decodeWords(value: string): string {
  try {
    return libmimeWords(relabelWords(value));
  } catch {
    return value; // a malformed encoded word: showing it raw beats showing nothing
  }
}

/** An address as nodemailer's addressparser gives it. */
interface ParsedAddress {
  name?: string;
  address?: string;
  group?: ParsedAddress[];
}

type AddressParser = (value: string, opts: { flatten: boolean }) => ParsedAddress[];

interface AddressModules {
  parse: AddressParser;
  /** parse's answers are decoded already (mailparser's own parseAddressHeader): decoding twice would turn "=3D=3F…" into a word. */
  parsedAreShown: boolean;
  /** punycode.js's toUnicode, loaded for the first internationalized domain. */
  toUnicode: () => (domain: string) => string;
}

let addressModules: AddressModules | null = null;

/**
 * The address parser mailparser's parseAddressHeader runs: nodemailer's addressparser, the copy
 * mailparser itself requires (it pins its own nodemailer), and punycode.js from the same place.
 * Taken on their own because mailparser's address-header module also loads `he` (HTML entities,
 * for a formatting no summary uses) and libmime, which ordinary mail does without
 * (header-value.ts): ~30 ms of every parse worker's start (issue 18). Importing mailparser itself would
 * load the whole MIME parser. Should a mailparser release move them, its index serves as before.
 */
function addressParser(): AddressModules {
  if (addressModules) return addressModules;
  const require = createRequire(import.meta.url);
  try {
    const fromMailparser = createRequire(require.resolve('mailparser'));
    const parse = fromMailparser('nodemailer/lib/addressparser') as AddressParser | { default?: AddressParser };
    const fn = typeof parse === 'function' ? parse : parse.default;
    if (typeof fn === 'function') {
      let toUnicode: ((domain: string) => string) | null = null;
      return (addressModules = {
        parse: fn,
        parsedAreShown: false,
        toUnicode: () => (toUnicode ??= (fromMailparser('punycode.js') as { toUnicode: (domain: string) => string }).toUnicode),
      });
    }
  } catch {
    // moved or renamed: mailparser's own function below
  }
  const viaIndex = (require('mailparser') as typeof Mailparser).parseAddressHeader;
  return (addressModules = { parse: (value) => viaIndex(value, { flatten: true }).value as ParsedAddress[], parsedAreShown: true, toUnicode: () => (d) => d });
}

/** An RFC 2047 encoded word, which belongs in a display name and never in an addr-spec (§5). */
const ENCODED_WORD_ANYWHERE = /=\?[^?]+\?[BbQq]\?[^?]*\?=/;
const BARE_ADDRESS = /^[^\s@]+@[^\s@]+$/;

/** A display name as shown: trimmed, its encoded words decoded (a malformed one leaves it raw). */
function shownName(raw: string | undefined): string {
  const name = String(raw ?? '').trim();
  if (!name) return name;
  try {
    return libmimeWords(name);
  } catch {
    return name;
  }
}

/**
 * An address as it may be shown. One hiding an encoded word (a sender's trick to make a name look
 * like an address) counts only if it decodes to a bare local@domain, and is dropped otherwise; a
 * domain in punycode (xn--) is shown in Unicode, or as written when it is not valid punycode.
 */
function shownAddress(address: string, toUnicode: AddressModules['toUnicode']): string {
  let shown = address;
  if (ENCODED_WORD_ANYWHERE.test(shown)) {
    let decoded = '';
    try {
      decoded = libmimeWords(shown);
    } catch {
      // undecodable: no address
    }
    shown = BARE_ADDRESS.test(decoded) && !decoded.includes('=?') ? decoded : '';
  }
  if (!shown.includes('@xn--')) return shown;
  const domainAt = shown.lastIndexOf('@') + 1;
  try {
    return shown.slice(0, domainAt) + toUnicode()(shown.slice(domainAt));
  } catch {
    return shown;
  }
}

/**
 * The addresses addressparser found, as a summary shows them (names, addresses and groups' members
 * decoded by the rules above). The answers are mailparser's parseAddressHeader's, which the
 * summaries used before: test/unit/mime-addresses-corpus.test.ts compares every SpamAssassin
 * message's fields and the hard cases, mime-addresses-fast.test.ts 25,000 generated ones.
 */
function shownAddresses(list: readonly ParsedAddress[], toUnicode: AddressModules['toUnicode']): ParsedAddress[] {
  return list.map((a) => ({
    ...a,
    name: shownName(a.name),
    ...(a.address ? { address: shownAddress(a.address, toUnicode) } : {}),
    ...(a.group ? { group: shownAddresses(a.group, toUnicode) } : {}),
  }));
}

// The shapes nearly every address field has, and nothing else: `a@b.c`, `<a@b.c>`, `Name <a@b.c>`
// and `"Last, First" <a@b.c>` (a name of single-spaced words of letters and digits or encoded
// words), comma-separated. addressparser gives each its name and address as written; anything
// else (comments, groups, quotes inside quotes, odd spacing) goes to addressparser.
const ADDR = '[A-Za-z0-9_+-]+(?:\\.[A-Za-z0-9_+-]+)*@[A-Za-z0-9-]+(?:\\.[A-Za-z0-9-]+)*';
const NAME_WORD = '(?:[A-Za-z0-9]+|=\\?[A-Za-z0-9_-]+\\?[QqBb]\\?[A-Za-z0-9=_+/-]*\\?=)';
const NAME = `${NAME_WORD}(?: ${NAME_WORD})*`;
const SIMPLE_ADDRESS = new RegExp(`^(?:(${ADDR})|(?:(${NAME})|"([A-Za-z0-9]+(?:,? [A-Za-z0-9]+)*)") ?<(${ADDR})>|<(${ADDR})>)$`);

/** A long field (a list of hundreds) is left to addressparser: the shapes of ordinary mail are short. */
const SIMPLE_MAX = 4096;

/** addressparser's answer for a field of simple shapes only (SIMPLE_ADDRESS), else null. */
function simpleAddresses(value: string): ParsedAddress[] | null {
  if (value.length > SIMPLE_MAX) return null;
  const out: ParsedAddress[] = [];
  let quoted = false;
  let from = 0;
  for (let i = 0; i <= value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 0x22) quoted = !quoted;
    // A comma inside quotes is part of a name, not a separator.
    if (i < value.length && (c !== 0x2c || quoted)) continue;
    const m = SIMPLE_ADDRESS.exec(value.slice(from, i).trim());
    if (!m) return null;
    out.push({ address: m[1] ?? m[4] ?? m[5]!, name: m[2] ?? m[3] ?? '' });
    from = i + 1;
  }
  return out;
}

/** mailparser's parseAddressHeader(values, { flatten: true }).value. */
export function parseAddressValues(values: readonly string[]): ParsedAddress[] {
  const { parse, parsedAreShown, toUnicode } = addressParser();
  const out: ParsedAddress[] = [];
  for (const value of values) {
    if (typeof value !== 'string' || !value) continue;
    const simple = simpleAddresses(value);
    if (simple) out.push(...shownAddresses(simple, toUnicode));
    else if (parsedAreShown) out.push(...parse(value, { flatten: true }));
    else out.push(...shownAddresses(parse(value, { flatten: true }), toUnicode));
  }
  return out;
}

function addresses(raw: string[]): Address[] {
  if (raw.length === 0) return [];
  // Loaded outside the try: a parser that cannot be loaded (a packaging slip) is an error that
  // shows, not every sender's address silently empty (review of 574e0c8).
  addressParser();
  let parsed;
  try {
    parsed = parseAddressValues(raw.map(relabelWords));
  } catch {
    return raw.map((r) => ({ name: decodeWords(r), address: '' }));
  }
  const out: Address[] = [];
  for (const a of parsed) {
    const name = stripControls(a.name ?? '').trim();
    const address = stripControls(a.address ?? '').trim();
    if (name || address) out.push({ name, address });
    if (out.length >= MAX_ADDRESSES) break;
  }
  return out;
}

/**
 * Message-IDs in angle brackets. A bare id without brackets (seen from old mailers) is
 * accepted when it looks like one, so threading still works for it.
 */
export function messageIds(value: string): string[] {
  const bracketed = value.match(/<[^<>]+>/g);
  if (bracketed) return bracketed.map((id) => id.replace(/\s+/g, ''));
  // Only a value that is nothing but ids: "ann@example.org's message of …" (Emacs, VM) names a
  // person, and taken as an id it would join every reply to her into one thread.
  const tokens = value.split(/[\s,]+/).filter((t) => t !== '');
  return tokens.every((t) => /^[^@\s"'()]+@[^@\s"'()]+$/.test(t)) ? tokens.map((t) => `<${t}>`) : [];
}

/**
 * The message an In-Reply-To names. Some mailers write the sender's address in front of it
 * (exmh: `Message from Ann <ann@example.org> of "Thu, 29 Aug 2002." <id@host>`): the id is the
 * last one, once comments ("(Ann's message of …)") are out of the way.
 */
export function inReplyToId(value: string): string | null {
  const ids = messageIds(value.replace(/\([^()]*\)/g, ' '));
  return ids[ids.length - 1] ?? null;
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

/**
 * "Fri, 30 Aug 02 21:48:08 Eastern Daylight Time", "+-0500", "0102" (a y2k bug's 102), one-digit
 * hours, test names pasted after the zone: day, month, year and time are read, a numeric zone
 * is used, and a zone that cannot be read counts as UTC (RFC 5322 §4.3, and GMime, so notmuch
 * agrees). A two-digit year is 2000+ below 50, else 1900+; a three-digit year is 1900+ (§4.3).
 */
function brokenDate(v: string): number {
  const m = /^(?:[A-Za-z]+,?\s*)?(\d{1,2})[\s-]+([A-Za-z]{3})[A-Za-z]*\.?[\s-]+(\d{2,4})\s+(\d{1,2}):(\d{1,2})(?::(\d{1,2}))?(?:\s+([+-]\d{4})(?![\d]))?/.exec(v);
  const month = m ? MONTHS.indexOf(m[2]!.toLowerCase()) : -1;
  if (!m || month < 0) return NaN;
  let year = Number(m[3]);
  if (m[3]!.length === 2) year += year < 50 ? 2000 : 1900;
  else if (year < 1000) year += 1900;
  const [day, h, min, s] = [Number(m[1]), Number(m[4]), Number(m[5]), Number(m[6] ?? 0)];
  if (day < 1 || day > 31 || h > 23 || min > 59 || s > 60) return NaN;
  const zone = m[7] ? (m[7].startsWith('-') ? -1 : 1) * (Number(m[7].slice(1, 3)) * 60 + Number(m[7].slice(3))) : 0;
  const t = Date.UTC(year, month, day, h, min, s) - zone * 60_000;
  return new Date(Date.UTC(year, month, day)).getUTCDate() === day ? t : NaN;
}

/**
 * RFC 5322 dates and the usual deviations (comments, missing weekday, two-digit years) as an
 * ISO string; null rather than a guess when it cannot be read, because mailparser's own
 * fallback ("now") would sort a broken message to the top of the inbox forever.
 */
export function parseDate(value: string): string | null {
  const v = value.replace(/\([^()]*\)/g, ' ').replace(/\s+/g, ' ').trim();
  if (!v) return null;
  let t = Date.parse(v);
  if (Number.isNaN(t)) t = Date.parse(v.replace(/^[A-Za-z]+,?\s*/, ''));
  const plausible = (ms: number): boolean => Number.isFinite(ms) && new Date(ms).getUTCFullYear() >= 1900 && new Date(ms).getUTCFullYear() <= 9999;
  if (!plausible(t)) t = brokenDate(v);
  return plausible(t) ? new Date(t).toISOString() : null;
}

export function headerFields(lines: readonly HeaderLine[]): HeaderFields {
  const first = (key: string): string | undefined => values(lines, key)[0];
  const subject = stripControls(decodeWords(first('subject') ?? ''))
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, MAX_SUBJECT_CHARS);
  const dateValue = first('date');
  let references = values(lines, 'references').flatMap(messageIds);
  if (references.length > MAX_REFERENCES) {
    // Threading needs the root (first) and the parent (last); the middle is expendable.
    references = [references[0] as string, ...references.slice(-(MAX_REFERENCES - 1))];
  }
  const fromValue = first('from');
  return {
    subject,
    from: addresses(fromValue === undefined ? [] : [fromValue]),
    to: addresses(values(lines, 'to')),
    cc: addresses(values(lines, 'cc')),
    date: dateValue === undefined ? null : parseDate(dateValue),
    messageId: messageIds(first('message-id') ?? '')[0] ?? null,
    inReplyTo: inReplyToId(first('in-reply-to') ?? ''),
    references,
  };
}

export interface ContentType {
  /** Lower case, e.g. text/plain; text/plain when absent or unreadable (RFC 2045 §5.2). */
  type: string;
  params: Record<string, string>;
}

/** The Content-Type of a header block, as its type and parameters. */
export function contentTypeOf(lines: readonly HeaderLine[]): ContentType {
  const line = lines.find((l) => l.key === 'content-type');
  if (!line) return { type: 'text/plain', params: {} };
  try {
    const parsed = parseHeaderValue(fieldValue(line));
    return { type: String(parsed.value).toLowerCase().trim() || 'text/plain', params: parsed.params };
  } catch {
    return { type: 'text/plain', params: {} };
  }
}
