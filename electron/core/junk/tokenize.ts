/**
 * Turns a raw RFC 822 message into the set of tokens the junk filter weighs. Header tokens carry
 * the header's name as a prefix ("subject:free" is not "free" in the body), body tokens come from
 * every text part decoded by the same MIME helpers the reading pane uses (HTML read as text), and
 * URLs give their host and its parent domains. Everything is bounded (bytes read, parts walked,
 * tokens kept, token length) so hostile mail costs no more than ordinary mail. Pure: no disk.
 */
import * as libmime from '../mime/header-value.js';
import { contentTypeOf, fieldValue, splitHeader, type HeaderLine } from '../mime/headers.js';
import { decodeTextPart } from '../mime/part-text.js';
import { htmlToText } from '../mime/text.js';

/** Bytes of a message looked at: a megabyte holds the text of nearly any mail; attachments add nothing. */
export const MAX_MESSAGE_BYTES = 1024 * 1024;
/** Raw bytes of one text part decoded. */
const MAX_PART_BYTES = 128 * 1024;
/** Distinct tokens kept per message: enough for a long newsletter, bounded for a hostile one. */
export const MAX_TOKENS = 3000;
/**
 * Bytes of the header block tokenized, and of each Received value: ordinary mail has a few KB of
 * header, while a hostile one (65,000 short fields, a megabyte of Received hosts) would otherwise
 * cost a second per message. 32 KB: the largest header block in the SpamAssassin corpus is 15 KB,
 * and today's mail with ARC/DKIM chains and a dozen relays stays under 32 KB; a hostile header
 * costs half what 64 KB did.
 */
export const MAX_HEADER_BYTES = 32 * 1024;
export const MAX_RECEIVED_BYTES = 8 * 1024;
const MAX_PARTS = 64;
const MAX_DEPTH = 6;
/** Word lengths kept as words; longer runs (base64 left in a body, hashes) become one "long" token by length. */
const MIN_WORD = 3;
export const MAX_WORD = 30;

/** Headers whose words are tokens, each under its own prefix. */
const WORD_HEADERS = new Map([
  ['subject', 'subject'],
  ['from', 'from'],
  ['reply-to', 'reply-to'],
  ['to', 'to'],
  ['cc', 'cc'],
  ['x-mailer', 'x-mailer'],
  ['user-agent', 'x-mailer'],
  ['organization', 'org'],
  ['content-type', 'ct'],
  ['authentication-results', 'auth'],
  ['list-id', 'list-id'],
]);

/** Headers whose presence alone says something (bulk mailers, mailing lists, MUAs). */
const PRESENCE_HEADERS = new Set([
  'list-id', 'list-unsubscribe', 'x-mailer', 'user-agent', 'in-reply-to', 'references', 'x-priority', 'x-msmail-priority',
  'mime-version', 'organization', 'x-mailing-list', 'precedence', 'x-originating-ip', 'reply-to', 'errors-to', 'x-beenthere',
]);

