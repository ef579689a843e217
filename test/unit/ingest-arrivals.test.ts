/**
 * The arrivals a check hands to the rules and the junk filter (ingest/arrivals.ts): after the
 * first look, only the journal's changes since the previous look are read, and the answer is the
 * one reading every record gives, whatever happened between two looks (downloads of two
 * accounts, mail written here, moves, removals, a compaction, the mark moving on).
 */
import fc from 'fast-check';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MessageRecord } from '../../shared/changes.js';
import { ArrivalScan } from '../../electron/core/ingest/arrivals.js';
import { Journal } from '../../electron/core/store/journal.js';

let dir: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'popbox-arrivals-'));
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const record = (id: string, accountId: string, uidl: string, receivedAt: number): MessageRecord => ({
  id,
  accountId,
  uidl,
  receivedAt,
  partial: false,
  flags: { seen: false, flagged: false },
  folder: 'INBOX',
  summary: { subject: id, from: [], to: [], cc: [], date: null, messageId: null, inReplyTo: null, references: [], size: 1, hasAttachments: false, snippet: '' },
});

/** What reading every record answers (the rule the scan must keep). */
const everyRecord = (journal: Journal, accountId: string, mark: number): string[] =>
  [...journal.all()].filter((m) => m.accountId === accountId && m.uidl !== '' && m.receivedAt > mark).map((m) => m.id);

type Op = { t: 'add'; account: 'a' | 'b'; own: boolean } | { t: 'remove'; pick: number } | { t: 'move'; pick: number } | { t: 'compact' } | { t: 'look'; account: 'a' | 'b' };

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ t: fc.constant('add' as const), account: fc.constantFrom('a' as const, 'b' as const), own: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('remove' as const), pick: fc.nat({ max: 3 }) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('move' as const), pick: fc.nat({ max: 3 }) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('compact' as const) }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('look' as const), account: fc.constantFrom('a' as const, 'b' as const) }) },
);

describe('arrivals since the last look', () => {
  it('answers what reading every record answers, after any mix of changes between looks', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 60 }), async (ops) => {
        const journal = await Journal.open(path.join(dir, `journal-${run++}.jsonl`));
        const scan = new ArrivalScan(journal);
        const mark = new Map<string, number>();
        let clock = 0;
        let n = 0;
        for (const o of ops) {
          // Removals and moves pick among the newest (the ones a look may not have seen yet).
          const ids = [...journal.all()].map((m) => m.id).reverse();
          if (o.t === 'add') {
            // Mail written here (a draft, a sent copy) has no UIDL and is never an arrival.
            const id = `m${n++}`;
            await journal.append([{ t: 'add', m: record(id, o.account, o.own ? '' : `u${id}`, ++clock) }]);
          } else if (o.t === 'remove' && ids.length) await journal.append([{ t: 'remove', id: ids[o.pick % ids.length]! }]);
          else if (o.t === 'move' && ids.length) await journal.append([{ t: 'move', id: ids[o.pick % ids.length]!, folder: 'Archive' }]);
          else if (o.t === 'compact') await journal.compact();
          else if (o.t === 'look') {
            const at = mark.get(o.account) ?? 0;
            const want = everyRecord(journal, o.account, at);
            const got = scan.after(o.account, at).found;
            expect(got.map((m) => m.id).sort()).toEqual(want.sort());
            // The caller's mark: the newest arrival's download time (it never goes back).
            mark.set(o.account, Math.max(at, ...got.map((m) => m.receivedAt)));
          }
        }
      }),
      { numRuns: 150 },
    );
  });

  it('after the first look, reads the changes since it, not every record', async () => {
    const journal = await Journal.open(path.join(dir, 'journal.jsonl'));
    await journal.append(Array.from({ length: 1000 }, (_, i) => ({ t: 'add' as const, m: record(`old${i}`, 'a', `u${i}`, i) })));
    const scan = new ArrivalScan(journal);
    expect(scan.after('a', 999).found).toEqual([]);
    let reads = 0;
    const all = journal.all.bind(journal);
    journal.all = () => {
      reads++;
      return all();
    };
    await journal.append([{ t: 'add', m: record('new', 'a', 'unew', 2000) }]);
    expect(scan.after('a', 999).found.map((m) => m.id)).toEqual(['new']);
    expect(scan.after('a', 2000).found).toEqual([]);
    expect(reads).toBe(0);
  });

  it('takes what was added since the last look whatever its download time (a clock stepped back), in this process and from a state noted before', async () => {
    const journal = await Journal.open(path.join(dir, 'journal.jsonl'));
    await journal.append([{ t: 'add', m: record('ahead', 'a', 'u1', 5000) }]);
    const scan = new ArrivalScan(journal);
    const first = scan.after('a', 0);
    expect(first.found.map((m) => m.id)).toEqual(['ahead']);
    await journal.append([{ t: 'add', m: record('back', 'a', 'u2', 1000) }]);
    expect(scan.after('a', 5000).found.map((m) => m.id)).toEqual(['back']);
    // A new process, from the state the first look noted.
    await journal.append([{ t: 'add', m: record('later', 'a', 'u3', 2000) }]);
    expect(new ArrivalScan(journal).after('a', 5000, first.state).found.map((m) => m.id).sort()).toEqual(['back', 'later']);
    // Compacted past it: every record, by download time.
    await journal.compact();
    expect(new ArrivalScan(journal).after('a', 1500, first.state).found.map((m) => m.id).sort()).toEqual(['ahead', 'later']);
  });
});
