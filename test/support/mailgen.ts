/**
 * Deterministic, realistic RFC 5322 messages for tests and benchmarks.
 *
 * Output has LF line endings (as Dovecot keeps messages on disk); toCrlf() gives what POP3 serves.
 * Everything derives from a seed through a tiny PRNG (mulberry32): the same seed gives the same bytes.
 * No line ever contains a CR.
 */

export interface GenOptions {
  seed: number;
  count: number;
  /**
   * 'realistic' (default): 70% 2–20 KB text, 25% 50–500 KB multipart/mixed with base64
   * attachments, 5% 1–10 MB with attachments. 'small': 1–8 KB text only.
   */
  mix?: 'realistic' | 'small';
}

export interface MessageOptions {
  /** multipart/mixed with a short text part and base64 attachment(s) filling the size. */
  attachment?: boolean;
  /** Force (true) or forbid (false) body lines starting with "." / ".." and a line that is only "." (default: by seed, ~30%). */
  dotLines?: boolean;
  /** Force (true) or forbid (false) 8-bit UTF-8 text with Content-Transfer-Encoding: 8bit (default: by seed, ~30%). */
  eightBit?: boolean;
}

// ---------------------------------------------------------------------------------------------
// PRNG

export type Rng = () => number; // uniform in [0, 1)

