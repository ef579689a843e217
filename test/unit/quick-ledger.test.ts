/**
 * The empty check's cached ledger summary (sync/quick-ledger.ts): it may only ever say "nothing to
 * do" where planning from the ledger itself would find nothing to do, and it is used only while
 * the ledger file holds exactly the bytes it was made from.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Ledger } from '../../electron/core/store/ledger.js';
import { planHasWork, planSync, serverListing, type SyncPolicy } from '../../electron/core/sync/plan.js';
import { LedgerSummary, openCheckLedger } from '../../electron/core/sync/quick-ledger.js';

let dir: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'popbox-quick-ledger-'));
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const DAY = 24 * 3600 * 1000;
const keep: SyncPolicy = { leaveOnServer: true, deleteAfterDays: null, deleteWhenDeletedLocally: false, maxMessageSizeKB: null };
const ledgerFile = () => path.join(dir, 'ledger.jsonl');
const cacheFile = () => path.join(dir, 'ledger-uidls.cache');
const listing = (...uids: string[]) => uids.map((uid, i) => ({ id: i + 1, uid }));

/** A ledger of `n` kept messages u0…u(n-1), committed. */
async function keptLedger(n: number): Promise<Ledger> {
  const l = await Ledger.open(ledgerFile());
  for (let i = 0; i < n; i++) l.downloaded(`u${i}`, `id${i}`.padEnd(16, '0'), 1000 + i, 100, false);
  await l.commit();
  return l;
}

/** What a check that found nothing to do from the ledger itself leaves: the cache. */
async function checkOnce(): Promise<void> {
  const c = await openCheckLedger(dir);
  await c.ledger();
  await c.remember();
}

