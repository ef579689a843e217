/**
 * The MIME structure of a stored message, walked the way mailparser's splitter (mailsplit) walks
 * it, without parsing the bodies: part headers, delimiter lines, and the body bytes of the few
 * parts a caller asks for. Reads the file through a bounded window, so a 100 MB attachment costs
 * a scan, not memory (DESIGN §3.5).
 *
 * It only has to agree with mailsplit where it answers. Anything it does not reproduce exactly
 * (a header that mailsplit would read differently, a delimiter mailsplit would find where this
 * code would not, an embedded message it would descend into, its size limits) throws `Unsure`,
 * and the caller hands the message to mailparser.
 */
import path from 'node:path';
import { repairContentType } from './content-type.js';
import { decodeHeader, decodeWords, type HeaderValue, parseHeaderValue } from './header-value.js';
import { splitHeader, type HeaderLine } from './headers.js';
import { libmime } from './libmime-lazy.js';
import { Unsure, type MessageReader } from './reader.js';

const LF = 0x0a;
const CR = 0x0d;
const DASHES = Buffer.from('--', 'latin1');

/** What a delimiter line may carry besides the boundary (mailsplit's BOUNDARY_LINE_SUFFIX). */
const BOUNDARY_LINE_SUFFIX = 2 + 2 + 998 + 2;
/** mailsplit's limits: header cost per node (every line counts at least 64 bytes) and nodes per message. */
const MAX_HEAD_COST = 1024 * 1024;
const HEADER_LINE_MIN_COST = 64;
/** Well below mailsplit's 1000, so that counting differences cannot matter. */
const MAX_NODES = 900;
/** A part header longer than this is left to mailparser. */
const MAX_PART_HEADER = 64 * 1024;

// ---------------------------------------------------------------------------------------------
// Part headers

/** A node as mailsplit describes it, and what mailparser adds (its Content-ID). */
export interface PartInfo {
  /** Lowercased; mailsplit's default where the header has none. */
  contentType: string;
  /** The subtype of a multipart, null for a leaf. */
  multipart: string | null;
  boundary: Buffer | null;
  charset: string | null;
  /** Content-Transfer-Encoding, lowercased, '' when absent. */
  encoding: string;
  /** Content-Disposition value, lowercased, null when absent (not normalized: 'attachement' stays). */
  disposition: string | null;
  flowed: boolean;
  delSp: boolean;
  /** The Content-ID as mailparser reads it, brackets removed; null when missing or empty. */
  cid: string | null;
  /** The file name (Content-Disposition filename, else Content-Type name), decoded; null when none. Search indexes it. */
  filename: string | null;
}

/** mailsplit's Headers#_decodeHeaderValue: the line as UTF-8 when it is valid UTF-8. */
function asUtf8(line: string): string {
  const utf8 = Buffer.from(line, 'latin1').toString('utf8');
  return utf8.includes('\ufffd') ? line : utf8;
}

/** mailsplit's Headers#getFirst; undefined when the field is absent. */
function firstValue(lines: readonly HeaderLine[], key: string): string | undefined {
  const line = lines.find((l) => l.key === key);
  if (!line) return undefined;
  return decodeHeader(asUtf8(line.line)).value;
}

/** mailparser's Content-ID: its first non-empty value, as headOf() in parse.ts ends up with it. */
function contentId(lines: readonly HeaderLine[]): string | null {
  for (const line of lines) {
    if (line.key !== 'content-id') continue;
    const raw = decodeHeader(line.line).value;
    const value = Buffer.from(raw, 'latin1').toString('utf8');
    if (!value) continue;
    return value.trim().replace(/^<|>$/g, '').trim() || null;
  }
  return null;
}

/**
 * A file name parameter as mailparser decodes it (encoded words too, unless the name came from
 * RFC 2231 and is decoded already: a second decode would hide what the name really says); never throws.
 */
