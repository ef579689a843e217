/**
 * Where a new message's open, small write and rename run (review of 16c4813): on this thread only
 * on a local disk; on a network or FUSE filesystem (or one that cannot say) through the thread
 * pool, so a server that stops answering can stall a sync but never freeze the app's main thread.
 * The filesystem's type is injected at fs.promises.statfs (NFS's magic number, 0x6969).
 */
import fsc from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Maildir, onLocalDisk } from '../../electron/core/store/maildir.js';

afterEach(() => vi.restoreAllMocks());

const NFS = 0x6969;
const body = Buffer.from('Subject: hi\r\n\r\nbody\r\n');

async function deliver(dir: string): Promise<{ onThread: number; pooled: number }> {
  const syncCalls = [vi.spyOn(fsc, 'openSync'), vi.spyOn(fsc, 'writevSync'), vi.spyOn(fsc, 'renameSync')];
  const poolCalls = [vi.spyOn(fsc, 'open'), vi.spyOn(fsc, 'writev'), vi.spyOn(fsc, 'rename')];
  const md = await Maildir.open(dir, { cleanTmp: true });
  const staged = await md.write('m1', Readable.from([body]));
  await md.finish(staged);
  const count = (spies: { mock: { calls: unknown[] } }[]) => spies.reduce((n, s) => n + s.mock.calls.length, 0);
  const result = { onThread: count(syncCalls), pooled: count(poolCalls) };
  const cur = await fs.readdir(path.join(dir, 'cur'));
  expect(cur).toHaveLength(1);
  expect(await fs.readFile(path.join(dir, 'cur', cur[0]!))).toEqual(body);
  expect(await fs.readdir(path.join(dir, 'tmp'))).toEqual([]);
  return result;
}

describe('Maildir delivery on local and network filesystems', () => {
  it('on a network filesystem opens, writes and renames a new message through the thread pool', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'popbox-nfs-'));
    const realStatfs = fs.statfs.bind(fs);
    vi.spyOn(fs, 'statfs').mockImplementation((async (p: string) => ({ ...(await realStatfs(p)), type: NFS })) as typeof fs.statfs);
    expect(await onLocalDisk(dir)).toBe(false);
    const calls = await deliver(dir);
    expect(calls.onThread).toBe(0);
    expect(calls.pooled).toBe(3);
    await fs.rm(dir, { recursive: true, force: true });
  });

  it.runIf(process.platform === 'linux')('on a local disk (ext4) does them on this thread', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'popbox-local-'));
    const realStatfs = fs.statfs.bind(fs);
    vi.spyOn(fs, 'statfs').mockImplementation((async (p: string) => ({ ...(await realStatfs(p)), type: 0xef53 })) as typeof fs.statfs);
    expect(await onLocalDisk(dir)).toBe(true);
    const calls = await deliver(dir);
    expect(calls.onThread).toBe(3);
    expect(calls.pooled).toBe(0);
    await fs.rm(dir, { recursive: true, force: true });
  });

  it.runIf(process.platform === 'linux')('on a local disk a sync opens its temporary files ahead in the pool and leaves none behind', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'popbox-ahead-'));
    const realStatfs = fs.statfs.bind(fs);
    vi.spyOn(fs, 'statfs').mockImplementation((async (p: string) => ({ ...(await realStatfs(p)), type: 0xef53 })) as typeof fs.statfs);
    const md = await Maildir.open(dir, { cleanTmp: true });
    const openSync = vi.spyOn(fsc, 'openSync');
    const open = vi.spyOn(fsc, 'open');
    md.openAhead(3);
    // Two are still waiting for a write when the sync ends; the third message never comes.
    await new Promise((r) => setTimeout(r, 50));
    expect(await fs.readdir(path.join(dir, 'tmp'))).toHaveLength(3);
    const bodies = [Buffer.from('Subject: one\r\n\r\n1\r\n'), Buffer.from('Subject: two\r\n\r\n2\r\n')];
    for (const [i, b] of bodies.entries()) await md.finish(await md.write(`m${i}`, Readable.from([b])));
    expect(openSync).not.toHaveBeenCalled();
    expect(open).toHaveBeenCalledTimes(3);
    await md.closeAhead();
    expect(await fs.readdir(path.join(dir, 'tmp'))).toEqual([]);
    const cur = (await fs.readdir(path.join(dir, 'cur'))).sort();
    expect(cur).toHaveLength(2);
    expect(await fs.readFile(path.join(dir, 'cur', cur[0]!))).toEqual(bodies[0]);
    expect(await fs.readFile(path.join(dir, 'cur', cur[1]!))).toEqual(bodies[1]);
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('on a network filesystem opens nothing ahead', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'popbox-nfs-ahead-'));
    const realStatfs = fs.statfs.bind(fs);
    vi.spyOn(fs, 'statfs').mockImplementation((async (p: string) => ({ ...(await realStatfs(p)), type: NFS })) as typeof fs.statfs);
    const md = await Maildir.open(dir, { cleanTmp: true });
    md.openAhead(5);
    await new Promise((r) => setTimeout(r, 50));
    expect(await fs.readdir(path.join(dir, 'tmp'))).toEqual([]);
    await fs.rm(dir, { recursive: true, force: true });
  });
});
