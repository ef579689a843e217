import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MessageRecord } from '../../shared/changes.js';
import { Journal } from '../../electron/core/store/journal.js';
import { JournalThreads } from '../../electron/core/threads/journal-threads.js';

let dir: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'popbox-threads-'));
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const record = (id: string, refs: string[] = [], folder = 'INBOX'): MessageRecord => ({
  id,
  accountId: 'a',
  uidl: `u-${id}`,
  receivedAt: 1,
  partial: false,
  flags: { seen: false, flagged: false },
  folder,
  summary: {
    subject: `s ${id}`,
    from: [],
    to: [],
    cc: [],
    date: new Date(Date.UTC(2026, 0, 1) + Number(id.replace(/\D/g, '') || 0) * 1000).toISOString(),
    messageId: `<${id}@x>`,
    inReplyTo: null,
    references: refs.map((r) => `<${r}@x>`),
    size: 1,
    hasAttachments: false,
    snippet: '',
  },
});

describe('threads follow the journal', () => {
  it('are built from the records on first use, then kept change by change (moves change nothing), with an event per change', async () => {
    const journal = await Journal.open(path.join(dir, 'journal.jsonl'));
    await journal.append([{ t: 'add', m: record('m1') }, { t: 'add', m: record('m2', ['m1']) }]);
    const versions: number[] = [];
    const threads = new JournalThreads(journal, (v) => versions.push(v));
    const index = threads.current();
    const id = index.threadOf('m1')!;
    expect(index.members(id)).toEqual(['m1', 'm2']);
    // A reply filed in Sent joins; a move to another folder leaves the thread as it is.
    await journal.append([{ t: 'add', m: record('m3', ['m1', 'm2'], 'Sent') }]);
    expect(threads.current().members(id)).toEqual(['m1', 'm2', 'm3']);
    expect(versions).toHaveLength(1);
    await journal.append([{ t: 'move', id: 'm2', folder: 'Archive' }, { t: 'flags', id: 'm1', flags: { seen: true, flagged: false } }]);
    expect(versions).toHaveLength(1);
    await journal.append([{ t: 'remove', id: 'm2' }]);
    expect(threads.current().members(id)).toEqual(['m1', 'm3']);
    expect(versions).toHaveLength(2);
    threads.close();
  });

  it('a journal compacted past the cursor, or reopened after a kill, gives the same threads rebuilt', async () => {
    const file = path.join(dir, 'journal.jsonl');
    const journal = await Journal.open(file);
    await journal.append([{ t: 'add', m: record('m1') }, { t: 'add', m: record('m5', ['m1']) }, { t: 'add', m: record('m7', ['m9']) }]);
    const threads = new JournalThreads(journal);
    const before = [...threads.current().all()].sort((a, b) => a.id.localeCompare(b.id));
    await journal.compact();
    await journal.append([{ t: 'add', m: record('m9') }]);
    const after = threads.current();
    expect(after.threadOf('m9')).toBe(after.threadOf('m7'));
    // Nothing of the threads is on disk: a new process (after kill -9 or not) derives them again.
    const reopened = new JournalThreads(await Journal.open(file)).current();
    expect([...reopened.all()].sort((a, b) => a.id.localeCompare(b.id))).toEqual([...after.all()].sort((a, b) => a.id.localeCompare(b.id)));
    expect(before.find((t) => t.ids.includes('m1'))?.id).toBe(reopened.threadOf('m5'));
    threads.close();
  });
});