function fileNameOf(header: HeaderValue, param: string): string | null {
  const raw = header.params[param];
  if (!raw) return null;
  if (header.decodedParams.includes(param)) return raw.trim() || null;
  try {
    return decodeWords(raw).trim() || null;
  } catch {
    return raw.trim() || null;
  }
}

// A token as RFC 2045 has it; anything else in a content type is left to mailparser.
const MEDIA_TYPE = /^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/;

/**
 * How mailsplit (MimeNode#parseHeaders) and mailparser (createNode) see a node with these
 * header fields. Throws Unsure where the two libraries' finer points would decide.
 */
export function describePart(lines: readonly HeaderLine[], root: boolean): PartInfo {
  const disposition = parseHeaderValue(firstValue(lines, 'content-disposition') ?? '', { stripComments: true });
  let contentHeader = firstValue(lines, 'content-type');
  // `TEXT/PLAIN charset=US-ASCII` reads as text/plain; parse.ts repairs it for mailsplit alike.
  if (contentHeader !== undefined) contentHeader = repairContentType(contentHeader) ?? contentHeader;
  if (contentHeader === undefined) {
    const filename = disposition.params.filename;
    if (filename) {
      const ext = path.parse(filename).ext.replace(/^\./, '');
      // libmime's MIME-type table, loaded for the first such part (libmime-lazy.ts)
      if (ext) contentHeader = libmime().detectMimeType(ext) || undefined;
    }
    contentHeader ??= /^attachment$/i.test(disposition.value) ? 'application/octet-stream' : 'text/plain';
  }
  const type = parseHeaderValue(contentHeader, { stripComments: true });
  const contentType = (type.value || '').toLowerCase().trim() || (root ? 'text/plain' : '');
  if (!MEDIA_TYPE.test(contentType)) throw new Unsure(`content type "${contentType}"`);

  const cte = firstValue(lines, 'content-transfer-encoding') ?? '';
  if (cte.includes('(')) throw new Unsure('a comment in Content-Transfer-Encoding');
  let dispositionValue = (disposition.value || '').toLowerCase().trim() || null;
  if (dispositionValue?.includes('=?')) throw new Unsure('an encoded word in Content-Disposition');
  if (dispositionValue) {
    try {
      dispositionValue = decodeWords(dispositionValue);
    } catch {
      throw new Unsure('an undecodable Content-Disposition');
    }
  }

  const multipart = contentType.startsWith('multipart/') ? contentType.slice('multipart/'.length) : null;
  const boundaryParam = (type.params.boundary || '').trimEnd();
  const boundary = boundaryParam && Buffer.byteLength(boundaryParam) === boundaryParam.length ? Buffer.from(boundaryParam, 'latin1') : null;
  // mailsplit matches delimiter lines against any node's boundary, a leaf's too.
  if (multipart !== null && !boundary) throw new Unsure('a multipart without a usable boundary');
  if (multipart === null && boundaryParam) throw new Unsure('a boundary on a leaf part');

  // format=flowed counts only where text/plain is declared: mailsplit decides it before a
  // missing or empty type (`Content-Type: ; format=flowed`) defaults to text/plain.
  const format = (type.params.format || '').toLowerCase().trim();
  const flowed = (type.value || '').toLowerCase().trim() === 'text/plain' && format === 'flowed';
  return {
    contentType,
    multipart,
    boundary,
    charset: type.params.charset || null,
    encoding: cte.toLowerCase().trim(),
    disposition: dispositionValue,
    flowed,
    delSp: flowed && (type.params.delsp || '').toLowerCase().trim() === 'yes',
    cid: contentId(lines),
    filename: disposition.params.filename ? fileNameOf(disposition, 'filename') : fileNameOf(type, 'name'),
  };
}

/**
 * Header lines from `splitHeader`, checked to be the very lines mailsplit reads from the block
 * (it keeps lines splitHeader skips, and takes an mbox "From " line for an envelope), with the
 * line ending mailsplit trims from the last one trimmed too. `block` is the header block
 * including its blank line.
 */
