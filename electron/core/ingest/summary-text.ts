/**
 * A new message's summary and search text from one walk of its MIME structure (issue 18).
 *
 * Why one walk: summarize() (mime/summary.ts) and extractText() (search/extract.ts) each walk the
 * message on their own, so every new message had its header block split twice, each text part
 * read and decoded twice and every attachment scanned twice for its closing boundary. Here the
 * header block is split and each part's header described once; each text part's bytes are read
 * once, at the larger of the two sides' budgets (LEAF_READ), and decoded once for both sides
 * where they ask for the same length (leafAccess: any part within the summary's budget, most
 * mail); an attachment is passed over by the search for the next boundary alone, never decoded.
 * Parse CPU of the bench's 800 mix: -15 % median (8eea9ce).
 *
 * What it must stay equal to: summarize() and extractText() remain the definition of a summary
 * and of the indexed text, and the two answers here must be theirs for the same bytes or file, to
 * the byte (test/unit/parse-one-pass.test.ts: every SpamAssassin message, the bench's mixes from
 * bytes and from files, damaged messages). A side the walk cannot answer for sure gets null here
 * and takes its own mailparser path (summarizeWithMailparser, extractWithMailparser), as it would
 * alone; the other side keeps its answer from the walk.
 *
 * The summary's side stops where parse.ts stops mailparser (fast-summary.ts SummaryWalk.limit):
 * the walk goes on for the search text, and the summary is not shown the nodes past that point,
 * nor blamed for trouble the walk finds there.
 */
import type { MessageSummary } from '../../../shared/messages.js';
import { extractText, extractWithMailparser, PART_BUDGET, TextWalk, type IndexedText } from '../search/extract.js';
import { HTML_BUDGET, PLAIN_BUDGET, SummaryWalk, type LeafAccess } from '../mime/fast-summary.js';
import { splitHeader, type HeaderLine } from '../mime/headers.js';
import type { MessageSource } from '../mime/parse.js';
import { decodeTextPart } from '../mime/part-text.js';
import { MessageReader } from '../mime/reader.js';
import { checkedHeaderLines, describePart, PartWalker, type PartEvent, type PartInfo } from '../mime/structure.js';
import { summarize, summarizeWithMailparser } from '../mime/summary.js';

/** The bytes asked of one leaf, at most: the search text's budget covers the summary's. */
const LEAF_READ = Math.max(PART_BUDGET, PLAIN_BUDGET, HTML_BUDGET);

export interface SummaryAndText {
  summary: MessageSummary;
  text: IndexedText;
}

/** A walk's trouble (not a side's own): where it was found decides whether the summary shares it. */
class WalkFailed extends Error {
  constructor(readonly at: number) {
    super('walk failed');
  }
}

/** One leaf's body, read once at the larger budget, and its decoded text per length asked. */
function leafAccess(walker: PartWalker): LeafAccess {
  let read: Promise<{ bytes: Buffer; length: number; start: number }> | null = null;
  const decoded = new Map<number, string | null>();
  return {
    async body(max) {
      if (max > LEAF_READ) throw new Error('a leaf read beyond the shared budget');
      read ??= walker.body(LEAF_READ).catch(() => {
        throw new WalkFailed(walker.scanAt);
      });
      const { bytes, length, start } = await read;
      return { bytes: bytes.subarray(0, Math.min(length, max)), length, start };
    },
    decode(bytes: Buffer, info: PartInfo) {
      // Both sides decode a prefix of the same leaf: the same length is the same bytes.
      if (!decoded.has(bytes.length)) decoded.set(bytes.length, decodeTextPart(bytes, info));
      return decoded.get(bytes.length) as string | null;
    },
  };
}

/** Each side's fast answer, null where that side needs mailparser. */
async function walkBoth(reader: MessageReader): Promise<{ summary: MessageSummary | null; text: IndexedText | null }> {
  let lines: HeaderLine[];
  let walker: PartWalker;
  try {
    const head = reader.view(0, reader.end);
    const split = splitHeader(head);
    if (!split.ended && !reader.atEnd) return { summary: null, text: null };
    lines = checkedHeaderLines(head.subarray(0, split.bodyOffset), split.lines, split.skipped);
    walker = new PartWalker(reader, describePart(lines, true), split.bodyOffset);
  } catch {
    return { summary: null, text: null };
  }
  let summary: SummaryWalk | null = new SummaryWalk(lines, reader.size);
  let text: TextWalk | null = new TextWalk();
  const walkFailed = (at: number): void => {
    text = null;
    if (summary && at < summary.limit) summary = null;
  };
  for (;;) {
    let ev: PartEvent | null;
    try {
      ev = await walker.next();
    } catch {
      walkFailed(walker.scanAt);
      break;
    }
    if (!ev) break;
    const leaf = leafAccess(walker);
    // The summary's walk would have stopped before a node past its limit.
    if (summary && (ev.root || ev.delimiter < summary.limit)) {
      try {
        await summary.see(ev, leaf);
      } catch (e) {
        if (e instanceof WalkFailed) walkFailed(e.at);
        else summary = null;
      }
    }
    if (text) {
      try {
        await text.see(ev, leaf);
      } catch (e) {
        if (e instanceof WalkFailed) walkFailed(e.at);
        else text = null;
      }
    }
    if (!summary && !text) break;
  }
  let fastSummary: MessageSummary | null = null;
  try {
    fastSummary = (summary as SummaryWalk | null)?.result() ?? null;
  } catch {
    // unsure: mailparser decides
  }
  return { summary: fastSummary, text: (text as TextWalk | null)?.result() ?? null };
}

/**
 * The summary and the search text of a stored message (a file path) or its bytes, as
 * summarize() and extractText() give them. Throws only when the file cannot be read (as summarize).
 */
export async function summaryAndText(source: MessageSource): Promise<SummaryAndText> {
  let reader: MessageReader;
  try {
    reader = await MessageReader.open(source);
  } catch {
    // Unreadable: the two paths say so in their own ways.
    return { summary: await summarize(source), text: await extractText(source) };
  }
  let fast: { summary: MessageSummary | null; text: IndexedText | null };
  try {
    fast = await walkBoth(reader);
  } finally {
    reader.close();
  }
  return {
    summary: fast.summary ?? (await summarizeWithMailparser(source)),
    text: fast.text ?? (await extractWithMailparser(source)),
  };
}
