/**
 * What the search index reads from a stored message file: the decoded text of every text part
 * (HTML as text) and the attachments' file names. The header fields (names, addresses, subject)
 * come from the journal's summary, so they are not parsed again here.
 *
 * The fast way walks the MIME structure itself (mime/structure.ts) and decodes only text parts;
 * anything it is unsure of (an embedded message, an odd transfer encoding, broken structure)
 * goes to mailparser. Memory stays bounded: each part's text is cut at a budget, and the whole
 * message's text at another, so a 100 MB part costs a scan, not memory (DESIGN §3.5).
 */
import { parseMessage } from '../mime/parse.js';
import { decodeTextPart, knownTransferEncoding } from '../mime/part-text.js';
import { MessageReader, Unsure } from '../mime/reader.js';
import { splitHeader } from '../mime/headers.js';
import type { LeafAccess } from '../mime/fast-summary.js';
import { checkedHeaderLines, describePart, PartWalker, type PartEvent } from '../mime/structure.js';
import { htmlToText, stripControls } from '../mime/text.js';

/** Raw bytes of one text part that are decoded, at most. */
export const PART_BUDGET = 1024 * 1024;
/** Characters of text kept per message, at most (a long mail's first pages are what people search). */
export const TEXT_BUDGET = 512 * 1024;

export interface IndexedText {
  /** Every text part's text, HTML converted, joined by blank lines; at most TEXT_BUDGET characters. */
  body: string;
  /** Attachment (and inline part) file names, one per line. */
  files: string;
}

class Collector {
  private parts: string[] = [];
  private length = 0;
  readonly files: string[] = [];

  get full(): boolean {
    return this.length >= TEXT_BUDGET;
  }

  add(text: string): void {
    if (this.full || !text) return;
    const cut = text.length > TEXT_BUDGET - this.length ? text.slice(0, TEXT_BUDGET - this.length) : text;
    this.parts.push(cut);
    this.length += cut.length;
  }

  result(): IndexedText {
    return { body: stripControls(this.parts.join('\n\n')), files: this.files.join('\n') };
  }
}

/** Messages inside messages (a forward as an attachment, a bounce) read, at most this deep. */
const MAX_EMBEDDED = 3;

/**
 * The search text's side of a walk, fed node by node (`see`), in MIME order; throws Unsure where
 * mailparser must decide. summary-text.ts feeds it and the summary's side from one walk.
 */
export class TextWalk {
  private readonly out = new Collector();

  constructor(private readonly depth = 0) {}

  async see(ev: PartEvent, leaf: LeafAccess): Promise<void> {
    const { info } = ev;
    const out = this.out;
    if (info.multipart !== null) return;
    if (info.filename) out.files.push(info.filename);
    const type = info.contentType;
    if (type === 'message/rfc822') {
      // A forwarded message is shown by mail clients (and indexed by notmuch): its text counts.
      if (this.depth >= MAX_EMBEDDED || out.full) return;
      const { bytes } = await leaf.body(PART_BUDGET);
      const inner = info.encoding === 'base64' ? Buffer.from(bytes.toString('latin1'), 'base64') : bytes;
      const embedded = await extractAt(inner, this.depth + 1);
      out.add(embedded.body);
      if (embedded.files) out.files.push(embedded.files);
      return;
    }
    // Any text/* is text (RFC 2046 §4.1.4): a bounce's text/rfc822-headers, a text/x-patch.
    const text = type.startsWith('text/') || type === 'message/delivery-status';
    // A text attachment is text too: a .txt someone sent is worth finding by its words.
    if (!text || out.full) return;
    if (!knownTransferEncoding(info.encoding)) throw new Unsure(`transfer encoding ${info.encoding}`);
    const { bytes } = await leaf.body(PART_BUDGET);
    const decoded = leaf.decode(bytes, info);
    if (decoded === null) throw new Unsure('base64 padded in the middle');
    out.add(type === 'text/html' ? htmlToText(decoded, TEXT_BUDGET) : decoded);
  }

  result(): IndexedText {
    return this.out.result();
  }
}

async function fastExtract(source: string | Buffer, depth: number): Promise<IndexedText> {
  const reader = await MessageReader.open(source);
  try {
    const head = reader.view(0, reader.end);
    const split = splitHeader(head);
    if (!split.ended && !reader.atEnd) throw new Unsure('a header block longer than the first read');
    const lines = checkedHeaderLines(head.subarray(0, split.bodyOffset), split.lines, split.skipped);
    const walker = new PartWalker(reader, describePart(lines, true), split.bodyOffset);
    const text = new TextWalk(depth);
    const leaf: LeafAccess = { body: (max) => walker.body(max), decode: decodeTextPart };
    for (let ev = await walker.next(); ev; ev = await walker.next()) await text.see(ev, leaf);
    return text.result();
  } finally {
    reader.close();
  }
}

async function mailparserExtract(source: string | Buffer): Promise<IndexedText> {
  const parsed = await parseMessage(source, { maxPlainBytes: PART_BUDGET, maxHtmlBytes: PART_BUDGET, attachments: 'skip', idleTimeoutMs: 30_000 });
  const out = new Collector();
  out.add(parsed.text ?? '');
  if (parsed.html) out.add(htmlToText(parsed.html, TEXT_BUDGET));
  for (const a of parsed.attachments) if (a.filename) out.files.push(a.filename);
  return out.result();
}

/** The mailparser path alone (where the fast walk was unsure); empty when the file cannot be read or parsed at all. */
export async function extractWithMailparser(source: string | Buffer): Promise<IndexedText> {
  try {
    return await mailparserExtract(source);
  } catch {
    return { body: '', files: '' };
  }
}

/** The text to index; empty (never an error) when the file cannot be read or parsed at all. */
export function extractText(source: string | Buffer): Promise<IndexedText> {
  return extractAt(source, 0);
}

async function extractAt(source: string | Buffer, depth: number): Promise<IndexedText> {
  try {
    return await fastExtract(source, depth);
  } catch {
    return extractWithMailparser(source);
  }
}
