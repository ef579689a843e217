/**
 * The renderer is untrusted (DESIGN §3.8, issue 13 §1). The dispatcher that both Electron's IPC
 * and the web host's WebSocket use is driven here the way a hostile page would drive it: with the
 * most dangerous calls that are *well formed*, not only malformed ones. None may run a command,
 * hand out a stored password, or send one to a host the user did not enter for it.
 *
 * Two fault servers on loopback stand for the account's own server ("home") and an attacker's
 * ("evil"); both offer only USER/PASS, so every password sent is a PASS line they record.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Result } from '../../shared/contract.js';
import { createDispatcher, mailServiceHandlers } from '../../electron/core/contract-handler.js';
import { MailService } from '../../electron/core/mail-service.js';
import { MemorySecretStore } from '../../electron/core/secrets/index.js';
import { smtpSecretKey } from '../../electron/core/accounts/accounts-service.js';
import { FAULT_FINGERPRINT, miniPop3, startFaultServer, type FaultServer } from '../support/fault-server.js';
import { miniSmtp } from '../support/mini-smtp.js';

const SECRET = 'correct horse battery staple';
const OTHER_PIN = Array.from({ length: 32 }, () => 'AB').join(':');

interface Recording {
  server: FaultServer;
  /** Every PASS argument the server received. */
  passwords: string[];
}

async function recordingServer(tls: boolean): Promise<Recording> {
  const passwords: string[] = [];
  const server = await startFaultServer(
    (conn) =>
      miniPop3(conn, {
        capa: ['USER', 'UIDL', 'TOP', 'RESP-CODES'],
        password: SECRET,
        override: async (_c, verb, args) => {
          if (verb === 'PASS') passwords.push(args.join(' '));
          return false;
        },
      }),
    { tls },
  );
  return { server, passwords };
}

