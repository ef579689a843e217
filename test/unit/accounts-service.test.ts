/**
 * The accounts service (issue 14 §1): settings with their secrets, change notices for whoever
 * shows the accounts, and the one place a login for a connection is built.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AccountInput, AccountSettings } from '../../shared/accounts.js';
import { AccountStore } from '../../electron/core/accounts/account-store.js';
import { AccountsService } from '../../electron/core/accounts/accounts-service.js';
import { MemorySecretStore } from '../../electron/core/secrets/index.js';

const home: AccountInput = { name: 'Home', host: 'pop.example.org', port: 995, security: 'tls', user: 'me@example.org', password: { source: 'keychain' } };
const pin = 'ab'.repeat(32);

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

  it('builds the login for a connection in one place: user, password, mechanism, clear-text opt-in', async () => {
    const a = await svc.add({ ...home, authMechanism: 'CRAM-MD5' }, 's3cret');
    expect(await svc.credentialsFor(a)).toEqual({ user: 'me@example.org', password: 's3cret', mechanism: 'CRAM-MD5', allowInsecure: false });
    const b = await svc.add({ ...home, name: 'Cmd', password: { source: 'command', command: 'printf from-command' } });
    expect(await svc.credentialsFor(b)).toEqual({ user: 'me@example.org', password: 'from-command', allowInsecure: false });
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
