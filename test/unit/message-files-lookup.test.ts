/**
 * A move renames files before the journal says where they went, so readers miss their expected
 * path for every moved message. Each miss must not read whole folders again: a move of N
 * messages reads each folder a bounded number of times (counted readdir calls), and the answer
 * is never stale (a file renamed since by a flag change or another tool is still found).
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { MessageFlags, MessageRecord } from '../../shared/changes.js';
import { MessageFiles } from '../../electron/core/messages/message-files.js';
import { forgetListings } from '../../electron/core/store/dir-listings.js';
import { AccountMailbox } from '../../electron/core/store/mailbox.js';

const UNREAD: MessageFlags = { seen: false, flagged: false };
const N = 400;

let dataDir: string;
let reads: Map<string, number>;

beforeEach(async () => {
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'popbox-lookup-'));
  forgetListings();
  reads = new Map();
  const real = fs.readdir.bind(fs) as (...a: unknown[]) => Promise<unknown>;
  vi.spyOn(fs, 'readdir').mockImplementation(((dir: string, ...rest: unknown[]) => {
    const rel = path.relative(dataDir, String(dir));
    reads.set(rel, (reads.get(rel) ?? 0) + 1);
    return real(dir, ...rest);
  }) as typeof fs.readdir);
});

afterEach(async () => {
  vi.restoreAllMocks();
  await fs.rm(dataDir, { recursive: true, force: true });
});

const idOf = (i: number) => `a${i.toString(16).padStart(15, '0')}`;
const maildir = () => path.join(AccountMailbox.dirFor(dataDir, 'acct'), 'Maildir');

/** N messages on disk in `.Archive/cur`, the journal still saying INBOX (the move's renames done, its append not yet). */
async function movedUnderTheReader(): Promise<{ files: MessageFiles; records: Map<string, MessageRecord> }> {
  for (const dir of ['', '.Archive', '.Junk']) for (const sub of ['cur', 'new', 'tmp']) await fs.mkdir(path.join(maildir(), dir, sub), { recursive: true });
  const records = new Map<string, MessageRecord>();
  for (let i = 0; i < N; i++) {
    const id = idOf(i);
    await fs.writeFile(path.join(maildir(), '.Archive', 'cur', `${id}:2,`), `Subject: ${i}\r\n\r\nbody ${i}\r\n`);
    records.set(id, { id, accountId: 'acct', uidl: `u${i}`, receivedAt: 0, partial: false, flags: UNREAD, folder: 'INBOX' } as MessageRecord);
  }
  // The folder the messages came from still holds others: reading it is what used to cost.
  for (let i = N; i < 2 * N; i++) await fs.writeFile(path.join(maildir(), 'cur', `${idOf(i)}:2,`), 'x');
  return { files: new MessageFiles(dataDir, records), records };
}