describe('the dispatcher driven by a hostile renderer', () => {
  let home: Recording;
  let evil: Recording;
  let evilTls: Recording;
  let dataDir: string;
  let marker: string;
  let service: MailService;
  let dispatch: ReturnType<typeof createDispatcher>;
  const secrets = new MemorySecretStore();
  const chosen: string[] = [];
  /** Every answer the dispatcher gave, to look for secrets in. */
  const answers: unknown[] = [];

  const call = async (method: string, input: unknown): Promise<Result<unknown>> => {
    const r = await dispatch(method, input);
    answers.push(r);
    return r;
  };

  beforeAll(async () => {
    [home, evil, evilTls] = await Promise.all([recordingServer(true), recordingServer(false), recordingServer(true)]);
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'popbox-hostile-renderer-'));
    marker = path.join(dataDir, 'a-command-ran');
    service = await MailService.open({ dataDir, secrets });
    dispatch = createDispatcher(
      mailServiceHandlers(service, {
        chooseSaveDestination: async (name) => {
          chosen.push(name);
          return null;
        },
      }),
    );
  });
  afterAll(async () => {
    await service?.close();
    await Promise.all([home, evil, evilTls].map((r) => r?.server.close()));
    await fs.rm(dataDir, { recursive: true, force: true });
  });
  beforeEach(() => {
    for (const r of [home, evil, evilTls]) r.passwords.length = 0;
  });

  /** The account as a person sets it up: implicit TLS to "home", its certificate pinned. */
  const homeAccount = (name: string) => ({
    name,
    host: '127.0.0.1',
    port: home.server.port,
    security: 'tls' as const,
    user: 'alice',
    tlsFingerprint: FAULT_FINGERPRINT,
    password: { source: 'keychain' as const },
  });

  it('no method takes a password command, so none runs one', async () => {
    const command = `touch ${marker}`;
    const tries: [string, unknown][] = [
      ['addAccount', { account: { ...homeAccount('Cmd'), password: { source: 'command', command } } }],
      ['addAccount', { account: { ...homeAccount('Cmd2'), password: { source: 'keychain', command } } }],
      ['addAccount', { account: { ...homeAccount('Cmd3'), passwordCommand: command }, password: 'x' }],
    ];
    const existing = await call('addAccount', { account: homeAccount('Existing'), password: SECRET });
    expect(existing.ok).toBe(true);
    const id = (existing as { value: { id: string } }).value.id;
    tries.push(['updateAccount', { id, patch: { password: { source: 'command', command } } }]);
    tries.push(['updateAccount', { id, patch: { password: { source: 'command', command }, host: 'localhost' }, password: 'x' }]);
    for (const [method, input] of tries) {
      const r = await call(method, input);
      expect(r, `${method} ${JSON.stringify(input)}`).toMatchObject({ ok: false, error: { code: 'invalid' } });
    }
    expect((await call('syncNow', {})).ok).toBe(true);
    await expect(fs.access(marker)).rejects.toThrow();
    expect(service.listAccounts().every((a) => a.password.source === 'keychain')).toBe(true);
    await service.removeAccount(id);
  });

  it('a stored password goes only to the stored server: testConnection with an account id and other settings is refused unheard', async () => {
    const added = await call('addAccount', { account: homeAccount('Home'), password: SECRET });
    const id = (added as { value: { id: string } }).value.id;
    const asStored = { accountId: id, host: '127.0.0.1', port: home.server.port, security: 'tls', user: 'alice', tlsFingerprint: FAULT_FINGERPRINT };
    const before = evil.server.connections.length + evilTls.server.connections.length;
    for (const redirect of [
      { port: evil.server.port, security: 'plain', allowInsecureAuth: true, tlsFingerprint: undefined },
      { port: evilTls.server.port },
      { port: evilTls.server.port, tlsFingerprint: undefined },
      { host: 'localhost', port: evilTls.server.port },
      { user: 'mallory' },
      { tlsFingerprint: OTHER_PIN },
    ]) {
      const r = await call('testConnection', { ...asStored, ...redirect });
      expect(r, JSON.stringify(redirect)).toMatchObject({ ok: false, error: { code: 'invalid', message: expect.stringMatching(/enter the password/i) } });
    }
    expect(evil.server.connections.length + evilTls.server.connections.length).toBe(before);
    expect(evil.passwords.concat(evilTls.passwords)).toEqual([]);

    // The stored settings themselves test fine, with the stored password, at home.
    expect(await call('testConnection', asStored)).toMatchObject({ ok: true, value: { secure: true, fingerprint256: FAULT_FINGERPRINT } });
    expect(home.passwords).toEqual([SECRET]);
    // New settings with the password typed in the form: the caller's own password, nothing stored.
    expect(await call('testConnection', { host: '127.0.0.1', port: evil.server.port, security: 'plain', user: 'alice', password: 'typed', allowInsecureAuth: true })).toMatchObject({ ok: false, error: { code: 'auth' } });
    expect(evil.passwords).toEqual(['typed']);
    await service.removeAccount(id);
  });

  it('changing where the password goes forgets it: port, host, security, clear-text login, certificate pin', async () => {
    const cases: [string, Record<string, unknown>][] = [
      ['port', { port: evilTls.server.port }],
      ['host', { host: 'localhost' }],
      ['security', { security: 'plain', tlsFingerprint: null, port: evil.server.port }],
      ['clear-text login', { allowInsecureAuth: true }],
      ['certificate pin', { tlsFingerprint: OTHER_PIN }],
      ['certificate pin removed', { tlsFingerprint: null }],
    ];
    for (const [what, patch] of cases) {
      const added = await call('addAccount', { account: homeAccount(`Moved ${what}`), password: SECRET });
      const id = (added as { value: { id: string } }).value.id;
      const r = await call('updateAccount', { id, patch });
      expect(r, what).toMatchObject({ ok: true, value: { password: { source: 'keychain' } } });
      expect(await secrets.get(id), what).toBeNull();
      const [outcome] = ((await call('syncNow', { accountIds: [id] })) as { value: { ok: boolean }[] }).value;
      expect(outcome!.ok, what).toBe(false);
      await service.removeAccount(id);
    }
    expect(evil.passwords.concat(evilTls.passwords, home.passwords)).toEqual([]);
  });

  it('a detour through session carries no stored password to another server', async () => {
    const id = ((await call('addAccount', { account: homeAccount('Detour'), password: SECRET })) as { value: { id: string } }).value.id;
    // First only the source changes (nothing of the server), then the server with the source back.
    expect(await call('updateAccount', { id, patch: { password: { source: 'session' } } })).toMatchObject({ ok: true });
    expect(await call('updateAccount', { id, patch: { port: evilTls.server.port, password: { source: 'keychain' } } })).toMatchObject({ ok: true });
    const [outcome] = ((await call('syncNow', { accountIds: [id] })) as { value: { ok: boolean }[] }).value;
    expect(evilTls.passwords.concat(home.passwords)).toEqual([]);
    expect(outcome!.ok).toBe(false);
    expect(await secrets.get(id)).toBeNull();
    await service.removeAccount(id);
  });

  it('changes that keep the password where it was keep it: name, schedule, leave-on-server (removing a pin forgets it, above)', async () => {
    const added = await call('addAccount', { account: homeAccount('Kept'), password: SECRET });
    const id = (added as { value: { id: string } }).value.id;
    for (const patch of [{ name: 'Kept again' }, { checkEveryMinutes: 5 }, { leaveOnServer: true, deleteAfterDays: 7 }, { host: '127.0.0.1', port: home.server.port }]) {
      expect(await call('updateAccount', { id, patch }), JSON.stringify(patch)).toMatchObject({ ok: true });
      expect(await secrets.get(id)).toBe(SECRET);
    }
    // A new password typed with the move is the one stored, and goes only where it was typed for.
    expect(await call('updateAccount', { id, patch: { port: evilTls.server.port }, password: 'typed-for-evil' })).toMatchObject({ ok: true });
    expect(await secrets.get(id)).toBe('typed-for-evil');
    await service.removeAccount(id);
  });

  it('a password command set on the command line never follows a change made from the screens', async () => {
    // As `popbox account add … --password-command` does (the CLI calls MailService directly).
    const cli = await service.addAccount({ ...homeAccount('From the CLI'), password: { source: 'command', command: `printf %s '${SECRET}'` } });
    expect(await call('testConnection', { accountId: cli.id, host: '127.0.0.1', port: home.server.port, security: 'tls', user: 'alice', tlsFingerprint: FAULT_FINGERPRINT })).toMatchObject({ ok: true });
    expect(home.passwords).toEqual([SECRET]);

    const moved = await call('updateAccount', { id: cli.id, patch: { port: evilTls.server.port } });
    expect(moved).toMatchObject({ ok: true, value: { password: { source: 'keychain' } } });
    const [outcome] = ((await call('syncNow', { accountIds: [cli.id] })) as { value: { ok: boolean }[] }).value;
    expect(outcome!.ok).toBe(false);
    expect(evilTls.passwords).toEqual([]);

    // The same change from the command line keeps the command: the person typing sees both.
    const again = await service.addAccount({ ...homeAccount('CLI again'), password: { source: 'command', command: `printf %s '${SECRET}'` } });
    const kept = await service.updateAccount(again.id, { port: home.server.port, checkEveryMinutes: 3, tlsFingerprint: FAULT_FINGERPRINT }, undefined, { fromCommandLine: true });
    expect(kept.password.source).toBe('command');
    await service.removeAccount(cli.id);
    await service.removeAccount(again.id);
  });

  it('no answer carries a password or a password command', async () => {
    const cli = await service.addAccount({ ...homeAccount('Secretive'), password: { source: 'command', command: `printf %s '${SECRET}'` } });
    await call('listAccounts', {});
    await call('syncNow', {});
    await call('syncStatus', {});
    await call('pendingDeletions', {});
    await call('getPreferences', {});
    await call('updateAccount', { id: cli.id, patch: { name: 'Secretive 2' } });
    const text = JSON.stringify(answers);
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain('printf');
    expect(answers.length).toBeGreaterThan(20);
    await service.removeAccount(cli.id);
  });

  it('folder names and keys cannot reach outside the account’s tree, and filing never sends', async () => {
    const made = await call('addAccount', { account: homeAccount('Filing'), password: 'pw' });
    expect(made).toMatchObject({ ok: true });
    const accountId = (made as { value: { id: string } }).value.id;
    const root = path.join(dataDir, 'accounts', accountId, 'Maildir');
    for (const name of ['..', '../../escaped', '/etc', '.hidden', 'a/../../b', '\\..\\x']) {
      const r = await call('createFolder', { accountId, path: [name] });
      expect(r).toMatchObject({ ok: true });
      // Stored as one escaped directory name right inside the account's tree.
      const key = (r as { value: { key: string } }).value.key;
      expect(key).not.toContain('/');
      expect(path.dirname(path.join(root, `.${key}`))).toBe(root);
      await expect(fs.stat(path.join(root, `.${key}`, 'cur'))).resolves.toBeTruthy();
    }
    expect((await fs.readdir(dataDir)).filter((n) => ['escaped', 'b', 'x', 'etc'].includes(n))).toEqual([]);
    for (const folder of ['../../escaped', '../Maildir', '/etc', 'Nowhere', 'INBOX/../..']) {
      expect(await call('moveMessages', { ids: ['0000000000000000'], folder })).toMatchObject({ ok: false });
      expect(await call('renameFolder', { accountId, folder, path: ['x'] })).toMatchObject({ ok: false, error: { code: 'not-found' } });
      expect(await call('deleteFolder', { accountId, folder })).toMatchObject({ ok: false, error: { code: 'not-found' } });
    }
    for (const folder of ['INBOX', 'Trash', 'Outbox']) expect(await call('deleteFolder', { accountId, folder })).toMatchObject({ ok: false, error: { code: 'invalid' } });
    // A message reaches the Outbox only by Send: filing one there would send it.
    const id = '00000000000000aa';
    await fs.writeFile(path.join(root, 'cur', `${id}:2,`), 'Subject: not for sending\r\n\r\nx\r\n');
    const summary = { subject: 'not for sending', from: [], to: [], cc: [], date: null, messageId: null, inReplyTo: null, references: [], size: 30, hasAttachments: false, snippet: '' };
    await service.journal.append([{ t: 'add', m: { id, accountId, uidl: '', receivedAt: 0, partial: false, flags: { seen: false, flagged: false }, folder: 'INBOX', summary } }]);
    for (const method of ['moveMessages', 'copyMessages']) {
      expect(await call(method, { ids: [id], folder: 'Outbox' })).toMatchObject({ ok: false, error: { code: 'invalid', message: expect.stringMatching(/only by sending/) } });
    }
    expect(await fs.readdir(path.join(root, '.Outbox', 'cur'))).toEqual([]);
    expect(await call('moveMessages', { ids: [id], folder: 'Drafts' })).toMatchObject({ ok: true });
    await call('removeAccount', { id: accountId });
  });

  it('saving an attachment cannot name a path: the host asks the user where', async () => {
    const r = await call('saveAttachment', { id: 'no-such-message', attachmentId: '1', path: '/etc/popbox-was-here', dest: '/etc/popbox-was-here' });
    expect(r).toMatchObject({ ok: false });
    await expect(fs.access('/etc/popbox-was-here')).rejects.toThrow();
  });
});

