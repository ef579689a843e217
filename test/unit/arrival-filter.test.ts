/**
 * Filtering on arrival (ingest/arrival-filter.ts): the "filtered up to" mark never passes a
 * message whose filters are not done, and the next run — in this process or the next — runs on
 * those alone, never again on the mail done beside them (a rule run again would file back what
 * the person has filed since). A refusal because Popbox is closing says nothing and is not one
 * of the tries; a failure says what happens next.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { MessageRecord } from '../../shared/changes.js';
import { CLOSING_MESSAGE } from '../../shared/error-codes.js';
import { AppFailure } from '../../electron/core/errors.js';
import { ArrivalFilter, MAX_RETRY, MAX_TRIES, type ArrivalFilterDeps } from '../../electron/core/ingest/arrival-filter.js';
import type { RuleRun, RunOptions } from '../../electron/core/rules/run-rules.js';
import { Journal } from '../../electron/core/store/journal.js';
import { AccountMailbox } from '../../electron/core/store/mailbox.js';
import { record } from '../renderer/service-api.js';

let dataDir: string;
let journal: Journal;
beforeEach(async () => {
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'popbox-arrival-filter-'));
  await fs.mkdir(AccountMailbox.dirFor(dataDir, 'acc1'), { recursive: true });
  journal = await Journal.open(path.join(dataDir, 'journal.jsonl'));
});
afterEach(async () => {
  await fs.rm(dataDir, { recursive: true, force: true });
});

const markFile = () => path.join(AccountMailbox.dirFor(dataDir, 'acc1'), 'rules-filtered.json');
/** The file, but for the journal state it names (ingest-arrivals tests what that is for). */
const onDisk = async () => {
  const { journal: state, ...rest } = JSON.parse(await fs.readFile(markFile(), 'utf8')) as { journal?: unknown };
  expect(state).toBe(journal.state);
  return rest;
};

async function arrive(...at: number[]): Promise<MessageRecord[]> {
  const ms = at.map((receivedAt) => record({ receivedAt }));
  await journal.append(ms.map((m) => ({ t: 'add' as const, m })));
  return ms;
}

/**
 * A filter whose rule runs say `notDone(ids)` is left not done (or throw it), and `atClose(ids)`
 * not done only because Popbox was closing; what it was asked.
 */
function filter(over: { notDone?: (ids: readonly string[]) => string[] | Error; atClose?: (ids: readonly string[]) => string[]; junkOn?: boolean } = {}) {
  const ran: string[][] = [];
  /** Per run, the ids it was told its flags were applied to before. */
  const again: string[][] = [];
  const junked: string[][] = [];
  const notices: string[] = [];
  const deps: ArrivalFilterDeps = {
    dataDir,
    journal,
    runRules: async (ids: readonly string[], opts: RunOptions): Promise<RuleRun> => {
      ran.push([...ids]);
      again.push([...(opts.again ?? [])]);
      const left = over.notDone?.(ids) ?? [];
      if (left instanceof Error) throw left;
      const closed = over.atClose?.(ids) ?? [];
      return { outcomes: [], notDone: new Set([...left, ...closed]), atClose: new Set(closed) };
    },
    junkOn: () => over.junkOn ?? false,
    wanted: async () => new Set(),
    classifyArrivals: async (ids, opts) => {
      if (opts?.file !== false) junked.push([...ids]);
      return { junk: [], unsure: [], ham: [...ids], skipped: [], scores: new Map() };
    },
    notice: (m) => notices.push(m),
  };
  return { af: new ArrivalFilter(deps), ran, again, junked, notices };
}

it('the mark stops before the first message not done; the next start runs on that one alone, then passes them all', async () => {
  const [a, b, c] = await arrive(100, 200, 300);
  const first = filter({ notDone: () => [b!.id] });
  await first.af.filter('acc1', 50);
  expect(first.ran).toEqual([[a!.id, b!.id, c!.id]]);
  expect(await onDisk()).toEqual({ upTo: 199, checkedTo: 300, retry: { [b!.id]: { folder: 'INBOX', tries: 1, ruled: true } } });

  // The next process (the file alone): b, not a or c.
  const next = filter();
  await next.af.filter('acc1', 1_000);
  expect(next.ran).toEqual([[b!.id]]);
  expect(await onDisk()).toEqual({ upTo: 300 });
  // Nothing new, nothing left: no run, and the file as it was.
  await next.af.filter('acc1', 2_000);
  expect(next.ran).toHaveLength(1);
});

