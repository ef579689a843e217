import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Change, MessageRecord } from '../../shared/changes.js';
import { Journal } from '../../electron/core/store/journal.js';

let dir: string;
let file: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'popbox-journal-'));
  file = path.join(dir, 'journal.jsonl');
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const record = (id: string): MessageRecord => ({
  id,
  accountId: 'a',
  uidl: `u-${id}`,
  receivedAt: 1,
  partial: false,
  flags: { seen: false, flagged: false },
  folder: 'INBOX',
  summary: { subject: `s ${id}`, from: [], to: [], cc: [], date: null, messageId: null, inReplyTo: null, references: [], size: 1, hasAttachments: false, snippet: '' },
});

describe('Journal', () => {
  it('numbers changes, answers changesSince, and replays after reopening', async () => {
    const j = await Journal.open(file);
    const seen: number[] = [];
    j.onChange((s) => seen.push(s));
    await j.append([{ t: 'add', m: record('1') }, { t: 'add', m: record('2') }]);
    await j.append([{ t: 'flags', id: '1', flags: { seen: true, flagged: false } }]);
    await j.append([{ t: 'remove', id: '2' }]);
    expect(seen).toEqual([2, 3, 4]);
    const since = j.changesSince(2);
    expect('changes' in since && since.changes.map((c) => c.t)).toEqual(['flags', 'remove']);
    const again = await Journal.open(file);
    expect(again.state).toBe(4);
    expect([...again.all()].map((m) => [m.id, m.flags.seen])).toEqual([['1', true]]);
    expect(again.changesSince(4)).toEqual({ state: 4, changes: [] });
  });

  it('after compaction, old cursors must rebuild and new ones still get changes', async () => {
    const j = await Journal.open(file);
    await j.append([{ t: 'add', m: record('1') }, { t: 'add', m: record('2') }, { t: 'remove', id: '1' }]);
    await j.compact();
    await j.append([{ t: 'add', m: record('3') }]);
    expect(j.changesSince(1)).toEqual({ state: 4, cannotCalculate: true });
    const from3 = j.changesSince(3);
    expect('changes' in from3 && from3.changes.map((c) => c.s)).toEqual([4]);
    const reopened = await Journal.open(file);
    expect(reopened.snapshot()).toEqual({ state: 4, messages: [record('2'), record('3')], folders: [] });
    expect(reopened.changesSince(2)).toEqual({ state: 4, cannotCalculate: true });
    const r3 = reopened.changesSince(3);
    expect('changes' in r3 && r3.changes.length).toBe(1);
  });

  it('recovers from a truncated tail and keeps numbering after it', async () => {
    const j = await Journal.open(file);
    await j.append([{ t: 'add', m: record('1') }]);
    await fs.appendFile(file, '{"s":2,"t":"add","m":{"id":"2"');
    const recovered = await Journal.open(file);
    expect(recovered.state).toBe(1);
    await recovered.append([{ t: 'add', m: record('3') }]);
    const final = await Journal.open(file);
    expect([...final.all()].map((m) => m.id)).toEqual(['1', '3']);
    expect(final.state).toBe(2);
  });

  it('says it cannot calculate for a cursor from the future (a rebuilt data directory)', async () => {
    const j = await Journal.open(file);
    expect(j.changesSince(10)).toEqual({ state: 0, cannotCalculate: true });
  });
  it('overlapping appends, one of them compacting, all reach the disk with their own numbers', async () => {
    const j = await Journal.open(file);
    await j.append([{ t: 'add', m: record('0') }]);
    // One append away from compacting: many changes for one live message.
    for (let i = 0; i < 26; i++) await j.append(Array.from({ length: 200 }, (_, k) => ({ t: 'flags' as const, id: '0', flags: { seen: (i + k) % 2 === 0, flagged: false, trashed: false } })));
    // As the app does: summaries arriving while the user marks messages read.
    const states = await Promise.all(Array.from({ length: 20 }, (_, i) => j.append([{ t: 'add', m: record(`n${i}`) }])));
    expect(new Set(states).size).toBe(20);
    expect(await fs.readdir(dir)).toEqual(['journal.jsonl']); // it did compact
    const reopened = await Journal.open(file);
    expect(reopened.size).toBe(21);
    expect(reopened.state).toBe(j.state);
    const numbers = (await fs.readFile(file, 'utf8')).trim().split('\n').map((l) => (JSON.parse(l) as { s: number; t: string }).s);
    expect(numbers.slice(1)).toEqual([...numbers.slice(1)].sort((a, b) => a - b));
  });
  it('carries who filed a message in Junk through changesSince, a reopen and a compaction; a move out forgets it', async () => {
    const j = await Journal.open(file);
    await j.append([{ t: 'add', m: record('a') }]);
    const from = j.state;
    await j.append([{ t: 'move', id: 'a', folder: 'Junk', trashedAt: 5, junkedBy: { by: 'filter', score: 0.9993 } }]);
    const feed = j.changesSince(from);
    expect('changes' in feed && feed.changes).toEqual([{ s: from + 1, t: 'move', id: 'a', folder: 'Junk', trashedAt: 5, junkedBy: { by: 'filter', score: 0.9993 } }]);
    // What crosses to the renderer is checked against the contract's schema: the field survives it.
    expect(Change.parse(JSON.parse(JSON.stringify('changes' in feed && feed.changes[0])))).toMatchObject({ junkedBy: { by: 'filter', score: 0.9993 } });
    expect((await Journal.open(file)).get('a')).toMatchObject({ folder: 'Junk', trashedAt: 5, junkedBy: { by: 'filter', score: 0.9993 } });
    await j.compact();
    expect((await Journal.open(file)).get('a')?.junkedBy).toEqual({ by: 'filter', score: 0.9993 });
    expect(MessageRecord.parse(j.get('a')).junkedBy).toEqual({ by: 'filter', score: 0.9993 });
    await j.append([{ t: 'move', id: 'a', folder: 'INBOX' }]);
    expect(j.get('a')?.junkedBy).toBeUndefined();
    expect((await Journal.open(file)).get('a')?.junkedBy).toBeUndefined();
  });
  it('loads a journal written before moves said who filed them: in Junk, with no cause', async () => {
    const old = [
      { s: 1, t: 'add', m: { ...record('a'), folder: 'Junk', trashedAt: 3 } },
      { s: 2, t: 'add', m: record('b') },
      { s: 3, t: 'move', id: 'b', folder: 'Junk', trashedAt: 4 },
    ];
    await fs.writeFile(file, old.map((l) => `${JSON.stringify(l)}\n`).join(''));
    const j = await Journal.open(file);
    expect([j.get('a'), j.get('b')].map((m) => [m?.folder, m?.trashedAt, m?.junkedBy])).toEqual([
      ['Junk', 3, undefined],
      ['Junk', 4, undefined],
    ]);
    const feed = j.changesSince(0);
    expect('changes' in feed && feed.changes.map((c) => Change.safeParse(c).success)).toEqual([true, true, true]);
  });
});
