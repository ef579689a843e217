/**
 * "Empty Trash / delete junk after N days" runs with every check for mail, but looks at the
 * journal at most once an hour per account and folder (issue 18): at start, at once when N
 * changes, and otherwise deleting exactly what it would have deleted, at most an hour later.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import type { MessageRecord } from '../../shared/changes.js';
import { FolderService } from '../../electron/core/folders/folder-service.js';
import type { AccountMailbox } from '../../electron/core/store/mailbox.js';
import { Journal } from '../../electron/core/store/journal.js';
import { messageFolder } from '../support/mime.js';

const tmp = messageFolder('popbox-purge-gate-');
const DAY = 86_400_000;
const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 11, 6);
let n = 0;

async function setup() {
  const dataDir = tmp.path(`data${++n}`);
  await fs.mkdir(dataDir, { recursive: true });
  const journal = await Journal.open(path.join(dataDir, 'journal.jsonl'));
  const clock = { now: T0 };
  const deleted: string[] = [];
  const service = () =>
    new FolderService({
      journal,
      now: () => clock.now,
      // The purge itself never opens a mailbox; deleting for good is the service's (stubbed: the journal forgets).
      withBox: <T>(_id: string, _fn: (box: AccountMailbox) => Promise<T>): Promise<T> => Promise.reject(new Error('not used')),
      deleteForGood: async (ids) => {
        deleted.push(...ids);
        await journal.append(ids.map((id) => ({ t: 'remove' as const, id })));
      },
    });
  /** A message filed in `folder` of `accountId` at `trashedAt`. */
  const file = async (id: string, folder: string, trashedAt: number, accountId = 'acct') => {
    const m: MessageRecord = {
      id, accountId, uidl: `u-${id}`, receivedAt: T0 - 90 * DAY, partial: false, flags: { seen: false, flagged: false }, folder, trashedAt,
      summary: { subject: id, from: [], to: [], cc: [], date: null, messageId: null, inReplyTo: null, references: [], size: 10, hasAttachments: false, snippet: '' },
    };
    await journal.append([{ t: 'add', m }]);
  };
  return { journal, clock, deleted, service, file };
}