describe('finding moved messages', () => {
  it('a move of N messages whose expected paths all miss reads each folder a bounded number of times', async () => {
    const { files } = await movedUnderTheReader();
    for (let i = 0; i < N; i++) expect(await files.locate(idOf(i))).toBe(path.join(maildir(), '.Archive', 'cur', `${idOf(i)}:2,`));
    const total = [...reads.values()].reduce((a, b) => a + b, 0);
    // Before: the inbox's cur/ was read once per message (N times), and the tree's root too.
    for (const [dir, count] of reads) expect(count, dir).toBeLessThanOrEqual(2);
    expect(total).toBeLessThanOrEqual(10);
  });

  it('is never stale: a flag change, a move by another tool and a deletion after the listings were kept', async () => {
    const { files } = await movedUnderTheReader();
    for (let i = 0; i < 3; i++) await files.locate(idOf(i)); // listings kept
    const archive = path.join(maildir(), '.Archive', 'cur');
    // mutt marks message 0 read (a rename in the same folder)
    await fs.rename(path.join(archive, `${idOf(0)}:2,`), path.join(archive, `${idOf(0)}:2,S`));
    // another tool files message 1 in Junk
    await fs.rename(path.join(archive, `${idOf(1)}:2,`), path.join(maildir(), '.Junk', 'cur', `${idOf(1)}:2,F`));
    // message 2 is deleted: the expected path comes back (the reader then reports it missing)
    await fs.rm(path.join(archive, `${idOf(2)}:2,`));
    expect(await files.locate(idOf(0))).toBe(path.join(archive, `${idOf(0)}:2,S`));
    expect(await files.locate(idOf(1))).toBe(path.join(maildir(), '.Junk', 'cur', `${idOf(1)}:2,F`));
    expect(await files.locate(idOf(2))).toBe(AccountMailbox.messagePath(dataDir, 'acct', idOf(2), UNREAD, 'INBOX'));
    expect((await files.rawSource(idOf(0))).text).toContain('body 0');
  });

  it('a listing whose directory has not changed still cannot hide a file: a miss everywhere reads afresh', async () => {
    const { files } = await movedUnderTheReader();
    await files.locate(idOf(0));
    // A file appears without the kept listings being re-read: simulate a rename within the
    // directory's mtime tick by restoring the old mtime.
    const junk = path.join(maildir(), '.Junk', 'cur');
    const before = await fs.stat(junk);
    await fs.rename(path.join(maildir(), '.Archive', 'cur', `${idOf(5)}:2,`), path.join(junk, `${idOf(5)}:2,`));
    await fs.utimes(junk, before.atime, before.mtime);
    const archive = path.join(maildir(), '.Archive', 'cur');
    const a = await fs.stat(archive);
    await fs.utimes(archive, a.atime, a.mtime);
    expect(await files.locate(idOf(5))).toBe(path.join(junk, `${idOf(5)}:2,`));
  });

  it('the mailbox open in this process answers for its own moves without reading a folder', async () => {
    const box = await AccountMailbox.open(dataDir, 'acct');
    try {
      await box.maildir.createFolder('Archive');
      const records = new Map<string, MessageRecord>();
      const ids: string[] = [];
      for (let i = 0; i < 50; i++) {
        const f = await box.maildir.addMessage(Buffer.from(`Subject: ${i}\r\n\r\nbody\r\n`), 'INBOX');
        ids.push(f.id);
        records.set(f.id, { id: f.id, accountId: 'acct', uidl: '', receivedAt: 0, partial: false, flags: UNREAD, folder: 'INBOX' } as MessageRecord);
      }
      await box.maildir.moveMany(ids, 'Archive');
      reads.clear();
      const files = new MessageFiles(dataDir, records, (accountId) => (accountId === 'acct' ? box : undefined));
      for (const id of ids) expect(await files.locate(id)).toBe(path.join(maildir(), '.Archive', 'cur', `${id}:2,`));
      expect([...reads.values()].reduce((a, b) => a + b, 0)).toBe(0);
    } finally {
      await box.close();
    }
  });

  it('a reader is answered only by the mailbox its owner passes in, never by one another owner opened in this process', async () => {
    // Before, a module-global registry let every reader in the process use any open mailbox.
    const box = await AccountMailbox.open(dataDir, 'acct');
    try {
      await box.maildir.createFolder('Archive');
      const records = new Map<string, MessageRecord>();
      const f = await box.maildir.addMessage(Buffer.from('Subject: x\r\n\r\nbody\r\n'), 'INBOX');
      records.set(f.id, { id: f.id, accountId: 'acct', uidl: '', receivedAt: 0, partial: false, flags: UNREAD, folder: 'INBOX' } as MessageRecord);
      await box.maildir.moveMany([f.id], 'Archive');
      reads.clear();
      // Its owner has no mailbox open (another owner's box is open here): found on disk, by reading folders.
      const files = new MessageFiles(dataDir, records);
      expect(await files.locate(f.id)).toBe(path.join(maildir(), '.Archive', 'cur', `${f.id}:2,`));
      expect([...reads.values()].reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    } finally {
      await box.close();
    }
  });
});
