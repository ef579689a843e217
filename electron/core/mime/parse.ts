/**
 * mailparser's streaming MailParser, run with bounded memory (DESIGN §3.5).
 *
 * MailParser streams attachments but keeps every text and HTML part whole in memory, so a
 * 200 MB text/plain part would cost 200 MB. It has no option against that, so we wrap the one
 * internal method that sees each MIME chunk (`processChunk`): text bodies past a byte budget
 * and attachment bodies nobody asked for are dropped before they are decoded, and MIME
 * structure is still parsed in full, so attachment numbering never depends on the budget.
 * If a mailparser upgrade removes that method, parsing fails loudly instead of silently
 * losing the bound (and the memory tests in test/unit/mime-memory.test.ts fail too).
 */
import type * as Mailparser from 'mailparser';
import type { AttachmentStream, MailParser as MailParserType, MessageText } from 'mailparser';
import { once } from 'node:events';
import fs from 'node:fs';
import type { Readable } from 'node:stream';
import { Transform, type TransformCallback } from 'node:stream';
import { finished } from 'node:stream/promises';
import { decodeText } from './charset.js';
import { repairHeaderBlock } from './content-type.js';
import type { HeaderLine } from './headers.js';

export type MessageSource = string | Buffer;

export interface AttachmentHead {
  /** Position among the attachments in MIME order, from "1". */
  id: string;
  filename: string | null;
  contentType: string;
  contentId: string | null;
  inline: boolean;
}

export interface ParsedAttachment extends AttachmentHead {
  /** Decoded bytes; 0 when the content was skipped. */
  size: number;
}

/** Consumes one attachment's decoded bytes; the parser waits until it settles. */
export type AttachmentSink = (content: Readable) => Promise<void>;

/** 'skip': never decode it; 'count': decode it to learn its size; or a sink for the bytes. */
export type AttachmentPlan = 'skip' | 'count' | AttachmentSink;

export interface ParseOptions {
  /** Raw (still transfer-encoded) bytes of text/plain parts to decode, at most. */
  maxPlainBytes: number;
  /** Raw bytes of text/html parts to decode, at most. */
  maxHtmlBytes: number;
  attachments: 'skip' | 'count' | ((head: AttachmentHead) => AttachmentPlan);
  /** Stop reading as soon as a summary's questions are answered (text start, real attachment or not). */
  summaryOnly?: boolean;
  /** Checked before every chunk of input: true stops reading (the parse then ends normally). */
  until?: () => boolean;
  /** Fail when the parser makes no progress for this long (a stall must not hang the caller). */
  idleTimeoutMs?: number;
}

export interface ParseResult {
  /** The top-level header fields, or null when mailparser never got that far. */
  headerLines: HeaderLine[] | null;
  /** The text/plain parts joined; null when there is none. */
  text: string | null;
  html: string | null;
  attachments: ParsedAttachment[];
  /** A text or HTML part was cut at its budget. */
  truncated: boolean;
}

/** The source could not be read (as opposed to: its content could not be parsed). */
export class SourceReadError extends Error {
  override readonly name = 'SourceReadError';
  constructor(override readonly cause: NodeJS.ErrnoException) {
    super(`cannot read message: ${cause.message}`);
  }
}

// Also bounds how far input runs ahead of parsing (mailsplit queues up to 16 chunks), which
// is what an early stop saves: larger chunks made summaries of big messages read megabytes more.
const CHUNK = 64 * 1024;

// The parts of MailParser (and of mailsplit's chunks) this module relies on beyond its typings.
interface SplitNode {
  type: 'node';
  root: boolean;
  multipart: string | false;
}
type Chunk = SplitNode | { type: 'body' | 'data'; node?: object; value: Buffer };
interface TextNode {
  contentType?: string;
  charset?: string;
  isAttachment?: boolean;
}
interface ParserInternals {
  processChunk(data: Chunk, done: (err?: Error | null) => void): void;
  createNode(node: unknown): TextNode;
  decoder: { decodeStream(charset: string): Transform };
  attachmentList: AttachmentStream[];
  curnode: false | { node: unknown; isAttachment?: boolean; contentType?: string };
}

