/**
 * Ingest (issue 14 §1): stored files become journal records. A failed journal write does not
 * stop the messages after it; reconcile makes the journal agree with the Maildir and ledger
 * (what a user sees after a crash: every file listed once, with the flags its name carries).
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import type { MessageFlags, MessageRecord } from '../../shared/changes.js';
import { Ingest } from '../../electron/core/ingest/ingest.js';
import { SummaryQueue } from '../../electron/core/ingest/summary-queue.js';
import { messageIdFor } from '../../electron/core/store/ids.js';
import { Journal } from '../../electron/core/store/journal.js';
import { AccountMailbox } from '../../electron/core/store/mailbox.js';
import { eml } from '../support/mime.js';
import { corpusMessage, corpusNames } from '../support/spam-corpus.js';
import { Readable } from 'node:stream';
import { ParsePool } from '../../electron/core/ingest/parse-pool.js';
import { summarizeSafely } from '../../electron/core/ingest/summary-queue.js';
import { TextCache } from '../../electron/core/ingest/text-cache.js';
import { extractText } from '../../electron/core/search/extract.js';
import { SMALL_WRITE } from '../../electron/core/store/write-body.js';

const UNREAD: MessageFlags = { seen: false, flagged: false };
const roots: string[] = [];
let dataDir: string;
let journal: Journal;

beforeEach(async () => {
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'popbox-ingest-'));
  roots.push(dataDir);
  journal = await Journal.open(path.join(dataDir, 'journal.jsonl'));
});
afterAll(async () => {
  for (const r of roots) await fs.rm(r, { recursive: true, force: true });
});

/** A message file in the account's Maildir, named as the store names it. */
async function storedFile(uidl: string, subject: string, flags: MessageFlags = UNREAD, folder = 'INBOX') {
  const id = messageIdFor('acct', uidl);
  const file = AccountMailbox.messagePath(dataDir, 'acct', id, flags, folder);
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, eml(`From: Ann <ann@example.com>\nSubject: ${subject}\n\nHello.\n`));
  return { id, file };
}

function record(id: string, uidl: string, subject: string, flags: MessageFlags = UNREAD): MessageRecord {
  return {
    id,
    accountId: 'acct',
    uidl,
    receivedAt: 0,
    partial: false,
    flags,
    folder: 'INBOX',
    summary: { subject, from: [], to: [], cc: [], date: null, messageId: null, inReplyTo: null, references: [], size: 1, hasAttachments: false, snippet: '' },
  };
}

describe('summary queue', () => {
  it('a failed journal write does not poison the queue: later messages are journaled, drain reports the first failure', async () => {
    const files = [];
    for (let i = 0; i < 101; i++) files.push(await storedFile(`u${i}`, `Message ${i}`));
    const append = journal.append.bind(journal);
    let calls = 0;
    journal.append = (batch) => (++calls === 1 ? Promise.reject(new Error('disk full')) : append(batch));
    const queue = new SummaryQueue(journal);
    // The first 100 make a batch whose write fails; the 101st goes in the next one.
    for (const [i, f] of files.entries()) void queue.add({ path: f.file, base: { id: f.id, accountId: 'acct', uidl: `u${i}`, receivedAt: 0, partial: false, flags: UNREAD, folder: 'INBOX' } });
    await expect(queue.drain()).rejects.toThrow('disk full');
    expect([...journal.all()].map((m) => m.summary.subject)).toEqual(['Message 100']);
  });
});