describe('the Trash and Junk purge runs at most once an hour', () => {
  it('deletes the same messages as a purge at every check, at most an hour later, without reading the journal in between', async () => {
    const { journal, clock, deleted, service, file } = await setup();
    const folders = service();
    await file('old', 'Trash', T0 - 31 * DAY);
    // Reaches 30 days ten minutes after the first check.
    await file('due-soon', 'Trash', T0 - 30 * DAY + 10 * 60_000);
    await file('young', 'Trash', T0 - 29 * DAY);
    expect(await folders.purgeTrash('acct', 30)).toBe(1); // at start
    expect(deleted).toEqual(['old']);

    const reads = vi.spyOn(journal, 'all');
    for (const minutes of [5, 15, 30, 59]) {
      clock.now = T0 + minutes * 60_000;
      expect(await folders.purgeTrash('acct', 30)).toBe(0);
    }
    expect(reads).not.toHaveBeenCalled();
    expect(deleted).toEqual(['old']);

    clock.now = T0 + HOUR;
    expect(await folders.purgeTrash('acct', 30)).toBe(1);
    expect(deleted).toEqual(['old', 'due-soon']);
    expect(journal.get('young')?.folder).toBe('Trash');
    reads.mockRestore();
  });

  it('purges at once when the number of days changes, in a new process, and for each folder and account on its own', async () => {
    const { clock, deleted, service, file } = await setup();
    const folders = service();
    await file('t10', 'Trash', T0 - 10 * DAY);
    await file('j10', 'Junk', T0 - 10 * DAY);
    await file('other', 'Trash', T0 - 10 * DAY, 'acct2');
    expect(await folders.purgeTrash('acct', 30)).toBe(0);
    expect(await folders.purgeJunk('acct', 30)).toBe(0);

    clock.now += 60_000;
    // The setting lowered to 7 days: not an hour's wait.
    expect(await folders.purgeTrash('acct', 7)).toBe(1);
    expect(deleted).toEqual(['t10']);
    // Junk has its own hour, and another account its own.
    expect(await folders.purgeJunk('acct', 30)).toBe(0);
    expect(await folders.purgeTrash('acct2', 7)).toBe(1);
    expect(deleted).toEqual(['t10', 'other']);

    // A new start (a CLI run, the app reopened) looks at once.
    clock.now += 60_000;
    expect(await service().purgeJunk('acct', 7)).toBe(1);
    expect(deleted).toEqual(['t10', 'other', 'j10']);
  });

  it('a purge that fails is tried again at the next check, not an hour later', async () => {
    const { clock, deleted, file, journal } = await setup();
    let fail = true;
    const folders = new FolderService({
      journal,
      now: () => clock.now,
      withBox: () => Promise.reject(new Error('not used')),
      deleteForGood: async (ids) => {
        if (fail) throw new Error('disk full');
        deleted.push(...ids);
        await journal.append(ids.map((id) => ({ t: 'remove' as const, id })));
      },
    });
    await file('old', 'Trash', T0 - 31 * DAY);
    await expect(folders.purgeTrash('acct', 30)).rejects.toThrow('disk full');
    fail = false;
    clock.now += 60_000;
    expect(await folders.purgeTrash('acct', 30)).toBe(1);
    expect(deleted).toEqual(['old']);
  });

  it('after its first look, a purge reads only the journal changes since, not every message in the Inbox', async () => {
    const { journal, clock, deleted, service, file } = await setup();
    const folders = service();
    const inbox: MessageRecord[] = Array.from({ length: 2000 }, (_, i) => ({
      id: `in${i}`, accountId: 'acct', uidl: `u-in${i}`, receivedAt: T0 - 90 * DAY, partial: false, flags: { seen: false, flagged: false }, folder: 'INBOX',
      summary: { subject: `in${i}`, from: [], to: [], cc: [], date: null, messageId: null, inReplyTo: null, references: [], size: 10, hasAttachments: false, snippet: '' },
    }));
    await journal.append(inbox.map((m) => ({ t: 'add' as const, m })));
    await file('old', 'Trash', T0 - 31 * DAY);
    await file('junk-young', 'Junk', T0 - DAY);
    expect(await folders.purgeTrash('acct', 30)).toBe(1); // the first look walks the journal once
    expect(deleted).toEqual(['old']);

    const reads = vi.spyOn(journal, 'all');
    // Between checks: two Inbox messages trashed long ago (one then restored), one junk grows old, one moved to Junk.
    await journal.append([
      { t: 'move', id: 'in1', folder: 'Trash', trashedAt: T0 - 40 * DAY },
      { t: 'move', id: 'in2', folder: 'Trash', trashedAt: T0 - 40 * DAY },
      { t: 'move', id: 'in2', folder: 'INBOX' },
      { t: 'move', id: 'in3', folder: 'Junk', trashedAt: T0 - 40 * DAY },
    ]);
    clock.now = T0 + 2 * HOUR;
    expect(await folders.purgeTrash('acct', 30)).toBe(1);
    expect(await folders.purgeJunk('acct', 30)).toBe(1);
    expect(deleted).toEqual(['old', 'in1', 'in3']);
    expect(journal.get('in2')?.folder).toBe('INBOX');
    expect(journal.get('junk-young')?.folder).toBe('Junk');
    expect(reads).not.toHaveBeenCalled();
    reads.mockRestore();

    // A journal compacted past the last look cannot list its changes: the purge walks it again.
    await journal.append([{ t: 'move', id: 'in4', folder: 'Trash', trashedAt: T0 - 40 * DAY }]);
    await journal.compact();
    clock.now = T0 + 4 * HOUR;
    expect(await folders.purgeTrash('acct', 30)).toBe(1);
    expect(deleted).toEqual(['old', 'in1', 'in3', 'in4']);
  });
});
