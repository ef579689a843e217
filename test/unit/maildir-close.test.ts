/**
 * A message is safe on disk only when its file closed cleanly (review F10): on some filesystems
 * (NFS, FUSE, quota on close) close() is where a write-back error shows, after fsync said yes.
 * Such a close must fail the delivery as `storage` before the rename (and so before any DELE),
 * leaving nothing in cur/ or tmp/. The failure is injected at fs.closeSync, as store-lock.test.ts
 * injects link() failures.
 */
import fsc from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Maildir } from '../../electron/core/store/maildir.js';

afterEach(() => vi.restoreAllMocks());

describe('Maildir.finish', () => {
  it('reports a close() failure after a good fsync as storage, renames nothing and leaves tmp/ empty', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'popbox-close-'));
    const md = await Maildir.open(dir, { cleanTmp: true });
    const staged = await md.write('m1', Readable.from([Buffer.from('Subject: hi\r\n\r\nbody\r\n')]));
    const realClose = fsc.closeSync.bind(fsc);
    vi.spyOn(fsc, 'closeSync').mockImplementation((fd: number) => {
      realClose(fd);
      if (fd === staged.fd) throw Object.assign(new Error('EIO: i/o error, close'), { code: 'EIO' });
    });
    const err = await md.finish(staged).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'storage' });
    expect(String((err as Error).message)).toMatch(/EIO|i\/o/i);
    expect(await fs.readdir(path.join(dir, 'cur'))).toEqual([]);
    expect(await fs.readdir(path.join(dir, 'tmp'))).toEqual([]);
    expect(md.get('m1')).toBeUndefined();
    await fs.rm(dir, { recursive: true, force: true });
  });
});