/**
 * The same for the outgoing server (issue 15 §1): a hostile page may set the SMTP host, port,
 * security, user and pin, and pick the keychain or the incoming password, but a stored password
 * (the SMTP one or the incoming one) never reaches a server it was not given for, and no method
 * takes or shows an SMTP password command. The SMTP servers record every login.
 */
describe('the dispatcher driven by a hostile renderer: outgoing servers', () => {
  const SMTP_SECRET = 'smtp secret for home only';
  let homeSmtp: FaultServer;
  let evilSmtp: FaultServer;
  const logins = { home: [] as [string, string][], evil: [] as [string, string][] };
  let dataDir: string;
  let marker: string;
  let service: MailService;
  let dispatch: ReturnType<typeof createDispatcher>;
  const secrets = new MemorySecretStore();
  const answers: unknown[] = [];
  const call = async (method: string, input: unknown): Promise<Result<unknown>> => {
    const r = await dispatch(method, input);
    answers.push(r);
    return r;
  };
  const idOf = (r: Result<unknown>) => (r as { value: { id: string } }).value.id;

  beforeAll(async () => {
    homeSmtp = await startFaultServer((conn) => miniSmtp(conn, { password: SMTP_SECRET, logins: logins.home }), { tls: true });
    evilSmtp = await startFaultServer((conn) => miniSmtp(conn, { password: 'anything', logins: logins.evil }), { tls: true });
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'popbox-hostile-smtp-'));
    marker = path.join(dataDir, 'a-command-ran');
    service = await MailService.open({ dataDir, secrets });
    dispatch = createDispatcher(mailServiceHandlers(service, { chooseSaveDestination: async () => null }));
  });
  afterAll(async () => {
    await service?.close();
    await Promise.all([homeSmtp?.close(), evilSmtp?.close()]);
    await fs.rm(dataDir, { recursive: true, force: true });
  });
  beforeEach(() => {
    logins.home.length = 0;
    logins.evil.length = 0;
  });

  /** As a person sets it up: implicit TLS to the home SMTP server, its certificate pinned. */
  const smtpHome = () => ({ host: '127.0.0.1', port: homeSmtp.port, security: 'tls' as const, user: 'alice', tlsFingerprint: FAULT_FINGERPRINT });
  const sendingAccount = (name: string) => ({
    name,
    email: 'alice@example.org',
    host: '127.0.0.1',
    port: 1,
    security: 'tls' as const,
    user: 'alice',
    password: { source: 'keychain' as const },
    smtp: smtpHome(),
  });
  const add = async (name: string) => {
    const r = await call('addAccount', { account: sendingAccount(name), password: SECRET, smtpPassword: SMTP_SECRET });
    expect(r, name).toMatchObject({ ok: true });
    return idOf(r);
  };

  it('no method takes an SMTP password command, so none runs one', async () => {
    const command = `touch ${marker}`;
    const id = await add('Existing');
    const tries: [string, unknown][] = [
      ['addAccount', { account: { ...sendingAccount('Cmd'), smtp: { ...smtpHome(), password: { source: 'command', command } } }, password: 'x' }],
      ['addAccount', { account: { ...sendingAccount('Cmd2'), smtp: { ...smtpHome(), password: { source: 'incoming', command } } }, password: 'x' }],
      ['addAccount', { account: { ...sendingAccount('Cmd3'), smtp: { ...smtpHome(), passwordCommand: command } }, password: 'x' }],
      ['updateAccount', { id, patch: { smtp: { password: { source: 'command', command } } } }],
      ['updateAccount', { id, patch: { smtp: { host: 'localhost', password: { source: 'command', command } } }, smtpPassword: 'x' }],
      ['testSmtp', { ...smtpHome(), accountId: id, passwordCommand: command }],
    ];
    for (const [method, input] of tries) {
      const r = await call(method, input);
      expect(r, `${method} ${JSON.stringify(input)}`).toMatchObject({ ok: false, error: { code: 'invalid' } });
    }
    await expect(fs.access(marker)).rejects.toThrow();
    expect(service.listAccounts().map((a) => a.name)).toEqual(['Existing']);
    expect(service.accounts.get(id).smtp?.password).toEqual({ source: 'keychain' });
    await service.removeAccount(id);
  });

  it('testSmtp sends the stored password only to the stored server: other settings are refused unheard', async () => {
    const id = await add('Home');
    const asStored = { accountId: id, ...smtpHome() };
    for (const redirect of [
      { port: evilSmtp.port },
      { port: evilSmtp.port, tlsFingerprint: undefined },
      { host: 'localhost', port: evilSmtp.port },
      { user: 'mallory' },
      { tlsFingerprint: OTHER_PIN },
      { security: 'starttls' },
      { security: 'plain', allowInsecureAuth: true, tlsFingerprint: undefined },
    ]) {
      const r = await call('testSmtp', { ...asStored, ...redirect });
      expect(r, JSON.stringify(redirect)).toMatchObject({ ok: false, error: { code: 'invalid', message: expect.stringMatching(/enter the password/i) } });
    }
    expect(evilSmtp.connections).toHaveLength(0);
    // Without a login nothing secret is needed, and nothing is sent.
    expect(await call('testSmtp', { ...asStored, auth: 'none' })).toMatchObject({ ok: true, value: { authenticated: false } });
    expect(logins.home).toEqual([]);
    // The stored settings test fine with the stored password, at home.
    expect(await call('testSmtp', asStored)).toMatchObject({ ok: true, value: { secure: true, authenticated: true, fingerprint256: FAULT_FINGERPRINT } });
    expect(logins.home).toEqual([['alice', SMTP_SECRET]]);
    // Other settings with a typed password: the caller's own password goes where it says.
    expect(await call('testSmtp', { ...smtpHome(), port: evilSmtp.port, password: 'typed' })).toMatchObject({ ok: false, error: { code: 'auth' } });
    expect(logins.evil).toEqual([['alice', 'typed']]);
    await service.removeAccount(id);
  });

  it('moving the outgoing server forgets its password: host, port, security, clear-text login, pin', async () => {
    const cases: [string, Record<string, unknown>][] = [
      ['port', { port: evilSmtp.port }],
      ['host', { host: 'localhost', port: evilSmtp.port }],
      ['security', { security: 'starttls' }],
      ['clear-text login', { allowInsecureAuth: true }],
      ['certificate pin', { tlsFingerprint: OTHER_PIN }],
      ['pin removed and port moved', { tlsFingerprint: null, port: evilSmtp.port }],
      ['pin removed', { tlsFingerprint: null }],
    ];
    for (const [what, smtp] of cases) {
      const id = await add(`Moved ${what}`);
      expect(await secrets.get(smtpSecretKey(id))).toBe(SMTP_SECRET);
      const r = await call('updateAccount', { id, patch: { smtp } });
      expect(r, what).toMatchObject({ ok: true, value: { smtp: { password: { source: 'keychain' } } } });
      expect(await secrets.get(smtpSecretKey(id)), what).toBeNull();
      // The incoming password stays: its server did not move.
      expect(await secrets.get(id), what).toBe(SECRET);
      const stored = service.accounts.get(id).smtp!;
      const test = { accountId: id, host: stored.host, port: stored.port, security: stored.security, user: stored.user, allowInsecureAuth: stored.allowInsecureAuth, ...(stored.tlsFingerprint ? { tlsFingerprint: stored.tlsFingerprint } : {}) };
      expect(await call('testSmtp', test), what).toMatchObject({ ok: false, error: { code: 'secret' } });
      await expect(service.smtpSettingsFor(id)).rejects.toMatchObject({ code: 'secret' });
      await service.removeAccount(id);
    }
    expect(logins.evil.concat(logins.home)).toEqual([]);
  });

  it('the incoming password cannot be borrowed for a server the page chose, in one step or two', async () => {
    for (const steps of [
      [{ smtp: { port: evilSmtp.port, tlsFingerprint: null } }, { smtp: { password: { source: 'incoming' } } }],
      [{ smtp: { port: evilSmtp.port, tlsFingerprint: null, password: { source: 'incoming' } } }],
    ]) {
      const id = await add(`Borrow ${steps.length}`);
      for (const patch of steps) expect(await call('updateAccount', { id, patch }), JSON.stringify(patch)).toMatchObject({ ok: true });
      const stored = service.accounts.get(id);
      expect(stored.smtp).toMatchObject({ port: evilSmtp.port, password: { source: 'incoming' } });
      expect(await secrets.get(id)).toBeNull();
      expect(await call('testSmtp', { accountId: id, host: '127.0.0.1', port: evilSmtp.port, security: 'tls', user: 'alice' })).toMatchObject({ ok: false, error: { code: 'secret' } });
      await expect(service.smtpSettingsFor(id)).rejects.toMatchObject({ code: 'secret' });
      await service.removeAccount(id);
    }
    expect(logins.evil).toEqual([]);
    // Choosing "same as incoming" for the stored server is fine once the user types the password with it.
    const id = await add('Same');
    expect(await call('updateAccount', { id, patch: { smtp: { password: { source: 'incoming' } } }, password: SMTP_SECRET })).toMatchObject({ ok: true });
    expect(await call('testSmtp', { accountId: id, ...smtpHome() })).toMatchObject({ ok: true, value: { authenticated: true } });
    expect(logins.home).toEqual([['alice', SMTP_SECRET]]);
    await service.removeAccount(id);
  });

  it('a change that keeps the server keeps its password: user, mechanism, identities, name', async () => {
    const id = await add('Kept');
    for (const patch of [{ name: 'Kept 2' }, { smtp: { user: 'alice2' } }, { smtp: { mechanism: 'LOGIN' } }, { identities: [{ name: 'A', address: 'a@example.org' }] }, { smtp: { host: '127.0.0.1', port: homeSmtp.port } }]) {
      expect(await call('updateAccount', { id, patch }), JSON.stringify(patch)).toMatchObject({ ok: true });
      expect(await secrets.get(smtpSecretKey(id)), JSON.stringify(patch)).toBe(SMTP_SECRET);
    }
    await service.removeAccount(id);
  });

  it('send writes only as one of the account\'s identities, within limits; an account without an outgoing server gets a plain error', async () => {
    const id = await add('Sender');
    const other = await add('Other');
    expect(await call('updateAccount', { id: other, patch: { identities: [{ id: 'mallory', name: 'The CEO', address: 'ceo@bank.example' }] } })).toMatchObject({ ok: true });
    const msg = { accountId: id, to: ['bob@example.org'], subject: 'hi', text: 'hello' };
    const refused = async (input: unknown, what: RegExp) => {
      const r = await call('send', input);
      expect(r).toMatchObject({ ok: false, error: { code: 'invalid' } });
      expect((r as { error: { message: string } }).error.message).toMatch(what);
    };
    // A From (or headers) of the page's choosing is refused, not silently dropped.
    await refused({ ...msg, from: 'The CEO <ceo@bank.example>' }, /from/);
    await refused({ ...msg, headers: { From: 'ceo@bank.example' } }, /headers/);
    // Only this account's identities: not another account's, not a made-up one.
    await refused({ ...msg, identityId: 'mallory' }, /no identity "mallory"/);
    await refused({ ...msg, identityId: 'x'.repeat(65) }, /identityId/);
    // Nothing unbounded.
    await refused({ ...msg, to: Array.from({ length: 501 }, (_, i) => `r${i}@example.org`) }, /at most 500/);
    await refused({ ...msg, to: Array.from({ length: 300 }, (_, i) => `r${i}@example.org`), bcc: Array.from({ length: 300 }, (_, i) => `b${i}@example.org`) }, /600 recipients/);
    await refused({ ...msg, text: 'x'.repeat(2_000_001) }, /text/);
    const big = Buffer.alloc(13 * 1024 * 1024, 1).toString('base64');
    await refused({ ...msg, attachments: [{ filename: 'a.bin', content: big }, { filename: 'b.bin', content: big }] }, /attachments are too large/);
    await refused({ ...msg, to: ['bob@example.org\r\nBcc: all@example.org'] }, /line break/);
    expect(await call('outboxStatus', { accountId: id })).toEqual({ ok: true, value: [] });

    // An account that only receives says so in plain words.
    const plain = await call('addAccount', { account: { ...sendingAccount('Receive only'), smtp: null }, password: SECRET });
    await refused({ ...msg, accountId: idOf(plain) }, /account "Receive only" has no outgoing server/);

    // A proper Send is in the Outbox as the identity wrote it, and Undo takes it back to Drafts unsent.
    const ok = await call('send', msg);
    expect(ok).toMatchObject({ ok: true, value: { id: expect.any(String), messageId: expect.stringMatching(/@example\.org>$/) } });
    const queued = (ok as { value: { id: string } }).value.id;
    expect(await call('outboxStatus', { accountId: id })).toMatchObject({ ok: true, value: [{ id: queued, state: 'waiting', from: 'alice@example.org', to: ['bob@example.org'] }] });
    expect(await call('cancelSend', { id: queued })).toEqual({ ok: true, value: null });
    expect(await call('outboxStatus', { accountId: id })).toEqual({ ok: true, value: [] });
    expect(service.journal.get(queued)?.folder).toBe('Drafts');
    const raw = await fs.readFile(service.messages({ accountId: id }).find((m) => m.id === queued)!.path, 'latin1');
    expect(raw).toMatch(/^From: alice@example\.org\r$/m);
    expect(logins.home).toEqual([]);
    for (const a of [id, other, idOf(plain)]) await service.removeAccount(a);
  });

  it('no answer carries an SMTP password or an SMTP password command', async () => {
    const cli = await service.addAccount({ ...sendingAccount('Secretive'), smtp: { ...smtpHome(), password: { source: 'command', command: `printf %s '${SMTP_SECRET}'` } } }, SECRET);
    await call('listAccounts', {});
    await call('updateAccount', { id: cli.id, patch: { name: 'Secretive 2' } });
    await call('testSmtp', { accountId: cli.id, ...smtpHome() });
    expect(logins.home).toEqual([['alice', SMTP_SECRET]]);
    const text = JSON.stringify(answers);
    expect(text).not.toContain(SMTP_SECRET);
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain('printf');
    await service.removeAccount(cli.id);
  });
});
