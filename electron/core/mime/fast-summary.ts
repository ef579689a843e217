/**
 * Summaries without mailparser, for the MIME shapes nearly all mail has. The answer must be the
 * one the mailparser path (summary.ts) gives, so this module models what that path sees: the
 * same nodes (structure.ts follows mailsplit), the same text and HTML (part-text.ts follows
 * mailparser's decoders), the same text budgets, and the same early stop (parse.ts stops
 * reading once a real attachment and some text have been seen, after which mailparser still
 * processes whatever it had read ahead). Where the answer would depend on something it does not
 * model, it returns null and mailparser decides.
 */
import type { MessageSummary } from '../../../shared/messages.js';
import { headerFields, splitHeader, type HeaderLine } from './headers.js';
import type { MessageSource } from './parse.js';
import { decodeTextPart, decodeTextPartStart, knownTransferEncoding } from './part-text.js';
import { MessageReader, Unsure } from './reader.js';
import { checkedHeaderLines, describePart, PartWalker, type PartEvent, type PartInfo } from './structure.js';
import { htmlToText, snippet, snippetOf } from './text.js';

/** What mailparser is allowed to decode per summary (summary.ts passes these to parseMessage). */
export const PLAIN_BUDGET = 64 * 1024;
export const HTML_BUDGET = 256 * 1024;

/**
 * How far past the point where parse.ts asks it to stop mailparser may still read. Its streams
 * buffer up to about 40 chunks of 64 KB between the feeding loop and the parser (16 objects
 * queued in each of two object-mode streams, a few in the byte streams), 2.6 MB; measured, it
 * read 1.2 MB ahead of a Buffer and 0.33 MB ahead of a file. A part there that would make
 * mailparser fail (too many parts, a huge header) changes its answer, so the fast path looks
 * that far too.
 */
const READ_AHEAD = 3 * 1024 * 1024;

/** Raw bytes of a long text part decoded first, in the hope that they settle the snippet. */
const DECODE_FIRST = 2048;

type Kind = 'plain' | 'html' | 'attachment' | 'inline' | 'multipart';

/** mailparser's createNode and parse.ts's headOf: is the node text, a real attachment or an inline one? */
function kindOf(ev: PartEvent): Kind {
  const { info } = ev;
  if (info.multipart !== null) return 'multipart';
  const type = info.contentType;
  // An embedded message mailsplit descends into, and TNEF (which mailparser leaves alone, but
  // which is rare enough not to be worth the risk).
  if ((type === 'message/rfc822' && info.disposition === 'inline') || type === 'application/ms-tnef') throw new Unsure(type);
  // mailparser's text types; a delivery report is text like text/plain.
  const textType = type === 'text/plain' || type === 'text/html' || type === 'message/delivery-status';
  let disposition = info.disposition;
  if (disposition && disposition !== 'attachment' && disposition !== 'inline') disposition = 'attachment';
  const effective = !disposition && !textType ? 'attachment' : (disposition ?? 'inline');
  if (textType && effective === 'inline') return type === 'text/html' ? 'html' : 'plain';
  return realOrInline(ev);
}

function realOrInline(ev: PartEvent): Kind {
  // Referenced from the HTML rather than offered as a file (parse.ts headOf).
  return ev.info.cid !== null && (ev.inRelated || ev.info.disposition !== 'attachment') ? 'inline' : 'attachment';
}

interface TextState {
  /** The text of the plain parts mailparser certainly decodes, joined as it joins them. */
  plain: string;
  /** Its snippet, and whether more text after it could still change that. */
  snippet: { snippet: string; settled: boolean };
  html: string[];
  /** Plain (HTML) parts mailparser may or may not reach, depending on how far it read ahead. */
  unsurePlain: boolean;
  unsureHtml: boolean;
}

function addPlain(t: TextState, text: string): void {
  // mailparser joins its text parts with "\n", adding an empty part for some HTML parts: the
  // extra whitespace collapses away in the snippet.
  t.plain = t.plain ? `${t.plain}\n${text}` : text;
  t.snippet = snippetOf(t.plain);
}

/** The snippet summary.ts makes from mailparser's text and HTML, or Unsure when it depends on read-ahead. */
function finalSnippet(t: TextState): string {
  if (t.snippet.settled) return t.snippet.snippet;
  if (t.unsurePlain) throw new Unsure('text parts beyond the stop');
  if (t.snippet.snippet) return t.snippet.snippet;
  if (t.unsureHtml) throw new Unsure('HTML parts beyond the stop');
  // Plain parts outside an alternative add an empty entry to the HTML (skipTextToHtml): more
  // <br/> between parts, whitespace again.
  const html = t.html.join('<br/>\n');
  // htmlToText stopped at a length gives the start of its whole output: often enough.
  for (let chars = 4096; chars < html.length; chars *= 8) {
    const start = htmlToText(html, chars);
    if (start.length < chars) return snippet(start);
    const s = snippetOf(start);
    if (s.settled) return s.snippet;
  }
  return snippet(htmlToText(html));
}

