/**
 * The CLI's outgoing-server options and identity commands (issue 15 §1, §6), as a user runs them:
 * a child process on a data directory of its own (what it prints, the exit code, what lands in
 * accounts.json), and, for passwords on standard input, the same commands inside a MailService
 * whose secrets are in memory (the CLI's own keychain needs a desktop session).
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli as runInProcess } from '../../electron/cli/run.js';
import { smtpSecretKey } from '../../electron/core/accounts/accounts-service.js';
import { MailService } from '../../electron/core/mail-service.js';
import { MemorySecretStore } from '../../electron/core/secrets/index.js';
import { runCli } from '../support/cli-bundle.js';

const PIN = Array.from({ length: 32 }, (_, i) => (i + 16).toString(16)).join(':').toUpperCase();

let dataDir: string;
beforeAll(async () => {
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'popbox-cli-smtp-'));
});
afterAll(async () => {
  await fs.rm(dataDir, { recursive: true, force: true });
});

const cli = (...args: string[]) => runCli(dataDir, ...args);
const incoming = ['--host', 'pop.example.org', '--port', '995', '--security', 'tls', '--user', 'alice', '--password-command', 'echo pop-pw'];
const onDisk = async () => JSON.parse(await fs.readFile(path.join(dataDir, 'accounts.json'), 'utf8')) as { version: number; accounts: Record<string, unknown>[] };
const listJson = async () => JSON.parse((await cli('account', 'list', '--json')).stdout) as Record<string, unknown>[];

describe('popbox account add|set: the outgoing server', () => {
  it('adds an account with an outgoing server and a From identity; list shows the server, never the password command', async () => {
    const add = await cli(
      'account', 'add', 'Home', ...incoming,
      '--smtp-host', 'smtp.example.org', '--smtp-user', 'alice@example.org', '--smtp-password-command', 'echo smtp-pw',
      '--smtp-tls-fingerprint', PIN.replace(/:/g, '').toLowerCase(), '--from', 'alice@example.org', '--from-name', 'Alice Example',
    );
    expect(add.stderr).toBe('');
    expect(add).toMatchObject({ code: 0, stdout: 'added Home\talice@pop.example.org:995\ttls\tdelete from server after download\tsends via alice@example.org@smtp.example.org:465 tls\n' });
    const [home] = await listJson();
    expect(home!.smtp).toEqual({ host: 'smtp.example.org', port: 465, security: 'tls', auth: 'password', user: 'alice@example.org', tlsFingerprint: PIN, allowInsecureAuth: false, password: { source: 'command' } });
    expect(home!.identities).toEqual([{ id: expect.any(String), name: 'Alice Example', address: 'alice@example.org' }]);
    const list = await cli('account', 'list');
    expect(list.stdout).toContain('\tsends via alice@example.org@smtp.example.org:465 tls\n');
    expect(list.stdout + JSON.stringify(home)).not.toContain('echo smtp-pw');
    // The command is configuration: it stays in the file, version 2.
    const file = await onDisk();
    expect(file.version).toBe(2);
    expect(file.accounts[0]!.smtp).toMatchObject({ password: { source: 'command', command: 'echo smtp-pw' } });
  });

  it('port follows security (465 tls, 587 starttls, 25 none); without a user there is no login', async () => {
    await cli('account', 'add', 'Relay', ...incoming, '--email', 'me@lan.example', '--smtp-host', 'relay.lan', '--smtp-security', 'none');
    await cli('account', 'add', 'Sub', ...incoming, '--email', 'me@sub.example', '--smtp-host', 'smtp.sub.example', '--smtp-security', 'starttls', '--smtp-user', 'me', '--smtp-same-password');
    const [, relay, sub] = await listJson();
    expect(relay!.smtp).toEqual({ host: 'relay.lan', port: 25, security: 'plain', auth: 'none', allowInsecureAuth: false, password: { source: 'keychain' } });
    // The account's email is its first identity.
    expect(relay!.identities).toEqual([{ id: expect.any(String), name: '', address: 'me@lan.example' }]);
    expect(sub!.smtp).toMatchObject({ port: 587, security: 'starttls', auth: 'password', user: 'me', password: { source: 'incoming' } });
    expect((await cli('account', 'list')).stdout).toContain('Relay\talice@pop.example.org:995\ttls\tdelete from server after download\tsends via relay.lan:25 plain, no login\n');
  });

  it('set changes only the options given; the command line keeps its password command when the server moves; --no-smtp removes it', async () => {
    const set = await cli('account', 'set', 'Home', '--smtp-security', 'starttls');
    expect(set).toMatchObject({ code: 0 });
    expect(set.stdout).toMatch(/sends via alice@example\.org@smtp\.example\.org:587 starttls\n$/);
    let file = await onDisk();
    expect(file.accounts[0]!.smtp).toMatchObject({ host: 'smtp.example.org', port: 587, security: 'starttls', user: 'alice@example.org', tlsFingerprint: PIN, password: { source: 'command', command: 'echo smtp-pw' } });
    expect(await cli('account', 'set', 'Home', '--smtp-port', '2525', '--smtp-mechanism', 'login')).toMatchObject({ code: 0 });
    file = await onDisk();
    expect(file.accounts[0]!.smtp).toMatchObject({ port: 2525, security: 'starttls', mechanism: 'LOGIN' });
    expect(await cli('account', 'set', 'Relay', '--no-smtp')).toMatchObject({ code: 0 });
    file = await onDisk();
    expect(file.accounts[1]!.smtp).toBeNull();
    expect(file.accounts[1]!.identities).toHaveLength(1);
  });

  it.each([
    [['account', 'add', 'X', ...incoming, '--smtp-host', 'h.example', '--smtp-user', 'u'], /logs in needs --smtp-password-stdin, --smtp-password-command or --smtp-same-password/],
    [['account', 'add', 'X', ...incoming, '--smtp-port', '465'], /an outgoing server needs --smtp-host/],
    [['account', 'add', 'X', ...incoming, '--smtp-host', 'h.example', '--smtp-security', 'ssl'], /--smtp-security must be tls, starttls or none/],
    [['account', 'add', 'X', ...incoming, '--smtp-host', 'h.example', '--smtp-port', '0'], /--smtp-port must be a whole number from 1 to 65535/],
    [['account', 'add', 'X', ...incoming, '--smtp-host', 'h.example', '--smtp-no-auth', '--smtp-user', 'u'], /--smtp-no-auth: no login/],
    [['account', 'add', 'X', ...incoming, '--smtp-host', 'h.example', '--smtp-user', 'u', '--smtp-same-password', '--smtp-password-command', 'x'], /give one of --smtp-password-stdin/],
    [['account', 'add', 'X', ...incoming, '--smtp-host', 'h.example'], /^popbox: invalid: identities: an account with an outgoing server needs at least one identity/],
    [['account', 'set', 'Home', '--no-smtp', '--smtp-port', '25'], /--no-smtp removes the outgoing server/],
    [['account', 'set', 'Home', '--from', 'x@y.example'], /--from and --from-name are for account add/],
    [['account', 'set', 'Home', '--smtp-security', 'none', '--smtp-tls-fingerprint', PIN], /smtp\.tlsFingerprint: pins a TLS certificate/],
  ])('refuses %j with exit code 2 and changes nothing', async (args, message) => {
    const before = await fs.readFile(path.join(dataDir, 'accounts.json'));
    const r = await cli(...args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect((await fs.readFile(path.join(dataDir, 'accounts.json'))).equals(before)).toBe(true);
  });
});

describe('popbox identity', () => {
  it('adds identities with reply-to, a signature from a file, a default; lists them; removes them', async () => {
    const sigFile = path.join(dataDir, 'sig.txt');
    await fs.writeFile(sigFile, 'Alice\nWork phone 555\n');
    const add = await cli('identity', 'add', 'Home', '--name', 'Alice at Work', '--address', 'alice@work.example', '--reply-to', 'team@work.example', '--signature-file', sigFile, '--default');
    expect(add).toMatchObject({ code: 0, stdout: 'added Alice at Work <alice@work.example> to Home (default)\n' });
    expect(await cli('identity', 'add', 'Home', '--address', 'a.example@example.org', '--signature', 'A.')).toMatchObject({ code: 0, stdout: 'added a.example@example.org to Home\n' });

    const json = JSON.parse((await cli('identity', 'list', 'Home', '--json')).stdout) as Record<string, unknown>[];
    expect(json).toEqual([
      { account: 'Home', id: expect.any(String), name: 'Alice Example', address: 'alice@example.org', default: false },
      { account: 'Home', id: expect.any(String), name: 'Alice at Work', address: 'alice@work.example', replyTo: 'team@work.example', signature: 'Alice\nWork phone 555', default: true },
      { account: 'Home', id: expect.any(String), name: '', address: 'a.example@example.org', signature: 'A.', default: false },
    ]);
    const text = await cli('identity', 'list');
    expect(text.stdout.split('\n')).toEqual(
      expect.arrayContaining([
        'Home\tAlice Example <alice@example.org>',
        'Home\tAlice at Work <alice@work.example>\treply-to team@work.example\tdefault',
        'Home\ta.example@example.org',
        'Relay\tme@lan.example\tdefault',
      ]),
    );

    // A new default takes over from the old one.
    expect(await cli('identity', 'add', 'Home', '--address', 'new@example.org', '--default')).toMatchObject({ code: 0 });
    const defaults = (JSON.parse((await cli('identity', 'list', 'Home', '--json')).stdout) as { address: string; default: boolean }[]).filter((i) => i.default);
    expect(defaults.map((i) => i.address)).toEqual(['new@example.org']);

    expect(await cli('identity', 'remove', 'Home', 'A.EXAMPLE@example.org')).toMatchObject({ code: 0, stdout: 'removed A.EXAMPLE@example.org from Home\n' });
    expect((await onDisk()).accounts[0]!.identities).toHaveLength(3);
  });

  it('refuses a duplicate address, an unknown one, a missing signature file, and removing the last identity of an account that sends', async () => {
    const dup = await cli('identity', 'add', 'Home', '--address', 'ALICE@example.org');
    expect(dup).toMatchObject({ code: 2 });
    expect(dup.stderr).toMatch(/identities\[\d\]\.address: ALICE@example\.org appears twice/);
    expect(await cli('identity', 'remove', 'Home', 'nobody@example.org')).toMatchObject({ code: 2, stderr: 'popbox: not-found: Home has no identity "nobody@example.org"\n' });
    const missing = await cli('identity', 'add', 'Home', '--address', 'x@example.org', '--signature-file', path.join(dataDir, 'nope.txt'));
    expect(missing).toMatchObject({ code: 2 });
    expect(missing.stderr).toMatch(/--signature-file: cannot read .*nope\.txt.* \(ENOENT\)/);
    expect(await cli('identity', 'add', 'Sub', '--address', 'second@sub.example')).toMatchObject({ code: 0 });
    expect(await cli('identity', 'remove', 'Sub', 'me@sub.example')).toMatchObject({ code: 0 });
    const last = await cli('identity', 'remove', 'Sub', 'second@sub.example');
    expect(last).toMatchObject({ code: 2 });
    expect(last.stderr).toMatch(/second@sub\.example is the only identity of Sub, which sends mail: add another first/);
    expect(await cli('identity', 'frob')).toMatchObject({ code: 2 });
  });
});

describe('popbox account … --smtp-password-stdin (inside a MailService with secrets in memory)', () => {
  let dir: string;
  let service: MailService;
  const secrets = new MemorySecretStore();
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'popbox-cli-smtp-stdin-'));
    service = await MailService.open({ dataDir: dir, secrets });
  });
  afterAll(async () => {
    await service?.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  async function run(stdin: string | undefined, ...argv: string[]) {
    let out = '';
    let err = '';
    const code = await runInProcess(['--data-dir', dir, ...argv], { out: (t) => void (out += t), err: (t) => void (err += t), columns: 80, stdin: () => stdin, service });
    return { code, out, err };
  }

  it('keeps the outgoing password in its own keychain entry, which smtpSettingsFor hands to the sender', async () => {
    const r = await run('smtp-secret\n', 'account', 'add', 'Home', ...incoming, '--email', 'me@example.org', '--smtp-host', 'smtp.example.org', '--smtp-user', 'me', '--smtp-password-stdin');
    expect(r).toMatchObject({ code: 0, err: '' });
    const id = service.accounts.get('Home').id;
    expect(await secrets.get(smtpSecretKey(id))).toBe('smtp-secret');
    expect(await service.smtpSettingsFor(id)).toMatchObject({ host: 'smtp.example.org', port: 465, security: 'tls', auth: { user: 'me', password: 'smtp-secret' } });

    // Moving the server forgets it; a new one comes with the change.
    expect(await run(undefined, 'account', 'set', 'Home', '--smtp-host', 'smtp2.example.org')).toMatchObject({ code: 0 });
    expect(await secrets.get(smtpSecretKey(id))).toBeNull();
    await expect(service.smtpSettingsFor(id)).rejects.toMatchObject({ code: 'secret' });
    expect(await run('second\n', 'account', 'set', 'Home', '--smtp-password-stdin')).toMatchObject({ code: 0 });
    expect((await service.smtpSettingsFor(id)).auth).toEqual({ user: 'me', password: 'second' });

    // One password for both: the incoming one (here from its command).
    expect(await run(undefined, 'account', 'set', 'Home', '--smtp-same-password')).toMatchObject({ code: 0 });
    expect((await service.smtpSettingsFor(id)).auth).toEqual({ user: 'me', password: 'pop-pw' });
  });

  it('refuses two passwords on standard input, and an empty one', async () => {
    const both = await run('x\n', 'account', 'add', 'Two', ...incoming.slice(0, -2), '--password-stdin', '--smtp-host', 'h.example', '--smtp-user', 'u', '--smtp-password-stdin');
    expect(both).toMatchObject({ code: 2 });
    expect(both.err).toMatch(/only one password can be read from standard input/);
    const empty = await run('\n', 'account', 'set', 'Home', '--smtp-password-stdin');
    expect(empty).toMatchObject({ code: 2, err: 'popbox: --smtp-password-stdin: the password read from standard input is empty\n(see "popbox help")\n' });
    expect(service.listAccounts().map((a) => a.name)).toEqual(['Home']);
  });
});

describe('popbox account add|set without outgoing-server options', () => {
  it('leave the outgoing server alone: none on add, the stored one on set', async () => {
    const add = await cli('account', 'add', 'Plain', ...incoming, '--leave-on-server', '--check-every', '5');
    expect(add).toMatchObject({ code: 0, stdout: 'added Plain\talice@pop.example.org:995\ttls\tleave on server\n' });
    expect((await listJson()).find((a) => a.name === 'Plain')!.smtp).toBeNull();
    const set = await cli('account', 'set', 'Home', '--check-every', '7');
    expect(set).toMatchObject({ code: 0 });
    expect((await listJson()).find((a) => a.name === 'Home')).toMatchObject({ checkEveryMinutes: 7, smtp: { host: 'smtp.example.org', port: 2525 } });
  });
});