/** A mailsplit node before its header block is parsed, and the splitter that makes them. */
interface RawNode {
  headers: unknown;
  _headersLines: Buffer[];
  _headerlen: number;
  parseHeaders(): void;
}
interface SplitterInternals {
  node: RawNode;
  newNode(parent?: unknown): void;
}

/**
 * Every node's header block goes through content-type.ts before mailsplit reads it, so a
 * Content-Type without its ';' is read as structure.ts (the fast path) reads it.
 */
function repairContentTypes(parser: MailParserType): void {
  const splitter = (parser as unknown as { splitter?: SplitterInternals }).splitter;
  const root = splitter?.node;
  if (!splitter || typeof splitter.newNode !== 'function' || !root || typeof root.parseHeaders !== 'function' || !Array.isArray(root._headersLines)) {
    throw new Error('mailparser internals changed: cannot read a Content-Type without its ";" (see electron/core/mime/parse.ts)');
  }
  const watch = (node: RawNode): void => {
    const parseHeaders = node.parseHeaders;
    node.parseHeaders = function (this: RawNode) {
      if (!this.headers && this._headerlen > 0) {
        const repaired = repairHeaderBlock(Buffer.concat(this._headersLines, this._headerlen));
        if (repaired) {
          this._headersLines = [repaired];
          this._headerlen = repaired.length;
        }
      }
      parseHeaders.call(this);
    };
  };
  const newNode = splitter.newNode;
  splitter.newNode = function (this: SplitterInternals, parent?: unknown) {
    newNode.call(this, parent);
    watch(this.node);
  };
  watch(root);
}

type NodePlan = { kind: 'plain' | 'html' } | { kind: 'attachment'; feed: boolean };

async function* chunksOf(source: MessageSource): AsyncGenerator<Buffer> {
  if (Buffer.isBuffer(source)) {
    for (let i = 0; i < source.length; i += CHUNK) yield source.subarray(i, i + CHUNK);
    return;
  }
  const stream = fs.createReadStream(source, { highWaterMark: CHUNK });
  try {
    for await (const chunk of stream) yield chunk as Buffer;
  } catch (e) {
    throw new SourceReadError(e as NodeJS.ErrnoException);
  } finally {
    stream.destroy();
  }
}

// mailparser decodes a text part's charset with libmime, and skips decoding altogether (reading
// UTF-8) when the part names no charset or US-ASCII: undeclared 8-bit text then shows U+FFFD.
// Every text part is handed to charset.ts's rule instead, through the decoder mailparser calls
// for a charset it has to convert; the label carries the part's own label and whether it is HTML.
const TEXT_LABEL = 'x-popbox-text:';

/** Collects a text part's bytes (already cut at the text budget) and decodes them whole at the end. */
class TextPartDecoder extends Transform {
  private readonly chunks: Buffer[] = [];
  constructor(
    private readonly charset: string | null,
    private readonly html: boolean,
  ) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.chunks.push(chunk);
    done();
  }
  override _flush(done: TransformCallback): void {
    done(null, Buffer.from(decodeText(Buffer.concat(this.chunks), this.charset, { html: this.html }), 'utf8'));
  }
}

function textDecoderFor(label: string): Transform {
  if (!label.startsWith(TEXT_LABEL)) return new TextPartDecoder(label, false);
  const [kind, ...rest] = label.slice(TEXT_LABEL.length).split(':');
  return new TextPartDecoder(rest.join(':') || null, kind === 'html');
}

function headOf(att: AttachmentStream, id: string): AttachmentHead {
  const cid = att.cid?.trim() || null;
  return {
    id,
    filename: att.filename ?? null,
    contentType: att.contentType || 'application/octet-stream',
    contentId: cid,
    // Referenced from the HTML rather than offered as a file: a cid inside multipart/related,
    // or a cid'd part that does not insist on being an attachment.
    inline: cid !== null && (att.related === true || att.contentDisposition !== 'attachment'),
  };
}

