/**
 * The journal cursor the arrival and purge scans follow the journal with (store/journal-cursor.ts):
 * each look hands out exactly the changes appended since the previous one, in order, and says
 * "read everything" at the first look and after a compaction passed the previous one.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Change, MessageRecord } from '../../shared/changes.js';
import { JournalCursor, changedMessage } from '../../electron/core/store/journal-cursor.js';
import { Journal } from '../../electron/core/store/journal.js';

let dir: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'popbox-cursor-'));
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const record = (id: string): MessageRecord => ({
  id,
  accountId: 'a',
  uidl: `u${id}`,
  receivedAt: 1,
  partial: false,
  flags: { seen: false, flagged: false },
  folder: 'INBOX',
  summary: { subject: id, from: [], to: [], cc: [], date: null, messageId: null, inReplyTo: null, references: [], size: 1, hasAttachments: false, snippet: '' },
});

const named = (changes: readonly Change[] | null) => changes?.map((c) => `${c.t}:${changedMessage(c) ?? '-'}`) ?? null;

describe('JournalCursor', () => {
  it('hands out each change once, in order, from the second look on', async () => {
    const journal = await Journal.open(path.join(dir, 'journal.jsonl'));
    await journal.append([{ t: 'add', m: record('old') }]);
    const cursor = new JournalCursor(journal);
    expect(cursor.next()).toBeNull(); // the first look reads every record
    expect(named(cursor.next())).toEqual([]);
    await journal.append([{ t: 'add', m: record('m1') }, { t: 'flags', id: 'old', flags: { seen: true, flagged: false } }]);
    await journal.append([
      { t: 'move', id: 'm1', folder: 'Trash' },
      { t: 'remove', id: 'old' },
    ]);
    expect(named(cursor.next())).toEqual(['add:m1', 'flags:old', 'move:m1', 'remove:old']);
    expect(named(cursor.next())).toEqual([]);
    // A second cursor on the same journal keeps its own place.
    const other = new JournalCursor(journal);
    expect(other.next()).toBeNull();
    await journal.append([{ t: 'add', m: record('m2') }]);
    expect(named(cursor.next())).toEqual(['add:m2']);
    expect(named(other.next())).toEqual(['add:m2']);
  });

  it('says to read everything again once the journal was compacted past its last look', async () => {
    const journal = await Journal.open(path.join(dir, 'journal.jsonl'));
    const cursor = new JournalCursor(journal);
    expect(cursor.next()).toBeNull();
    await journal.append([{ t: 'add', m: record('m1') }]);
    await journal.compact();
    expect(cursor.next()).toBeNull();
    // From the compacted state on, changes again.
    await journal.append([{ t: 'add', m: record('m2') }]);
    expect(named(cursor.next())).toEqual(['add:m2']);
  });

  it('names no message for a change of the folder tree', () => {
    expect(changedMessage({ s: 1, t: 'folders', accountId: 'a', folders: [] })).toBeUndefined();
    expect(changedMessage({ s: 1, t: 'partial', id: 'x', partial: false, summary: record('x').summary })).toBe('x');
  });
});