export function checkedHeaderLines(block: Buffer, lines: HeaderLine[], skipped: number): HeaderLine[] {
  if (skipped > 0) throw new Unsure('a header line that is not a field');
  if (lines[0] && /^(?:From|POST) /i.test(lines[0].line)) throw new Unsure('an envelope line');
  let cost = 0;
  for (let start = 0; start < block.length; ) {
    const lf = block.indexOf(LF, start);
    const end = lf < 0 ? block.length : lf + 1;
    cost += Math.max(end - start, HEADER_LINE_MIN_COST);
    start = end;
  }
  if (cost > MAX_HEAD_COST / 2) throw new Unsure('a header block near mailsplit’s size limit');
  const last = lines[lines.length - 1];
  if (last && last.line.endsWith('\r')) last.line = last.line.replace(/\r+$/, '');
  return lines;
}

// ---------------------------------------------------------------------------------------------
// Walking

/** One node in MIME order, as mailparser's processChunk sees it. */
export interface PartEvent {
  info: PartInfo;
  /** Offset of its header (for the root: 0). */
  offset: number;
  root: boolean;
  /** Below a multipart/related (its own type does not count). */
  inRelated: boolean;
  /** Where the delimiter line before its header starts (the root: 0); a walk with a `limit` at or below it never sees the node. */
  delimiter: number;
}

interface Frame {
  boundary: Buffer;
  inEpilogue: boolean;
  /** This multipart or one around it is a multipart/related. */
  related: boolean;
}

interface Delimiter {
  lineStart: number;
  lineEnd: number;
  /** Index into the frames of the multipart whose boundary the line carries. */
  frame: number;
  close: boolean;
}

/** mailsplit's compareBoundary: 1 for a delimiter, 2 for a closing one, 0 for neither. */
function compareBoundary(line: Buffer, startpos: number, boundary: Buffer): 0 | 1 | 2 {
  if (line.length < boundary.length + 3 + startpos || line.length > boundary.length + BOUNDARY_LINE_SUFFIX + startpos) return 0;
  for (let k = 0; k < boundary.length; k++) {
    if (line[k + 2 + startpos] !== boundary[k]) return 0;
  }
  let i = boundary.length + 2 + startpos;
  let result: 1 | 2 = 1;
  if (line[i] === 0x2d) {
    if (line[i + 1] !== 0x2d) return 0;
    result = 2;
    i += 2;
  }
  while (i < line.length && (line[i] === 0x20 || line[i] === 0x09)) i++;
  if (i === line.length) return result === 2 ? 2 : 0;
  while (i < line.length && line[i] === CR) i++;
  if (i < line.length && line[i] === LF) i++;
  return i === line.length ? result : 0;
}

/**
 * The nodes of a message in MIME order. `next()` gives the next node; `body()` gives the body of
 * the leaf `next()` last gave, up to a byte budget. Nothing beyond `limit` is looked at.
 */
export class PartWalker {
  /** Lines starting at or after this offset are not read. */
  limit = Number.POSITIVE_INFINITY;
  /**
   * Where the line being looked at as a delimiter starts: after a throw, how far the walk had
   * come (a walk with a lower `limit` would have stopped before the trouble).
   */
  scanAt = 0;
  private readonly frames: Frame[] = [];
  private nodes = 1;
  private rootEvent: PartEvent | null;
  /** The current node: a leaf with its body start (and end, once known), or the top frame. */
  private leaf: { start: number; end: number | null } | null = null;
  private scanFrom = 0;
  private found: Delimiter | null = null;
  private done = false;

  constructor(
    private readonly reader: MessageReader,
    root: PartInfo,
    private readonly rootBodyStart: number,
  ) {
    this.rootEvent = { info: root, offset: 0, root: true, inRelated: false, delimiter: 0 };
  }