/** mulberry32: a tiny seeded PRNG (tests must be reproducible: never Math.random). */
export function mulberry32(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A well-mixed 32-bit seed for message i of a run (so neighbouring seeds don't correlate). */
function mixSeed(seed: number, i: number): number {
  let h = (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(i + 1, 0x85ebca6b)) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b);
  h ^= h >>> 16;
  return h >>> 0;
}

const int = (rng: Rng, lo: number, hi: number): number => lo + Math.floor(rng() * (hi - lo + 1));
const pick = <T>(rng: Rng, arr: readonly T[]): T => arr[Math.floor(rng() * arr.length)] as T;
const hex = (rng: Rng, n: number): string => {
  let s = '';
  for (let i = 0; i < n; i++) s += '0123456789abcdef'[Math.floor(rng() * 16)];
  return s;
};

// ---------------------------------------------------------------------------------------------
// Vocabulary

const WORDS = (
  'the of and to in is that for it as with was on be by this are from at or an have not which but ' +
  'all were when there can more been one will if about would their what out has up other into so ' +
  'meeting report quarterly budget invoice attached please review schedule project update team ' +
  'tomorrow morning afternoon thanks regards server mailbox download message folder account ' +
  'password settings delivery network release version draft proposal customer order shipment ' +
  'contract summary agenda minutes deadline friday monday office travel hotel flight conference'
).split(' ');

const UTF8_WORDS = [
  'café', 'naïve', 'Grüße', 'Straße', 'Ärger', 'über', 'façade', 'résumé', 'jalapeño', 'smörgåsbord',
  'Привет', 'спасибо', 'こんにちは', '日本語', '电子邮件', 'Ελληνικά', 'שלום', 'مرحبا', '€100', '½', '→', '✓',
];

const FIRST = ['Alice', 'Bob', 'Carol', 'Dave', 'Erin', 'Frank', 'Grace', 'Heidi', 'Ivan', 'Judy', 'Mallory', 'Oscar', 'Peggy', 'Trent', 'Victor', 'Walter'];
const LAST = ['Smith', 'Jones', 'Miller', 'Garcia', 'Chen', 'Nakamura', 'Novak', 'Kowalski', 'Schmidt', 'Dubois', 'Rossi', 'Silva'];
const UTF8_NAMES = ['Jürgen Müller', 'Zoë Brontë', 'José Núñez', 'Søren Kierkegaard', 'Łukasz Żółć', '山田 太郎', 'Анна Петрова'];
const DOMAINS = ['example.com', 'example.org', 'example.net', 'mail.example.com', 'corp.example.org'];
const ZONES = [
  ['+0000', 0],
  ['+0100', 60],
  ['+0200', 120],
  ['-0500', -300],
  ['-0800', -480],
  ['+0530', 330],
  ['+0900', 540],
] as const;
const ATTACHMENTS = [
  ['application/pdf', 'pdf'],
  ['image/jpeg', 'jpg'],
  ['image/png', 'png'],
  ['application/zip', 'zip'],
  ['application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', 'xlsx'],
  ['application/octet-stream', 'bin'],
] as const;
const DOT_LINES = ['.', '..', '.hidden line that starts with a dot', '..two dots at the start', '. a dot and a space', '...'];

// ---------------------------------------------------------------------------------------------
// Header helpers

const isAscii = (s: string): boolean => /^[\x20-\x7e]*$/.test(s);

/** RFC 2047 encoded-words (each ≤ 75 chars), never splitting a UTF-8 character. */
function encodeWords(text: string, enc: 'B' | 'Q'): string[] {
  const words: string[] = [];
  const maxRaw = enc === 'B' ? 45 : 20; // B: 45 bytes → 60 chars; Q: worst case 3 chars per byte
  let chunk: number[] = [];
  const flush = (): void => {
    if (!chunk.length) return;
    const bytes = Buffer.from(chunk);
    let payload: string;
    if (enc === 'B') payload = bytes.toString('base64');
    else {
      payload = '';
      for (const b of bytes) {
        if (b === 0x20) payload += '_';
        else if ((b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || b === 0x2d) payload += String.fromCharCode(b);
        else payload += `=${b.toString(16).toUpperCase().padStart(2, '0')}`;
      }
    }
    words.push(`=?UTF-8?${enc}?${payload}?=`);
    chunk = [];
  };
  for (const ch of text) {
    const b = [...Buffer.from(ch, 'utf8')];
    if (chunk.length + b.length > maxRaw) flush();
    chunk.push(...b);
  }
  flush();
  return words;
}

/** A header field, folded (LF + space) so no line exceeds 78 chars where there are places to fold. */
function header(name: string, value: string): string {
  const tokens = value.split(' ');
  let line = `${name}:`;
  let out = '';
  for (const t of tokens) {
    if (line.length + 1 + t.length > 78 && line.length > name.length + 1) {
      out += `${line}\n`;
      line = ` ${t}`;
    } else line += ` ${t}`;
  }
  return `${out}${line}\n`;
}

function unstructured(rng: Rng, text: string): string {
  return isAscii(text) ? text : encodeWords(text, rng() < 0.5 ? 'B' : 'Q').join(' ');
}

function mailbox(rng: Rng, utf8: boolean): string {
  const first = pick(rng, FIRST);
  const last = pick(rng, LAST);
  const addr = `${first.toLowerCase()}.${last.toLowerCase()}@${pick(rng, DOMAINS)}`;
  if (utf8 && rng() < 0.5) return `${encodeWords(pick(rng, UTF8_NAMES), 'Q').join(' ')} <${addr}>`;
  const r = rng();
  if (r < 0.15) return addr;
  if (r < 0.3) return `"${last}, ${first}" <${addr}>`;
  return `${first} ${last} <${addr}>`;
}

function rfc5322Date(rng: Rng): string {
  const utc = Date.UTC(2024, 0, 1) + Math.floor(rng() * 2 * 365 * 86400) * 1000;
  const [zone, minutes] = pick(rng, ZONES);
  // toUTCString of the shifted time gives the local wall clock: "Mon, 01 Jan 2024 10:00:00 GMT".
  return new Date(utc + minutes * 60_000).toUTCString().replace('GMT', zone);
}

function sentence(rng: Rng, utf8: boolean, minWords: number, maxWords: number): string {
  const n = int(rng, minWords, maxWords);
  const parts: string[] = [];
  for (let i = 0; i < n; i++) parts.push(utf8 && rng() < 0.12 ? pick(rng, UTF8_WORDS) : pick(rng, WORDS));
  const s = parts.join(' ');
  return s.charAt(0).toUpperCase() + s.slice(1);
}

// ---------------------------------------------------------------------------------------------
// Bodies

/**
 * Plain text of about `size` bytes (UTF-8), lines ≤ 76 chars, LF endings, ending with LF.
 * With dotLines, some lines start with "." or ".." and one line is exactly ".".
 */
function textBody(rng: Rng, size: number, utf8: boolean, dotLines: boolean): string {
  const lines: string[] = [];
  let bytes = 0;
  const push = (l: string): void => {
    lines.push(l);
    bytes += Buffer.byteLength(l) + 1;
  };
  push(`Hello ${pick(rng, FIRST)},`);
  push('');
  let loneDotDone = false;
  while (bytes < size) {
    // a paragraph of 2–8 wrapped lines
    const para = int(rng, 2, 8);
    let cur = '';
    for (let s = 0; s < para * 2 && bytes + cur.length < size; s++) {
      for (const w of `${sentence(rng, utf8, 4, 14)}.`.split(' ')) {
        if (cur.length + 1 + w.length > 72 && cur) {
          push(cur);
          cur = w;
        } else cur = cur ? `${cur} ${w}` : w;
      }
    }
    if (cur) push(cur);
    push('');
    if (dotLines && rng() < 0.5) {
      if (!loneDotDone) {
        push('.');
        loneDotDone = true;
      } else push(pick(rng, DOT_LINES));
      push('');
    }
  }
  if (dotLines && !loneDotDone) {
    push('.');
    push('..');
  }
  push('--');
  push(`${pick(rng, FIRST)} ${pick(rng, LAST)}`);
  return `${lines.join('\n')}\n`;
}

const B64_LINE = 77; // 76 base64 chars (57 raw bytes) + LF

/** `size` bytes (rounded down to whole lines) of base64 lines repeating a random block. */
function base64Lines(rng: Rng, size: number): Buffer {
  const raw = Buffer.allocUnsafe(57 * 64);
  for (let i = 0; i < raw.length; i += 4) raw.writeUInt32LE(Math.floor(rng() * 4294967296), i);
  const b64 = raw.toString('base64'); // 57 * 64 bytes → 64 lines of exactly 76 chars
  let block = '';
  for (let i = 0; i < b64.length; i += 76) block += `${b64.slice(i, i + 76)}\n`;
  const lines = Math.max(1, Math.floor(size / B64_LINE));
  return Buffer.alloc(lines * B64_LINE, block, 'latin1');
}

// ---------------------------------------------------------------------------------------------
// Messages

/** One message of about `targetSize` bytes (LF line endings), fully determined by `seed`. */
export function generateMessage(seed: number, targetSize: number, opts: MessageOptions = {}): Buffer {
  const rng = mulberry32(seed);
  const attachment = opts.attachment ?? false;
  const utf8 = opts.eightBit ?? rng() < 0.3;
  const dotLines = opts.dotLines ?? rng() < 0.3;
  const from = mailbox(rng, utf8);
  const fromAddr = /<([^>]+)>/.exec(from)?.[1] ?? from;
  const domain = fromAddr.slice(fromAddr.indexOf('@') + 1);
  const date = rfc5322Date(rng);

  let subject = sentence(rng, utf8 || rng() < 0.25, 3, 9);
  if (!utf8 && rng() < 0.2) subject = `${subject} ${pick(rng, UTF8_WORDS)}`; // an encoded subject on a 7-bit message
  const prefix = pick(rng, ['', '', '', 'Re: ', 'Fwd: ', 'RE: ']);

  let head = '';
  head += `Return-Path: <${fromAddr}>\n`;
  head += header('Received', `from smtp-out.${domain} (smtp-out.${domain} [192.0.2.${int(rng, 1, 254)}]) by mx.example.net (Postfix) with ESMTPS id ${hex(rng, 10).toUpperCase()} for <popbox@example.net>; ${date}`);
  head += header('From', from);
  const to = [mailbox(rng, utf8)];
  if (rng() < 0.3) to.push(mailbox(rng, utf8));
  head += header('To', to.join(', '));
  if (rng() < 0.2) head += header('Cc', mailbox(rng, utf8));
  head += header('Subject', `${prefix}${unstructured(rng, subject)}`);
  head += `Date: ${date}\n`;
  head += `Message-ID: <${seed.toString(16).padStart(8, '0')}.${hex(rng, 12)}@${domain}>\n`;
  head += 'MIME-Version: 1.0\n';
  if (rng() < 0.4) head += `X-Mailer: ${pick(rng, ['Popbox Test Generator 1.0', 'Thunderbird 115.6', 'Apple Mail (2.3774)', 'Microsoft Outlook 16.0'])}\n`;

  const textType = utf8 ? 'text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit' : 'text/plain; charset=us-ascii\nContent-Transfer-Encoding: 7bit';

  if (!attachment) {
    const headBuf = Buffer.from(`${head}Content-Type: ${textType}\n\n`, 'utf8');
    const body = textBody(rng, Math.max(64, targetSize - headBuf.length - 40), utf8, dotLines);
    return Buffer.concat([headBuf, Buffer.from(body, 'utf8')]);
  }

  const boundary = `=_popbox_${hex(rng, 24)}`;
  const textSize = Math.min(int(rng, 400, 3000), Math.max(200, Math.floor(targetSize / 8)));
  const pre = Buffer.from(
    `${head}Content-Type: multipart/mixed;\n boundary="${boundary}"\n\nThis is a multi-part message in MIME format.\n\n` +
      `--${boundary}\nContent-Type: ${textType}\n\n${textBody(rng, textSize, utf8, dotLines)}\n`,
    'utf8',
  );
  const nAtt = targetSize > 100_000 && rng() < 0.3 ? 2 : 1;
  const parts: Buffer[] = [pre];
  let remaining = Math.max(B64_LINE, targetSize - pre.length - 60);
  for (let a = 0; a < nAtt; a++) {
    const [type, ext] = pick(rng, ATTACHMENTS);
    const name = `${pick(rng, ['report', 'scan', 'photo', 'invoice', 'archive', 'data'])}-${int(rng, 1, 9999)}.${ext}`;
    const partHead = Buffer.from(
      `--${boundary}\nContent-Type: ${type};\n name="${name}"\nContent-Disposition: attachment;\n filename="${name}"\nContent-Transfer-Encoding: base64\n\n`,
      'latin1',
    );
    const share = a === nAtt - 1 ? remaining : Math.floor(remaining * (0.3 + rng() * 0.4));
    const body = base64Lines(rng, share - partHead.length - 1);
    remaining -= partHead.length + body.length + 1;
    parts.push(partHead, body, Buffer.from('\n', 'latin1'));
  }
  parts.push(Buffer.from(`--${boundary}--\n`, 'latin1'));
  return Buffer.concat(parts);
}

/** A deterministic batch of messages (LF line endings, as Dovecot stores them). */
export function generateMessages(opts: GenOptions): Buffer[] {
  const mix = opts.mix ?? 'realistic';
  const rng = mulberry32(mixSeed(opts.seed, -1));
  const out: Buffer[] = [];
  for (let i = 0; i < opts.count; i++) {
    const seed = mixSeed(opts.seed, i);
    if (mix === 'small') {
      out.push(generateMessage(seed, int(rng, 1024, 8192)));
      continue;
    }
    const r = rng();
    if (r < 0.7) out.push(generateMessage(seed, int(rng, 2 * 1024, 20 * 1024)));
    else if (r < 0.95) out.push(generateMessage(seed, int(rng, 50 * 1024, 500 * 1024), { attachment: true }));
    else out.push(generateMessage(seed, int(rng, 1024 * 1024, 10 * 1024 * 1024), { attachment: true }));
  }
  return out;
}

/** What POP3 serves: every LF not already preceded by CR becomes CRLF. */
export function toCrlf(lfBytes: Buffer): Buffer {
  let extra = 0;
  for (let i = lfBytes.indexOf(0x0a); i >= 0; i = lfBytes.indexOf(0x0a, i + 1)) {
    if (i === 0 || lfBytes[i - 1] !== 0x0d) extra++;
  }
  if (extra === 0) return Buffer.from(lfBytes);
  const out = Buffer.allocUnsafe(lfBytes.length + extra);
  let o = 0;
  let start = 0;
  for (let i = lfBytes.indexOf(0x0a); i >= 0; i = lfBytes.indexOf(0x0a, i + 1)) {
    if (i === 0 || lfBytes[i - 1] !== 0x0d) {
      o += lfBytes.copy(out, o, start, i);
      out[o++] = 0x0d;
      out[o++] = 0x0a;
      start = i + 1;
    }
  }
  lfBytes.copy(out, o, start);
  return out;
}
