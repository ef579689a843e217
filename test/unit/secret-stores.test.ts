/** SecretStore implementations that need no keyring (the real keyring: test/integration/keytar-keyring.test.ts). */
import { describe, expect, it } from 'vitest';
import { AppFailure } from '../../electron/core/errors.js';
import { KeytarSecretStore, MemorySecretStore, type Keytar } from '../../electron/core/secrets/index.js';

async function failure(p: Promise<unknown>): Promise<AppFailure> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(AppFailure);
  return e as AppFailure;
}

describe('MemorySecretStore', () => {
  it('stores, reads and deletes by account id', async () => {
    const s = new MemorySecretStore();
    expect(await s.get('a')).toBeNull();
    await s.set('a', 'one');
    await s.set('b', 'two');
    expect(await s.get('a')).toBe('one');
    await s.delete('a');
    await s.delete('a');
    expect(await s.get('a')).toBeNull();
    expect(await s.get('b')).toBe('two');
  });

  it('refuses an empty password or account id as "invalid"', async () => {
    const s = new MemorySecretStore();
    expect((await failure(s.set('a', ''))).code).toBe('invalid');
    expect((await failure(s.get(''))).code).toBe('invalid');
  });
});

describe('KeytarSecretStore without a working keychain', () => {
  it('turns a keytar that cannot load into a one-line "secret" error', async () => {
    const store = new KeytarSecretStore({
      load: () => Promise.reject(new Error('libsecret-1.so.0: cannot open shared object file\n    at Module._extensions')),
    });
    for (const op of [() => store.get('a'), () => store.set('a', 'pw'), () => store.delete('a')]) {
      const e = await failure(op());
      expect(e.code).toBe('secret');
      expect(e.message).toBe(
        'the system keychain is not available (keytar did not load: libsecret-1.so.0: cannot open shared object file); use a password command instead',
      );
    }
  });

  it('turns a keyring error into a "secret" error that never holds the password', async () => {
    const secret = 'hunter2-secret';
    const broken: Keytar = {
      getPassword: () => Promise.reject(new Error('Cannot autolaunch D-Bus without X11 $DISPLAY')),
      setPassword: (_s, _a, pw) => Promise.reject(new Error(`Cannot create an item in a locked collection (${pw})`)),
      deletePassword: () => Promise.reject(new Error('boom')),
    };
    const store = new KeytarSecretStore({ load: async () => broken });
    const get = await failure(store.get('a'));
    expect(get.code).toBe('secret');
    expect(get.message).toBe(
      'the system keychain could not read the password (Cannot autolaunch D-Bus without X11 $DISPLAY); unlock or start the keyring, or use a password command instead',
    );
    const set = await failure(store.set('a', secret));
    expect(set.message).toMatch(/^the system keychain could not store the password \(Cannot create an item in a locked collection/);
    expect(set.message).not.toContain(secret);
    expect((await failure(store.delete('a'))).message).toMatch(/could not delete the password \(boom\)/);
  });

  it('uses the service "Popbox" and the account id', async () => {
    const calls: string[][] = [];
    const fake: Keytar = {
      getPassword: async (s, a) => (calls.push(['get', s, a]), 'pw'),
      setPassword: async (s, a, p) => void calls.push(['set', s, a, p]),
      deletePassword: async (s, a) => (calls.push(['delete', s, a]), true),
    };
    const store = new KeytarSecretStore({ load: async () => fake });
    await store.set('id-1', 'pw');
    expect(await store.get('id-1')).toBe('pw');
    await store.delete('id-1');
    expect(calls).toEqual([
      ['set', 'Popbox', 'id-1', 'pw'],
      ['get', 'Popbox', 'id-1'],
      ['delete', 'Popbox', 'id-1'],
    ]);
  });
});
