/** AccountStore: the accounts file, its validation, and that a failure changes nothing. */
import { chmod, mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AccountInput } from '../../shared/accounts.js';
import { AccountStore } from '../../electron/core/accounts/account-store.js';
import { AppFailure } from '../../electron/core/errors.js';
import { MemorySecretStore } from '../../electron/core/secrets/index.js';

const home: AccountInput = {
  name: 'Home',
  host: 'pop.example.org',
  port: 995,
  security: 'tls',
  user: 'me@example.org',
  password: { source: 'keychain' },
};
const work: AccountInput = {
  name: 'Work',
  host: '10.0.0.5',
  port: 110,
  security: 'starttls',
  user: 'jdoe',
  leaveOnServer: true,
  deleteAfterDays: 14,
  tlsFingerprint: 'ab'.repeat(32),
  password: { source: 'command', command: 'pass show mail/work' },
};

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'popbox-accounts-'));
});
afterEach(async () => {
  await chmod(dir, 0o700).catch(() => {});
  await rm(dir, { recursive: true, force: true });
});

async function failure(p: Promise<unknown>): Promise<AppFailure> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(AppFailure);
  return e as AppFailure;
}

const file = () => path.join(dir, 'accounts.json');

describe('AccountStore', () => {
  it('starts empty when there is no file, and creates none until something changes', async () => {
    const store = await AccountStore.open(dir);
    expect(store.list()).toEqual([]);
    expect(await readdir(dir)).toEqual([]);
  });

  it('round-trips accounts through the file, with defaults filled in and the fingerprint normalized', async () => {
    const store = await AccountStore.open(dir);
    const a = await store.add(home);
    const b = await store.add(work);
    expect(a.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(a.id).not.toBe(b.id);
    expect(a).toMatchObject({ ...home, leaveOnServer: false, pipelining: true, checkEveryMinutes: 10, checkAtStartup: true });
    expect(b.tlsFingerprint).toBe(Array(32).fill('AB').join(':'));

    const again = await AccountStore.open(dir);
    expect(again.list()).toEqual([a, b]);
    const onDisk = JSON.parse(await readFile(file(), 'utf8'));
    expect(onDisk).toEqual({ version: 2, accounts: [a, b] });
    expect((await stat(file())).mode & 0o777).toBe(0o600);
  });

  it('finds accounts by id or by name, case-insensitively', async () => {
    const store = await AccountStore.open(dir);
    const a = await store.add(home);
    expect(store.get(a.id)).toEqual(a);
    expect(store.get('home')).toEqual(a);
    const e = await failure(Promise.resolve().then(() => store.get('Nope')));
    expect(e.code).toBe('not-found');
    expect(e.message).toBe('no account "Nope"');
  });

  it('hands out copies: changing one does not change the store', async () => {
    const store = await AccountStore.open(dir);
    const a = await store.add(home);
    a.port = 1;
    store.list()[0]!.port = 2;
    expect(store.get(a.id).port).toBe(995);
  });

  it('keeps the order the user chose in the file, and refuses an order that leaves an account out', async () => {
    const store = await AccountStore.open(dir);
    const h = await store.add(home);
    const w = await store.add(work);
    await store.reorder([w.id, h.id]);
    const onDisk = JSON.parse(await readFile(path.join(dir, 'accounts.json'), 'utf8')) as { accounts: { name: string }[] };
    expect(onDisk.accounts.map((a) => a.name)).toEqual(['Work', 'Home']);
    expect((await AccountStore.open(dir)).list().map((a) => a.name)).toEqual(['Work', 'Home']);
    expect((await failure(store.reorder([w.id]))).code).toBe('invalid');
    expect((await failure(store.reorder([w.id, w.id]))).code).toBe('invalid');
    expect(store.list().map((a) => a.name)).toEqual(['Work', 'Home']);
  });

  it('keeps names unique (ignoring case), also on rename', async () => {
    const store = await AccountStore.open(dir);
    await store.add(home);
    const w = await store.add(work);
    const clash = await failure(store.add({ ...work, name: 'HOME' }));
    expect(clash.code).toBe('invalid');
    expect(clash.message).toBe('name: an account named "Home" already exists');
    expect((await failure(store.update(w.id, { name: 'home' }))).code).toBe('invalid');
    // Renaming an account to another spelling of its own name is fine.
    expect((await store.update('work', { name: 'WORK' })).name).toBe('WORK');
    expect(store.list()).toHaveLength(2);
  });

  it('updates only what the patch names, and removes optional settings given null', async () => {
    const store = await AccountStore.open(dir);
    const w = await store.add({ ...work, email: 'j@example.org', authMechanism: 'CRAM-MD5' });
    const u = await store.update('Work', { port: 1110, email: null, authMechanism: null, tlsFingerprint: null, deleteAfterDays: null });
    expect(u).toEqual({
      ...w,
      port: 1110,
      deleteAfterDays: null,
      email: undefined,
      authMechanism: undefined,
      tlsFingerprint: undefined,
    });
    expect('email' in u).toBe(false);
    expect((await AccountStore.open(dir)).get(w.id)).toEqual(u);
  });

  it('checks a patch against the account it would produce', async () => {
    const store = await AccountStore.open(dir);
    await store.add(work);
    const e = await failure(store.update('Work', { leaveOnServer: false }));
    expect(e.code).toBe('invalid');
    expect(e.message).toMatch(/^deleteAfterDays: needs leaveOnServer/);
    expect((await failure(store.update('Work', { security: 'plain' }))).message).toMatch(/^tlsFingerprint: pins a TLS certificate/);
    expect((await failure(store.update('Work', { port: 0 }))).message).toBe('port: must be a whole number from 1 to 65535');
    expect((await failure(store.update('Nope', { port: 1 }))).code).toBe('not-found');
    // Turning leave-on-server off together with its dependants is fine.
    expect(await store.update('Work', { leaveOnServer: false, deleteAfterDays: null })).toMatchObject({ leaveOnServer: false });
  });

  it('reports invalid input as "invalid" with the field, and writes nothing', async () => {
    const store = await AccountStore.open(dir);
    const e = await failure(store.add({ ...home, port: 70000 }));
    expect(e.code).toBe('invalid');
    expect(e.message).toBe('port: must be a whole number from 1 to 65535');
    expect(await readdir(dir)).toEqual([]);
  });

  it('removes accounts', async () => {
    const store = await AccountStore.open(dir);
    const a = await store.add(home);
    const b = await store.add(work);
    expect(await store.remove('HOME')).toEqual(a);
    expect(store.list()).toEqual([b]);
    expect((await AccountStore.open(dir)).list()).toEqual([b]);
    expect((await failure(store.remove(a.id))).code).toBe('not-found');
  });

  it('runs concurrent changes one after the other', async () => {
    const store = await AccountStore.open(dir);
    const names = Array.from({ length: 8 }, (_, i) => `acct${i}`);
    await Promise.all(names.map((name) => store.add({ ...home, name })));
    expect((await AccountStore.open(dir)).list().map((a) => a.name).sort()).toEqual(names);
    const results = await Promise.allSettled([store.add({ ...home, name: 'same' }), store.add({ ...home, name: 'Same' })]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
  });

  it('creates a missing data directory, private, on the first change', async () => {
    const nested = path.join(dir, 'a', 'b');
    const store = await AccountStore.open(nested);
    await store.add(home);
    expect((await stat(nested)).mode & 0o777).toBe(0o700);
    expect((await AccountStore.open(nested)).list()).toHaveLength(1);
  });

  it('never writes a password into the accounts file', async () => {
    const secret = 'correct horse battery staple';
    const secrets = new MemorySecretStore();
    const store = await AccountStore.open(dir);
    const a = await store.add(home);
    await secrets.set(a.id, secret);
    // A password smuggled into the input is refused, and its value is not in the message.
    const e = await failure(store.add({ ...work, password: { source: 'keychain', password: secret } as never }));
    expect(e.message).not.toContain(secret);
    await store.update(a.id, { checkEveryMinutes: 5 });
    expect(await readFile(file(), 'utf8')).not.toContain(secret);
    expect(await secrets.get(a.id)).toBe(secret);
  });
});

describe('AccountStore with a bad accounts file', () => {
  async function expectReported(content: string, message: RegExp): Promise<void> {
    await writeFile(file(), content, { mode: 0o600 });
    const before = await readFile(file());
    const e = await failure(AccountStore.open(dir));
    expect(e.code).toBe('storage');
    expect(e.message).toContain(file());
    expect(e.message).toMatch(message);
    expect(e.message).not.toContain('\n');
    // Left exactly as it was, and nothing written beside it.
    expect((await readFile(file())).equals(before)).toBe(true);
    expect(await readdir(dir)).toEqual(['accounts.json']);
  }

  const valid = { id: 'a1', ...home, password: { source: 'keychain' } };

  it('reports a file that is not JSON, without quoting it', async () => {
    await expectReported('{"version": 1, "accounts": [ {"password": {"source":"command","command":"echo s3cret"}', /not JSON/);
    const e = await failure(AccountStore.open(dir));
    expect(e.message).not.toContain('s3cret');
  });

  it('reports an empty file', async () => {
    await expectReported('', /not JSON/);
  });

  it('reports the first invalid field with its place in the file', async () => {
    await expectReported(JSON.stringify({ version: 1, accounts: [valid, { ...valid, id: 'a2', name: 'Other', port: 0 }] }), /accounts\[1\]\.port: must be a whole number from 1 to 65535/);
  });

  it('reports a broken combination of settings', async () => {
    await expectReported(JSON.stringify({ version: 1, accounts: [{ ...valid, deleteAfterDays: 3 }] }), /accounts\[0\]\.deleteAfterDays: needs leaveOnServer/);
  });

  it('reports duplicate names and ids', async () => {
    await expectReported(JSON.stringify({ version: 1, accounts: [valid, { ...valid, id: 'a2', name: 'HOME' }] }), /accounts\[1\]\.name: "HOME" appears twice/);
    await expectReported(JSON.stringify({ version: 1, accounts: [valid, { ...valid, name: 'Other' }] }), /accounts\[1\]\.id: a1 appears twice/);
  });

  it('reports a missing or unknown version and a wrong shape', async () => {
    await expectReported(JSON.stringify({ accounts: [] }), /version: must be 2/);
    await expectReported(JSON.stringify({ version: 0, accounts: [] }), /version: must be 2/);
    await expectReported(JSON.stringify([valid]), /expected an object with "version" and "accounts"/);
    await expectReported(JSON.stringify({ version: 1, accounts: {} }), /accounts: must be a list of accounts/);
  });

  it('refuses a file from a newer Popbox, saying so', async () => {
    await expectReported(JSON.stringify({ version: 3, accounts: [{ something: 'new' }] }), /written by a newer Popbox \(format version 3; this one reads version 2\)/);
  });

  it('reports a data directory it cannot read', async () => {
    await writeFile(path.join(dir, 'not-a-dir'), '');
    const e = await failure(AccountStore.open(path.join(dir, 'not-a-dir')));
    expect(e.code).toBe('storage');
    expect(e.message).toMatch(/could not read .*accounts\.json: ENOTDIR/);
  });
});

describe('AccountStore when the disk refuses a write', () => {
  /**
   * Makes every later write into the data directory fail. As root a read-only directory can
   * still be written, so there the directory is moved away and a file put in its place.
   */
  async function breakWrites(): Promise<() => Promise<void>> {
    if (process.getuid?.() !== 0) {
      await chmod(dir, 0o500);
      return () => chmod(dir, 0o700);
    }
    const aside = `${dir}.aside`;
    await rename(dir, aside);
    await writeFile(dir, 'not a directory');
    return async () => {
      await rm(dir);
      await rename(aside, dir);
    };
  }

  it('changes nothing, on disk or in memory, and reports "storage"', async () => {
    const store = await AccountStore.open(dir);
    const a = await store.add(home);
    const before = await readFile(file());
    const restore = await breakWrites();
    try {
      for (const change of [() => store.add(work), () => store.update(a.id, { port: 1995 }), () => store.remove(a.id)]) {
        const e = await failure(change());
        expect(e.code).toBe('storage');
        expect(e.message).toMatch(/^could not save .*accounts\.json: E[A-Z]+/);
      }
      expect(store.list()).toEqual([a]);
    } finally {
      await restore();
    }
    expect((await readFile(file())).equals(before)).toBe(true);
    expect(await readdir(dir)).toEqual(['accounts.json']);
    // The store still works once the disk does.
    await store.update(a.id, { port: 1995 });
    expect((await AccountStore.open(dir)).get(a.id).port).toBe(1995);
  });
});

describe('AccountStore: outgoing servers and identities', () => {
  const smtp = { host: 'smtp.example.org', port: 465, security: 'tls', user: 'me@example.org' } as const;

  it('reads a version 1 file (before outgoing servers) as accounts without one, each with an identity from its email, and leaves the file alone until a change', async () => {
    const v1 = {
      version: 1,
      accounts: [
        { id: 'a1', ...home, email: 'me@example.org' },
        { id: 'a2', ...work, name: 'Work' },
      ],
    };
    const text = JSON.stringify(v1, null, 2);
    await writeFile(file(), text, { mode: 0o600 });
    const store = await AccountStore.open(dir);
    const [a, b] = store.list();
    expect(a).toMatchObject({ id: 'a1', smtp: null, identities: [{ id: 'primary', name: '', address: 'me@example.org' }] });
    expect(b).toMatchObject({ id: 'a2', smtp: null, identities: [] });
    // Read twice, the same identity (the outbox keys by its id).
    expect((await AccountStore.open(dir)).list()).toEqual(store.list());
    // An older Popbox can still read the file until something changes.
    expect(await readFile(file(), 'utf8')).toBe(text);

    await store.update('Home', { checkEveryMinutes: 5 });
    const onDisk = JSON.parse(await readFile(file(), 'utf8'));
    expect(onDisk.version).toBe(2);
    expect(onDisk.accounts[0]).toMatchObject({ smtp: null, identities: [{ id: 'primary', address: 'me@example.org' }], checkEveryMinutes: 5 });
    expect(onDisk.accounts[1]).toMatchObject({ smtp: null, identities: [], password: { source: 'command', command: 'pass show mail/work' } });
  });

  it('a version 1 file with a bad account is reported, not migrated into something else', async () => {
    await writeFile(file(), JSON.stringify({ version: 1, accounts: [{ id: 'a1', ...home, port: 0 }] }), { mode: 0o600 });
    const e = await failure(AccountStore.open(dir));
    expect(e.message).toMatch(/accounts\[0\]\.port: must be a whole number/);
  });

  it('an outgoing server set up on an account with an email gets that address as its first identity', async () => {
    const store = await AccountStore.open(dir);
    await store.add({ ...home, email: 'me@example.org' });
    const a = await store.update('Home', { smtp });
    expect(a.smtp).toEqual({ ...smtp, auth: 'password', allowInsecureAuth: false, password: { source: 'keychain' } });
    expect(a.identities).toEqual([{ id: expect.stringMatching(/^[0-9a-f-]{36}$/), name: '', address: 'me@example.org' }]);
    const onDisk = JSON.parse(await readFile(file(), 'utf8'));
    expect(onDisk.accounts[0].smtp.host).toBe('smtp.example.org');
    expect(onDisk.accounts[0].identities[0].address).toBe('me@example.org');
  });

  it('without an email or an identity, an outgoing server is refused: it would have no address to send from', async () => {
    const store = await AccountStore.open(dir);
    await store.add(home);
    const e = await failure(store.update('Home', { smtp }));
    expect(e.message).toMatch(/^identities: an account with an outgoing server needs at least one identity/);
    expect(store.get('Home').smtp).toBeNull();
    const ok = await store.update('Home', { smtp, identities: [{ name: 'Me', address: 'me@example.net' }] });
    expect(ok.identities).toMatchObject([{ name: 'Me', address: 'me@example.net' }]);
  });

  it('a patch of the outgoing server changes only the fields it names; null removes an optional field, or the whole server', async () => {
    const store = await AccountStore.open(dir);
    await store.add({ ...home, email: 'me@example.org', smtp: { ...smtp, tlsFingerprint: 'ab'.repeat(32), mechanism: 'LOGIN' } });
    let a = await store.update('Home', { smtp: { port: 587, security: 'starttls' } });
    expect(a.smtp).toMatchObject({ host: 'smtp.example.org', port: 587, security: 'starttls', mechanism: 'LOGIN', tlsFingerprint: Array(32).fill('AB').join(':') });
    a = await store.update('Home', { smtp: { tlsFingerprint: null, mechanism: null } });
    expect(a.smtp).not.toHaveProperty('tlsFingerprint');
    expect(a.smtp).not.toHaveProperty('mechanism');
    const e = await failure(store.update('Home', { smtp: { security: 'plain', tlsFingerprint: 'ab'.repeat(32) } }));
    expect(e.message).toMatch(/^smtp\.tlsFingerprint: pins a TLS certificate, but security is "plain"/);
    a = await store.update('Home', { smtp: null });
    expect(a.smtp).toBeNull();
    // The identities stay: they are who the account is, not how it sends.
    expect(a.identities).toHaveLength(1);
  });

  it('setting up a server where there is none needs its host, port, security and user', async () => {
    const store = await AccountStore.open(dir);
    await store.add({ ...home, email: 'me@example.org' });
    const e = await failure(store.update('Home', { smtp: { port: 465 } }));
    expect(e.message).toMatch(/^smtp\.host: is required/);
  });

  it('identities: unique addresses, at most one default, ids made for new ones and kept for old ones', async () => {
    const store = await AccountStore.open(dir);
    const a = await store.add({ ...home, identities: [{ name: 'Me', address: 'me@example.org' }] });
    const id = a.identities[0]!.id;
    const b = await store.update('Home', { identities: [...a.identities, { name: 'Me at work', address: 'me@work.example', replyTo: 'team@work.example', signature: 'Me\nWork', default: true }] });
    expect(b.identities[0]!.id).toBe(id);
    expect(b.identities[1]).toMatchObject({ id: expect.stringMatching(/^[0-9a-f-]{36}$/), address: 'me@work.example', replyTo: 'team@work.example', signature: 'Me\nWork', default: true });
    expect((await failure(store.update('Home', { identities: [...b.identities, { address: 'ME@example.org' }] }))).message).toMatch(/ME@example\.org appears twice/);
    expect((await failure(store.update('Home', { identities: [{ address: 'a@x.example', default: true }, { address: 'b@x.example', default: true }] }))).message).toMatch(/only one identity can be the default/);
    expect((await failure(store.update('Home', { identities: [{ name: 'Evil\r\nBcc: x@y', address: 'a@x.example' }] }))).message).toMatch(/identities\[0\]\.name: must not contain line breaks/);
  });
});
