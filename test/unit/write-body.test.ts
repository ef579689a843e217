/**
 * How a downloaded body reaches its file (store/write-body.ts): every byte, in order, written
 * from the very buffers the stream handed on (no copy between socket and file), with the stream
 * paused while a batch is on its way to the disk, and a failure reported only after the write in
 * flight came back (the caller closes the descriptor next). Writes are observed at fs.writev.
 */
import fsc from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SMALL_WRITE, WRITE_BATCH, writeBody } from '../../electron/core/store/write-body.js';

let dir: string;
let fd: number;
let file: string;

beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'popbox-write-body-'));
  file = path.join(dir, 'm');
  fd = fsc.openSync(file, 'wx', 0o600);
});

afterEach(async () => {
  vi.restoreAllMocks();
  try {
    fsc.closeSync(fd);
  } catch {
    // closed by the test
  }
  await fs.rm(dir, { recursive: true, force: true });
});

function chunks(count: number, size: number): Buffer[] {
  return Array.from({ length: count }, (_, i) => Buffer.alloc(size, 0x41 + (i % 26)));
}

describe('writeBody', () => {
  it('a body that failed before it was handed over reports its own error (a reset is network, not storage)', async () => {
    // A pipelined body read ahead whose connection was reset: its 'error' went by (heard by its
    // own listener) before the store held it.
    const body = new PassThrough();
    body.on('error', () => {});
    const reset = Object.assign(new Error('the connection was reset'), { code: 'network' });
    body.destroy(reset);
    await new Promise((r) => setImmediate(r));
    await expect(writeBody(body, fd)).rejects.toBe(reset);
    // The same once writing began: the reset, not "ended early".
    const later = new PassThrough();
    later.on('error', () => {});
    const writing = writeBody(later, fd);
    later.write(Buffer.from('Subject: x\r\n'));
    later.destroy(reset);
    await expect(writing).rejects.toBe(reset);
  });

  it('writes every byte in order, from the buffers the stream handed on (no copies), in batches', async () => {
    const parts = chunks(300, 16 * 1024); // 4.7 MB: several batches
    const body = new PassThrough({ highWaterMark: 256 * 1024 });
    // Everything is queued before anyone reads, so a reader that concatenates what waits
    // (Readable#read() in paused mode, which `for await` uses) would hand on new buffers.
    for (const p of parts) body.write(p);
    body.end();
    const handed = new Set<Buffer>(parts);
    const written: Buffer[][] = [];
    const real = fsc.writev.bind(fsc);
    vi.spyOn(fsc, 'writev').mockImplementation(((f: number, bufs: NodeJS.ArrayBufferView[], cb: (e: Error | null, n: number) => void) => {
      written.push(bufs as Buffer[]);
      return real(f, bufs, cb);
    }) as typeof fsc.writev);

    const size = await writeBody(body, fd, {});

    expect(size).toBe(300 * 16 * 1024);
    // Buffer#equals: vitest's deep equality walks 4.7 MB byte by byte.
    expect((await fs.readFile(file)).equals(Buffer.concat(parts))).toBe(true);
    const all = written.flat();
    // PassThrough hands on what was written to it: each buffer written is one of ours, whole.
    expect(all.every((b) => handed.has(b))).toBe(true);
    expect(all.length).toBe(parts.length);
    expect(written.length).toBeGreaterThanOrEqual(Math.floor(size / WRITE_BATCH));
    expect(written.length).toBeLessThanOrEqual(Math.ceil(size / WRITE_BATCH) + 1);
  });

  it('writes a body cut into tiny slices (hostile dot-stuffed lines) with at most 1,024 buffers per writev', async () => {
    // A body of `..\r\n` lines: the scanner breaks its run at every dot-stuffed line, handing on
    // one 3-byte slice per line. Batched by size alone, a 1 MB batch held ~350k Buffer views and
    // went to the disk as one 350k-entry writev.
    const count = 300_000;
    const parts = Array.from({ length: count }, (_, i) => Buffer.from(`.${String.fromCharCode(0x41 + (i % 26))}\n`));
    const body = Readable.from(parts);
    const written: number[] = [];
    const real = fsc.writev.bind(fsc);
    vi.spyOn(fsc, 'writev').mockImplementation(((f: number, bufs: NodeJS.ArrayBufferView[], cb: (e: Error | null, n: number) => void) => {
      written.push(bufs.length);
      return real(f, bufs, cb);
    }) as typeof fsc.writev);

    const size = await writeBody(body, fd, {});

    expect(size).toBe(count * 3);
    expect((await fs.readFile(file)).equals(Buffer.concat(parts))).toBe(true);
    expect(written.length).toBeGreaterThan(0);
    expect(Math.max(...written)).toBeLessThanOrEqual(1024);
  });

  it('pauses the stream while a batch is being written, and resumes it after', async () => {
    const body = new PassThrough({ highWaterMark: 64 * 1024 });
    const real = fsc.writev.bind(fsc);
    let release: (() => void) | undefined;
    const flowingDuringWrite: (boolean | null)[] = [];
    vi.spyOn(fsc, 'writev').mockImplementation(((f: number, bufs: NodeJS.ArrayBufferView[], cb: (e: Error | null, n: number) => void) => {
      flowingDuringWrite.push(body.readableFlowing);
      // The first write is held until the test lets it go; the rest go straight through.
      if (flowingDuringWrite.length === 1) release = () => real(f, bufs, cb);
      else real(f, bufs, cb);
    }) as typeof fsc.writev);
    const done = writeBody(body, fd, {});
    // Fill one batch; the producer sees backpressure (write() false) once the stream's buffer is full.
    let accepted = 0;
    for (const p of chunks(WRITE_BATCH / 16384 + 40, 16 * 1024)) {
      if (!body.write(p)) break;
      accepted++;
      await new Promise((r) => setImmediate(r));
    }
    await vi.waitFor(() => expect(release).toBeDefined());
    expect(flowingDuringWrite[0]).toBe(false);
    // While the write is pending, the stream stays paused: what arrives waits in its buffer.
    expect(body.readableFlowing).toBe(false);
    expect(accepted).toBeLessThan(WRITE_BATCH / 16384 + 40);
    release!();
    body.end();
    await expect(done).resolves.toBeGreaterThan(WRITE_BATCH);
    expect(flowingDuringWrite.every((f) => f === false)).toBe(true);
  });

  it('reports a stream error only after the write in flight came back', async () => {
    const body = new PassThrough();
    const real = fsc.writev.bind(fsc);
    let release: (() => void) | undefined;
    const order: string[] = [];
    vi.spyOn(fsc, 'writev').mockImplementation(((f: number, bufs: NodeJS.ArrayBufferView[], cb: (e: Error | null, n: number) => void) => {
      release = () =>
        real(f, bufs, (e, n) => {
          order.push('write done');
          cb(e, n);
        });
    }) as typeof fsc.writev);
    const done = writeBody(body, fd, {}).catch((e: unknown) => {
      order.push('rejected');
      return e;
    });
    for (const p of chunks(WRITE_BATCH / 16384, 16 * 1024)) body.write(p);
    await vi.waitFor(() => expect(release).toBeDefined());
    body.destroy(Object.assign(new Error('the server closed the connection'), { code: 'network' }));
    await new Promise((r) => setTimeout(r, 20));
    expect(order).toEqual([]);
    release!();
    const err = await done;
    expect(err).toMatchObject({ code: 'network' });
    expect(order).toEqual(['write done', 'rejected']);
  });

  it('fails on a stream destroyed before its end, on a throwing onChunk, and on a failed write', async () => {
    const cut = new PassThrough();
    cut.write(Buffer.from('From: a\r\n'));
    const p1 = writeBody(cut, fd, {});
    setImmediate(() => cut.destroy());
    await expect(p1).rejects.toMatchObject({ code: 'ERR_STREAM_PREMATURE_CLOSE' });

    const over = Readable.from([Buffer.from('x'), Buffer.from('y')]);
    await expect(
      writeBody(over, fd, {
        onChunk: () => {
          throw new Error('over budget');
        },
      }),
    ).rejects.toThrow('over budget');

    vi.spyOn(fsc, 'writev').mockImplementation(((_f: number, _b: unknown, cb: (e: Error | null, n: number) => void) =>
      void setImmediate(() => cb(Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' }), 0))) as unknown as typeof fsc.writev);
    await expect(
      writeBody(Readable.from([Buffer.from('body')]), fd, { writeError: (e) => new Error(`storage: ${(e as NodeJS.ErrnoException).code}`) }),
    ).rejects.toThrow('storage: ENOSPC');
  });

  it('carries on after a short write from where it stopped', async () => {
    const real = fsc.writev.bind(fsc);
    let first = true;
    vi.spyOn(fsc, 'writev').mockImplementation(((f: number, bufs: NodeJS.ArrayBufferView[], cb: (e: Error | null, n: number) => void) => {
      if (first) {
        first = false;
        // Only 5 bytes of the first buffer get written.
        return real(f, [(bufs[0] as Buffer).subarray(0, 5)], cb);
      }
      return real(f, bufs, cb);
    }) as typeof fsc.writev);
    const parts = [Buffer.from('Subject: short write\r\n'), Buffer.from('\r\n'), Buffer.from('body\r\n')];
    await expect(writeBody(Readable.from(parts), fd, {})).resolves.toBe(Buffer.concat(parts).length);
    expect(await fs.readFile(file)).toEqual(Buffer.concat(parts));
  });

  it('with syncWriteMax, writes a small body on the calling thread in one writev, and a larger one through the pool', async () => {
    const pooled = vi.spyOn(fsc, 'writev');
    const onThread = vi.spyOn(fsc, 'writevSync');
    const small = [Buffer.from('Subject: small\r\n'), Buffer.from('\r\n'), Buffer.from('body\r\n')];
    await expect(writeBody(Readable.from(small), fd, { syncWriteMax: SMALL_WRITE })).resolves.toBe(Buffer.concat(small).length);
    expect((await fs.readFile(file)).equals(Buffer.concat(small))).toBe(true);
    expect(onThread).toHaveBeenCalledTimes(1);
    expect(onThread.mock.calls[0]![1]).toEqual(small);
    expect(pooled).not.toHaveBeenCalled();

    // A body over the limit: its full batches go through the pool (the stream paused meanwhile).
    const big = chunks(WRITE_BATCH / 16384 + 4, 16 * 1024);
    const fd2 = fsc.openSync(path.join(dir, 'big'), 'wx', 0o600);
    await expect(writeBody(Readable.from(big), fd2, { syncWriteMax: SMALL_WRITE })).resolves.toBe(big.length * 16 * 1024);
    fsc.closeSync(fd2);
    expect((await fs.readFile(path.join(dir, 'big'))).equals(Buffer.concat(big))).toBe(true);
    expect(pooled).toHaveBeenCalled();
  });

  it('with syncWriteMax, reports a failed on-thread write (ENOSPC) through writeError, and a beforeWrite throw', async () => {
    vi.spyOn(fsc, 'writevSync').mockImplementation(() => {
      throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
    });
    await expect(
      writeBody(Readable.from([Buffer.from('body')]), fd, { syncWriteMax: SMALL_WRITE, writeError: (e) => new Error(`storage: ${(e as NodeJS.ErrnoException).code}`) }),
    ).rejects.toThrow('storage: ENOSPC');
    await expect(
      writeBody(Readable.from([Buffer.from('body')]), fd, {
        syncWriteMax: SMALL_WRITE,
        beforeWrite: () => {
          throw new Error('the disk is almost full');
        },
      }),
    ).rejects.toThrow('the disk is almost full');
  });
});