describe('the cached ledger summary', () => {
  it('never says "nothing to do" where planning from the ledger finds work, and says it wherever there is none', async () => {
    const uid = fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g');
    const event = fc.oneof(
      fc.record({ e: fc.constant('dl' as const), u: uid, at: fc.integer({ min: 0, max: 40 }), partial: fc.boolean() }),
      fc.record({ e: fc.constantFrom('full' as const, 'del' as const), u: uid, at: fc.integer({ min: 0, max: 40 }) }),
      fc.record({ e: fc.constantFrom('srv' as const, 'ask' as const, 'gone' as const), us: fc.array(uid, { maxLength: 3 }), at: fc.integer({ min: 0, max: 40 }) }),
    );
    const policy = fc.record({
      leaveOnServer: fc.oneof(fc.constant(true), fc.boolean()),
      deleteAfterDays: fc.option(fc.integer({ min: 1, max: 30 })),
      deleteWhenDeletedLocally: fc.boolean(),
      maxMessageSizeKB: fc.option(fc.integer({ min: 1, max: 10 })),
    });
    // The server lists either anything, or (more often: the case that matters) what the ledger
    // says it still has, maybe with one more or one less.
    const listed = fc.oneof(fc.record({ any: fc.array(uid, { maxLength: 9 }) }), fc.record({ extra: fc.option(uid), dropOne: fc.boolean() }), fc.record({ extra: fc.constant(null), dropOne: fc.constant(false) }));
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(event, { maxLength: 14 }), listed, policy, fc.integer({ min: 0, max: 60 }), async (events, listedAs, pol, nowDays) => {
        const file = path.join(dir, `l${n++}.jsonl`);
        const l = await Ledger.open(file);
        for (const ev of events) {
          if (ev.e === 'dl') l.downloaded(ev.u, `${ev.u}-id`, ev.at * DAY, 5, ev.partial);
          else if ('u' in ev && ev.e === 'full') l.completed(ev.u, 5);
          else if ('u' in ev) l.deletedLocally(ev.u, ev.at * DAY);
          else if (ev.e === 'srv') l.serverDeleted(ev.us, ev.at * DAY);
          else if (ev.e === 'ask') l.deleteOnServer(ev.us, ev.at * DAY);
          else l.gone(ev.us, ev.at * DAY);
        }
        const live = [...l.all()].filter((e) => e.goneAt === undefined && e.serverDeletedAt === undefined).map((e) => e.uidl);
        const server = 'any' in listedAs ? listedAs.any : [...live.slice(listedAs.dropOne ? 1 : 0), ...(listedAs.extra ? [listedAs.extra] : [])];
        const made = LedgerSummary.fromLedger(l)!;
        // As stored and read back: the same answers.
        const bytes = Buffer.from('ledger bytes');
        const read = LedgerSummary.parse(LedgerSummary.header(bytes, 'h', made.summary, made.body) + made.body, bytes, 'h')!;
        const now = nowDays * DAY;
        const work = planHasWork(planSync(serverListing(listing(...server)), l, pol, now));
        for (const s of [made.summary, read]) {
          const nothing = s.nothingToDo(listing(...server), pol, now);
          if (nothing) expect(work).toBe(false);
          // Without an expiry to rule out, it answers every check with nothing to do.
          if (!work && pol.deleteAfterDays === null) expect(nothing).toBe(true);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('is used after a check that found nothing to do, and is not made from a ledger it cannot hold byte for byte', async () => {
    await keptLedger(3);
    expect((await openCheckLedger(dir)).summary).toBeNull();
    await checkOnce();
    const c = await openCheckLedger(dir);
    expect(c.summary?.nothingToDo(listing('u0', 'u1', 'u2'), keep, Date.now())).toBe(true);
    // New mail, a message gone from the server: not "nothing to do".
    expect(c.summary?.nothingToDo(listing('u0', 'u1', 'u2', 'u3'), keep, Date.now())).toBe(false);
    expect(c.summary?.nothingToDo(listing('u0', 'u1'), keep, Date.now())).toBe(false);

    // A UIDL with a byte a cache line cannot hold: no cache.
    await fs.rm(dir, { recursive: true });
    await fs.mkdir(dir);
    const l = await Ledger.open(ledgerFile());
    l.downloaded('odd\u0100uidl', 'aaaaaaaaaaaaaaaa', 1, 1, false);
    await l.commit();
    await checkOnce();
    await expect(fs.access(cacheFile())).rejects.toThrow();
  });

  it('is not used once another process has appended to the ledger', async () => {
    await keptLedger(3);
    await checkOnce();
    // The app (or another popbox) downloads u3 meanwhile.
    const other = await Ledger.open(ledgerFile());
    other.downloaded('u3', 'dddddddddddddddd', 5000, 100, false);
    await other.commit();
    const c = await openCheckLedger(dir);
    expect(c.summary).toBeNull();
    // Planned from the ledger itself, the server's u3 is known.
    expect(planHasWork(planSync(serverListing(listing('u0', 'u1', 'u2', 'u3')), await c.ledger(), keep, Date.now()))).toBe(false);
  });

  it('is not used for a ledger changed to another of the same size with its times put back (no clock is trusted)', async () => {
    await keptLedger(3);
    await checkOnce();
    const st = await fs.stat(ledgerFile());
    const text = await fs.readFile(ledgerFile(), 'utf8');
    // u2 becomes u9: same length, same inode, same mtime.
    const changed = text.replace('"u2"', '"u9"');
    expect(changed.length).toBe(text.length);
    const fh = await fs.open(ledgerFile(), 'r+');
    await fh.write(changed, 0, 'utf8');
    await fh.close();
    await fs.utimes(ledgerFile(), st.atimeMs / 1000, st.mtimeMs / 1000);
    expect(Math.abs((await fs.stat(ledgerFile())).mtimeMs - st.mtimeMs)).toBeLessThan(1);
    const c = await openCheckLedger(dir);
    expect(c.summary).toBeNull();
    // The ledger itself says u2 is new now.
    expect(planSync(serverListing(listing('u0', 'u1', 'u2')), await c.ledger(), keep, Date.now()).download.map((m) => m.uidl)).toEqual(['u2']);
  });

  it('is not used when torn or damaged, and a check rewrites it', async () => {
    await keptLedger(3);
    await checkOnce();
    const good = await fs.readFile(cacheFile(), 'latin1');
    // Torn: the last entry's line lost (u2 would read as new, or u2's absence as nothing gone).
    for (const torn of [good.slice(0, good.lastIndexOf('U', good.length - 2)), good.slice(0, good.indexOf('\n')), '', 'garbage']) {
      await fs.writeFile(cacheFile(), torn, 'latin1');
      expect((await openCheckLedger(dir)).summary).toBeNull();
    }
    // Damaged in place, same length: u1's line says "deleted here, gone" (lower-case d).
    await fs.writeFile(cacheFile(), good.replace('Uu1', 'du1').replace('Ku1', 'du1'), 'latin1');
    expect(await fs.readFile(cacheFile(), 'latin1')).not.toBe(good);
    expect((await openCheckLedger(dir)).summary).toBeNull();
    await checkOnce();
    expect(await fs.readFile(cacheFile(), 'latin1')).toBe(good);
  });

  it('is not made from a ledger whose torn last line the open dropped', async () => {
    await keptLedger(2);
    await fs.appendFile(ledgerFile(), '{"e":"dl","u":"u9","id":"9999');
    await checkOnce();
    await expect(fs.access(cacheFile())).rejects.toThrow();
    // The next check reads the mended ledger and keeps its summary.
    await checkOnce();
    expect((await openCheckLedger(dir)).summary?.nothingToDo(listing('u0', 'u1'), keep, Date.now())).toBe(true);
  });

  it('leaves an expiry it cannot rule out to the ledger itself', async () => {
    await keptLedger(2); // downloaded at 1000 and 1001 ms
    await checkOnce();
    const c = await openCheckLedger(dir);
    const expiring = { ...keep, deleteAfterDays: 30 };
    expect(c.summary?.nothingToDo(listing('u0', 'u1'), expiring, 1000 + 29 * DAY)).toBe(true);
    expect(c.summary?.nothingToDo(listing('u0', 'u1'), expiring, 1000 + 30 * DAY)).toBe(false);
  });
});