it('in the same process, the next run takes what was not done with the new mail only', async () => {
  const [a, b] = await arrive(100, 200);
  let refuse = true;
  const { af, ran } = filter({ notDone: (ids) => (refuse ? ids.filter((id) => id === a!.id) : []) });
  await af.filter('acc1', 50);
  expect(await onDisk()).toEqual({ upTo: 99, checkedTo: 200, retry: { [a!.id]: { folder: 'INBOX', tries: 1, ruled: true } } });
  const [c] = await arrive(300);
  refuse = false;
  await af.filter('acc1', 250);
  expect(ran).toEqual([
    [a!.id, b!.id],
    [a!.id, c!.id],
  ]);
  expect(await onDisk()).toEqual({ upTo: 300 });
});

it('one not done that the person filed or deleted since is theirs: not run on again', async () => {
  const [a, b, c] = await arrive(100, 200, 300);
  const first = filter({ notDone: () => [a!.id, b!.id, c!.id] });
  await first.af.filter('acc1', 50);
  await journal.append([
    { t: 'move', id: a!.id, folder: 'Archive' },
    { t: 'remove', id: b!.id },
  ]);
  const next = filter();
  await next.af.filter('acc1', 1_000);
  expect(next.ran).toEqual([[c!.id]]);
  expect(await onDisk()).toEqual({ upTo: 300 });
});

it('a failure says what happens next; a refusal because Popbox is closing says nothing and is no try; junk waits for the rules', async () => {
  const [a, b] = await arrive(100, 200);
  const closing = filter({ notDone: () => new AppFailure('closing', CLOSING_MESSAGE), junkOn: true });
  await closing.af.filter('acc1', 50);
  expect(closing.notices).toEqual([]);
  expect(closing.junked).toEqual([]);
  expect(await onDisk()).toEqual({ upTo: 99, checkedTo: 200, retry: { [a!.id]: { folder: 'INBOX', tries: 0 }, [b!.id]: { folder: 'INBOX', tries: 0 } } });

  const broken = filter({ notDone: () => new Error('rules.json is not valid JSON'), junkOn: true });
  await broken.af.filter('acc1', 1_000);
  expect(broken.notices).toEqual(['Filters did not run: rules.json is not valid JSON. They will run on this mail at the next check.']);
  expect(await onDisk()).toEqual({ upTo: 99, checkedTo: 200, retry: { [a!.id]: { folder: 'INBOX', tries: 1 }, [b!.id]: { folder: 'INBOX', tries: 1 } } });

  // b's rules done, a's not: the junk filter files b only.
  const half = filter({ notDone: () => [a!.id], junkOn: true });
  await half.af.filter('acc1', 2_000);
  expect(half.junked).toEqual([[b!.id]]);
  expect(await onDisk()).toEqual({ upTo: 99, checkedTo: 200, retry: { [a!.id]: { folder: 'INBOX', tries: 2, ruled: true } } });
});

it('actions the close refused are not a try: a person who quits during checks never sees Popbox give up on that mail', async () => {
  const [a, b] = await arrive(100, 200);
  // One real failure, then more closes than MAX_TRIES (each a run whose moves the close refused).
  let fail = true;
  const { af, ran, notices } = filter({ notDone: (ids) => (fail ? ids.filter((id) => id === a!.id) : []), atClose: (ids) => (fail ? [] : ids.filter((id) => id === a!.id)) });
  await af.filter('acc1', 50);
  fail = false;
  for (let check = 1; check <= MAX_TRIES + 1; check++) await af.filter('acc1', 50);
  expect(ran).toEqual([[a!.id, b!.id], ...Array.from({ length: MAX_TRIES + 1 }, () => [a!.id])]);
  expect(notices).toEqual([]);
  expect(await onDisk()).toEqual({ upTo: 99, checkedTo: 200, retry: { [a!.id]: { folder: 'INBOX', tries: 1, ruled: true } } });
});