describe('a sync\'s new messages', () => {
  it('are parsed from the bytes the store wrote (no read back), with the summary and search text of their files', async () => {
    const box = await AccountMailbox.open(dataDir, 'acct');
    // A worker from the first message, as in a long sync; the pool says which way each came.
    const pool = new ParsePool({ size: 1, startAt: 0 });
    const byPath: string[] = [];
    const parse = pool.parse.bind(pool);
    pool.parse = (file) => (byPath.push(file), parse(file));
    const texts = new TextCache();
    const names = (await corpusNames('hard-ham-1')).slice(0, 60);
    try {
      const run = new Ingest(journal, () => 5, { pool, texts }).begin(box);
      const stored: { id: string; file: string }[] = [];
      for (const [i, name] of names.entries()) {
        const raw = await corpusMessage('hard-ham-1', name);
        const id = messageIdFor('acct', `u${i}`);
        // In socket-sized pieces, as the POP3 engine hands them to the store.
        const pieces = Array.from({ length: Math.ceil(raw.length / 1500) }, (_, k) => raw.subarray(k * 1500, (k + 1) * 1500));
        const staged = await box.maildir.write(id, Readable.from(pieces));
        await box.maildir.finish(staged);
        box.ledger.downloaded(`u${i}`, id, 5, staged.size, false);
        stored.push({ id, file: box.maildir.pathOf(id)! });
      }
      await box.maildir.syncDirs();
      await box.ledger.commit();
      for (const [i, s] of stored.entries()) run.stored({ id: s.id, uidl: `u${i}`, path: s.file, partial: false });
      await run.finish();
      // Only a message too big to be written in one go on main's thread (SMALL_WRITE) is read back.
      const big = [];
      for (const s of stored) if ((await fs.stat(s.file)).size > SMALL_WRITE) big.push(s.file);
      expect(big.length, 'the sample has a big one').toBeGreaterThan(0);
      expect(byPath.sort(), 'no small file read back').toEqual(big.sort());
      expect(box.maildir.onWholeBody, 'the store is left as it was').toBeNull();
      for (const s of stored) {
        expect(journal.get(s.id)?.summary, s.file).toStrictEqual(await summarizeSafely(s.file));
        expect(texts.take(s.id), s.file).toStrictEqual(await extractText(s.file));
      }
    } finally {
      await pool.close();
      await box.close();
    }
  }, 60_000);

  it('tell the parse pool their count once, however many progress events repeat the plan', async () => {
    const box = await AccountMailbox.open(dataDir, 'acct');
    const pool = new ParsePool({ size: 1 });
    const told: number[] = [];
    pool.expect = (count) => void told.push(count);
    try {
      const run = new Ingest(journal, () => 5, { pool }).begin(box);
      // account-sync hears the plan with each 'downloading' event, up to 10 a second of the download.
      for (let i = 0; i < 50; i++) run.coming(200);
      const f = await storedFile('u1', 'One of 200');
      run.stored({ id: f.id, uidl: 'u1', path: f.file, partial: false });
      run.coming(200);
      await run.finish();
      expect(told).toEqual([200]);
    } finally {
      await pool.close();
      await box.close();
    }
  });
});

describe('reconcile', () => {
  it('adds a file without a record, removes a record without a file, and takes flags and folders from the disk', async () => {
    const lost = await storedFile('lost', 'Arrived before a crash');
    const read = await storedFile('read', 'Marked read by another tool', { seen: true, flagged: false });
    const filed = await storedFile('filed', 'Filed by another tool', UNREAD, 'Work');
    const gone = messageIdFor('acct', 'gone');
    await journal.append([
      { t: 'add', m: record(read.id, 'read', 'Marked read by another tool') },
      { t: 'add', m: record(gone, 'gone', 'Deleted by another tool') },
      { t: 'add', m: record(filed.id, 'filed', 'Filed by another tool') },
      // Another account's messages are not this reconcile's business.
      { t: 'add', m: { ...record(messageIdFor('other', 'x'), 'x', 'Other account'), accountId: 'other' } },
    ]);
    const box = await AccountMailbox.open(dataDir, 'acct');
    try {
      await new Ingest(journal, () => 1234).reconcile(box);
    } finally {
      await box.close();
    }
    const bySubject = Object.fromEntries([...journal.all()].map((m) => [m.summary.subject, m]));
    expect(Object.keys(bySubject).sort()).toEqual(['Arrived before a crash', 'Filed by another tool', 'Marked read by another tool', 'Other account']);
    expect(bySubject['Arrived before a crash']).toMatchObject({ id: lost.id, accountId: 'acct', flags: UNREAD, receivedAt: 1234, partial: false });
    expect(bySubject['Marked read by another tool']!.flags).toEqual({ seen: true, flagged: false });
    // A folder another tool made, and a message it moved there, reach the read model.
    expect(bySubject['Filed by another tool']!.folder).toBe('Work');
    expect(journal.foldersOf('acct').map((f) => f.key)).toContain('Work');
  });

  it('counts a ledger entry whose file another tool deleted as deleted here', async () => {
    const kept = await storedFile('kept', 'Kept');
    let box = await AccountMailbox.open(dataDir, 'acct');
    box.ledger.downloaded('kept', kept.id, 1, 10, false);
    box.ledger.downloaded('removed', messageIdFor('acct', 'removed'), 1, 10, false);
    await box.close();
    box = await AccountMailbox.open(dataDir, 'acct');
    try {
      await new Ingest(journal, () => 99).reconcile(box);
      expect(box.ledger.get('removed')?.deletedLocallyAt).toBe(99);
      expect(box.ledger.get('kept')?.deletedLocallyAt).toBeUndefined();
      expect([...journal.all()].map((m) => m.uidl)).toEqual(['kept']);
    } finally {
      await box.close();
    }
  });

  it('a message whose rest was downloaded is journaled as complete with its new summary', async () => {
    const f = await storedFile('p', 'Now complete');
    await journal.append([{ t: 'add', m: { ...record(f.id, 'p', ''), partial: true } }]);
    await new Ingest(journal, () => 0).completed(f.id, f.file);
    expect(journal.get(f.id)).toMatchObject({ partial: false, summary: { subject: 'Now complete' } });
  });
});