/**
 * What a walk gives a consumer about the leaf it is at: its body (up to a budget) and its text.
 * A walk of its own hands the walker's; summary-text.ts shares one leaf between this and the
 * search text's consumer, so the bytes are read and decoded once.
 */
export interface LeafAccess {
  body(max: number): Promise<{ bytes: Buffer; length: number; start: number }>;
  /** decodeTextPart's answer for these bytes of the leaf. */
  decode(bytes: Buffer, info: PartInfo): string | null;
}

/**
 * The summary's side of a walk, fed node by node (`see`), in MIME order. Throws Unsure where
 * mailparser must decide. After `limit` is set (parse.ts's early stop, plus its read-ahead) it
 * must see no node whose delimiter line starts at or after it.
 */
export class SummaryWalk {
  /** Nodes whose delimiter line starts here or later are not this walk's (Infinity: all are). */
  limit = Number.POSITIVE_INFINITY;
  private readonly text: TextState = { plain: '', snippet: { snippet: '', settled: false }, html: [], unsurePlain: false, unsureHtml: false };
  private plainLeft = PLAIN_BUDGET;
  private htmlLeft = HTML_BUDGET;
  // parse.ts's stop logic, node by node.
  private sawRealAttachment = false;
  private textParts = 0;
  private rootIsLeaf = false;
  private stopped = false;

  constructor(
    private readonly lines: HeaderLine[],
    private readonly size: number,
  ) {}

  private stop(at: number): void {
    this.stopped = true;
    this.limit = at + READ_AHEAD;
  }

  async see(ev: PartEvent, leaf: LeafAccess): Promise<void> {
    const text = this.text;
    if (!this.stopped && this.sawRealAttachment && this.textParts > 0) this.stop(ev.offset);
    if (ev.root) this.rootIsLeaf = ev.info.multipart === null;
    const kind = kindOf(ev);
    if (kind === 'multipart' || kind === 'inline') return;
    if (kind === 'attachment') {
      this.sawRealAttachment = true;
      if (!this.stopped && (this.textParts > 0 || this.rootIsLeaf)) this.stop(ev.offset);
      return;
    }
    this.textParts++;
    if (!knownTransferEncoding(ev.info.encoding)) throw new Unsure(`transfer encoding ${ev.info.encoding}`);
    if (this.stopped) {
      if (kind === 'plain') text.unsurePlain = true;
      else text.unsureHtml = true;
      return;
    }
    const left = kind === 'plain' ? this.plainLeft : this.htmlLeft;
    const { bytes, length, start } = await leaf.body(Math.max(left, 0));
    if (length > left && (this.rootIsLeaf || this.sawRealAttachment)) this.stop(start + Math.max(left, 0));
    if (kind === 'plain') this.plainLeft -= bytes.length;
    else this.htmlLeft -= bytes.length;
    // Once the plain text fixes the snippet, later parts only count against the budgets.
    if (text.snippet.settled) return;
    if (kind === 'plain') {
      // The start of a long part usually settles the snippet on its own.
      const opening = decodeTextPartStart(bytes, ev.info, DECODE_FIRST);
      if (opening) {
        const before = { plain: text.plain, snippet: text.snippet };
        addPlain(text, opening);
        if (text.snippet.settled) return;
        Object.assign(text, before);
      }
    }
    const decoded = leaf.decode(bytes, ev.info);
    if (decoded === null) throw new Unsure('base64 padded in the middle');
    if (!decoded) return;
    if (kind === 'plain') addPlain(text, decoded);
    else text.html.push(decoded);
  }

  /** The summary of what was seen (Unsure when it depends on what mailparser would read ahead). */
  result(): MessageSummary {
    return {
      ...headerFields(this.lines),
      size: this.size,
      hasAttachments: this.sawRealAttachment,
      snippet: finalSnippet(this.text),
    };
  }
}

async function walk(reader: MessageReader): Promise<MessageSummary> {
  const head = reader.view(0, reader.end);
  const split = splitHeader(head);
  if (!split.ended && !reader.atEnd) throw new Unsure('a header block longer than the first read');
  const lines = checkedHeaderLines(head.subarray(0, split.bodyOffset), split.lines, split.skipped);
  const walker = new PartWalker(reader, describePart(lines, true), split.bodyOffset);
  const summary = new SummaryWalk(lines, reader.size);
  const leaf: LeafAccess = { body: (max) => walker.body(max), decode: decodeTextPart };
  for (let ev = await walker.next(); ev; ev = await walker.next()) {
    await summary.see(ev, leaf);
    walker.limit = summary.limit;
  }
  return summary.result();
}

/**
 * The summary, or null when this message needs mailparser (or cannot be read here: the
 * mailparser path then reports that properly).
 */
export async function fastSummary(source: MessageSource): Promise<MessageSummary | null> {
  let reader: MessageReader;
  try {
    reader = await MessageReader.open(source);
  } catch {
    return null;
  }
  try {
    return await walk(reader);
  } catch {
    // Unsure, or anything else this path did not foresee: mailparser is the source of truth.
    return null;
  } finally {
    reader.close();
  }
}
