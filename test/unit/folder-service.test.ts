/**
 * Folders on disk and in the journal (issue 14 §2): what another tool sees in the Maildir++
 * tree, and what the read model is told.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { MessageRecord } from '../../shared/changes.js';
import { FolderService } from '../../electron/core/folders/folder-service.js';
import { Ingest } from '../../electron/core/ingest/ingest.js';
import { Journal } from '../../electron/core/store/journal.js';
import { AccountMailbox } from '../../electron/core/store/mailbox.js';
import { messageIdFor } from '../../electron/core/store/ids.js';
import { messageFolder } from '../support/mime.js';
import { parseAction, parseCondition } from '../../electron/core/rules/rule-text.js';
import { runRules } from '../../electron/core/rules/run-rules.js';

const tmp = messageFolder('popbox-folders-');
let n = 0;

async function setup() {
  const dataDir = tmp.path(`data${++n}`);
  await fs.mkdir(dataDir, { recursive: true });
  const journal = await Journal.open(path.join(dataDir, 'journal.jsonl'));
  let turn: Promise<unknown> = Promise.resolve();
  const deleted: string[] = [];
  const withBox = <T>(accountId: string, fn: (box: AccountMailbox) => Promise<T>): Promise<T> => {
    const run = turn.then(async () => {
      const box = await AccountMailbox.open(dataDir, accountId);
      try {
        return await fn(box);
      } finally {
        await box.close();
      }
    });
    turn = run.catch(() => {});
    return run;
  };
  const clock = { now: Date.UTC(2026, 11, 6) };
  const folders = new FolderService({ journal, withBox, now: () => clock.now, deleteForGood: async (ids) => {
      deleted.push(...ids);
      await journal.append(ids.map((id) => ({ t: 'remove' as const, id })));
    },
  });
  await withBox('acct', (box) => folders.journalTree(box));
  const maildir = path.join(AccountMailbox.dirFor(dataDir, 'acct'), 'Maildir');

  /** A downloaded message, stored and journaled as a sync would. */
  async function deliver(subject: string, date = 'Tue, 03 Mar 2020 10:00:00 +0000', folder = 'INBOX'): Promise<string> {
    const uidl = `u-${subject}`;
    const id = messageIdFor('acct', uidl);
    await withBox('acct', async (box) => {
      const staged = await box.maildir.write(id, Readable.from([Buffer.from(`Subject: ${subject}\r\nDate: ${date}\r\n\r\nbody\r\n`)]));
      await box.maildir.finish(staged, { seen: false, flagged: false }, folder);
      await box.maildir.syncDirs();
    });
    const m: MessageRecord = {
      id,
      accountId: 'acct',
      uidl,
      receivedAt: Date.UTC(2026, 0, 1),
      partial: false,
      flags: { seen: false, flagged: false },
      folder,
      summary: { subject, from: [], to: [], cc: [], date: new Date(date).toISOString(), messageId: null, inReplyTo: null, references: [], size: 10, hasAttachments: false, snippet: '' },
    };
    await journal.append([{ t: 'add', m }]);
    return id;
  }
  const ls = async (dir: string) => (await fs.readdir(path.join(maildir, dir)).catch(() => [] as string[])).sort();
  return { dataDir, journal, folders, withBox, deliver, maildir, ls, deleted, clock };
}

