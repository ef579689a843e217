/**
 * Filing beside a running sync (issue 14, found in review): commands that only rename files run
 * beside a sync on the same open mailbox, so filing operations overlap. None of the overlaps
 * may lose a message, leave it in two places, or end anywhere but where the last command said.
 * And the Maildir++ tree as other tools leave it (notmuch's database, duplicate names, files
 * Popbox does not list) is read without deleting anything.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { MessageRecord } from '../../shared/changes.js';
import { FolderService } from '../../electron/core/folders/folder-service.js';
import { MailService } from '../../electron/core/mail-service.js';
import { MemorySecretStore } from '../../electron/core/secrets/index.js';
import { messageIdFor } from '../../electron/core/store/ids.js';
import { Journal } from '../../electron/core/store/journal.js';
import { AccountMailbox } from '../../electron/core/store/mailbox.js';
import { messageFolder } from '../support/mime.js';

const tmp = messageFolder('popbox-folder-races-');
let n = 0;

/** One open mailbox shared by every operation at once, as a sync shares it with quick commands. */
async function sharedBox(count: number) {
  const dataDir = tmp.path(`d${++n}`);
  await fs.mkdir(dataDir, { recursive: true });
  const journal = await Journal.open(path.join(dataDir, 'journal.jsonl'));
  const box = await AccountMailbox.open(dataDir, 'acct');
  const folders = new FolderService({ journal, withBox: (_id, fn) => fn(box), now: () => 1, deleteForGood: async () => {} });
  await folders.journalTree(box);
  const ids: string[] = [];
  const adds: { t: 'add'; m: MessageRecord }[] = [];
  for (let i = 0; i < count; i++) {
    const id = messageIdFor('acct', `u${i}`);
    const staged = await box.maildir.write(id, Readable.from([Buffer.from(`Subject: m${i}\r\n\r\nx\r\n`)]));
    await box.maildir.finish(staged);
    ids.push(id);
    adds.push({ t: 'add', m: { id, accountId: 'acct', uidl: `u${i}`, receivedAt: 0, partial: false, flags: { seen: false, flagged: false }, folder: 'INBOX', summary: { subject: `m${i}`, from: [], to: [], cc: [], date: null, messageId: null, inReplyTo: null, references: [], size: 1, hasAttachments: false, snippet: '' } } });
  }
  await box.maildir.syncDirs();
  await journal.append(adds);
  const root = path.join(dataDir, 'accounts', 'acct', 'Maildir');
  /** Where each message's file is on disk (every place, to see duplicates). */
  const onDisk = async () => {
    const out = new Map<string, string[]>();
    for (const dir of ['', ...(await fs.readdir(root)).filter((d) => d.startsWith('.'))]) {
      for (const sub of ['cur', 'new']) {
        for (const name of await fs.readdir(path.join(root, dir, sub)).catch(() => [] as string[])) {
          const id = name.split(':')[0]!;
          out.set(id, [...(out.get(id) ?? []), dir ? dir.slice(1) : 'INBOX']);
        }
      }
    }
    return out;
  };
  return { dataDir, journal, box, folders, ids, root, onDisk };
}

