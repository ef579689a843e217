/**
 * Popbox's folder tree is a Maildir++ tree other tools read (issue 14 §2, DESIGN §2): real mail
 * (the SpamAssassin corpus) downloaded from Dovecot and filed through the CLI — nested folders,
 * a non-ASCII name, Archive by year, Trash — is indexed by notmuch, which must find exactly the
 * same messages in exactly the same folders, and the same unread ones (Maildir flags).
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MailService } from '../../electron/core/mail-service.js';
import { MemorySecretStore } from '../../electron/core/secrets/index.js';
import { bundleCli } from '../support/cli-bundle.js';
import { dovecotUnavailable, startDovecot, type DovecotServer } from '../support/dovecot.js';
import { corpusMessage, corpusNames } from '../support/spam-corpus.js';

const run = promisify(execFile);

async function notmuchMissing(): Promise<string | null> {
  try {
    await run('notmuch', ['--version']);
    return null;
  } catch {
    return 'notmuch is not installed (Debian package notmuch)';
  }
}

const missing = dovecotUnavailable() ?? (await notmuchMissing());
if (missing && process.env.CI) throw new Error(`The folders-with-other-tools suite needs: ${missing}`);
if (missing) console.warn(`Skipping the folders-with-other-tools suite: ${missing}`);
const suite = missing ? describe.skip : describe;


/** Forty real messages from 2002, without the mbox "From " line most corpus files start with. */
async function realMail(): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for (const folder of ['easy-ham-1', 'spam-1']) {
    for (const name of (await corpusNames(folder)).slice(0, 20)) out.push(await corpusMessage(folder, name));
  }
  return out;
}

suite('the folder tree as notmuch reads it', () => {
  let dc: DovecotServer;
  let base: string;
  let dataDir: string;
  let cliPath: string;
  let maildir: string;

  const cli = async (...args: string[]) => (await run(process.execPath, [cliPath, '--data-dir', dataDir, ...args], { env: { ...process.env, POPBOX_DATA_DIR: '' }, maxBuffer: 64 * 1024 * 1024 })).stdout;

  beforeAll(async () => {
    cliPath = await bundleCli();
    dc = await startDovecot({ users: [{ name: 'reader', password: 'reader-pw' }] });
    await dc.deliver('reader', await realMail());
    base = await fs.mkdtemp(path.join(os.tmpdir(), 'popbox-notmuch-'));
    dataDir = path.join(base, 'data');
    const service = await MailService.open({ dataDir, secrets: new MemorySecretStore() });
    const account = await service.addAccount({ name: 'Reader', host: '127.0.0.1', port: dc.tlsPort, security: 'tls', user: 'reader', tlsFingerprint: dc.fingerprint256, leaveOnServer: true, password: { source: 'keychain' } }, 'reader-pw');
    const [outcome] = await service.sync();
    expect(outcome).toMatchObject({ ok: true, result: { downloaded: 40 } });
    // A name the CLI cannot type (a slash in it) is made here, as the folder dialog would.
    await service.createFolder(account.id, ['v1.2 / old']);
    await service.close();
    maildir = path.join(dataDir, 'accounts', account.id, 'Maildir');
  }, 120_000);

  afterAll(async () => {
    await dc?.stop();
    if (base) await fs.rm(base, { recursive: true, force: true });
  });

  it('finds every message in the folder Popbox filed it in, with the same unread ones', async () => {
    const all = JSON.parse(await cli('messages', '--json')) as { id: string }[];
    const ids = all.map((m) => m.id);
    await cli('folder', 'add', 'Work/Projects');
    await cli('folder', 'add', 'Café');
    await cli('move', ...ids.slice(0, 5), 'Work/Projects');
    await cli('move', ...ids.slice(5, 9), 'café'); // any case finds the folder
    await cli('move', ...ids.slice(9, 11), 'v1.2 \\/ old'); // a slash inside a name
    await cli('archive', ...ids.slice(11, 20));
    await cli('trash', ...ids.slice(20, 24));
    await cli('copy', ids[30]!, 'Work/Projects');
    const service = await MailService.open({ dataDir, secrets: new MemorySecretStore() });
    await service.setFlags([ids[0]!, ids[6]!, ids[12]!, ids[21]!, ids[35]!], { seen: true });
    await service.close();

    const listed = JSON.parse(await cli('messages', '--json')) as { id: string; folder: string; seen: boolean }[];
    expect(listed).toHaveLength(41);
    expect(new Set(listed.map((m) => m.folder))).toEqual(new Set(['Inbox', 'Work/Projects', 'Café', 'v1.2 / old', 'Trash', ...listed.filter((m) => m.folder.startsWith('Archive/')).map((m) => m.folder)]));
    expect(listed.some((m) => /^Archive\/20\d\d$/.test(m.folder))).toBe(true);

    // notmuch indexes the tree where it lies.
    const config = path.join(base, 'notmuch-config');
    await fs.writeFile(config, `[database]\npath=${maildir}\n[new]\ntags=unread;inbox;\n[maildir]\nsynchronize_flags=true\n`);
    const nm = async (...args: string[]) => (await run('notmuch', [`--config=${config}`, ...args], { env: { ...process.env, NOTMUCH_CONFIG: config }, maxBuffer: 64 * 1024 * 1024 })).stdout;
    await nm('new', '--quiet');

    // Every file notmuch found, grouped by its Maildir++ folder, is Popbox's list, folder by folder.
    const files = (await nm('search', '--output=files', '--format=text', '*')).split('\n').filter(Boolean);
    const byNotmuch = new Map<string, Set<string>>();
    for (const file of files) {
      const rel = path.relative(maildir, file).split(path.sep);
      const folder = rel.length === 2 ? 'INBOX' : rel[0]!.slice(1);
      const id = rel[rel.length - 1]!.split(':')[0]!;
      byNotmuch.set(folder, (byNotmuch.get(folder) ?? new Set()).add(id));
    }
    const byPopbox = new Map<string, Set<string>>();
    const folders = JSON.parse(await cli('folders', '--json')) as { name: string; key: string; total: number }[];
    const keyOfName = new Map(folders.map((f) => [f.name, f.key]));
    for (const m of listed) {
      const key = keyOfName.get(m.folder)!;
      byPopbox.set(key, (byPopbox.get(key) ?? new Set()).add(m.id));
    }
    expect(byNotmuch).toEqual(byPopbox);
    expect([...byNotmuch.keys()]).toEqual(expect.arrayContaining(['Work.Projects', 'Caf&AOk-', 'Trash']));

    // notmuch's own folder search agrees, and so do the counts `popbox folders` prints.
    // (notmuch lists every file of a matching message: the copy's original in the inbox too.)
    const projects = (await nm('search', '--output=files', 'folder:.Work.Projects')).split('\n').filter(Boolean);
    expect(projects.filter((f) => f.includes(`${path.sep}.Work.Projects${path.sep}`))).toHaveLength(6);
    expect(projects).toHaveLength(7);
    expect(folders.find((f) => f.name === 'Work/Projects')?.total).toBe(6);
    expect(folders.find((f) => f.name === 'v1.2 / old')?.key).toBe('v1\\2e2 \\2f old');

    // Flags in file names: what Popbox shows unread, notmuch tags unread (synchronize_flags).
    const unreadByNotmuch = Number((await nm('count', '--output=files', 'tag:unread')).trim());
    expect(unreadByNotmuch).toBe(listed.filter((m) => !m.seen).length);
    expect(unreadByNotmuch).toBe(41 - 5);
  });
});