const WORD_RE = /[\p{L}\p{N}][\p{L}\p{N}'$_.-]*[\p{L}\p{N}$]|[\p{L}\p{N}$]/gu;
const URL_RE = /\b(?:https?|ftp):\/\/([a-z0-9.-]{1,253})(?::\d+)?([^\s"'<>]*)/giu;
const EMAIL_RE = /[a-z0-9._%+-]{1,64}@([a-z0-9-]{1,63}(?:\.[a-z0-9-]{1,63})+)/giu;
const HOST_RE = /\b[a-z0-9-]{1,63}(?:\.[a-z0-9-]{1,63})+\b/giu;
const IP_RE = /\[(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.\d{1,3}\]/g;

const CJK_RE = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]/u;
const isDigit = (c: number) => c >= 0x30 && c <= 0x39;

/** How much of a message the tokenizer looked at: the bound that keeps hostile mail cheap, counted rather than timed. */
export interface TokenizeWork {
  /** Characters of header fields read. */
  headerChars: number;
  /** Matches examined in header fields (hosts, addresses, networks). */
  headerMatches: number;
}

class Tokens {
  readonly set = new Set<string>();
  readonly work: TokenizeWork = { headerChars: 0, headerMatches: 0 };
  full(): boolean {
    return this.set.size >= MAX_TOKENS;
  }
  add(token: string): void {
    if (this.set.size < MAX_TOKENS) this.set.add(token);
  }
  /** Words of `text` under `prefix` ('' for the body). */
  words(text: string, prefix: string): void {
    WORD_RE.lastIndex = 0;
    const lower = text.toLowerCase();
    for (let m = WORD_RE.exec(lower); m && !this.full(); m = WORD_RE.exec(lower)) {
      const w = m[0];
      if (CJK_RE.test(w)) {
        this.cjk(w, prefix);
        continue;
      }
      if (w.length < MIN_WORD) continue;
      // A long run is kept as its kind and rough length: one token per 10 characters of length.
      if (w.length > MAX_WORD) this.add(`${prefix}long:${w[0]}:${Math.min(10, Math.floor(w.length / 10))}`);
      else if (w.length > 4 && isDigit(w.charCodeAt(0)) && /^\d+$/.test(w)) this.add(`${prefix}num:${w.length}`);
      else this.add(prefix + w);
    }
  }
  /**
   * Chinese and Japanese are written without spaces, so a "word" would be a whole clause: each
   * run of their characters gives its overlapping pairs instead (as CJK search engines index).
   */
  cjk(run: string, prefix: string): void {
    const chars = [...run];
    for (let i = 0; i < chars.length && !this.full(); i++) {
      if (i + 1 < chars.length) this.add(`${prefix}${chars[i]}${chars[i + 1]}`);
      else if (chars.length === 1) this.add(`${prefix}${chars[i]}`);
    }
  }
  /** A host name as itself and each parent domain ("url:www.example.com", "url:example.com", "url:com"). */
  host(host: string, prefix: string): void {
    const parts = host.toLowerCase().replace(/\.$/, '').split('.').slice(-6);
    if (parts.length === 4 && parts.every((p) => /^\d+$/.test(p))) {
      this.add(`${prefix}ip`);
      this.add(`${prefix}${parts.slice(0, 3).join('.')}`);
      return;
    }
    for (let i = 0; i < parts.length; i++) this.add(prefix + parts.slice(i).join('.'));
  }
}

function decodeWords(value: string): string {
  if (!value.includes('=?')) return value;
  try {
    return libmime.decodeWords(value);
  } catch {
    return value;
  }
}

function header(lines: readonly HeaderLine[], key: string): string {
  const line = lines.find((l) => l.key === key);
  return line ? fieldValue(line) : '';
}

function headerTokens(lines: readonly HeaderLine[], t: Tokens): void {
  // A host repeated (the same relay in every Received) gives the same tokens: split it once.
  const hostsSeen = new Set<string>();
  for (const line of lines) {
    if (t.full()) return;
    const key = line.key;
    t.work.headerChars += line.line.length;
    // The server's own verdict is weighed separately, by a switch (classify.ts); learning it
    // here would make the filter copy SpamAssassin rather than the user.
    if (key.startsWith('x-spam-')) continue;
    if (PRESENCE_HEADERS.has(key)) t.add(`has:${key}`);
    if (key === 'received') {
      const value = fieldValue(line.line.length > MAX_RECEIVED_BYTES ? { key, line: line.line.slice(0, MAX_RECEIVED_BYTES) } : line).toLowerCase();
      HOST_RE.lastIndex = 0;
      for (let m = HOST_RE.exec(value); m && !t.full(); m = HOST_RE.exec(value)) {
        t.work.headerMatches++;
        if (!hostsSeen.has(m[0]) && /[a-z]/.test(m[0])) {
          hostsSeen.add(m[0]);
          t.host(m[0], 'rcvd:');
        }
      }
      IP_RE.lastIndex = 0;
      for (let m = IP_RE.exec(value); m && !t.full(); m = IP_RE.exec(value)) {
        t.work.headerMatches++;
        t.add(`rcvd-ip:${m[1]}.${m[2]}.${m[3]}`);
      }
      continue;
    }
    if (key === 'message-id') {
      const at = fieldValue(line).lastIndexOf('@');
      if (at >= 0) t.host(fieldValue(line).slice(at + 1).replace(/>.*$/, ''), 'msgid:');
      continue;
    }
    const prefix = WORD_HEADERS.get(key);
    if (!prefix) continue;
    const value = decodeWords(fieldValue(line)).slice(0, 2000);
    if (key === 'from' || key === 'reply-to' || key === 'to' || key === 'cc') {
      EMAIL_RE.lastIndex = 0;
      for (let m = EMAIL_RE.exec(value); m && !t.full(); m = EMAIL_RE.exec(value)) {
        t.work.headerMatches++;
        t.add(`${prefix}:addr:${m[0].toLowerCase()}`);
        t.host(m[1] as string, `${prefix}:dom:`);
      }
      if (key === 'from' || key === 'reply-to') t.words(value.replace(EMAIL_RE, ' '), `${prefix}:`);
      continue;
    }
    if (key === 'subject') {
      t.words(value, 'subject:');
      // Shouting and punctuation runs are what junk subjects look like.
      if (/[!?$]{2,}/.test(value)) t.add('subject:punct-run');
      const letters = value.replace(/[^\p{L}]/gu, '');
      if (letters.length >= 8 && letters === letters.toUpperCase() && letters !== letters.toLowerCase()) t.add('subject:all-caps');
      continue;
    }
    t.words(value, `${prefix}:`);
  }
}

/** The parts of a multipart body; a missing closing delimiter is fine. */
function splitParts(body: Buffer, boundary: string): Buffer[] {
  const delimiter = Buffer.from(`--${boundary}`, 'latin1');
  const starts: number[] = [];
  for (let i = body.indexOf(delimiter); i >= 0 && starts.length <= MAX_PARTS; i = body.indexOf(delimiter, i + delimiter.length)) {
    if (i === 0 || body[i - 1] === 0x0a) starts.push(i);
  }
  const parts: Buffer[] = [];
  for (let k = 0; k < starts.length; k++) {
    const at = starts[k] as number;
    if (body[at + delimiter.length] === 0x2d && body[at + delimiter.length + 1] === 0x2d) break;
    const lineEnd = body.indexOf(0x0a, at);
    if (lineEnd < 0) break;
    parts.push(body.subarray(lineEnd + 1, starts[k + 1] ?? body.length));
  }
  return parts;
}

function bodyText(text: string, t: Tokens): void {
  if (!text.includes('://')) return t.words(text, '');
  URL_RE.lastIndex = 0;
  for (let m = URL_RE.exec(text); m && !t.full(); m = URL_RE.exec(text)) {
    t.host(m[1] as string, 'url:');
    t.words((m[2] ?? '').replace(/[/?=&#%._-]+/g, ' '), 'url-path:');
  }
  t.words(text.replace(URL_RE, ' '), '');
}

function walk(lines: readonly HeaderLine[], body: Buffer, depth: number, t: Tokens, budget: { parts: number }): void {
  if (t.full() || depth > MAX_DEPTH || budget.parts-- <= 0) return;
  const ct = contentTypeOf(lines);
  if (depth > 0) t.add(`part:${ct.type}`);
  if (ct.type.startsWith('multipart/')) {
    const boundary = ct.params.boundary;
    if (!boundary) return t.add('mime:no-boundary');
    for (const part of splitParts(body, boundary)) {
      const { lines: partLines, bodyOffset } = boundedHeader(part);
      walk(partLines, part.subarray(bodyOffset), depth + 1, t, budget);
    }
    return;
  }
  if (ct.type === 'message/rfc822') {
    const { lines: inner, bodyOffset } = boundedHeader(body);
    headerTokens(inner, t);
    return walk(inner, body.subarray(bodyOffset), depth + 1, t, budget);
  }
  const disposition = header(lines, 'content-disposition').toLowerCase();
  const filename = /filename\*?=["']?([^"';]*)/i.exec(disposition)?.[1] ?? ct.params.name ?? '';
  if (filename) {
    const ext = /\.([a-z0-9]{1,8})$/i.exec(filename)?.[1];
    t.add(`filename-ext:${ext ? ext.toLowerCase() : 'none'}`);
  }
  const isText = ct.type === 'text/plain' || ct.type === 'text/html' || ct.type === 'text/enriched';
  if (!isText || disposition.startsWith('attachment')) return;
  const encoding = header(lines, 'content-transfer-encoding').toLowerCase();
  if (encoding) t.add(`cte:${encoding}`);
  if (ct.params.charset) t.add(`charset:${ct.params.charset.toLowerCase()}`);
  const raw = body.subarray(0, MAX_PART_BYTES);
  const decoded =
    decodeTextPart(raw, { encoding, charset: ct.params.charset ?? null, contentType: ct.type, flowed: false, delSp: false }) ??
    raw.toString('latin1');
  if (ct.type === 'text/html') {
    // Markup itself is evidence (hidden tags, fonts, images); its text is read like any other.
    const tags = decoded.match(/<\/?([a-z][a-z0-9]{0,15})/gi) ?? [];
    for (const tag of tags.slice(0, 200)) t.add(`html:${tag.replace(/[</]/g, '').toLowerCase()}`);
    const hrefs = decoded.match(/href\s*=\s*["']?(?:https?|ftp):\/\/[^"'\s>]+/gi) ?? [];
    for (const href of hrefs.slice(0, 100)) bodyText(href.replace(/^href\s*=\s*["']?/i, ''), t);
    bodyText(htmlToText(decoded), t);
  } else {
    bodyText(decoded, t);
  }
}

/**
 * The header fields and where the body starts, reading at most MAX_HEADER_BYTES of header: past
 * that only the blank line that ends it is looked for (a native search); a field cut at the limit
 * is read in part.
 */
function boundedHeader(source: Buffer): { lines: HeaderLine[]; bodyOffset: number } {
  if (source.length <= MAX_HEADER_BYTES) return splitHeader(source);
  const head = splitHeader(source.subarray(0, MAX_HEADER_BYTES));
  if (head.ended) return head;
  const from = MAX_HEADER_BYTES - 2;
  const ends = [source.indexOf('\n\n', from), source.indexOf('\n\r\n', from)].filter((i) => i >= 0);
  if (ends.length === 0) return { lines: head.lines, bodyOffset: source.length };
  const at = Math.min(...ends);
  return { lines: head.lines, bodyOffset: at + (source[at + 1] === 0x0d ? 3 : 2) };
}

/** The distinct tokens of a raw message (its leading mbox "From " line, if any, is skipped). */
export function tokenize(raw: Buffer, work?: TokenizeWork): string[] {
  let source = raw.subarray(0, MAX_MESSAGE_BYTES);
  if (source.subarray(0, 5).toString('latin1') === 'From ') {
    const lf = source.indexOf(0x0a);
    source = lf < 0 ? Buffer.alloc(0) : source.subarray(lf + 1);
  }
  const t = new Tokens();
  const { lines, bodyOffset } = boundedHeader(source);
  headerTokens(lines, t);
  walk(lines, source.subarray(bodyOffset), 0, t, { parts: MAX_PARTS });
  if (work) {
    work.headerChars += t.work.headerChars;
    work.headerMatches += t.work.headerMatches;
  }
  return [...t.set];
}

/** The sender's address, lowercased, for the "never junk from someone you wrote to" rule. */
export function senderAddress(raw: Buffer): string | null {
  const { lines } = splitHeader(raw.subarray(0, 64 * 1024));
  const from = header(lines, 'from');
  EMAIL_RE.lastIndex = 0;
  const m = EMAIL_RE.exec(from);
  return m ? m[0].toLowerCase() : null;
}

/** What the receiving server's SpamAssassin (or the like) said: true junk, false not, null silent. */
export function serverVerdict(raw: Buffer): boolean | null {
  const { lines } = splitHeader(raw.subarray(0, 64 * 1024));
  const flag = header(lines, 'x-spam-flag');
  if (flag) return /^yes\b/i.test(flag);
  const status = header(lines, 'x-spam-status');
  if (status) return /^yes\b/i.test(status);
  return null;
}
