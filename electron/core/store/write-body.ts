/**
 * Writes a message body (a byte stream) to an open descriptor in batches of about 1 MB (or 1,024
 * chunks, whichever comes first), with backpressure: the stream is paused while a batch is on its
 * way to the disk, so at most one batch and the stream's own buffer are held (DESIGN §3.5).
 *
 * It listens for 'data' rather than iterating with `for await`: the async iterator reads a
 * paused stream with read(), which concatenates everything buffered into a new Buffer (a copy
 * of every byte that waited while the previous batch was written) and makes a promise and a
 * result object per chunk. Profiled on a 2,000-message sync over TLS, that path allocated
 * about a third of the V8 heap's garbage and every byte twice outside it. In flowing mode each
 * chunk arrives as the slice the POP3 scanner made of the socket's own buffer, and the batch is
 * written with one writev of those slices: no byte is copied between the socket and the file.
 */
import fsc from 'node:fs';
import type { Readable } from 'node:stream';

/** Bytes gathered before one write: few system calls, bounded memory. */
export const WRITE_BATCH = 1024 * 1024;

/**
 * Buffers gathered before one write, whatever their bytes: the scanner breaks its run at every
 * dot-stuffed line, so a hostile body of `..` lines arrives as one 3-byte slice per line, and a
 * batch cut by size alone held ~350k Buffer views and one writev of as many entries. Ordinary
 * mail comes in socket-sized slices (tens of KB) and still fills a batch by size first.
 */
export const WRITE_BATCH_BUFFERS = 1024;

export interface WriteBodyOptions {
  /** Sees every chunk before it is kept (progress, byte budgets); a throw stops the write. */
  onChunk?: ((chunk: Buffer) => void) | undefined;
  /** Runs before each batch goes to the disk (free-space checks); a rejection stops the write. */
  beforeWrite?: ((bytes: number) => Promise<void> | void) | undefined;
  /** Wraps a failed write (ENOSPC, EIO) in the caller's error. */
  writeError?: ((e: unknown) => Error) | undefined;
  /**
   * A batch of at most this many bytes is written on the calling thread (writev, not through the
   * thread pool) when beforeWrite did not need to wait. 0 (the default): every batch goes through
   * the pool. See SMALL_WRITE.
   */
  syncWriteMax?: number | undefined;
  /**
   * Sees the whole body once it was written in one batch on the calling thread (a small message:
   * SMALL_WRITE), so its bytes, already in memory, need not be read back (ingest's parse, issue
   * 18). The buffers are the batch's views: copy what is kept. A throw is ignored.
   */
  onWhole?: ((buffers: readonly Buffer[], size: number) => void) | undefined;
}

/**
 * What the Maildir writes on the calling thread: a small message's whole body, or the tail of a
 * larger one. Measured on an 800-message sync (strace, per-phase timers): each write sent to the
 * 4-thread pool queued behind the fsyncs of the messages before it (up to 8 in flight), so the
 * download loop waited ~4 ms per message for a copy into the page cache that takes ~20 µs, and
 * paid a thread hand-off for it. A write this small does not wait for the disk (the fsync, which
 * does, stays in the pool).
 */
export const SMALL_WRITE = 256 * 1024;

/**
 * Resolves with the byte count once the body ended and every byte was handed to the
 * descriptor (not fsynced: that is the caller's). Rejects on the body's error, an early end
 * (destroyed without 'end'), onChunk's or beforeWrite's throw, or a failed write; the body is
 * then left to the caller to destroy.
 */
