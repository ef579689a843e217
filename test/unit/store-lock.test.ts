/**
 * The data directory's and each account's lock (electron/core/store/lock.ts), beyond the race
 * (test/integration/lock-race.test.ts): a release removes only the lock its holder wrote, and a
 * filesystem without hard links (exFAT, FAT32, some network shares) can still be locked.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, expect, it, vi } from 'vitest';
import { acquireLock, releaseLock } from '../../electron/core/store/lock.js';

let dir: string;
let n = 0;
beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'popbox-lock-'));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});
afterEach(() => {
  vi.restoreAllMocks();
});

const busy = (pid: number) => `busy ${pid}`;
const next = () => path.join(dir, `lock-${++n}`);

it('a holder closed twice does not remove the lock a newer holder (same process) took meanwhile', async () => {
  const file = next();
  const first = await acquireLock(file, busy);
  await releaseLock(first);
  const second = await acquireLock(file, busy);
  const held = await fs.readFile(file, 'utf8');
  await releaseLock(first); // the double close
  expect(await fs.readFile(file, 'utf8')).toBe(held);
  await expect(acquireLock(file, busy)).rejects.toMatchObject({ code: 'in-use', message: `busy ${process.pid}` });
  await releaseLock(second);
  await expect(fs.stat(file)).rejects.toMatchObject({ code: 'ENOENT' });
});

for (const code of ['EPERM', 'ENOTSUP']) {
  it(`no hard links on this filesystem (link: ${code}): the lock is still taken, refused to a second owner, released`, async () => {
    vi.spyOn(fs, 'link').mockRejectedValue(Object.assign(new Error(`${code}: operation not permitted, link`), { code }));
    const file = next();
    const held = await acquireLock(file, busy);
    expect((await fs.readFile(file, 'utf8')).split(' ')[0]).toBe(String(process.pid));
    await expect(acquireLock(file, busy)).rejects.toMatchObject({ code: 'in-use', message: `busy ${process.pid}` });
    await releaseLock(held);
    await expect(fs.stat(file)).rejects.toMatchObject({ code: 'ENOENT' });
    // No temporary file is left beside it.
    expect((await fs.readdir(dir)).filter((f) => f.startsWith(path.basename(file)))).toEqual([]);
  });
}

it('an empty lock just created (its owner is writing it, no hard links) is waited for, not taken over', async () => {
  const file = next();
  await fs.writeFile(file, '');
  const taking = acquireLock(file, busy);
  await new Promise((r) => setTimeout(r, 60));
  await fs.writeFile(file, `${process.pid} feedfacefeedface00\n`);
  await expect(taking).rejects.toMatchObject({ code: 'in-use', message: `busy ${process.pid}` });
});

it('an empty lock left long ago (a crash while writing it) is taken over', async () => {
  const file = next();
  await fs.writeFile(file, '');
  const old = new Date(Date.now() - 60_000);
  await fs.utimes(file, old, old);
  const held = await acquireLock(file, busy);
  expect((await fs.readFile(file, 'utf8')).split(' ')[0]).toBe(String(process.pid));
  await releaseLock(held);
});