  async next(): Promise<PartEvent | null> {
    if (this.rootEvent) {
      const ev = this.rootEvent;
      this.rootEvent = null;
      this.enter(ev, this.rootBodyStart);
      return ev;
    }
    while (!this.done) {
      let hit: Delimiter | null;
      if (this.leaf) {
        await this.findLeafEnd();
        hit = this.found;
        this.found = null;
      } else {
        hit = await this.findDelimiter(this.scanFrom);
      }
      if (!hit) break;
      // A delimiter of an outer multipart ends every part nested in it.
      this.frames.length = hit.frame + 1;
      const owner = this.frames[hit.frame] as Frame;
      this.leaf = null;
      if (hit.close) {
        owner.inEpilogue = true;
        this.scanFrom = hit.lineEnd;
        continue;
      }
      if (++this.nodes > MAX_NODES) throw new Unsure('too many parts');
      const { lines, bodyStart } = await this.partHeader(hit.lineEnd);
      const ev: PartEvent = {
        info: describePart(lines, false),
        offset: hit.lineEnd,
        root: false,
        inRelated: owner.related,
        delimiter: hit.lineStart,
      };
      this.enter(ev, bodyStart);
      return ev;
    }
    this.done = true;
    return null;
  }

  /**
   * The body of the leaf `next()` last gave: its first `max` bytes, and its whole length. The
   * bytes are those mailsplit hands to the part's decoder (the line ending before the next
   * delimiter belongs to the delimiter).
   */
  async body(max: number): Promise<{ bytes: Buffer; length: number; start: number }> {
    const leaf = this.leaf;
    if (!leaf) throw new Error('body() without a leaf');
    this.reader.startCapture(leaf.start, leaf.start + max);
    let end: number;
    try {
      end = await this.findLeafEnd();
      // A leaf that runs to the end of the message was not scanned: read what is asked for.
      await this.reader.fill(Math.min(end, leaf.start + max));
    } catch (e) {
      this.reader.endCapture();
      throw e;
    }
    const length = end - leaf.start;
    const bytes = this.reader.endCapture();
    return { bytes: bytes.subarray(0, Math.min(length, max)), length, start: leaf.start };
  }

  private enter(ev: PartEvent, bodyStart: number): void {
    const { info } = ev;
    if (info.multipart !== null && info.boundary) {
      if (this.frames.some((f) => f.boundary.equals(info.boundary as Buffer))) throw new Unsure('a boundary reused by a nested multipart');
      this.frames.push({
        boundary: info.boundary,
        inEpilogue: false,
        related: ev.inRelated || info.contentType === 'multipart/related',
      });
      this.leaf = null;
    } else {
      this.leaf = { start: bodyStart, end: this.frames.length === 0 ? this.reader.size : null };
    }
    this.scanFrom = bodyStart;
  }

  /** Ends the current leaf at the next delimiter (or the end of the message); returns its end. */
  private async findLeafEnd(): Promise<number> {
    const leaf = this.leaf as { start: number; end: number | null };
    if (leaf.end !== null) return leaf.end;
    const hit = await this.findDelimiter(leaf.start);
    this.found = hit;
    if (!hit) {
      // The end of the message, or the limit (beyond which nobody asks for a body).
      leaf.end = this.reader.size;
      return leaf.end;
    }
    // mailsplit's trimBodyLineEnd; a body that is nothing but one line ending keeps it.
    let end = hit.lineStart;
    if (end > leaf.start && this.reader.byteAt(end - 1) === LF) end--;
    if (end > leaf.start && this.reader.byteAt(end - 1) === CR) end--;
    if (end === leaf.start) end = hit.lineStart;
    leaf.end = end;
    return end;
  }

  /** The boundaries a line is compared with, in mailsplit's order: the current multipart's own, then its ancestors'. */
  private candidates(): { boundary: Buffer; frame: number; own: boolean }[] {
    const out: { boundary: Buffer; frame: number; own: boolean }[] = [];
    let i = this.frames.length - 1;
    if (!this.leaf && i >= 0) {
      const top = this.frames[i] as Frame;
      if (!top.inEpilogue) out.push({ boundary: top.boundary, frame: i, own: true });
      i--;
    }
    for (; i >= 0; i--) out.push({ boundary: (this.frames[i] as Frame).boundary, frame: i, own: false });
    return out;
  }

