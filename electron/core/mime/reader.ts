/**
 * A bounded window onto a stored message, for the fast summary path: one read brings in the
 * first megabyte (all of most messages), later reads move the window forward, so scanning a
 * 100 MB message never holds more than about a block of it (DESIGN §3.5).
 *
 * Plain callbacks on a file descriptor rather than fs.promises' FileHandle: a summary of a small
 * message is a few file operations and little else, and on a busy machine each round trip
 * through the thread pool costs more than the parsing (measured: about 100 µs of CPU each on a
 * loaded 2-core VM). So only opening and reading, which may have to wait for a disk or a
 * network share, go through the pool; asking an open descriptor for its size and closing a
 * descriptor that was only read from are done in place (together they made summaries of small
 * messages about a third faster).
 */
import fs from 'node:fs';
import type { MessageSource } from './parse.js';

/** The fast path cannot be sure of its answer here; mailparser decides. */
export class Unsure extends Error {
  override readonly name = 'Unsure';
}

/**
 * Bytes read at once. The first read takes in the whole of nearly every message in one round
 * trip through the thread pool (the kernel copies only what the file has), which is what a
 * summary of a small message mostly costs.
 */
const BLOCK = 1024 * 1024;
/**
 * A window never holds more than a block and what it kept from the one before: the start of a
 * part header (at most 64 KB) or of a delimiter line.
 */
const WINDOW = BLOCK + 128 * 1024 + 4096;

// Freshly allocated large buffers cost page faults on every read (the allocator hands their
// memory back to the system when they are freed), which made reading cost more than scanning.
// Summaries run one after another, so two windows are kept for reuse.
const spare: Buffer[] = [];

function takeWindow(): Buffer {
  return spare.pop() ?? Buffer.allocUnsafeSlow(WINDOW);
}

function giveBack(buf: Buffer | null): void {
  if (buf && buf.length === WINDOW && spare.length < 2) spare.push(buf);
}

function openFile(file: string): Promise<number> {
  return new Promise((resolve, reject) => fs.open(file, 'r', (e, fd) => (e ? reject(e) : resolve(fd))));
}

/** Closing a descriptor that was only read from cannot lose anything, so a failure is ignored. */
function closeQuietly(fd: number): void {
  try {
    fs.closeSync(fd);
  } catch {
    // nothing to do about it
  }
}

function readAt(fd: number, buf: Buffer, offset: number, length: number, position: number): Promise<number> {
  return new Promise((resolve, reject) => fs.read(fd, buf, offset, length, position, (e, n) => (e ? reject(e) : resolve(n))));
}

/**
 * `buf` holds the message's bytes from offset `base`. Moving the window forward releases what
 * lies before it; a pending capture copies its share out first.
 */
export class MessageReader {
  private capture: { from: number; to: number; chunks: Buffer[] } | null = null;

  private constructor(
    private buf: Buffer,
    private base: number,
    readonly size: number,
    private fd: number | null,
    /** The pooled buffer `buf` lies in, for a file. */
    private backing: Buffer | null,
  ) {}

  /**
   * Opens the message and reads its first block. Throws when the file cannot be read. Views of
   * the window stay valid only until the window moves or the reader is closed.
   */
  static async open(source: MessageSource): Promise<MessageReader> {
    if (Buffer.isBuffer(source)) return new MessageReader(source, 0, source.length, null, null);
    const fd = await openFile(source);
    const first = takeWindow();
    try {
      const size = fs.fstatSync(fd).size;
      const read = await readAt(fd, first, 0, Math.min(size, BLOCK), 0);
      const n = Math.min(read, size); // a message file does not grow; if it did, its size is what counts
      const reader = new MessageReader(first.subarray(0, n), 0, size, fd, first);
      if (n < Math.min(size, BLOCK)) await reader.readInto(0, Math.min(size, BLOCK));
      return reader;
    } catch (e) {
      closeQuietly(fd);
      giveBack(first);
      throw e;
    }
  }

