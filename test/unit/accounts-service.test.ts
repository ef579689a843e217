/**
 * The accounts service (issue 14 §1): settings with their secrets, change notices for whoever
 * shows the accounts, and the one place a login for a connection is built.
 */
import fs, { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AccountInput, AccountSettings } from '../../shared/accounts.js';
import { AccountStore } from '../../electron/core/accounts/account-store.js';
import { AccountsService, smtpSecretKey } from '../../electron/core/accounts/accounts-service.js';
import { MemorySecretStore, type SecretStore } from '../../electron/core/secrets/index.js';
import { startFaultServer, type FaultServer } from '../support/fault-server.js';
import { miniSmtp } from '../support/mini-smtp.js';

const home: AccountInput = { name: 'Home', host: 'pop.example.org', port: 995, security: 'tls', user: 'me@example.org', password: { source: 'keychain' } };
const pin = 'ab'.repeat(32);

/** A keychain that refuses every call while `down()` says so: a machine without D-Bus, or one whose D-Bus comes and goes. */
function keychain(down: () => boolean, store = new MemorySecretStore()): SecretStore {
  const refuse = () => Promise.reject(new Error('no D-Bus'));
  return {
    kind: 'keychain',
    get: (key) => (down() ? refuse() : store.get(key)),
    set: (key, secret) => (down() ? refuse() : store.set(key, secret)),
    delete: (key) => (down() ? refuse() : store.delete(key)),
  };
}

