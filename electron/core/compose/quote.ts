/**
 * The text a reply or a forward starts with: room for the user's words at the top, the
 * signature ("-- " and the identity's signature) below them, then the original, quoted with
 * "> " after an attribution line (or, for a forward, under a "Forwarded message" block).
 * An HTML-only original is turned into text first: the quote never carries markup.
 */
import { htmlToText } from '../mime/text.js';
import type { Address } from '../../../shared/messages.js';
import { formatAddress } from './recipients.js';

/** The original as a reply sees it. */
export interface QuotedOriginal {
  from: readonly Address[];
  to: readonly Address[];
  cc: readonly Address[];
  subject: string;
  /** ISO date, or null when the original had none. */
  date: string | null;
  text: string | null;
  html: string | null;
}

export interface QuoteOptions {
  /** The identity's signature (plain text), if any. */
  signature?: string | undefined;
  /** For the dates shown (tests); default: this computer's. */
  timeZone?: string | undefined;
}

// Where a browser starts a new line (\u0001) or leaves a blank line between paragraphs (\u0002).
const LINE = /<br\b[^>]*>|<\/?(?:div|li|tr|h[1-6]|pre|dd|dt)\b[^>]*>|<(?:p|blockquote|ul|ol|table)\b[^>]*>/gi;
const PARAGRAPH = /<hr\b[^>]*>|<\/(?:p|blockquote|ul|ol|table)\s*>/gi;

/** An HTML body as plain lines: whitespace collapsed as a browser would, a line per block, a blank line between paragraphs. */
export function htmlAsText(html: string): string {
  const marked = html
    // eslint-disable-next-line no-control-regex -- the markers below must be ours alone
    .replace(/[\u0001\u0002]/g, '')
    .replace(/\s+/g, ' ')
    .replace(PARAGRAPH, (tag) => `\u0002${tag}`)
    .replace(LINE, (tag) => `\u0001${tag}`);
  return htmlToText(marked)
    // eslint-disable-next-line no-control-regex -- the markers
    .replace(/[ \t\u00a0]*(?:[\u0001\u0002][ \t\u00a0]*)+/g, (run) => (run.includes('\u0002') ? '\n\n' : '\n'))
    .split('\n')
    .map((l) => l.replace(/[ \t\u00a0]+/g, ' ').trim())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/** The original's readable text: its text part, else its HTML as text. */
export function originalText(o: Pick<QuotedOriginal, 'text' | 'html'>): string {
  const text = o.text !== null && o.text.trim() !== '' ? o.text : o.html !== null ? htmlAsText(o.html) : '';
  return text.replace(/\r\n?/g, '\n').replace(/\s+$/, '');
}

/** Each line behind "> "; an already quoted line gets one more ">" (">> "), an empty one ">". */
export function quoteText(text: string): string {
  return text
    .split('\n')
    .map((line) => (line.startsWith('>') ? `>${line}` : line === '' ? '>' : `> ${line}`))
    .join('\n');
}

/** "Tue, 3 Dec 2026 at 10:04" in the given (or this computer's) time zone. */
export function formatDate(iso: string, timeZone?: string): string {
  const parts = new Intl.DateTimeFormat('en-GB', {
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
    ...(timeZone ? { timeZone } : {}),
  }).formatToParts(new Date(iso));
  const p = (type: Intl.DateTimeFormatPartTypes) => parts.find((x) => x.type === type)?.value ?? '';
  return `${p('weekday')}, ${p('day')} ${p('month')} ${p('year')} at ${p('hour')}:${p('minute')}`;
}

function who(list: readonly Address[]): string {
  return list.map(formatAddress).join(', ');
}

/** "On Tue, 3 Dec 2026 at 10:04, Ann Example <ann@example.org> wrote:" */
export function attribution(o: Pick<QuotedOriginal, 'from' | 'date'>, timeZone?: string): string {
  const sender = who(o.from) || 'someone';
  return o.date ? `On ${formatDate(o.date, timeZone)}, ${sender} wrote:` : `${sender} wrote:`;
}

/** The signature block: "-- " on its own line (RFC 3676 §4.3), then the signature. */
export function signatureBlock(signature: string | undefined): string {
  const sig = signature?.replace(/\r\n?/g, '\n').replace(/\s+$/, '');
  return sig ? `-- \n${sig}` : '';
}

/** A new message: an empty line to write on, and the signature. */
export function newText(opts: QuoteOptions): string {
  const sig = signatureBlock(opts.signature);
  return sig ? `\n\n${sig}\n` : '';
}

/** A reply: the user's words go at the top, then the signature, then the quoted original. */
export function replyText(o: QuotedOriginal, opts: QuoteOptions): string {
  const sig = signatureBlock(opts.signature);
  const quoted = quoteText(originalText(o));
  return `\n\n${sig ? `${sig}\n\n` : ''}${attribution(o, opts.timeZone)}\n${quoted}\n`;
}

/** A forward inline: the signature, then the original's headers and its text, unquoted. */
export function forwardText(o: QuotedOriginal, opts: QuoteOptions): string {
  const sig = signatureBlock(opts.signature);
  const head = [
    '---------- Forwarded message ---------',
    `From: ${who(o.from)}`,
    ...(o.date ? [`Date: ${formatDate(o.date, opts.timeZone)}`] : []),
    `Subject: ${o.subject}`,
    `To: ${who(o.to)}`,
    ...(o.cc.length > 0 ? [`Cc: ${who(o.cc)}`] : []),
  ].join('\n');
  return `\n\n${sig ? `${sig}\n\n` : ''}${head}\n\n${originalText(o)}\n`;
}
