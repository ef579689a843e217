/**
 * The CLI's quick path and its full path in one `popbox sync` (issue 18 P0):
 *  - the data directory's lock goes from the quick path to the full path without being let go
 *    (released and taken again, a second Popbox starting in between held it, and this command
 *    stopped with "already using this data directory");
 *  - with "Empty Trash after N days" on and something in Trash, a cron `popbox sync` stays quick
 *    while the last purge is less than an hour old (it was in memory only: every new process
 *    took the full path), and goes the full way (and purges) once the hour is over;
 *  - a deletion another process asked for in the ledger alone (the Maildir unchanged) is carried
 *    out at the next `popbox sync`, once: the quick path plans from the ledger, not from the
 *    Maildir's stamp alone.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quickSync } from '../../electron/cli/quick-sync.js';
import { MailService } from '../../electron/core/mail-service.js';
import { MemorySecretStore } from '../../electron/core/secrets/index.js';
import { Ledger } from '../../electron/core/store/ledger.js';
import { HandOver } from '../../electron/core/sync/hand-over.js';
import { runCli } from '../support/cli-bundle.js';
import { dovecotUnavailable, startDovecot, type DovecotServer } from '../support/dovecot.js';
import { generateMessages } from '../support/mailgen.js';
import { ageMaildir } from '../support/maildir-age.js';

const unavailable = dovecotUnavailable();
if (unavailable && process.env.CI) throw new Error(`Dovecot is required in CI: ${unavailable}`);
if (unavailable) console.warn(`Skipping the CLI quick-sync suite: ${unavailable}`);
const suite = unavailable ? describe.skip : describe;

suite('popbox sync: quick path and full path', () => {
  let dc: DovecotServer;
  let dataDir: string;
  let accountDir: string;
  const secrets = new MemorySecretStore();

  beforeAll(async () => {
    dc = await startDovecot({ users: [{ name: 'qs', password: 'qs-pw' }] });
    await dc.deliver('qs', generateMessages({ seed: 55, count: 4, mix: 'small' }));
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'popbox-cli-quick-'));
    const service = await MailService.open({ dataDir, secrets });
    const account = await service.addAccount({
      name: 'Quick', host: '127.0.0.1', port: dc.tlsPort, security: 'tls', user: 'qs', tlsFingerprint: dc.fingerprint256,
      leaveOnServer: true, password: { source: 'command', command: 'echo qs-pw' },
    });
    expect((await service.sync())[0]).toMatchObject({ ok: true, result: { downloaded: 4 } });
    await service.close();
    accountDir = path.join(dataDir, 'accounts', account.id);
  });
  afterAll(async () => {
    await dc?.stop();
    if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
  });

  it('the data directory stays locked from the quick path to the full path', async () => {
    // Not closed cleanly: the quick path leaves the check to the full path (which reconciles first).
    await fs.rm(path.join(dataDir, 'closed-cleanly'));
    const out: string[] = [];
    const io = { out: (t: string) => void out.push(t), err: (t: string) => void out.push(t) };
    const handOver = new HandOver();
    expect(await quickSync(dataDir, [], io, handOver)).toBeNull();
    expect(out).toEqual([]);
    // Still held by this process: another Popbox opening the directory now is told it is in use.
    expect(await fs.readFile(path.join(dataDir, 'popbox.lock'), 'utf8')).toMatch(new RegExp(`^${process.pid} `));
    await expect(MailService.open({ dataDir, secrets })).rejects.toThrow(/already using this data directory/);
    // The full path goes on under it, through the hand-over the command gave both paths.
    const service = await MailService.open({ dataDir, secrets, handOver });
    expect(handOver.takeLock(dataDir)).toBeUndefined(); // taken once, by the service
    expect((await service.sync())[0]).toMatchObject({ ok: true, result: { downloaded: 0 } });
    await service.close();
    await expect(fs.access(path.join(dataDir, 'popbox.lock'))).rejects.toThrow();

    // A full path that never opens the data directory: the command's end lets the lock go.
    await fs.rm(path.join(dataDir, 'closed-cleanly'));
    const unused = new HandOver();
    expect(await quickSync(dataDir, [], io, unused)).toBeNull();
    await expect(MailService.open({ dataDir, secrets })).rejects.toThrow(/already using this data directory/);
    await unused.releaseAll();
    await expect(fs.access(path.join(dataDir, 'popbox.lock'))).rejects.toThrow();
    await (await MailService.open({ dataDir, secrets })).close(); // closed cleanly again

    // The same through the CLI, in one process: quick path, then the full path over its lock.
    await fs.rm(path.join(dataDir, 'closed-cleanly'));
    expect(await runCli(dataDir, 'sync')).toEqual({ code: 0, stdout: 'Quick: 0 new, 0 deleted on server\n', stderr: '' });
    await expect(fs.access(path.join(dataDir, 'popbox.lock'))).rejects.toThrow();
    await fs.access(path.join(dataDir, 'closed-cleanly'));
  });

  it('with Empty Trash after 30 days and mail in Trash, a sync within the hour of the last purge is quick; after it, full (and it purges)', async () => {
    const service = await MailService.open({ dataDir, secrets });
    await service.updatePreferences({ emptyTrashAfterDays: 30 });
    const [first] = service.messages({});
    await service.moveToTrash(first!.id);
    // The check purges (nothing 30 days old yet) and keeps when, on disk.
    await service.sync();
    await service.close();
    const marks = JSON.parse(await fs.readFile(path.join(accountDir, 'purged.json'), 'utf8')) as Record<string, { at: number; days: number }>;
    expect(marks.Trash).toMatchObject({ days: 30 });
    expect(Date.now() - marks.Trash!.at).toBeLessThan(60_000);

    await ageMaildir(accountDir);
    // The full path opens the data directory (MailService: closed-cleanly removed at open, written
    // anew at close); the quick path does not touch it.
    const cleanMark = async () => {
      const st = await fs.stat(path.join(dataDir, 'closed-cleanly'));
      return `${st.ino}:${st.mtimeMs}`;
    };
    // The full path once (the Maildir changed since the last stamp), then the quick path.
    expect(await runCli(dataDir, 'sync')).toEqual({ code: 0, stdout: 'Quick: 0 new, 0 deleted on server\n', stderr: '' });
    const before = await cleanMark();
    expect(await runCli(dataDir, 'sync')).toEqual({ code: 0, stdout: 'Quick: 0 new, 0 deleted on server\n', stderr: '' });
    expect(await cleanMark()).toBe(before);

    // An hour later (the mark aged): the full path runs, purges, and marks again.
    const aged = { ...marks, Trash: { at: Date.now() - 3_700_000, days: 30 } };
    await fs.writeFile(path.join(accountDir, 'purged.json'), JSON.stringify(aged));
    expect(await runCli(dataDir, 'sync')).toEqual({ code: 0, stdout: 'Quick: 0 new, 0 deleted on server\n', stderr: '' });
    expect(await cleanMark()).not.toBe(before);
    const again = JSON.parse(await fs.readFile(path.join(accountDir, 'purged.json'), 'utf8')) as Record<string, { at: number }>;
    expect(Date.now() - again.Trash!.at).toBeLessThan(60_000);
    // The message in Trash is still there (not 30 days old).
    const after = await MailService.open({ dataDir, secrets });
    expect(after.messages({}).find((m) => m.id === first!.id)?.folder).toBe('Trash');
    await after.close();
  });

  it('a deletion asked for in the ledger alone (Maildir unchanged) is carried out by the next popbox sync, once', async () => {
    const cleanMark = async () => {
      const st = await fs.stat(path.join(dataDir, 'closed-cleanly'));
      return `${st.ino}:${st.mtimeMs}`;
    };
    const empty = { code: 0, stdout: 'Quick: 0 new, 0 deleted on server\n', stderr: '' };
    await ageMaildir(accountDir);
    expect(await runCli(dataDir, 'sync')).toEqual(empty); // full: a stamp to trust
    const mark = await cleanMark();
    expect(await runCli(dataDir, 'sync')).toEqual(empty);
    expect(await cleanMark()).toBe(mark);

    // Another process (the app, a filter) asks in the ledger alone for one message to go from the
    // server: nothing in the Maildir changes, so only the ledger tells.
    const onServer = await dc.mailbox('qs');
    const ledger = await Ledger.open(path.join(accountDir, 'ledger.jsonl'));
    const victim = [...ledger.all()].find((e) => e.goneAt === undefined && e.serverDeletedAt === undefined)!;
    ledger.deleteOnServer([victim.uidl], Date.now());
    await ledger.commit();
    expect(await runCli(dataDir, 'sync')).toEqual({ code: 0, stdout: 'Quick: 0 new, 1 deleted on server\n', stderr: '' });
    expect(await dc.mailbox('qs')).toHaveLength(onServer.length - 1);
    await ageMaildir(accountDir);
    expect(await runCli(dataDir, 'sync')).toEqual(empty);
    expect(await runCli(dataDir, 'sync')).toEqual(empty);
    expect(await dc.mailbox('qs')).toHaveLength(onServer.length - 1);
  });
});