it('a mark written before (upTo alone) reads as it did', async () => {
  const [, b] = await arrive(100, 200);
  await fs.writeFile(markFile(), JSON.stringify({ upTo: 150 }));
  const { af, ran } = filter();
  await af.filter('acc1', 1_000);
  expect(ran).toEqual([[b!.id]]);
  expect(await onDisk()).toEqual({ upTo: 200 });
});

it('one still not done after MAX_TRIES checks is given up, said once; a retry never sets the flags its first run set', async () => {
  const [a, b] = await arrive(100, 200);
  const { af, ran, again, notices } = filter({ notDone: (ids) => ids.filter((id) => id === a!.id) });
  for (let check = 1; check <= MAX_TRIES + 1; check++) await af.filter('acc1', 50);
  expect(ran).toEqual([[a!.id, b!.id], ...Array.from({ length: MAX_TRIES - 1 }, () => [a!.id])]);
  // Its rules ran at the first check: the retries do not mark it read or flag it again.
  expect(again).toEqual([[], ...Array.from({ length: MAX_TRIES - 1 }, () => [a!.id])]);
  expect(notices).toEqual([`Popbox gave up filtering “${a!.summary.subject}”: the filters failed on it at ${MAX_TRIES} checks in a row. To try again, run the filters on that mail (Settings › Filters › Run now).`]);
  expect(await onDisk()).toEqual({ upTo: 200 });
});

it('rules that did not run at all (rules.json broken) are not counted as run: their flags are still to set', async () => {
  await arrive(100);
  let broken = true;
  const { af, again } = filter({ notDone: () => (broken ? new Error('rules.json is not valid JSON') : []) });
  await af.filter('acc1', 50);
  broken = false;
  await af.filter('acc1', 50);
  expect(again).toEqual([[], []]);
  expect(await onDisk()).toEqual({ upTo: 100 });
});

it('while the rules cannot run, at most MAX_RETRY arrivals are kept to do; the rest are given up, said once', async () => {
  const many = await arrive(...Array.from({ length: MAX_RETRY + 2 }, (_, i) => 100 + i));
  const { af, notices } = filter({ notDone: () => new Error('rules.json is not valid JSON') });
  await af.filter('acc1', 50);
  const file = (await onDisk()) as { retry: Record<string, unknown> };
  expect(Object.keys(file.retry)).toEqual(many.slice(0, MAX_RETRY).map((m) => m.id));
  expect(notices.slice(1)).toEqual([`Popbox will not try the filters again on “${many.at(-2)!.summary.subject}”, “${many.at(-1)!.summary.subject}”: more than 1,000 messages were waiting for them. To try again, run the filters on that mail (Settings › Filters › Run now).`]);
});

it('mail downloaded while the clock is behind the last download time seen is filtered, in this process and at the next start', async () => {
  await arrive(5_000);
  const first = filter();
  await first.af.filter('acc1', 4_000);
  const [back] = await arrive(1_000); // the clock was set back an hour
  await first.af.filter('acc1', 900);
  expect(first.ran.at(-1)).toEqual([back!.id]);
  const [later] = await arrive(2_000); // downloaded, then a kill before its filters ran
  const next = filter();
  await next.af.filter('acc1', 1_900);
  expect(next.ran).toEqual([[later!.id]]);
});

it('a check that finds nothing new and has nothing waiting writes nothing, even though the journal moved (a mail read): no fsync per check', async () => {
  const [a] = await arrive(100);
  const { af, ran } = filter();
  await af.filter('acc1', 50);
  const written = await fs.readFile(markFile(), 'utf8');
  await journal.append([{ t: 'flags', id: a!.id, flags: { seen: true, flagged: false } }]);
  await af.filter('acc1', 50);
  expect(await fs.readFile(markFile(), 'utf8')).toBe(written);
  // A restart reads the journal again from the state on disk: nothing arrived since, nothing is run again.
  const again = filter();
  await again.af.filter('acc1', 50);
  expect([...ran, ...again.ran]).toEqual([[a!.id]]);
  // And the next arrival is found.
  const [b] = await arrive(200);
  await again.af.filter('acc1', 50);
  expect(again.ran).toEqual([[b!.id]]);
});
