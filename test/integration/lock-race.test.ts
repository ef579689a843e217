/**
 * The lock that keeps a second Popbox (and so a second sender) off a data directory or an
 * account (electron/core/store/lock.ts): when its owner died (kill -9) and several processes
 * start at once, each sees the stale lock and takes it over — exactly one of them may win.
 * Two winners would be two outboxes sending the same queue: a message sent twice (DESIGN §3, 9).
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acquireLock, releaseLock } from '../../electron/core/store/lock.js';

const repo = path.resolve(import.meta.dirname, '..', '..');
const CHILD = path.join(repo, 'test', 'support', 'lock-child.ts');
const ROUNDS = process.env.POPBOX_SOAK ? 1000 : 300;
const RACERS = 3;
const PERIOD_MS = 15;

/**
 * A PID no process can have: what a lock left by kill -9 holds, and never reused meanwhile (a PID
 * that had just exited could be given to a new process during the test's seconds, making the
 * stale lock look live). Linux never hands out PIDs at or above /proc/sys/kernel/pid_max; where
 * that file is missing, Linux's ceiling (2^22) is above every other system's PIDs as well.
 */
function deadPid(): number {
  let max = 4_194_304;
  try {
    max = Number(readFileSync('/proc/sys/kernel/pid_max', 'utf8').trim()) || max;
  } catch {
    // not Linux
  }
  return max + 1;
}

describe('stale lock takeover', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'popbox-lock-race-'));
  });
  afterAll(async () => {
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  it(`${RACERS} processes racing for a lock whose owner died: exactly one owner, ${ROUNDS} times`, async () => {
    const stale = deadPid();
    expect(() => process.kill(stale, 0)).toThrow(expect.objectContaining({ code: 'ESRCH' }));
    for (let r = 0; r < ROUNDS; r++) await fs.writeFile(path.join(dir, `lock-${r}`), `${stale}\n`);
    // Loading tsx and the module takes a while: every racer is waiting well before round 0.
    const t0 = Date.now() + 4000;
    const racers = Array.from({ length: RACERS }, () => spawn(process.execPath, ['--import', 'tsx', CHILD, dir, String(ROUNDS), String(t0), String(PERIOD_MS)], { cwd: repo, stdio: ['pipe', 'pipe', 'pipe'] }));
    const outputs = await Promise.all(
      racers.map(
        (c) =>
          new Promise<string>((resolve, reject) => {
            let out = '';
            let err = '';
            c.stdout.on('data', (d: Buffer) => {
              out += d.toString();
              if (out.split('\n').length > ROUNDS) resolve(out);
            });
            c.stderr.on('data', (d: Buffer) => (err += d.toString()));
            c.on('exit', (code) => reject(new Error(`a racer exited early (${code}): ${err}`)));
          }),
      ),
    ).finally(() => racers.forEach((c) => c.stdin.end()));
    const owners = new Map<number, number>();
    for (const out of outputs) {
      for (const line of out.trim().split('\n')) {
        const [r, what] = line.split(' ');
        expect(what === 'got' || what === 'busy', line).toBe(true);
        if (what === 'got') owners.set(Number(r), (owners.get(Number(r)) ?? 0) + 1);
      }
    }
    const twice = [...owners].filter(([, n]) => n > 1).map(([r]) => r);
    expect(twice, `rounds with more than one owner`).toEqual([]);
    expect(owners.size, 'every round has an owner').toBe(ROUNDS);
    // The lock file names the one owner.
    const pids = new Set(racers.map((c) => c.pid));
    for (let r = 0; r < ROUNDS; r += 37) expect(pids.has(Number((await fs.readFile(path.join(dir, `lock-${r}`), 'utf8')).split(/\s/)[0]))).toBe(true);
  }, 60_000);

  it('a takeover cut short by kill -9 (its marker left behind) does not block the lock forever; a live owner is refused', async () => {
    const lock = path.join(dir, 'marker-left');
    const stale = `${deadPid()} 0123456789abcdef01\n`;
    await fs.writeFile(lock, stale);
    const hash = createHash('sha256').update(stale).digest('hex').slice(0, 16);
    await fs.writeFile(`${lock}.takeover-${hash}`, `${deadPid()} feedfacefeedface00\n`);
    const held = await acquireLock(lock, () => 'busy');
    expect(Number((await fs.readFile(lock, 'utf8')).split(' ')[0])).toBe(process.pid);
    await expect(acquireLock(lock, (pid) => `busy ${pid}`)).rejects.toMatchObject({ code: 'in-use', message: `busy ${process.pid}` });
    await releaseLock(held);
    await expect(fs.stat(lock)).rejects.toMatchObject({ code: 'ENOENT' });
    // No marker or temporary file is left behind.
    expect((await fs.readdir(dir)).filter((n) => n.startsWith('marker-left'))).toEqual([]);
  });
});
