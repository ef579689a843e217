/**
 * The quick check (issue 18 P0): a check that finds nothing new answers without opening the
 * account's mailbox — in the app (MailService) and through the CLI — and never at the cost of
 * what the full check does: new mail comes, deletions on the server happen, and what another tool
 * changed in the Maildir is taken in.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { MailService } from '../../electron/core/mail-service.js';
import { MemorySecretStore } from '../../electron/core/secrets/index.js';
import { AccountMailbox } from '../../electron/core/store/mailbox.js';
import { runCli } from '../support/cli-bundle.js';
import { dovecotUnavailable, startDovecot, type DovecotServer } from '../support/dovecot.js';
import { generateMessages } from '../support/mailgen.js';
import { ageEveryMaildir } from '../support/maildir-age.js';

const unavailable = dovecotUnavailable();
if (unavailable && process.env.CI) throw new Error(`Dovecot is required in CI: ${unavailable}`);
if (unavailable) console.warn(`Skipping the quick-check suite: ${unavailable}`);
const suite = unavailable ? describe.skip : describe;

suite('quick check', () => {
  let dc: DovecotServer;
  let dataDir: string;
  const secrets = new MemorySecretStore();

  beforeAll(async () => {
    dc = await startDovecot({ users: [{ name: 'qc', password: 'qc-pw' }] });
    await dc.deliver('qc', generateMessages({ seed: 18, count: 6, mix: 'small' }));
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'popbox-quick-'));
  });
  afterAll(async () => {
    await dc?.stop();
    await fs.rm(dataDir, { recursive: true, force: true });
  });
  afterEach(() => vi.restoreAllMocks());
  /** Logins Dovecot has logged so far. */
  const logins = async () => ((await fs.readFile(dc.logPath, 'utf8')).match(/Login: user=<qc>,/g) ?? []).length;

  it('in the app: nothing new is answered without opening the mailbox; new mail, another tool’s change and a deletion here still come through', async () => {
    const service = await MailService.open({ dataDir, secrets });
    await service.addAccount(
      {
        name: 'Quick', host: '127.0.0.1', port: dc.tlsPort, security: 'tls', user: 'qc', tlsFingerprint: dc.fingerprint256,
        leaveOnServer: true, deleteWhenDeletedLocally: true, password: { source: 'keychain' },
      },
      'qc-pw',
    );
    expect((await service.sync())[0]).toMatchObject({ ok: true, result: { downloaded: 6 } });
    await ageEveryMaildir(dataDir);
    expect((await service.sync())[0]).toMatchObject({ ok: true, result: { downloaded: 0 } }); // full: writes the stamp

    const opens = vi.spyOn(AccountMailbox, 'open');
    expect((await service.sync())[0]).toMatchObject({ ok: true, result: { downloaded: 0, deletedOnServer: 0 } });
    expect(opens).not.toHaveBeenCalled();

    // New mail: the full sync runs and stores it, on the quick check's connection (one login).
    await dc.deliver('qc', generateMessages({ seed: 19, count: 1, mix: 'small' }));
    const loginsBefore = await logins();
    expect((await service.sync())[0]).toMatchObject({ ok: true, result: { downloaded: 1 } });
    expect(await logins()).toBe(loginsBefore + 1);
    expect(service.messages()).toHaveLength(7);

    // Another tool removes a file: the next check takes it in (and, as this account deletes on
    // the server what is deleted here, deletes it there).
    await ageEveryMaildir(dataDir);
    await service.sync(); // full (the Maildir changed): a new stamp
    const victim = service.messages()[0]!;
    await fs.rm(victim.path);
    const [gone] = await service.sync();
    expect(gone).toMatchObject({ ok: true, result: { deletedOnServer: 1 } });
    expect(service.messages().map((m) => m.id)).not.toContain(victim.id);
    expect(await dc.mailbox('qc')).toHaveLength(6);

    // Due on the server by the ledger alone (delete after 1 day, two days on): the Maildir is as
    // the stamp says, so only the plan tells; the quick check leaves it to the full sync.
    await service.updateAccount('Quick', { deleteAfterDays: 1 });
    await ageEveryMaildir(dataDir);
    await service.sync(); // full: a stamp for this Maildir
    await service.close();
    const later = await MailService.open({ dataDir, secrets, now: () => Date.now() + 2 * 86_400_000 });
    const reopened = vi.spyOn(AccountMailbox, 'open');
    expect((await later.sync())[0]).toMatchObject({ ok: true, result: { downloaded: 0, deletedOnServer: 6 } });
    expect(reopened).toHaveBeenCalled();
    expect(await dc.mailbox('qc')).toHaveLength(0);
    await later.updateAccount('Quick', { deleteAfterDays: null });
    await later.close();
  });

  it('through the CLI: `sync` with nothing new and `account list` print what the full path prints', async () => {
    // The app kept the password in its own store: the CLI gets a password command.
    expect((await runCli(dataDir, 'account', 'set', 'Quick', '--password-command', 'echo qc-pw')).code).toBe(0);
    await dc.deliver('qc', generateMessages({ seed: 21, count: 3, mix: 'small' }));
    expect((await runCli(dataDir, 'sync')).stdout).toBe('Quick: 3 new, 0 deleted on server\n');
    await ageEveryMaildir(dataDir);
    // The full path (no stamp trusted yet: its Maildir was just aged after the last session).
    const full = await runCli(dataDir, 'sync');
    expect(full).toEqual({ code: 0, stdout: 'Quick: 0 new, 0 deleted on server\n', stderr: '' });
    const stamp = path.join(dataDir, 'accounts', (await fs.readdir(path.join(dataDir, 'accounts')))[0]!, 'quick-check.json');
    const before = await fs.stat(stamp);
    // The quick path: same output, and the stamp (written only by full sessions) untouched.
    const quick = await runCli(dataDir, 'sync');
    expect(quick).toEqual(full);
    expect((await fs.stat(stamp)).mtimeMs).toBe(before.mtimeMs);
    // `sync Quick` by name, the same.
    expect(await runCli(dataDir, 'sync', 'Quick')).toEqual(full);
    expect((await fs.stat(stamp)).mtimeMs).toBe(before.mtimeMs);

    // New mail through the CLI: the quick path hands over to the full one, logged in (one login).
    await dc.deliver('qc', generateMessages({ seed: 20, count: 2, mix: 'small' }));
    const loginsBefore = await logins();
    expect(await runCli(dataDir, 'sync')).toEqual({ code: 0, stdout: 'Quick: 2 new, 0 deleted on server\n', stderr: '' });
    expect(await logins()).toBe(loginsBefore + 1);

    const list = await runCli(dataDir, 'account', 'list');
    expect(list).toEqual({ code: 0, stdout: `Quick\tqc@127.0.0.1:${dc.tlsPort}\ttls\tleave on server, delete when deleted here\n`, stderr: '' });
    // A wrong password: the quick path says what the full path says, with one login attempt.
    const json = JSON.parse(await fs.readFile(path.join(dataDir, 'accounts.json'), 'utf8')) as { accounts: { password: unknown }[] };
    json.accounts[0]!.password = { source: 'command', command: 'echo wrong' };
    await fs.writeFile(path.join(dataDir, 'accounts.json'), JSON.stringify(json));
    await ageEveryMaildir(dataDir);
    const refused = await runCli(dataDir, 'sync');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^Quick: auth: /);
  });
});
