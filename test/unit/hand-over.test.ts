/**
 * The CLI's quick path parks what it found per account, and the data directory's lock, in the
 * command's hand-over (core/sync/hand-over.ts) for the full path of the same process: taken once,
 * a `work` session kept idle until taken, and a session or lock nobody takes let go at the
 * command's end (closed without QUIT, locks released: another process may then sync).
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Pop3Client } from '../../electron/core/pop3/client.js';
import { acquireLock } from '../../electron/core/store/lock.js';
import { HandOver } from '../../electron/core/sync/hand-over.js';
import { dropHandOver, type QuickCheckOutcome } from '../../electron/core/sync/quick-check.js';

let dir: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'popbox-park-'));
});
afterEach(() => fs.rm(dir, { recursive: true, force: true }));

/** A logged-in session as far as parking sees it: what keeps the process alive, whether it was closed, whether QUIT was sent. */
function fakeSession() {
  const s = { alive: [] as boolean[], closed: 0, quits: 0 };
  const pop = {
    keepProcessAlive: (on: boolean) => void s.alive.push(on),
    close: () => void s.closed++,
    quit: async () => {
      s.quits++;
      return '+OK';
    },
  } as unknown as Pop3Client;
  return { pop, s };
}

async function work(accountDir: string) {
  await fs.mkdir(accountDir, { recursive: true });
  const lock = await acquireLock(path.join(accountDir, 'lock'), () => 'in use');
  const { pop, s } = fakeSession();
  const outcome: Extract<QuickCheckOutcome, { kind: 'work' }> = { kind: 'work', loggedIn: pop, lock, listing: [{ num: 1, uidl: 'u1', size: 10 }] };
  return { outcome, s, lockFile: path.join(accountDir, 'lock') };
}

const exists = (f: string) => fs.access(f).then(() => true, () => false);

describe('HandOver: parkOutcome / takeOutcome', () => {
  it('is taken once, by the account directory however it is spelled', () => {
    const done: QuickCheckOutcome = { kind: 'done', result: { downloaded: 0, headersOnly: 0, skipped: 0, deletedOnServer: 0, bytes: 0, warnings: [], plan: { download: [], headersOnly: [], delete: [], gone: [], deleteNewDownloads: false } } };
    const h = new HandOver();
    h.parkOutcome(path.join(dir, 'a'), done);
    expect(new HandOver().takeOutcome(path.join(dir, 'a'))).toBeUndefined(); // another command's hand-over holds nothing of it
    expect(h.takeOutcome(path.join(dir, 'x', '..', 'a'))).toBe(done);
    expect(h.takeOutcome(path.join(dir, 'a'))).toBeUndefined();
    expect(h.takeOutcome(path.join(dir, 'b'))).toBeUndefined(); // never parked
  });

  it('a parked session does not keep the process alive until it is taken; the lock stays held meanwhile', async () => {
    const a = await work(path.join(dir, 'a'));
    const h = new HandOver();
    h.parkOutcome(path.join(dir, 'a'), a.outcome);
    expect(a.s.alive).toEqual([false]);
    expect(await exists(a.lockFile)).toBe(true);
    const taken = h.takeOutcome(path.join(dir, 'a'));
    expect(taken).toBe(a.outcome);
    expect(a.s.alive).toEqual([false, true]);
    expect(a.s.closed).toBe(0);
    expect(await exists(a.lockFile)).toBe(true); // the full path's now
    await dropHandOver(a.outcome);
  });

  it('a second outcome parked for the same account drops the first session: closed without QUIT, its lock released', async () => {
    const first = await work(path.join(dir, 'a'));
    const h = new HandOver();
    h.parkOutcome(path.join(dir, 'a'), first.outcome);
    const failed: QuickCheckOutcome = { kind: 'failed', error: new Error('refused') };
    h.parkOutcome(path.join(dir, 'a'), failed);
    await expect.poll(() => exists(first.lockFile)).toBe(false);
    expect(first.s).toMatchObject({ closed: 1, quits: 0 });
    expect(h.takeOutcome(path.join(dir, 'a'))).toBe(failed);
  });
});

describe('HandOver: the data directory lock, and releaseAll', () => {
  it('a parked lock is taken once, by the directory however it is spelled', async () => {
    const lock = await acquireLock(path.join(dir, 'popbox.lock'), () => 'in use');
    const h = new HandOver();
    h.parkLock(dir, lock);
    expect(h.takeLock(path.join(dir, 'x', '..'))).toBe(lock);
    expect(h.takeLock(dir)).toBeUndefined();
    await h.releaseAll();
    expect(await exists(lock.file)).toBe(true); // taken: the taker's to release, not the hand-over's
  });

  it("at the command's end, what nobody took is let go: sessions closed without QUIT, account and data directory locks released", async () => {
    const a = await work(path.join(dir, 'a'));
    const b = await work(path.join(dir, 'b'));
    const lock = await acquireLock(path.join(dir, 'popbox.lock'), () => 'in use');
    const h = new HandOver();
    h.parkLock(dir, lock);
    h.parkOutcome(path.join(dir, 'a'), a.outcome);
    h.parkOutcome(path.join(dir, 'b'), b.outcome);
    expect(h.takeOutcome(path.join(dir, 'b'))).toBe(b.outcome); // b goes on in the full path
    await h.releaseAll();
    expect(await exists(lock.file)).toBe(false);
    expect(await exists(a.lockFile)).toBe(false);
    expect(a.s).toMatchObject({ closed: 1, quits: 0 });
    expect(await exists(b.lockFile)).toBe(true);
    expect(b.s.closed).toBe(0);
    expect(h.takeLock(dir)).toBeUndefined();
    await dropHandOver(b.outcome);
  });
});

describe('dropHandOver', () => {
  it('closes the session without QUIT (the server deletes nothing) and releases the lock, so the next sync can take it', async () => {
    const a = await work(path.join(dir, 'a'));
    await dropHandOver(a.outcome);
    expect(a.s).toMatchObject({ closed: 1, quits: 0 });
    expect(await exists(a.lockFile)).toBe(false);
    const again = await acquireLock(a.lockFile, () => 'in use');
    expect(again.file).toBe(a.lockFile);
  });

  it('leaves alone a lock another holder took since (release checks the token)', async () => {
    const a = await work(path.join(dir, 'a'));
    await fs.rm(a.lockFile);
    const other = await acquireLock(a.lockFile, () => 'in use');
    await dropHandOver(a.outcome);
    expect(await fs.readFile(a.lockFile, 'utf8')).toBe(other.token);
  });
});