describe('filing operations that overlap', () => {
  it('Undo right after a move (the move still renaming) ends where the Undo said', async () => {
    const { folders, ids, journal, onDisk, box } = await sharedBox(300);
    await folders.create('acct', ['Work']);
    await Promise.all([folders.move(ids, 'Work'), folders.move(ids, 'INBOX')]);
    expect(ids.every((id) => journal.get(id)?.folder === 'INBOX')).toBe(true);
    const disk = await onDisk();
    expect(ids.every((id) => disk.get(id)?.join() === 'INBOX')).toBe(true);
    await box.close();
  });

  it('a folder removed while messages are being moved into it loses none of them', async () => {
    const { folders, ids, journal, onDisk, box } = await sharedBox(300);
    await folders.create('acct', ['Work']);
    const results = await Promise.allSettled([folders.move(ids, 'Work'), folders.remove('acct', 'Work')]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled']); // one after the other
    const disk = await onDisk();
    expect(disk.size).toBe(300);
    for (const id of ids) {
      expect(disk.get(id)).toHaveLength(1);
      expect(journal.get(id)?.folder).toBe(disk.get(id)![0]);
    }
    expect(ids.every((id) => journal.get(id)?.folder === 'Trash')).toBe(true);
    await box.close();
  });

  it('a folder renamed while messages are being moved into it: each message listed where its file is', async () => {
    const { folders, ids, journal, onDisk, box } = await sharedBox(300);
    await folders.create('acct', ['Work']);
    const results = await Promise.allSettled([folders.move(ids, 'Work'), folders.rename('acct', 'Work', ['Play'])]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled']);
    const disk = await onDisk();
    for (const id of ids) expect(journal.get(id)?.folder).toBe(disk.get(id)![0]);
    expect(ids.every((id) => disk.get(id)![0] === 'Play')).toBe(true);
    await expect(folders.remove('acct', 'Play')).resolves.toEqual({ trashed: 300 });
    expect((await onDisk()).size).toBe(300);
    await box.close();
  });

  it('a parent typed in another case is the existing folder (one directory on macOS and Windows)', async () => {
    const { folders, box } = await sharedBox(0);
    await folders.create('acct', ['Work']);
    expect((await folders.create('acct', ['work', 'Sub'])).key).toBe('Work.Sub');
    await expect(folders.create('acct', ['WORK'])).rejects.toThrow(/already exists/);
    await box.close();
  });

  it('a rename whose subfolders would get names too long is refused before anything is renamed', async () => {
    const { folders, root, journal, box } = await sharedBox(0);
    await folders.create('acct', ['A', 'x'.repeat(150)]);
    await expect(folders.rename('acct', 'A', ['y'.repeat(120)])).rejects.toThrow(/too long/);
    expect((await fs.readdir(root)).filter((d) => d === '.A' || d.startsWith('.A.'))).toHaveLength(2);
    expect(journal.foldersOf('acct').map((f) => f.key)).toContain('A');
    await box.close();
  });
});

describe('the tree as other tools leave it', () => {
  it('notmuch’s database and directories without cur/ are not folders; duplicates and unlisted files are never deleted', async () => {
    const { root, ids, box, folders, dataDir } = await sharedBox(2);
    await box.close();
    await fs.mkdir(path.join(root, '.notmuch', 'xapian'), { recursive: true });
    await fs.writeFile(path.join(root, '.notmuch', 'xapian', 'tags.glass'), 'tags');
    await fs.mkdir(path.join(root, '.Attic'), { recursive: true });
    // Another tool copied a message keeping its name, and delivered one of its own into Work.
    await fs.mkdir(path.join(root, '.Work', 'cur'), { recursive: true });
    await fs.mkdir(path.join(root, '.Work', 'new'), { recursive: true });
    await fs.mkdir(path.join(root, '.Work', 'tmp'), { recursive: true });
    await fs.copyFile(path.join(root, 'cur', `${ids[0]}:2,`), path.join(root, '.Work', 'cur', `${ids[0]}:2,`));
    await fs.writeFile(path.join(root, '.Work', 'cur', '1733480000.M1P2.host:2,S'), 'Subject: from mutt\r\n\r\nx\r\n');
    const again = await AccountMailbox.open(dataDir, 'acct');
    try {
      expect(again.maildir.folders().sort()).toEqual(['Archive', 'Drafts', 'INBOX', 'Junk', 'Outbox', 'Sent', 'Trash', 'Work']);
      expect(await fs.readFile(path.join(root, '.notmuch', 'xapian', 'tags.glass'), 'utf8')).toBe('tags');
      expect((await fs.readdir(path.join(root, '.Work', 'cur'))).sort()).toEqual(['1733480000.M1P2.host:2,S', `${ids[0]}:2,`].sort());
      expect(await fs.readdir(path.join(root, 'cur'))).toContain(`${ids[0]}:2,`);
      await expect(again.maildir.removeFolder('Work')).rejects.toThrow(/Popbox does not list/);
      expect((await fs.readdir(path.join(root, '.Work', 'cur'))).length).toBe(2);
    } finally {
      await again.close();
    }
    void folders;
  });
});

describe('Empty Trash waiting behind a sync', () => {
  it('does not delete a message restored while it waited', async () => {
    const dataDir = tmp.path(`svc${++n}`);
    const service = await MailService.open({ dataDir, secrets: new MemorySecretStore() });
    const account = await service.addAccount({ name: 'A', host: '127.0.0.1', port: 995, security: 'tls', user: 'u', password: { source: 'command', command: 'echo pw' } });
    const cur = path.join(dataDir, 'accounts', account.id, 'Maildir', 'cur');
    const keep = messageIdFor(account.id, 'keep');
    const gone = messageIdFor(account.id, 'gone');
    for (const id of [keep, gone]) await fs.writeFile(path.join(cur, `${id}:2,`), `Subject: ${id}\r\n\r\nx\r\n`);
    await service.close();
    await fs.rm(path.join(dataDir, 'closed-cleanly'));
    const s = await MailService.open({ dataDir, secrets: new MemorySecretStore() });
    try {
      await s.moveToTrash([keep, gone]);
      // A sync holds the account and lets quick work in, as a real one does while downloading.
      const session = (s as unknown as { sessions: { for(id: string): { run<T>(fn: () => Promise<T>, o: { letQuickWorkIn: boolean }): Promise<T> } } }).sessions.for(account.id);
      let release!: () => void;
      const sync = session.run(() => new Promise<void>((r) => (release = r)), { letQuickWorkIn: true });
      await new Promise((r) => setTimeout(r, 10));
      const emptying = s.emptyTrash(account.id); // waits for the sync
      await s.restore([keep]); // quick work: done at once
      expect(s.messages().find((m) => m.id === keep)?.folder).toBe('INBOX');
      release();
      await sync;
      await emptying;
      expect(s.messages().map((m) => m.id)).toEqual([keep]);
      expect(await fs.readdir(cur)).toEqual([`${keep}:2,`]);
    } finally {
      await s.close();
    }
  });
});
