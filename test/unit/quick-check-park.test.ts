/**
 * The CLI's quick path parks what it found per account (quick-check.ts) for the full path of the
 * same process: taken once, a `work` session kept idle until taken, and a session nobody uses
 * closed without QUIT with its account lock released (another process may then sync).
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Pop3Client } from '../../electron/core/pop3/client.js';
import { acquireLock } from '../../electron/core/store/lock.js';
import { dropHandOver, parkOutcome, takeParkedOutcome, type QuickCheckOutcome } from '../../electron/core/sync/quick-check.js';

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

describe('parkOutcome / takeParkedOutcome', () => {
  it('is taken once, by the account directory however it is spelled', () => {
    const done: QuickCheckOutcome = { kind: 'done', result: { downloaded: 0, headersOnly: 0, skipped: 0, deletedOnServer: 0, bytes: 0, warnings: [], plan: { download: [], headersOnly: [], delete: [], gone: [], deleteNewDownloads: false } } };
    parkOutcome(path.join(dir, 'a'), done);
    expect(takeParkedOutcome(path.join(dir, 'x', '..', 'a'))).toBe(done);
    expect(takeParkedOutcome(path.join(dir, 'a'))).toBeUndefined();
    expect(takeParkedOutcome(path.join(dir, 'b'))).toBeUndefined(); // never parked
  });

  it('a parked session does not keep the process alive until it is taken; the lock stays held meanwhile', async () => {
    const a = await work(path.join(dir, 'a'));
    parkOutcome(path.join(dir, 'a'), a.outcome);
    expect(a.s.alive).toEqual([false]);
    expect(await exists(a.lockFile)).toBe(true);
    const taken = takeParkedOutcome(path.join(dir, 'a'));
    expect(taken).toBe(a.outcome);
    expect(a.s.alive).toEqual([false, true]);
    expect(a.s.closed).toBe(0);
    expect(await exists(a.lockFile)).toBe(true); // the full path's now
    await dropHandOver(a.outcome);
  });

  it('a second outcome parked for the same account drops the first session: closed without QUIT, its lock released', async () => {
    const first = await work(path.join(dir, 'a'));
    parkOutcome(path.join(dir, 'a'), first.outcome);
    const failed: QuickCheckOutcome = { kind: 'failed', error: new Error('refused') };
    parkOutcome(path.join(dir, 'a'), failed);
    await expect.poll(() => exists(first.lockFile)).toBe(false);
    expect(first.s).toMatchObject({ closed: 1, quits: 0 });
    expect(takeParkedOutcome(path.join(dir, 'a'))).toBe(failed);
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
