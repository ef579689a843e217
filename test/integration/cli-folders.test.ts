/**
 * The CLI's folder commands as a script or a person at a terminal uses them (issue 14 §2):
 * what they print, the files they leave, and the plain answer to a wrong name.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MailService } from '../../electron/core/mail-service.js';
import { MemorySecretStore } from '../../electron/core/secrets/index.js';
import { messageIdFor } from '../../electron/core/store/ids.js';
import { bundleCli } from '../support/cli-bundle.js';

const exec = promisify(execFile);

describe('popbox folders, folder, move, archive, trash, restore, empty-trash', () => {
  let base: string;
  let cliPath: string;
  let maildir: string;
  const ids: string[] = [];

  async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    try {
      const { stdout, stderr } = await exec(process.execPath, [cliPath, '--data-dir', path.join(base, 'data'), ...args], { env: { ...process.env, POPBOX_DATA_DIR: '', COLUMNS: '100' } });
      return { code: 0, stdout, stderr };
    } catch (e) {
      const err = e as { code: number; stdout: string; stderr: string };
      return { code: err.code, stdout: err.stdout, stderr: err.stderr };
    }
  }

  beforeAll(async () => {
    cliPath = await bundleCli();
    base = await fs.mkdtemp(path.join(os.tmpdir(), 'popbox-cli-folders-'));
    const dataDir = path.join(base, 'data');
    const service = await MailService.open({ dataDir, secrets: new MemorySecretStore() });
    const account = await service.addAccount({ name: 'Home', host: '127.0.0.1', port: 995, security: 'tls', user: 'u', password: { source: 'command', command: 'echo pw' } });
    await service.close();
    maildir = path.join(dataDir, 'accounts', account.id, 'Maildir');
    for (let i = 0; i < 6; i++) {
      const id = messageIdFor(account.id, `u${i}`);
      ids.push(id);
      await fs.writeFile(path.join(maildir, 'cur', `${id}:2,`), `From: Ann <ann@example.org>\r\nSubject: note ${i}\r\nDate: Mon, 0${i + 1} Feb 202${i} 10:00:00 +0000\r\n\r\nbody\r\n`);
    }
    await fs.rm(path.join(dataDir, 'closed-cleanly'));
  });

  afterAll(async () => {
    if (base) await fs.rm(base, { recursive: true, force: true });
  });

  it('lists the tree with counts, as text and as JSON', async () => {
    const text = await cli('folders');
    expect(text.code).toBe(0);
    expect(text.stdout.split('\n')[0]).toMatch(/^Home\s+Inbox\s+6 messages, 6 unread$/);
    expect(text.stdout).toMatch(/Home\s+Trash\s+0 messages/);
    const json = JSON.parse((await cli('folders', '--json')).stdout) as { name: string; role: string | null; dir: string }[];
    expect(json.map((f) => f.name)).toEqual(['Inbox', 'Drafts', 'Sent', 'Outbox', 'Archive', 'Junk', 'Trash']);
    expect(json.find((f) => f.name === 'Trash')?.dir).toBe(path.join(maildir, '.Trash'));
  });

  it('makes nested folders, files messages there, and finds them with messages --folder', async () => {
    expect((await cli('folder', 'add', 'Family/Photos')).stdout).toBe('made folder Family/Photos\n');
    expect((await cli('move', ids[0]!, ids[1]!, 'family/photos')).stdout).toBe('moved 2 messages to Family/Photos\n');
    expect((await fs.readdir(path.join(maildir, '.Family.Photos', 'cur'))).sort()).toEqual([`${ids[0]}:2,`, `${ids[1]}:2,`].sort());
    const listed = JSON.parse((await cli('messages', '--folder', 'Family/Photos', '--json')).stdout) as { id: string; folder: string }[];
    expect(listed.map((m) => m.id).sort()).toEqual([ids[0], ids[1]].sort());
    expect(listed.every((m) => m.folder === 'Family/Photos')).toBe(true);
    const tree = (await cli('folders')).stdout;
    expect(tree).toMatch(/Home\s+Family\s+0 messages\n/);
    expect(tree).toMatch(/Home\s+ {2}Photos\s+2 messages, 2 unread\n/);
  });

  it('archives by year, trashes and restores to where the mail was', async () => {
    expect((await cli('archive', ids[2]!, ids[3]!)).code).toBe(0);
    const archived = JSON.parse((await cli('messages', '--json')).stdout) as { id: string; folder: string }[];
    expect(archived.find((m) => m.id === ids[2])?.folder).toBe('Archive/2022');
    expect(archived.find((m) => m.id === ids[3])?.folder).toBe('Archive/2023');
    expect((await cli('trash', ids[0]!, ids[4]!)).stdout).toBe('moved to Trash 2 messages\n');
    expect((await cli('messages', '--folder', 'Trash')).stdout.trim().split('\n')).toHaveLength(2);
    expect((await cli('restore', ids[0]!)).code).toBe(0);
    expect((await fs.readdir(path.join(maildir, '.Family.Photos', 'cur'))).length).toBe(2);
  });

  it('renames and removes folders; the mail of a removed folder is in Trash, not gone', async () => {
    expect((await cli('folder', 'rename', 'Family', 'Home life')).stdout).toBe('renamed Family to Home life\n');
    expect((await fs.readdir(maildir)).filter((d) => d.startsWith('.Home life'))).toEqual(['.Home life', '.Home life.Photos']);
    expect((await cli('folder', 'remove', 'Home life')).stdout).toBe('removed Home life; its 2 messages went to Trash\n');
    expect((await fs.readdir(path.join(maildir, '.Trash', 'cur'))).length).toBe(3);
    expect((await cli('empty-trash')).stdout).toBe('deleted 3 messages for good\n');
    expect(await fs.readdir(path.join(maildir, '.Trash', 'cur'))).toEqual([]);
  });

  it('answers a wrong name or a special folder in plain words, exit code 2, changing nothing', async () => {
    const unknown = await cli('move', ids[5]!, 'Nowhere');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/no folder "Nowhere" in this account \(its folders: Inbox, Drafts, .*Trash\)/);
    const special = await cli('folder', 'rename', 'Trash', 'Bin');
    expect(special.code).toBe(2);
    expect(special.stderr).toMatch(/Trash is one of Popbox's own folders and cannot be renamed/);
    const taken = await cli('folder', 'add', 'archive');
    expect(taken.code).toBe(2);
    expect(taken.stderr).toMatch(/A folder named “Archive” already exists/);
    const badId = await cli('archive', 'ffffffffffffffff');
    expect(badId.code).toBe(2);
    expect(JSON.parse((await cli('messages', '--json')).stdout).find((m: { id: string }) => m.id === ids[5]).folder).toBe('Inbox');
  });
});