  /** Releases the file and the window. */
  close(): void {
    if (this.fd !== null) closeQuietly(this.fd);
    this.fd = null;
    giveBack(this.backing);
    this.backing = null;
    this.buf = Buffer.alloc(0);
  }

  get end(): number {
    return this.base + this.buf.length;
  }

  get atEnd(): boolean {
    return this.end >= this.size;
  }

  byteAt(pos: number): number | undefined {
    return pos >= this.base ? this.buf[pos - this.base] : undefined;
  }

  /** The window's bytes in [from, to); both must lie inside it. */
  view(from: number, to: number): Buffer {
    return this.buf.subarray(from - this.base, to - this.base);
  }

  /** Offset of the next `needle` in [from, to) within the window, or -1. */
  indexOf(needle: Buffer | number, from: number, to = this.end): number {
    const hay = to >= this.end ? this.buf : this.buf.subarray(0, Math.max(0, to - this.base));
    const i = hay.indexOf(needle, Math.max(0, from - this.base));
    return i < 0 ? -1 : i + this.base;
  }

  /** Starts copying out [from, to) as the window moves past it; `endCapture` returns it. */
  startCapture(from: number, to: number): void {
    this.capture = { from, to, chunks: [] };
  }

  /** The captured bytes, copied out of the window. */
  endCapture(): Buffer {
    const cap = this.capture;
    this.capture = null;
    if (!cap) return Buffer.alloc(0);
    const from = Math.max(cap.from, this.base);
    const to = Math.min(cap.to, this.end);
    // Bytes handed in as a Buffer are not reused while this parse runs, so a view of them is as
    // good as a copy (copying every text part cost a parse worker ~4 % of its CPU, issue 18): the
    // caller's buffer (a parse worker's read buffer, main's handed bytes) outlives the job, and the
    // views die with it (what a parse returns is strings, never views). A file's window is reused
    // by the next read here, so it is copied.
    if (this.fd === null && this.backing === null && cap.chunks.length === 0) return this.view(from, Math.max(from, to));
    if (to > from) cap.chunks.push(this.view(from, to));
    return Buffer.concat(cap.chunks);
  }

  /**
   * Moves the window so that it starts at `keep` and reaches at least `want` (or the end of the
   * message). Returns false when there was nothing more to read.
   */
  async extend(keep: number, want: number): Promise<boolean> {
    if (this.atEnd || this.fd === null) return false;
    keep = Math.min(Math.max(keep, this.base), this.end);
    const cap = this.capture;
    if (cap && keep > cap.from && this.base < cap.to) {
      const from = Math.max(cap.from, this.base);
      const to = Math.min(cap.to, keep);
      if (to > from) cap.chunks.push(Buffer.from(this.view(from, to)));
      cap.from = Math.max(cap.from, to);
    }
    await this.readInto(keep, Math.min(this.size, Math.max(want, this.end + BLOCK)));
    return true;
  }

  /** Reads on until the window reaches `to` (or the end), keeping nothing but what a capture needs. */
  async fill(to: number): Promise<void> {
    while (this.end < to && (await this.extend(this.end, to)));
  }

  /** Replaces the window with [keep, to), reusing what it already holds. */
  private async readInto(keep: number, to: number): Promise<void> {
    const fd = this.fd as number;
    const kept = this.buf.subarray(keep - this.base);
    const backing = to - keep <= WINDOW ? takeWindow() : Buffer.allocUnsafe(to - keep);
    const next = backing.subarray(0, to - keep);
    kept.copy(next, 0);
    let filled = kept.length;
    try {
      while (filled < next.length) {
        const n = await readAt(fd, next, filled, next.length - filled, keep + filled);
        if (n === 0) throw new Unsure('the file is shorter than its size');
        filled += n;
      }
    } catch (e) {
      giveBack(backing);
      throw e;
    }
    giveBack(this.backing);
    this.backing = backing;
    this.buf = next;
    this.base = keep;
  }
}