export function writeBody(body: Readable, fd: number, opts: WriteBodyOptions = {}): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    let batch: Buffer[] = [];
    let batchBytes = 0;
    let size = 0;
    let writing = false;
    let ended = false;
    let settled = false;

    const cleanup = () => {
      body.off('data', onData);
      body.off('end', onEnd);
      // 'error' stays heard (fail ignores it once settled): an error event nobody listens to
      // would be thrown.
      body.off('close', onClose);
    };
    // A failure while a batch is being written waits for that write: the caller closes the
    // descriptor next, and a write still in the thread pool could land in whatever file reuses
    // its number.
    let failure: { error: unknown } | null = null;
    const fail = (e: unknown) => {
      if (settled) return;
      failure ??= { error: e };
      body.pause();
      if (writing) return;
      settled = true;
      cleanup();
      reject(failure.error);
    };
    const done = () => {
      if (settled) return;
      settled = true;
      cleanup();
      resolve(size);
    };
    const writeBatch = () => {
      const buffers = batch;
      const bytes = batchBytes;
      batch = [];
      batchBytes = 0;
      let before: Promise<void> | void;
      try {
        before = opts.beforeWrite?.(bytes);
      } catch (e) {
        fail(e);
        return;
      }
      if (!(before instanceof Promise) && bytes <= (opts.syncWriteMax ?? 0)) {
        // Written here and now: nothing to pause for, and the next 'data' or 'end' finds the
        // batch done.
        try {
          writeAllSync(fd, buffers);
        } catch (e) {
          fail(opts.writeError ? opts.writeError(e) : e);
          return;
        }
        if (ended && bytes === size) {
          try {
            opts.onWhole?.(buffers, size);
          } catch {
            // a nicety for the reader of the bytes; the file is written
          }
        }
        if (ended) done();
        return;
      }
      writing = true;
      body.pause();
      void (async () => {
        await before;
        try {
          await writeAll(fd, buffers);
        } catch (e) {
          throw opts.writeError ? opts.writeError(e) : e;
        }
      })().then(
        () => {
          writing = false;
          if (failure) fail(failure.error);
          else if (!ended) body.resume();
          else if (batchBytes > 0) writeBatch();
          else done();
        },
        (e: unknown) => {
          writing = false;
          fail(failure ? failure.error : e);
        },
      );
    };
    const onData = (chunk: Buffer) => {
      if (settled || failure) return;
      try {
        opts.onChunk?.(chunk);
      } catch (e) {
        fail(e);
        return;
      }
      batch.push(chunk);
      batchBytes += chunk.length;
      size += chunk.length;
      if ((batchBytes >= WRITE_BATCH || batch.length >= WRITE_BATCH_BUFFERS) && !writing) writeBatch();
    };
    const onEnd = () => {
      ended = true;
      if (writing) return;
      if (batchBytes > 0) writeBatch();
      else done();
    };
    const onClose = () => {
      if (ended) return;
      // Destroyed before its end. With an error (a connection reset while a pipelined body waited
      // for its turn: its 'error' went by before anyone listened here), that error is the cause,
      // as for-await reports it; without one, the message is cut short.
      fail(body.errored ?? Object.assign(new Error('the message ended early'), { code: 'ERR_STREAM_PREMATURE_CLOSE' }));
    };

    body.on('data', onData);
    body.once('end', onEnd);
    body.once('error', fail);
    body.once('close', onClose);
    if (body.readableEnded) onEnd();
    else if (body.destroyed) onClose();
  });
}

/** writeAll on the calling thread (see SMALL_WRITE). */
export function writeAllSync(fd: number, buffers: Buffer[]): void {
  let pending = buffers;
  while (pending.length > 0) {
    const bytesWritten = fsc.writevSync(fd, pending);
    const rest = remainder(pending, bytesWritten);
    if (rest.length === pending.length && bytesWritten === 0) throw Object.assign(new Error('no progress writing'), { code: 'EIO' });
    pending = rest;
  }
}

/** The buffers (or their tails) a writev of `written` bytes left unwritten. */
function remainder(buffers: Buffer[], written: number): Buffer[] {
  let skip = written;
  const rest: Buffer[] = [];
  for (const b of buffers) {
    if (skip >= b.length) {
      skip -= b.length;
      continue;
    }
    rest.push(skip > 0 ? b.subarray(skip) : b);
    skip = 0;
  }
  return rest;
}

const writevFd = (fd: number, buffers: Buffer[]) =>
  new Promise<number>((resolve, reject) => fsc.writev(fd, buffers, (e, n) => (e ? reject(e) : resolve(n))));

/** writev until every byte is written (a filling disk can write short). */
export async function writeAll(fd: number, buffers: Buffer[]): Promise<void> {
  let pending = buffers;
  while (pending.length > 0) {
    const bytesWritten = await writevFd(fd, pending);
    // Regular files rarely write short, but a filling disk can: carry on from where it stopped.
    const rest = remainder(pending, bytesWritten);
    if (rest.length === pending.length && bytesWritten === 0) throw Object.assign(new Error('no progress writing'), { code: 'EIO' });
    pending = rest;
  }
}