/**
 * mailparser and what it loads (html-to-text, linkify, mailsplit, a TLD list) cost ~0.25 s of CPU
 * to load, while the fast paths (fast-summary.ts, search/extract.ts) answer nearly every message
 * without it: it is loaded the first time a message needs it (issue 18: a parse worker's start,
 * and a CLI sync of ordinary mail, no longer pay for it).
 */
let mailparser: Promise<typeof Mailparser> | null = null;

export async function parseMessage(source: MessageSource, opts: ParseOptions): Promise<ParseResult> {
  const { MailParser } = await (mailparser ??= import('mailparser'));
  const parser = new MailParser({
    // We make our own snippet text; mailparser's HTML→text and linkify are the slow parts.
    skipHtmlToText: true,
    skipTextToHtml: true,
    skipTextLinks: true,
    skipImageLinks: true,
    checksumAlgo: false,
  });
  const internals = parser as unknown as ParserInternals;
  const original = internals.processChunk;
  if (typeof original !== 'function' || !Array.isArray(internals.attachmentList)) {
    throw new Error('mailparser internals changed: cannot bound memory while parsing (see electron/core/mime/parse.ts)');
  }
  const createNode = internals.createNode;
  if (typeof createNode !== 'function' || typeof internals.decoder?.decodeStream !== 'function') {
    throw new Error('mailparser internals changed: cannot decode charsets by our rule (see electron/core/mime/parse.ts)');
  }
  internals.createNode = (node) => {
    const created = createNode.call(parser, node);
    if (created.contentType && !created.contentType.startsWith('multipart/') && !created.isAttachment) {
      created.charset = `${TEXT_LABEL}${created.contentType === 'text/html' ? 'html' : 'plain'}:${created.charset ?? ''}`;
    }
    return created;
  };
  internals.decoder = { decodeStream: textDecoderFor };
  repairContentTypes(parser);

  const plans = new WeakMap<object, NodePlan>();
  const heads = new WeakMap<AttachmentStream, { head: AttachmentHead; plan: AttachmentPlan }>();
  let plainLeft = opts.maxPlainBytes;
  let htmlLeft = opts.maxHtmlBytes;
  let truncated = false;
  let hasPlain = false;
  let textParts = 0;
  let rootIsLeaf = false;
  let sawRealAttachment = false;
  let stop = false;
  let nextId = 1;
  let lastProgress = Date.now();
  let activeSinks = 0;

  internals.processChunk = (data, done) => {
    lastProgress = Date.now();
    if (data.type === 'body') {
      const plan = data.node ? plans.get(data.node) : undefined;
      if (plan?.kind === 'attachment' && !plan.feed) return done();
      if (plan?.kind === 'plain' || plan?.kind === 'html') {
        const left = plan.kind === 'plain' ? plainLeft : htmlLeft;
        if (data.value.length > left) {
          truncated = true;
          if (opts.summaryOnly && (rootIsLeaf || sawRealAttachment)) stop = true;
          if (left <= 0) return done();
          data.value = data.value.subarray(0, left);
        }
        if (plan.kind === 'plain') plainLeft -= data.value.length;
        else htmlLeft -= data.value.length;
      }
      return original.call(parser, data, done);
    }
    if (data.type !== 'node') return original.call(parser, data, done);

    // A summary is complete once a real attachment and the text before it have been seen.
    if (opts.summaryOnly && sawRealAttachment && textParts > 0) stop = true;
    const attachmentsBefore = internals.attachmentList.length;
    original.call(parser, data, done);
    if (data.root) rootIsLeaf = !data.multipart;
    const att = internals.attachmentList[attachmentsBefore];
    if (att) {
      const head = headOf(att, String(nextId++));
      const plan = typeof opts.attachments === 'function' ? opts.attachments(head) : opts.attachments;
      plans.set(data, { kind: 'attachment', feed: plan !== 'skip' });
      heads.set(att, { head, plan });
      if (!head.inline) {
        sawRealAttachment = true;
        if (opts.summaryOnly && (textParts > 0 || rootIsLeaf)) stop = true;
      }
      return;
    }
    const cur = internals.curnode;
    if (cur && cur.node === data && !cur.isAttachment && !data.multipart) {
      const kind = cur.contentType === 'text/html' ? 'html' : 'plain';
      plans.set(data, { kind });
      textParts++;
      if (kind === 'plain') hasPlain = true;
    }
  };

  const attachments: ParsedAttachment[] = [];
  const drained: Promise<unknown>[] = [];
  let message: MessageText | null = null;
  let headerLines: HeaderLine[] | null = null;

  // Settles only on failure: a sink that fails or a stall must end the parse even while
  // something else (a drain, an attachment's end) is still being awaited.
  let failWith: (err: Error) => void = () => {};
  const failure = new Promise<never>((_, reject) => {
    failWith = reject;
  });
  failure.catch(() => {});
  const fail = (err: unknown): void => {
    const e = err instanceof Error ? err : new Error(String(err));
    failWith(e);
    parser.destroy(e);
  };

  parser.on('headerLines', (lines) => {
    headerLines = lines.map((l) => ({ key: l.key, line: l.line }));
  });
  const onAttachment = (item: AttachmentStream): void => {
    const known = heads.get(item);
    if (!known) {
      // Numbering would drift, and an id could then name the wrong attachment.
      fail(new Error('mailparser internals changed: an attachment bypassed processChunk'));
      return;
    }
    const entry: ParsedAttachment = { ...known.head, size: 0 };
    attachments.push(entry);
    const content = item.content;
    content.on('data', (c: Buffer) => {
      entry.size += c.length;
    });
    if (typeof known.plan === 'function') {
      // The sink owns the stream now; release only when it is done, so backpressure reaches the file.
      activeSinks++;
      content.pause();
      known.plan(content).then(
        () => {
          activeSinks--;
          content.resume();
          item.release?.();
        },
        (err: unknown) => {
          activeSinks--;
          fail(err);
        },
      );
    } else {
      // Flowing mode discards the bytes as they come; releasing now lets the parser go on.
      drained.push(finished(content).catch(() => {}));
      content.resume();
      item.release?.();
    }
  };
  parser.on('data', (item: AttachmentStream | MessageText) => {
    if (item.type === 'text') message = item;
    // push() may deliver an attachment synchronously, before the processChunk wrapper has
    // numbered it and chosen its plan; a microtask runs after that but before any body chunk.
    else queueMicrotask(() => onAttachment(item));
  });

  const ended = new Promise<void>((resolve, reject) => {
    parser.once('end', resolve);
    parser.once('error', reject);
    parser.once('close', () => reject(new Error('parser closed before the end of the message')));
  });
  ended.catch(() => {}); // observed below; this only keeps an early failure from going unhandled

  let watchdog: NodeJS.Timeout | undefined;
  if (opts.idleTimeoutMs) {
    const limit = opts.idleTimeoutMs;
    watchdog = setInterval(() => {
      if (activeSinks === 0 && Date.now() - lastProgress > limit) fail(new Error(`MIME parser stalled for ${limit} ms`));
    }, Math.min(1000, limit));
    watchdog.unref();
  }

  const abort = new AbortController();
  const feeding = (async () => {
    for await (const chunk of chunksOf(source)) {
      if (stop || opts.until?.() || parser.destroyed) break;
      if (!parser.write(chunk)) await once(parser, 'drain', { signal: abort.signal });
    }
    if (!parser.destroyed) parser.end();
  })();
  feeding.catch(() => {});

  try {
    await Promise.race([failure, Promise.all([feeding, ended]).then(() => Promise.all(drained))]);
  } catch (e) {
    abort.abort();
    parser.destroy();
    // A read error explains a parse failure better than the parse failure it caused.
    const readErr = await feeding.then(
      () => null,
      (err: unknown) => err,
    );
    throw readErr instanceof SourceReadError ? readErr : e;
  } finally {
    if (watchdog) clearInterval(watchdog);
  }

  const text = (message as MessageText | null)?.text;
  const html = (message as MessageText | null)?.html;
  return {
    headerLines,
    text: hasPlain ? (text ?? '') : null,
    html: html ?? null,
    attachments,
    truncated,
  };
}
