/**
 * `npm run bench:threads` at CI size: the first 100 list messages of each corpus group,
 * threaded by notmuch and by Popbox (test/bench/threads-compare.ts). No timing is looked at
 * (DESIGN §6). Every message is in one thread on each side, and every cluster grouped
 * differently has a reason the comparison can name: Popbox's subject fallback joining replies
 * without references (then references alone group exactly as notmuch does), or ids read
 * differently (notmuch also links the addresses some mailers write into In-Reply-To).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compare, listMail, notmuchThreads, popboxThreads, writeMaildir } from '../bench/threads-compare.js';

const unavailable = spawnSync('sh', ['-c', 'command -v notmuch']).status === 0 ? null : 'notmuch not found: apt-get install notmuch (see .ci/run)';
if (unavailable && process.env.CI) throw new Error(`The threads bench smoke test needs notmuch in CI: ${unavailable}`);
if (unavailable) console.warn(`Skipping the threads bench smoke test: ${unavailable}`);
const suite = unavailable ? describe.skip : describe;

suite('npm run bench:threads at CI size', () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'popbox-threads-smoke-'));
  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

  it('groups the same list mail as notmuch except where it can say why', async () => {
    const { files } = listMail(100);
    const dir = path.join(work, 'Maildir');
    writeMaildir(dir, files);
    const notmuch = notmuchThreads(dir, work);
    const popbox = await popboxThreads(dir, files);
    const names = files.map((f) => f.name);
    expect(notmuch.threadOf.size).toBe(names.length);
    expect(popbox.threadOf.size).toBe(names.length);
    const result = compare(names, popbox, notmuch.threadOf);
    expect(result.messagesAgreeing / result.messages).toBeGreaterThan(0.6);
    expect(result.equalConversations).toBeGreaterThan(10);
    for (const d of result.differences) {
      expect(['subject fallback', 'references read differently']).toContain(d.reason);
      // The fallback only ever joins: never a thread notmuch has whole split in two.
      if (d.reason === 'subject fallback') expect(d.popbox.length).toBeLessThan(d.notmuch.length);
    }
    const byReason = (r: string) => result.differences.filter((d) => d.reason === r).length;
    expect(byReason('subject fallback')).toBeGreaterThan(0);
    // Reading ids differently is the exception (a few clusters in the whole corpus).
    expect(byReason('references read differently')).toBeLessThanOrEqual(3);
  });
});