describe('folders on disk', () => {
  it('gives every account the special folders as Maildir++ directories other tools read', async () => {
    const { maildir, journal } = await setup();
    for (const name of ['.Drafts', '.Sent', '.Outbox', '.Archive', '.Junk', '.Trash']) {
      expect((await fs.readdir(path.join(maildir, name))).sort()).toEqual(['cur', 'maildirfolder', 'new', 'tmp']);
    }
    expect(journal.foldersOf('acct').map((f) => [f.key, f.role])).toEqual([
      ['INBOX', 'inbox'],
      ['Drafts', 'drafts'],
      ['Sent', 'sent'],
      ['Outbox', 'outbox'],
      ['Archive', 'archive'],
      ['Junk', 'junk'],
      ['Trash', 'trash'],
    ]);
  });

  it('names folders the way Dovecot does: modified UTF-7, dots and slashes escaped, levels joined by dots', async () => {
    const { folders, ls } = await setup();
    await folders.create('acct', ['Work', 'Projects']);
    await folders.create('acct', ['Café']);
    await folders.create('acct', ['v1.2 / old']);
    const dirs = (await ls('.')).filter((d) => d.startsWith('.'));
    expect(dirs).toEqual(expect.arrayContaining(['.Work', '.Work.Projects', '.Caf&AOk-', '.v1\\2e2 \\2f old']));
    const tree = folders.counts('acct').map((c) => c.folder.path.join(' > '));
    expect(tree).toEqual(expect.arrayContaining(['Work', 'Work > Projects', 'Café', 'v1.2 / old']));
  });

  it('refuses, in plain words, what cannot be a folder', async () => {
    const { folders } = await setup();
    await folders.create('acct', ['Receipts']);
    await expect(folders.create('acct', ['receipts'])).rejects.toThrow(/already exists/);
    await expect(folders.create('acct', ['Inbox'])).rejects.toThrow(/taken by the inbox/);
    await expect(folders.create('acct', [' padded'])).rejects.toThrow(/space/);
    await expect(folders.create('acct', ['tab\there'])).rejects.toThrow(/control characters/);
    await expect(folders.rename('acct', 'Trash', ['Bin'])).rejects.toThrow(/Popbox's own folders/);
    await expect(folders.remove('acct', 'Archive')).rejects.toThrow(/Popbox's own folders/);
  });

  it('files a message trashed before Popbox had folders (a T flag) in Trash, without the T', async () => {
    const { dataDir, maildir } = await setup();
    const id = messageIdFor('acct', 'old');
    await fs.writeFile(path.join(maildir, 'cur', `${id}:2,ST`), 'Subject: old\r\n\r\nx\r\n');
    const box = await AccountMailbox.open(dataDir, 'acct');
    expect(box.maildir.get(id)?.folder).toBe('Trash');
    await box.close();
    expect(await fs.readdir(path.join(maildir, '.Trash', 'cur'))).toEqual([`${id}:2,S`]);
  });

  it('reads journal records written before folders: trashed means filed in Trash', async () => {
    const { dataDir } = await setup();
    const file = path.join(dataDir, 'old-journal.jsonl');
    const legacy = (id: string, trashed: boolean) => ({ id, accountId: 'a', uidl: id, receivedAt: 0, partial: false, flags: { seen: true, flagged: false, trashed }, summary: { subject: id, from: [], to: [], cc: [], date: null, messageId: null, inReplyTo: null, references: [], size: 1, hasAttachments: false, snippet: '' } });
    await fs.writeFile(file, [{ s: 1, t: 'add', m: legacy('a1', false) }, { s: 2, t: 'add', m: legacy('a2', true) }, { s: 3, t: 'flags', id: 'a1', flags: { seen: true, flagged: false, trashed: true } }].map((l) => JSON.stringify(l)).join('\n') + '\n');
    const j = await Journal.open(file);
    expect(j.get('a1')).toMatchObject({ folder: 'Trash', flags: { seen: true, flagged: false } });
    expect(j.get('a2')?.folder).toBe('Trash');
    expect(j.get('a1')?.flags).not.toHaveProperty('trashed');
  });
});

describe('filing messages', () => {
  it('moves a message with one rename: same id, same flags, listed in its new folder', async () => {
    const { folders, deliver, journal, ls } = await setup();
    const id = await deliver('invoice');
    await folders.create('acct', ['Receipts']);
    await folders.move([id], 'Receipts');
    expect(await ls('cur')).toEqual([]);
    expect(await ls('.Receipts/cur')).toEqual([`${id}:2,`]);
    expect(journal.get(id)?.folder).toBe('Receipts');
    expect(journal.get(id)?.uidl).toBe('u-invoice'); // still tied to the server copy
  });

  it('Trash remembers where a message came from; Restore puts it back (the inbox when that folder is gone)', async () => {
    const { folders, deliver, journal, ls } = await setup();
    const a = await deliver('a');
    const b = await deliver('b');
    await folders.create('acct', ['Keep']);
    await folders.move([a], 'Keep');
    await folders.moveToTrash([a, b]);
    expect(journal.get(a)).toMatchObject({ folder: 'Trash', trashedFrom: 'Keep' });
    expect((await ls('.Trash/cur')).length).toBe(2);
    await folders.restore([a]);
    expect(journal.get(a)?.folder).toBe('Keep');
    expect(journal.get(a)).not.toHaveProperty('trashedFrom');
    await folders.moveToTrash([a]);
    await folders.remove('acct', 'Keep');
    await folders.restore([a, b]);
    expect(journal.get(a)?.folder).toBe('INBOX');
    expect(journal.get(b)?.folder).toBe('INBOX');
  });

  it('archives by the year of the message’s date, making Archive/<year> when needed', async () => {
    const { folders, deliver, journal, ls } = await setup();
    const old = await deliver('old', 'Mon, 02 Jan 2017 09:00:00 +0000');
    const recent = await deliver('recent', 'Fri, 04 Dec 2026 09:00:00 +0000');
    await folders.archive([old, recent]);
    expect(journal.get(old)?.folder).toBe('Archive.2017');
    expect(journal.get(recent)?.folder).toBe('Archive.2026');
    expect(await ls('.Archive.2017/cur')).toEqual([`${old}:2,`]);
    expect(journal.foldersOf('acct').map((f) => f.path.join('/'))).toEqual(expect.arrayContaining(['Archive/2017', 'Archive/2026']));
  });

  it('copies under a new id without a UIDL: the original stays, the copy is mail of its own', async () => {
    const { folders, deliver, journal, ls } = await setup();
    const id = await deliver('keep me');
    await folders.create('acct', ['Copies']);
    const [copy] = await folders.copy([id], 'Copies');
    expect(copy).toMatch(/^[0-9a-f]{16}$/);
    expect(copy).not.toBe(id);
    expect(await ls('cur')).toEqual([`${id}:2,`]);
    expect(await ls('.Copies/cur')).toEqual([`${copy}:2,`]);
    expect(journal.get(copy!)).toMatchObject({ folder: 'Copies', uidl: '', summary: { subject: 'keep me' } });
  });

  it('renames a folder and its subfolders; the mail inside follows', async () => {
    const { folders, deliver, journal, ls } = await setup();
    await folders.create('acct', ['Work', 'Old']);
    const id = await deliver('memo');
    await folders.move([id], 'Work.Old');
    const info = await folders.rename('acct', 'Work', ['Jobs', 'Acme']);
    expect(info.key).toBe('Jobs.Acme');
    expect(journal.get(id)?.folder).toBe('Jobs.Acme.Old');
    expect(await ls('.Jobs.Acme.Old/cur')).toEqual([`${id}:2,`]);
    expect((await ls('.')).filter((d) => d.startsWith('.Work'))).toEqual([]);
    await expect(folders.rename('acct', 'Jobs', ['Jobs', 'Acme', 'Inner'])).rejects.toThrow(/into itself/);
  });

  it('removing a folder sends its mail (and its subfolders’) to Trash, never deletes it', async () => {
    const { folders, deliver, journal, ls, deleted } = await setup();
    await folders.create('acct', ['Trip', 'Photos']);
    const a = await deliver('ticket');
    const b = await deliver('photo');
    await folders.move([a], 'Trip');
    await folders.move([b], 'Trip.Photos');
    expect(await folders.remove('acct', 'Trip')).toEqual({ trashed: 2 });
    expect(journal.get(a)?.folder).toBe('Trash');
    expect(journal.get(b)?.folder).toBe('Trash');
    expect((await ls('.')).filter((d) => d.startsWith('.Trip'))).toEqual([]);
    expect(deleted).toEqual([]);
    await folders.emptyTrash('acct');
    expect(deleted.sort()).toEqual([a, b].sort());
  });

  it('empties Trash after N days: only what has been there that long, and mail found there undated gets its N days from now', async () => {
    const { folders, deliver, journal, deleted, clock } = await setup();
    const early = await deliver('early');
    const late = await deliver('late');
    await folders.moveToTrash([early]);
    clock.now += 20 * 86_400_000;
    await folders.moveToTrash([late]);
    // Filed in Trash before Popbox kept a date (a journal line from before).
    const undated = await deliver('undated', undefined, 'Trash');
    expect(await folders.purgeTrash('acct', 0)).toBe(0); // never
    expect(await folders.purgeTrash('acct', 30)).toBe(0);
    expect(journal.get(undated)?.trashedAt).toBe(clock.now);
    clock.now += 11 * 86_400_000;
    expect(await folders.purgeTrash('acct', 30)).toBe(1);
    expect(deleted).toEqual([early]);
    clock.now += 20 * 86_400_000;
    await folders.purgeTrash('acct', 30);
    expect(deleted.sort()).toEqual([early, late, undated].sort());
  });

  it('deletes junk after N days: 31 days in Junk goes at 30, 29 days stays; filed on arrival, its age counts from the filing', async () => {
    const { folders, deliver, journal, deleted, clock } = await setup();
    const old = await deliver('old junk');
    const young = await deliver('young junk');
    const kept = await deliver('not junk');
    await folders.move([old], 'Junk');
    clock.now += 2 * 86_400_000;
    await folders.move([young], 'Junk');
    expect(journal.get(young)?.trashedAt).toBe(clock.now);
    // Downloaded long ago (receivedAt, 2026-01-01) and filed in Junk by the filter as it arrived:
    // the filter files through the same move, so its age counts from the filing.
    const arrived = await deliver('arrived as junk');
    await folders.move([arrived], 'Junk');
    expect(journal.get(arrived)?.trashedAt).toBe(clock.now);
    clock.now += 29 * 86_400_000; // old: 31 days in Junk, young and arrived: 29
    expect(await folders.purgeJunk('acct', 0)).toBe(0); // never
    expect(deleted).toEqual([]);
    expect(await folders.purgeJunk('acct', 30)).toBe(1);
    expect(deleted).toEqual([old]);
    expect(journal.get(young)?.folder).toBe('Junk');
    expect(journal.get(arrived)?.folder).toBe('Junk');
    expect(journal.get(kept)?.folder).toBe('INBOX');
    // Taken out of Junk and put back, a message starts its 30 days again.
    await folders.move([young], 'INBOX');
    await folders.move([young], 'Junk');
    clock.now += 2 * 86_400_000;
    expect(await folders.purgeJunk('acct', 30)).toBe(1); // arrived: 31 days
    expect(deleted).toContain(arrived);
    clock.now += 29 * 86_400_000;
    expect(await folders.purgeJunk('acct', 30)).toBe(1);
    expect(deleted).toContain(young);
    expect(deleted).not.toContain(kept);
  });

  it('a Junk message without a filing date (filed before Popbox kept one) gets its N days from the first check, not from its download', async () => {
    const { folders, deliver, journal, deleted, clock, dataDir, ls } = await setup();
    // Downloaded 60 days ago, in Junk with no trashedAt: as records from before the date was kept look.
    const undated = await deliver('undated junk', undefined, 'Junk');
    await journal.append([{ t: 'add', m: { ...journal.get(undated)!, receivedAt: clock.now - 60 * 86_400_000 } }]);
    expect(journal.get(undated)?.trashedAt).toBeUndefined();
    expect(await folders.purgeJunk('acct', 30)).toBe(0);
    expect(deleted).toEqual([]);
    expect(journal.get(undated)).toMatchObject({ folder: 'Junk', trashedAt: clock.now });
    // The date is journaled: a journal opened again from disk keeps it.
    const reread = await Journal.open(path.join(dataDir, 'journal.jsonl'));
    expect(reread.get(undated)?.trashedAt).toBe(clock.now);
    expect(await ls('.Junk/cur')).toHaveLength(1);
    clock.now += 29 * 86_400_000;
    expect(await folders.purgeJunk('acct', 30)).toBe(0);
    clock.now += 86_400_000;
    expect(await folders.purgeJunk('acct', 30)).toBe(1);
    expect(deleted).toEqual([undated]);
  });

  it('a file put in .Junk without a journal line (a kill after the rename, or another tool) is dated by reconcile and kept its N days', async () => {
    const { folders, deliver, journal, deleted, clock, maildir, withBox, ls } = await setup();
    const id = await deliver('moved by mutt');
    const [name] = await ls('cur');
    await fs.rename(path.join(maildir, 'cur', name!), path.join(maildir, '.Junk', 'cur', name!));
    clock.now += 60 * 86_400_000;
    await withBox('acct', (box) => new Ingest(journal, () => clock.now).reconcile(box));
    expect(journal.get(id)).toMatchObject({ folder: 'Junk', trashedAt: clock.now });
    expect(journal.get(id)?.trashedFrom).toBeUndefined(); // Junk is not Trash: Not junk decides where it goes
    expect(await folders.purgeJunk('acct', 30)).toBe(0);
    expect(await ls('.Junk/cur')).toEqual([name]);
    clock.now += 30 * 86_400_000;
    expect(await folders.purgeJunk('acct', 30)).toBe(1);
    expect(deleted).toEqual([id]);
  });

  it('restores to a folder under its new name after the folder was renamed', async () => {
    const { folders, deliver, journal } = await setup();
    await folders.create('acct', ['Projects']);
    const id = await deliver('plan');
    await folders.move([id], 'Projects');
    await folders.moveToTrash([id]);
    await folders.rename('acct', 'Projects', ['Done']);
    expect(journal.get(id)).toMatchObject({ folder: 'Trash', trashedFrom: 'Done' });
    await folders.restore([id]);
    expect(journal.get(id)?.folder).toBe('Done');
  });

  it('never files into the Outbox (that would send), and what was trashed from it comes back to Drafts', async () => {
    const { folders, deliver, journal, ls } = await setup();
    const id = await deliver('hello');
    await expect(folders.move([id], 'Outbox')).rejects.toThrow(/only by sending/);
    await expect(folders.copy([id], 'Outbox')).rejects.toThrow(/only by sending/);
    const queued = await deliver('queued', undefined, 'Outbox');
    await folders.moveToTrash([queued]);
    await folders.restore([queued]);
    expect(journal.get(queued)?.folder).toBe('Drafts');
    expect(await ls('.Outbox/cur')).toEqual([]);
  });

  it('checks every id and the folder before moving anything', async () => {
    const { folders, deliver, journal } = await setup();
    const id = await deliver('x');
    await expect(folders.move([id, 'ffffffffffffffff'], 'Trash')).rejects.toThrow(/no message/);
    await expect(folders.move([id], 'Nowhere')).rejects.toThrow(/no folder/);
    expect(journal.get(id)?.folder).toBe('INBOX');
  });

  it('journals who filed a message in Junk (filter and score, rule, person), forgets it on the way out, keeps it across a restart', async () => {
    const { folders, deliver, journal, dataDir } = await setup();
    const [spam, offer, news] = [await deliver('pills'), await deliver('Cheap offer'), await deliver('newsletter')];
    await folders.move([spam], 'Junk', { junkedBy: () => ({ by: 'filter', score: 0.9996 }) });
    expect(journal.get(spam)?.junkedBy).toEqual({ by: 'filter', score: 0.9996 });
    // A rule's Junk action: the rule's name at that time.
    const rule = { name: 'Offers', enabled: true, match: 'all' as const, conditions: [parseCondition('subject contains offer')], actions: [parseAction('junk')] };
    const deps = { get: (id: string) => journal.get(id), folders, setFlags: async () => {}, deleteOnServer: async () => {}, locate: async () => '', accountName: () => 'acct', now: () => 0 };
    await runRules(deps, [rule], [offer]);
    expect(journal.get(offer)).toMatchObject({ folder: 'Junk', junkedBy: { by: 'rule', rule: 'Offers' } });
    // Out of Junk by hand forgets the filter; back in by hand, the person did it.
    await folders.move([spam], 'INBOX');
    expect(journal.get(spam)?.junkedBy).toBeUndefined();
    await folders.move([spam], 'Junk', { junkedBy: () => ({ by: 'you' }) });
    expect(journal.get(spam)?.junkedBy).toEqual({ by: 'you' });
    // A cause says nothing where the move is not into Junk.
    await folders.move([news], 'Archive', { junkedBy: () => ({ by: 'you', moved: true }) });
    expect(journal.get(news)).toMatchObject({ folder: 'Archive' });
    expect(journal.get(news)?.junkedBy).toBeUndefined();
    const reopened = await Journal.open(path.join(dataDir, 'journal.jsonl'));
    expect([spam, offer, news].map((id) => reopened.get(id)?.junkedBy)).toEqual([{ by: 'you' }, { by: 'rule', rule: 'Offers' }, undefined]);
    await journal.compact();
    const compacted = await Journal.open(path.join(dataDir, 'journal.jsonl'));
    expect([spam, offer, news].map((id) => compacted.get(id)?.junkedBy)).toEqual([{ by: 'you' }, { by: 'rule', rule: 'Offers' }, undefined]);
  });

  it('keeps the folder tree across a restart and a compaction of the journal', async () => {
    const { folders, dataDir, journal } = await setup();
    await folders.create('acct', ['Family']);
    await journal.compact();
    const again = await Journal.open(path.join(dataDir, 'journal.jsonl'));
    expect(again.foldersOf('acct').map((f) => f.key)).toContain('Family');
    expect(again.snapshot().folders).toEqual([{ accountId: 'acct', folders: journal.foldersOf('acct') }]);
  });
});