let dir: string;
let secrets: MemorySecretStore;
let changes: string[][];
let svc: AccountsService;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'popbox-accounts-svc-'));
  secrets = new MemorySecretStore();
  changes = [];
  svc = new AccountsService(await AccountStore.open(dir), {
    dataDir: dir,
    secrets,
    onChange: (accounts: AccountSettings[]) => changes.push(accounts.map((a) => a.name)),
  });
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('accounts service', () => {
  it('stores the keychain password with a new account, and refuses one without it, leaving no account', async () => {
    const a = await svc.add(home, 'hunter2');
    expect(await secrets.get(a.id)).toBe('hunter2');
    await expect(svc.add({ ...home, name: 'Other' })).rejects.toMatchObject({ code: 'invalid' });
    expect(svc.list().map((x) => x.name)).toEqual(['Home']);
  });

  it('reports every add, update, reorder and removal with the accounts as they are now', async () => {
    const a = await svc.add(home, 'pw');
    const b = await svc.add({ ...home, name: 'Work' }, 'pw');
    await svc.update(a.id, { name: 'Family' });
    await svc.reorder([b.id, a.id]);
    await svc.remove(b.id);
    expect(changes).toEqual([['Home'], ['Home', 'Work'], ['Family', 'Work'], ['Work', 'Family'], ['Family']]);
    expect(await secrets.get(b.id)).toBeNull(); // its password went with it
  });

  it('forgets the stored password when a change would send it to another server', async () => {
    const a = await svc.add(home, 'pw');
    await svc.update(a.id, { leaveOnServer: true });
    expect(await secrets.get(a.id)).toBe('pw');
    await svc.update(a.id, { host: 'evil.example.net' });
    expect(await secrets.get(a.id)).toBeNull();
    // A password command gives way to the keychain unless the change comes from the command line.
    const c = await svc.add({ ...home, name: 'Cmd', password: { source: 'command', command: 'echo pw' } });
    expect((await svc.update(c.id, { port: 1995 }, undefined, { fromCommandLine: true })).password).toEqual({ source: 'command', command: 'echo pw' });
    expect((await svc.update(c.id, { port: 2995 })).password).toEqual({ source: 'keychain' });
  });

  it('a detour through "session" cannot carry the keychain password to another server', async () => {
    const a = await svc.add(home, 'pw');
    // Away from the keychain: its entry goes now, not at some later change of server.
    await svc.update(a.id, { password: { source: 'session' } });
    expect(await secrets.get(a.id)).toBeNull();
    // Back to the keychain with another server: nothing of the old password is left to send.
    const moved = await svc.update(a.id, { host: 'evil.example.net', password: { source: 'keychain' } });
    await expect(svc.credentialsFor(moved)).rejects.toMatchObject({ code: 'secret' });
    // An entry left behind anyway (a keychain that did not answer at the detour) goes with any change of server.
    const b = await svc.add({ ...home, name: 'Left', password: { source: 'session' } }, 'in-memory');
    await secrets.set(b.id, 'pw');
    const redirected = await svc.update(b.id, { host: 'evil.example.net', password: { source: 'keychain' } });
    expect(await secrets.get(b.id)).toBeNull();
    await expect(svc.credentialsFor(redirected)).rejects.toMatchObject({ code: 'secret' });
  });

  it('without a keychain: a "session" password is kept in memory only, lost with the process, and asked for again', async () => {
    // The keychain of a machine without D-Bus: every call fails.
    const broken = keychain(() => true);
    const store = await AccountStore.open(dir);
    const open = () => new AccountsService(store, { dataDir: dir, secrets: broken, onChange: () => {} });
    const first = open();
    await expect(first.add({ ...home, name: 'Kc' }, 'pw')).rejects.toThrow('no D-Bus');
    const a = await first.add(
      { ...home, password: { source: 'session' }, smtp: { host: 'smtp.example.org', port: 465, security: 'tls', auth: 'password', user: 'me', allowInsecureAuth: false, password: { source: 'session' } }, identities: [{ name: 'Me', address: 'me@example.org' }] },
      'in-memory',
      { smtpPassword: 'out-pw' },
    );
    expect(first.list().map((x) => x.name)).toEqual(['Home']); // the failed add left nothing
    expect((await first.credentialsFor(a)).password).toBe('in-memory');
    expect((await first.smtpSettingsFor(a.id)).auth).toMatchObject({ password: 'out-pw' });
    expect(await fs.readFile(path.join(dir, 'accounts.json'), 'utf8')).not.toMatch(/in-memory|out-pw/);
    // A change of server forgets it, and the account stays a session one (no keychain to fall back to).
    const moved = await first.update(a.id, { host: 'pop2.example.org' });
    expect(moved.password).toEqual({ source: 'session' });
    await expect(first.credentialsFor(moved)).rejects.toMatchObject({ code: 'secret', message: expect.stringMatching(/kept only while Popbox runs.*enter it again/) });
    // Asked back to the keychain with another server, it stays a session one too: this keychain
    // could not say that an entry from before is gone, and may answer again later.
    expect((await first.update(a.id, { host: 'pop3.example.org', password: { source: 'keychain' } })).password).toEqual({ source: 'session' });
    // Typed again (the settings form after the status asked), it is used at once.
    await first.update(a.id, {}, 'typed-again');
    expect((await first.credentialsFor(first.get(a.id))).password).toBe('typed-again');
    // The next start (a new process) has no password: it asks again, for both servers.
    const next = open();
    await expect(next.credentialsFor(next.get(a.id))).rejects.toMatchObject({ code: 'secret' });
    await expect(next.smtpSettingsFor(a.id)).rejects.toMatchObject({ code: 'secret' });
    await next.remove(a.id); // removing needs no keychain either
    expect(next.list()).toEqual([]);
  });

  it('builds the login for a connection in one place: user, password, mechanism, clear-text opt-in', async () => {
    const a = await svc.add({ ...home, authMechanism: 'CRAM-MD5' }, 's3cret');
    expect(await svc.credentialsFor(a)).toEqual({ user: 'me@example.org', password: 's3cret', mechanism: 'CRAM-MD5', allowInsecure: false });
    const b = await svc.add({ ...home, name: 'Cmd', password: { source: 'command', command: 'printf from-command' } });
    expect(await svc.credentialsFor(b)).toEqual({ user: 'me@example.org', password: 'from-command', allowInsecure: false, onRefused: expect.any(Function) });
  });

  it('runs a password command once for the app, again after the server refused its password or the command changed', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'popbox-pwcmd-'));
    try {
      const runs = path.join(dir, 'runs');
      const pw = path.join(dir, 'pw');
      await fs.writeFile(pw, 'first');
      const command = `echo run >> '${runs}'; cat '${pw}'`;
      const a = await svc.add({ ...home, name: 'Cmd', password: { source: 'command', command } });
      const count = async () => (await fs.readFile(runs, 'utf8')).split('\n').filter(Boolean).length;
      const [one, two] = await Promise.all([svc.credentialsFor(a), svc.credentialsFor(a)]);
      expect([one.password, two.password, (await svc.credentialsFor(a)).password]).toEqual(['first', 'first', 'first']);
      expect(await count()).toBe(1);
      // The server refused it: the next login asks the command again.
      await fs.writeFile(pw, 'second');
      one.onRefused!();
      expect((await svc.credentialsFor(a)).password).toBe('second');
      expect(await count()).toBe(2);
      // A refusal of an older login does not drop the password asked for since.
      two.onRefused!();
      expect((await svc.credentialsFor(a)).password).toBe('second');
      expect(await count()).toBe(2);
      // Another command: run.
      const b = await svc.update(a.id, { password: { source: 'command', command: `${command}; true` } }, undefined, { fromCommandLine: true });
      expect((await svc.credentialsFor(b)).password).toBe('second');
      expect(await count()).toBe(3);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it('a kept command password the server refused: refresh runs the command again, and offers only another password', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'popbox-pwcmd-'));
    try {
      const pw = path.join(dir, 'pw');
      await fs.writeFile(pw, 'first');
      const a = await svc.add({ ...home, name: 'Cmd', password: { source: 'command', command: `cat '${pw}'` } });
      expect((await svc.credentialsFor(a)).refresh).toBeUndefined(); // just run: nothing newer to ask
      const kept = await svc.credentialsFor(a);
      expect(kept.password).toBe('first');
      expect(await kept.refresh!()).toBeUndefined(); // prints the same: not sent again
      await fs.writeFile(pw, 'second');
      const again = await svc.credentialsFor(a);
      expect(again.password).toBe('second'); // the refused one was not kept
      expect(again.refresh).toBeUndefined();
      await fs.writeFile(pw, 'third');
      const fresh = await (await svc.credentialsFor(a)).refresh!();
      expect(fresh).toMatchObject({ user: 'me@example.org', password: 'third' });
      expect(fresh!.refresh).toBeUndefined();
      expect((await svc.credentialsFor(a)).password).toBe('third'); // kept for the next checks
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it('a kept command password leaves memory when the command, the host or the user changes', async () => {
    const kept = (svc as unknown as { commandPasswords: Map<string, unknown> }).commandPasswords;
    const a = await svc.add({ ...home, name: 'Cmd', password: { source: 'command', command: 'printf pw' } });
    for (const patch of [{ user: 'other@example.org' }, { host: 'pop.example.net' }, { password: { source: 'command' as const, command: 'printf pw2' } }]) {
      await svc.credentialsFor(svc.get(a.id));
      expect(kept.has(a.id)).toBe(true);
      await svc.update(a.id, patch, undefined, { fromCommandLine: true });
      expect(kept.has(a.id)).toBe(false);
    }
    await svc.credentialsFor(svc.get(a.id));
    await svc.update(a.id, { name: 'Renamed' });
    expect(kept.has(a.id)).toBe(true); // a new name sends nothing elsewhere
  });

  it('connects with the pinned certificate, else with the one last seen', async () => {
    const a = await svc.add(home, 'pw');
    expect(svc.connectOptions(a, 'cd'.repeat(32)).tls).toEqual({ lastSeenFingerprint256: 'cd'.repeat(32) });
    const pinned = await svc.update(a.id, { tlsFingerprint: pin });
    expect(svc.connectOptions(pinned, 'cd'.repeat(32))).toMatchObject({ host: 'pop.example.org', port: 995, security: 'tls', tls: { pinnedFingerprint256: pinned.tlsFingerprint } });
    expect(pinned.tlsFingerprint?.replace(/:/g, '').toLowerCase()).toBe(pin);
  });

  it('a connection test with the stored password must name the account’s own server', async () => {
    const a = await svc.add(home, 'pw');
    await expect(svc.testConnection({ accountId: a.id, host: 'evil.example.net', port: 995, security: 'tls', user: 'me@example.org' })).rejects.toMatchObject({
      code: 'invalid',
      message: expect.stringMatching(/differ from the saved ones/),
    });
    await expect(svc.testConnection({ host: 'pop.example.org', port: 995, security: 'tls', user: 'me@example.org' })).rejects.toMatchObject({ code: 'invalid' });
  });
});

