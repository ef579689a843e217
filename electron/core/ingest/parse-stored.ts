/**
 * One stored message, read once, becomes both things ingest needs from its bytes: the summary
 * the journal keeps and the text the search index keeps. Runs in a parse worker (parse-worker.ts)
 * or, where no worker can start, on the calling thread; both give the same answer.
 *
 * A file up to ONE_READ_MAX is read whole into memory once and one walk of its MIME structure
 * gives both (summary-text.ts); a bigger one is walked through a window onto the file (bounded
 * memory, DESIGN §3.5). Where the walk is unsure, each side's mailparser path reads it again.
 */
import fsSync from 'node:fs';
import fs from 'node:fs/promises';
import type { MessageSummary } from '../../../shared/messages.js';
import { summaryAndText } from './summary-text.js';
import type { IndexedText } from '../search/extract.js';

/** Files up to this size are read whole once; larger ones are read by each parser as a stream. */
export const ONE_READ_MAX = 8 * 1024 * 1024;

export interface ParsedMessage {
  summary: MessageSummary;
  /** What the search index needs from the body; null when the file could not be read at all. */
  text: IndexedText | null;
  /**
   * Kept by the worker that parsed it, to write into the search index once its sync's parses are
   * done (search/index-writer.ts): then `text` is null, and the index looks the row up by id.
   */
  deferred?: { partial: boolean };
}

/** A summary with nothing in it but a size of 0 (fallbackSummary's, for bytes with no file yet). */
export function emptySummary(): MessageSummary {
  return { subject: '', from: [], to: [], cc: [], date: null, messageId: null, inReplyTo: null, references: [], size: 0, hasAttachments: false, snippet: '' };
}

/** The summary of a file that cannot be read (or could not be parsed in time): as summarizeSafely's. */
export async function fallbackSummary(file: string): Promise<MessageSummary> {
  const size = (await fs.stat(file).catch(() => ({ size: 0 }))).size;
  return { ...emptySummary(), size };
}

export interface ParseOptions {
  /**
   * Read with blocking calls into this buffer (a parse worker's own: its thread has nothing else
   * to do, and one read with a known size costs fewer hand-offs to libuv's thread pool, which the
   * store shares). Without it the file is read asynchronously into a fresh buffer (main's thread).
   */
  blocking?: ReadBuffer;
  /**
   * The file's bytes exactly as the store wrote them (a small message, handed by main: see
   * parse-pool.ts). Parsed instead of reading the file back; the answer is the file's.
   */
  bytes?: Buffer;
  /** Told the file's size before parsing starts (the pool allows a big message longer). */
  onSize?: (size: number) => void;
}

/**
 * The buffer one parse worker's blocking reads go into, kept from one message to the next: a
 * fresh buffer per message made the worker's collector run for memory it had just let go
 * (issue 18). Each worker makes its own (DESIGN §7: no module-wide mutable state; main's thread
 * reads into fresh buffers). A worker parses one message at a time and nothing parsed keeps a
 * view of the bytes (summary and text are strings), so the buffer is free again once parseStored
 * returns; a read while it is lent out gets a buffer of its own.
 */
export class ReadBuffer {
  private spare: Buffer | null = null;
  private lent = false;

  /** The file's first `size` bytes (fewer if it is shorter), in the kept buffer when it is free. */
  read(file: string, size: number): Buffer {
    if (this.lent) return fsSync.readFileSync(file);
    const had = this.spare?.length ?? 0;
    if (!this.spare || had < size) this.spare = Buffer.allocUnsafeSlow(Math.min(ONE_READ_MAX, Math.max(size, 2 * had, 1024 * 1024)));
    const spare = this.spare;
    const fd = fsSync.openSync(file, 'r');
    try {
      let n = 0;
      // The file's size as stat saw it: a stored message does not change (if it were cut short, what is there is parsed).
      while (n < size) {
        const got = fsSync.readSync(fd, spare, n, size - n, n);
        if (got === 0) break;
        n += got;
      }
      this.lent = true;
      return spare.subarray(0, n);
    } finally {
      fsSync.closeSync(fd);
    }
  }

  /** `bytes` (from read) are no longer looked at. */
  release(bytes: Buffer | string): void {
    if (typeof bytes !== 'string' && bytes.buffer === this.spare?.buffer) this.lent = false;
  }
}

/** Summary and search text of a stored file. Never throws: an unreadable file gets the fallback summary and no text. */
export async function parseStored(file: string, opts: ParseOptions = {}): Promise<ParsedMessage> {
  let source: string | Buffer = file;
  const reads = opts.blocking;
  try {
    if (opts.bytes) {
      source = opts.bytes;
      opts.onSize?.(source.length);
    } else {
      try {
        const { size } = reads ? fsSync.statSync(file) : await fs.stat(file);
        opts.onSize?.(size);
        if (size <= ONE_READ_MAX) source = reads ? reads.read(file, size) : await fs.readFile(file);
      } catch {
        // summaryAndText below reports the unreadable file; the fallback describes it
      }
    }
    try {
      // One walk of the MIME structure for both (issue 18).
      return await summaryAndText(source);
    } catch {
      // summaryAndText never throws on bad MIME; this is a file we could not read at all.
      return { summary: await fallbackSummary(file), text: null };
    }
  } finally {
    reads?.release(source);
  }
}
