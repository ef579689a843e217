/**
 * Recovery (issue 3 §1): the journal, the ledger and the Maildir are reconciled on every sync,
 * and losing the ledger or the journal loses no mail.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MailService } from '../../electron/core/mail-service.js';
import { MemorySecretStore } from '../../electron/core/secrets/index.js';
import { dovecotUnavailable, startDovecot, type DovecotServer } from '../support/dovecot.js';
import { generateMessages, toCrlf } from '../support/mailgen.js';

const unavailable = dovecotUnavailable();
if (unavailable && process.env.CI) throw new Error(`Dovecot is required in CI: ${unavailable}`);
if (unavailable) console.warn(`Skipping the recovery suite: ${unavailable}`);
const suite = unavailable ? describe.skip : describe;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

suite('recovery', () => {
  let dc: DovecotServer;
  let dataDir: string;
  const secrets = new MemorySecretStore();
  const messages = generateMessages({ seed: 8, count: 4, mix: 'small' });

  beforeAll(async () => {
    dc = await startDovecot({ users: [{ name: 'rec', password: 'rec-pw' }] });
    await dc.deliver('rec', messages);
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'popbox-recovery-'));
    const service = await MailService.open({ dataDir, secrets });
    await service.addAccount(
      { name: 'Rec', host: '127.0.0.1', port: dc.tlsPort, security: 'tls', user: 'rec', tlsFingerprint: dc.fingerprint256, leaveOnServer: true, password: { source: 'keychain' } },
      'rec-pw',
    );
    const [outcome] = await service.sync();
    expect(outcome).toMatchObject({ ok: true, result: { downloaded: 4 } });
    await service.close();
  });
  afterAll(async () => {
    await dc?.stop();
    await fs.rm(dataDir, { recursive: true, force: true });
  });

  const accountDir = async () => path.join(dataDir, 'accounts', (await fs.readdir(path.join(dataDir, 'accounts')))[0]!);

  it('a message file removed by another tool leaves the inbox and counts as deleted here', async () => {
    const service = await MailService.open({ dataDir, secrets });
    const victim = service.messages()[0]!;
    await fs.rm(victim.path);
    await service.sync();
    expect(service.messages().map((m) => m.id)).not.toContain(victim.id);
    expect((await service.pending()).map((p) => p.id)).toEqual([]); // leave on server: kept there
    expect((await dc.mailbox('rec')).length).toBe(4);
    await service.close();
  });

  it('after a kill, a start lists every message on disk at once, without waiting for a sync', async () => {
    // A kill between a file's rename into the Maildir and its journal record: the journal is
    // behind the disk, and no clean close was recorded.
    const journalFile = path.join(dataDir, 'journal.jsonl');
    const lines = (await fs.readFile(journalFile, 'utf8')).trim().split('\n');
    const lastAdd = lines.findLastIndex((l) => (JSON.parse(l) as { t: string }).t === 'add');
    const dropped = (JSON.parse(lines[lastAdd]!) as { m: { id: string } }).m.id;
    await fs.writeFile(journalFile, `${lines.filter((_, i) => i !== lastAdd).join('\n')}\n`);
    await expect(fs.access(path.join(dataDir, 'closed-cleanly'))).resolves.toBeUndefined(); // the last close was clean
    await fs.rm(path.join(dataDir, 'closed-cleanly'));

    const service = await MailService.open({ dataDir, secrets });
    const files = await fs.readdir(path.join(await accountDir(), 'Maildir', 'cur'));
    expect(service.messages().map((m) => path.basename(m.path)).sort()).toEqual(files.sort());
    expect(service.messages().find((m) => m.id === dropped)?.summary.subject).toBeTruthy();
    await service.close();
  });

  it('after a kill between a batch of renames and its journal record, a start takes the flags from the file names', async () => {
    // As a kill in the middle of "mark all read" leaves it: files renamed, journal not yet told.
    const service0 = await MailService.open({ dataDir, secrets });
    const unread = service0.messages().filter((m) => !m.flags.seen);
    await service0.close();
    expect(unread.length).toBeGreaterThan(0);
    const cur = path.join(await accountDir(), 'Maildir', 'cur');
    for (const name of await fs.readdir(cur)) {
      const [id, info] = name.split(':2,');
      if (unread.some((m) => m.id === id) && !info!.includes('S')) await fs.rename(path.join(cur, name), path.join(cur, `${id}:2,${[...`${info}S`].sort().join('')}`));
    }
    await fs.rm(path.join(dataDir, 'closed-cleanly'));
    const service = await MailService.open({ dataDir, secrets });
    expect(service.messages().filter((m) => !m.flags.seen)).toEqual([]);
    await service.close();
  });

  it('losing the ledger and the journal loses no mail, even when the server no longer has it', async () => {
    const dir = await accountDir();
    const before = (await fs.readdir(path.join(dir, 'Maildir', 'cur'))).length;
    await fs.rm(path.join(dir, 'ledger.jsonl'));
    await fs.rm(path.join(dataDir, 'journal.jsonl'));
    await dc.clear('rec');
    const service = await MailService.open({ dataDir, secrets });
    const [outcome] = await service.sync();
    expect(outcome).toMatchObject({ ok: true, result: { downloaded: 0 } });
    const list = service.messages();
    expect(list).toHaveLength(before);
    const shas = await Promise.all(list.map(async (m) => sha(await fs.readFile(m.path))));
    const served = new Set(messages.map((m) => sha(toCrlf(m))));
    expect(shas.every((h) => served.has(h))).toBe(true);
    expect(list.every((m) => m.summary.subject.length > 0)).toBe(true);
    await service.close();
  });
});