describe('accounts service: the outgoing server', () => {
  const smtp = { host: 'smtp.example.org', port: 465, security: 'tls', user: 'me@example.org' } as const;
  const sending: AccountInput = { ...home, email: 'me@example.org', smtp };

  it('keeps the outgoing password in a keychain entry of its own, needs it for a new account, and a failure leaves nothing behind', async () => {
    const a = await svc.add(sending, 'pop-pw', { smtpPassword: 'smtp-pw' });
    expect(await secrets.get(a.id)).toBe('pop-pw');
    expect(await secrets.get(smtpSecretKey(a.id))).toBe('smtp-pw');
    await expect(svc.add({ ...sending, name: 'Other' }, 'pop-pw')).rejects.toMatchObject({ code: 'invalid', message: expect.stringMatching(/outgoing server/) });
    expect(svc.list().map((x) => x.name)).toEqual(['Home']);
    expect(changes).toEqual([['Home']]);
    // One password for both: nothing more to store.
    const b = await svc.add({ ...sending, name: 'Same', smtp: { ...smtp, password: { source: 'incoming' } } }, 'both');
    expect(await secrets.get(smtpSecretKey(b.id))).toBeNull();
    await svc.remove(a.id);
    expect(await secrets.get(a.id)).toBeNull();
    expect(await secrets.get(smtpSecretKey(a.id))).toBeNull();
  });

  it('smtpSettingsFor builds the SMTP settings with the password from wherever the account keeps it', async () => {
    const own = await svc.add({ ...sending, smtp: { ...smtp, mechanism: 'LOGIN', tlsFingerprint: pin } }, 'pop-pw', { smtpPassword: 'smtp-pw' });
    expect(await svc.smtpSettingsFor(own.id)).toEqual({
      host: 'smtp.example.org',
      port: 465,
      security: 'tls',
      allowInsecureAuth: false,
      tls: { pinnedFingerprint256: own.smtp!.tlsFingerprint },
      auth: { user: 'me@example.org', password: 'smtp-pw', method: 'LOGIN' },
    });
    const same = await svc.add({ ...sending, name: 'Same', smtp: { ...smtp, password: { source: 'incoming' } } }, 'both');
    expect((await svc.smtpSettingsFor(same.id)).auth).toEqual({ user: 'me@example.org', password: 'both' });
    const cmd = await svc.add({ ...sending, name: 'Cmd', smtp: { ...smtp, password: { source: 'command', command: 'printf from-command' } } }, 'pop');
    expect((await svc.smtpSettingsFor(cmd.id)).auth).toEqual({ user: 'me@example.org', password: 'from-command' });
    const relay = await svc.add({ ...sending, name: 'Relay', smtp: { host: 'relay.lan', port: 25, security: 'plain', user: 'x', auth: 'none' } }, 'pop');
    expect(await svc.smtpSettingsFor(relay.name)).toEqual({ host: 'relay.lan', port: 25, security: 'plain', allowInsecureAuth: false, tls: {} });
    const token = await svc.add({ ...sending, name: 'Token', smtp: { ...smtp, mechanism: 'XOAUTH2' } }, 'pop', { smtpPassword: 'ya29.token' });
    expect((await svc.smtpSettingsFor(token.id)).auth).toEqual({ user: 'me@example.org', accessToken: 'ya29.token' });
  });

  it('smtpSettingsFor says what is missing: no outgoing server, no stored password', async () => {
    const a = await svc.add(home, 'pw');
    await expect(svc.smtpSettingsFor(a.id)).rejects.toMatchObject({ code: 'invalid', message: expect.stringMatching(/"Home" has no outgoing server/) });
    const b = await svc.add({ ...sending, name: 'B' }, 'pw', { smtpPassword: 'x' });
    await secrets.delete(smtpSecretKey(b.id));
    await expect(svc.smtpSettingsFor(b.id)).rejects.toMatchObject({ code: 'secret', message: expect.stringMatching(/no password is stored for the outgoing server of account "B"/) });
  });

  it('a change that would send the outgoing password elsewhere forgets it, and leaves the incoming one alone', async () => {
    const a = await svc.add(sending, 'pop-pw', { smtpPassword: 'smtp-pw' });
    await svc.update(a.id, { smtp: { user: 'other' } });
    expect(await secrets.get(smtpSecretKey(a.id))).toBe('smtp-pw');
    for (const change of [{ host: 'evil.example' }, { port: 587 }, { security: 'starttls' as const }, { tlsFingerprint: pin }]) {
      await secrets.set(smtpSecretKey(a.id), 'smtp-pw');
      await svc.update(a.id, { smtp: change });
      expect(await secrets.get(smtpSecretKey(a.id)), JSON.stringify(change)).toBeNull();
      expect(await secrets.get(a.id)).toBe('pop-pw');
    }
    // A new password given with the change is stored for the new settings.
    await svc.update(a.id, { smtp: { host: 'smtp.example.net' } }, undefined, { smtpPassword: 'new-pw' });
    expect(await secrets.get(smtpSecretKey(a.id))).toBe('new-pw');
    // Removing the server removes its password.
    await svc.update(a.id, { smtp: null });
    expect(await secrets.get(smtpSecretKey(a.id))).toBeNull();
  });

  it('a detour through "session" cannot carry the outgoing keychain password to another server', async () => {
    const a = await svc.add(sending, 'pop-pw', { smtpPassword: 'smtp-pw' });
    // Away from the keychain: its entry goes now, not at some later change of server.
    await svc.update(a.id, { smtp: { password: { source: 'session' } } });
    expect(await secrets.get(smtpSecretKey(a.id))).toBeNull();
    // A keychain that did not answer at the detour still holds the entry, and does not answer
    // either when the server moves and the page asks for the keychain again: the account stays
    // on "session", so the entry is never read, even once the keychain answers again.
    let down = false;
    const flaky = new AccountsService(svc.store, { dataDir: dir, secrets: keychain(() => down, secrets), onChange: () => {} });
    const b = await flaky.add({ ...sending, name: 'Flaky' }, 'pop-pw', { smtpPassword: 'smtp-pw' });
    down = true;
    await flaky.update(b.id, { smtp: { password: { source: 'session' } } }, undefined, { smtpPassword: 'typed' });
    const moved = await flaky.update(b.id, { smtp: { host: 'evil.example', password: { source: 'keychain' } } });
    expect(moved.smtp?.password).toEqual({ source: 'session' });
    down = false;
    expect(await secrets.get(smtpSecretKey(b.id))).toBe('smtp-pw'); // still there
    await expect(flaky.smtpSettingsFor(b.id)).rejects.toMatchObject({ code: 'secret', message: expect.stringMatching(/kept only while Popbox runs/) });
  });

  it('an outgoing password command gives way to the keychain when the server moves, unless the change comes from the command line', async () => {
    const a = await svc.add({ ...sending, smtp: { ...smtp, password: { source: 'command', command: 'echo pw' } } }, 'pop');
    expect((await svc.update(a.id, { smtp: { port: 587, security: 'starttls' } }, undefined, { fromCommandLine: true })).smtp?.password).toEqual({ source: 'command', command: 'echo pw' });
    expect((await svc.update(a.id, { smtp: { port: 2525 } })).smtp?.password).toEqual({ source: 'keychain' });
  });

  it('choosing the incoming password for the outgoing server, or moving a server that uses it, forgets the incoming password', async () => {
    const a = await svc.add(sending, 'pop-pw', { smtpPassword: 'smtp-pw' });
    // Point the server elsewhere (its own password is forgotten), then borrow the incoming one: refused by forgetting it.
    await svc.update(a.id, { smtp: { host: 'evil.example' } });
    await svc.update(a.id, { smtp: { password: { source: 'incoming' } } });
    expect(await secrets.get(a.id)).toBeNull();
    await expect(svc.smtpSettingsFor(a.id)).rejects.toMatchObject({ code: 'secret' });
    // With the password typed for it, both work again; moving the server forgets it once more.
    await svc.update(a.id, {}, 'typed');
    expect((await svc.smtpSettingsFor(a.id)).auth).toMatchObject({ password: 'typed' });
    await svc.update(a.id, { smtp: { port: 2525 } });
    expect(await secrets.get(a.id)).toBeNull();
    // An unrelated change keeps it.
    await svc.update(a.id, { checkEveryMinutes: 3 }, 'typed');
    await svc.update(a.id, { smtp: { user: 'someone' } });
    expect(await secrets.get(a.id)).toBe('typed');
  });

  it('on the command line, choosing the incoming password for the outgoing server keeps it (the person typing sees both servers)', async () => {
    const a = await svc.add(sending, 'pop-pw', { smtpPassword: 'smtp-pw' });
    await svc.update(a.id, { smtp: { password: { source: 'incoming' } } }, undefined, { fromCommandLine: true });
    expect(await secrets.get(a.id)).toBe('pop-pw');
    expect((await svc.smtpSettingsFor(a.id)).auth).toMatchObject({ password: 'pop-pw' });
    // Moving the incoming server itself still forgets it, wherever the change comes from.
    await svc.update(a.id, { host: 'other.example.org' }, undefined, { fromCommandLine: true });
    expect(await secrets.get(a.id)).toBeNull();
  });

  describe('testSmtp', () => {
    let server: FaultServer;
    const logins: [string, string][] = [];
    beforeEach(async () => {
      logins.length = 0;
      server = await startFaultServer((conn) => miniSmtp(conn, { password: 'smtp-pw', logins }), { tls: true });
    });
    afterEach(async () => {
      await server.close();
    });

    const settings = () => ({ host: '127.0.0.1', port: server.port, security: 'tls' as const, user: 'me', tlsFingerprint: pin });

    it('with the stored password only for the stored server; other settings need it typed and are refused before connecting', async () => {
      const { FAULT_FINGERPRINT } = await import('../support/fault-server.js');
      const stored = { ...settings(), tlsFingerprint: FAULT_FINGERPRINT };
      const a = await svc.add({ ...sending, smtp: stored }, 'pop', { smtpPassword: 'smtp-pw' });
      const report = await svc.testSmtp({ accountId: a.id, ...stored });
      expect(report).toMatchObject({ secure: true, authenticated: true, fingerprint256: FAULT_FINGERPRINT, sizeLimit: 10240000 });
      expect(logins).toEqual([['me', 'smtp-pw']]);
      for (const change of [{ port: server.port + 1 }, { host: 'localhost' }, { user: 'mallory' }, { tlsFingerprint: undefined }, { security: 'starttls' as const }]) {
        await expect(svc.testSmtp({ accountId: a.id, ...stored, ...change }), JSON.stringify(change)).rejects.toMatchObject({ code: 'invalid', message: expect.stringMatching(/enter the password/) });
      }
      await expect(svc.testSmtp(stored)).rejects.toMatchObject({ code: 'invalid', message: expect.stringMatching(/Enter the password/) });
      expect(server.connections).toHaveLength(1);
      // A typed password goes where the caller says; a wrong one is 'auth'.
      await expect(svc.testSmtp({ ...stored, password: 'wrong' })).rejects.toMatchObject({ code: 'auth' });
      expect(logins.at(-1)).toEqual(['me', 'wrong']);
    });
  });
});