  /** The next delimiter line at or after `origin` (a line start), or null at the end or the limit. */
  private async findDelimiter(origin: number): Promise<Delimiter | null> {
    const candidates = this.candidates();
    if (candidates.length === 0) return null;
    const longest = Math.max(...candidates.map((c) => c.boundary.length)) + BOUNDARY_LINE_SUFFIX + 2;
    const r = this.reader;
    let from = origin;
    for (;;) {
      if (from >= this.limit) return null;
      const dash = from < r.end ? r.indexOf(DASHES, from) : -1;
      if (dash < 0) {
        if (r.atEnd || r.end >= this.limit) return null;
        const resume = Math.max(from, r.end - 1);
        await r.extend(resume - 2, resume + 1);
        from = resume;
        continue;
      }
      if (dash >= this.limit) return null;
      this.scanAt = dash;
      let startpos: number;
      if (dash === origin || r.byteAt(dash - 1) === LF) startpos = 0;
      else if (r.byteAt(dash - 1) === CR && (dash - 1 === origin || r.byteAt(dash - 2) === LF)) startpos = 1;
      else {
        from = dash + 1;
        continue;
      }
      const lineStart = dash - startpos;
      let lf = r.indexOf(LF, dash, Math.min(r.end, lineStart + longest));
      if (lf < 0 && r.end < lineStart + longest && !r.atEnd) {
        await r.extend(lineStart - 2, lineStart + longest);
        lf = r.indexOf(LF, dash, Math.min(r.end, lineStart + longest));
      }
      let lineEnd: number;
      if (lf >= 0) lineEnd = lf + 1;
      else if (r.atEnd && r.end < lineStart + longest) lineEnd = r.end;
      else {
        from = dash + 1; // longer than any delimiter line
        continue;
      }
      const line = r.view(lineStart, lineEnd);
      for (const c of candidates) {
        const kind = compareBoundary(line, startpos, c.boundary);
        if (kind === 0) continue;
        if (startpos !== 0) throw new Unsure('a delimiter line after a bare CR');
        if (c.own && kind === 2) throw new Unsure('a closing delimiter in a preamble');
        return { lineStart, lineEnd, frame: c.frame, close: kind === 2 };
      }
      from = lineEnd;
    }
  }

  /** Reads and checks the header of a part starting at `at`; returns its lines and body start. */
  private async partHeader(at: number): Promise<{ lines: HeaderLine[]; bodyStart: number }> {
    const r = this.reader;
    let split = splitHeader(r.view(at, Math.min(r.end, at + MAX_PART_HEADER)));
    if (!split.ended && r.end < at + MAX_PART_HEADER && !r.atEnd) {
      await r.extend(at - 2, at + MAX_PART_HEADER);
      split = splitHeader(r.view(at, Math.min(r.end, at + MAX_PART_HEADER)));
    }
    const { lines, bodyOffset, ended, skipped } = split;
    if (!ended) throw new Unsure('a part header without its blank line');
    const head = r.view(at, at + bodyOffset);
    if (mayHoldDelimiter(head)) throw new Unsure('a part header line that mailsplit may take for a delimiter');
    return { lines: checkedHeaderLines(head, lines, skipped), bodyStart: at + bodyOffset };
  }
}

/** mailsplit compares header lines with the boundaries too: any line starting with "--" (or CR "--"). */
function mayHoldDelimiter(head: Buffer): boolean {
  for (let start = 0; start < head.length; ) {
    const p = head[start] === CR ? start + 1 : start;
    if (head[p] === 0x2d && head[p + 1] === 0x2d) return true;
    const lf = head.indexOf(LF, start);
    if (lf < 0) break;
    start = lf + 1;
  }
  return false;
}
