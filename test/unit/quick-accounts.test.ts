/**
 * `popbox account list` says the same for any accounts.json whether the CLI's quick path (which
 * reads the file without zod, issue 18) or the full path (the schema in shared/accounts.ts)
 * answers it (review F9). The quick path may hand a file over to the full path (null), never
 * print a list the schema would refuse or print differently. Each case is a file as a person or
 * another tool might leave it: settings that only mean something together (plain + a pinned
 * certificate, leave-on-server off + delete after days…), fields in a form the schema refuses or
 * rewrites.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quickAccountList } from '../../electron/cli/quick-accounts.js';
import { runCli } from '../../electron/cli/run.js';

const PIN = 'AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89';

/** An account as Popbox writes it (every field, the schema's output). */
function good(): Record<string, unknown> {
  return {
    id: 'acct-1',
    name: 'Home',
    email: 'me@example.org',
    host: 'mail.example.org',
    port: 995,
    security: 'tls',
    user: 'me',
    allowInsecureAuth: false,
    leaveOnServer: true,
    deleteAfterDays: 14,
    deleteWhenDeletedLocally: true,
    maxMessageSizeKB: null,
    pipelining: true,
    trustServerVerdict: false,
    junkOnServer: false,
    checkEveryMinutes: 10,
    checkAtStartup: true,
    password: { source: 'keychain' },
    smtp: { host: 'smtp.example.org', port: 465, security: 'tls', auth: 'password', user: 'me', allowInsecureAuth: false, password: { source: 'incoming' } },
    identities: [{ id: 'primary', name: 'Me', address: 'me@example.org' }],
  };
}

const CASES: [string, (a: Record<string, unknown>) => void][] = [
  ['as written', () => {}],
  ['plain connection with a pinned certificate', (a) => Object.assign(a, { security: 'plain', tlsFingerprint: PIN })],
  ['leave on server off with delete after days', (a) => Object.assign(a, { leaveOnServer: false, deleteAfterDays: 7, deleteWhenDeletedLocally: false })],
  ['leave on server off with delete when deleted here', (a) => Object.assign(a, { leaveOnServer: false, deleteAfterDays: null })],
  ['outgoing server plain with a pinned certificate', (a) => Object.assign(a.smtp as object, { security: 'plain', tlsFingerprint: PIN })],
  ['outgoing server with no identity', (a) => Object.assign(a, { identities: [] })],
  ['outgoing security unknown', (a) => Object.assign(a.smtp as object, { security: 'ssl' })],
  ['outgoing server with a field it does not have', (a) => Object.assign(a.smtp as object, { foo: 1 })],
  ['outgoing password command empty', (a) => Object.assign(a.smtp as object, { password: { source: 'command', command: '' } })],
  ['a name with a tab', (a) => Object.assign(a, { name: 'Ho\tme' })],
  ['a name with spaces around it', (a) => Object.assign(a, { name: '  Home ' })],
  ['a name in decomposed Unicode', (a) => Object.assign(a, { name: 'Cafe\u0301' })],
  ['a host with a space', (a) => Object.assign(a, { host: 'mail example.org' })],
  ['a fingerprint in lower case without colons', (a) => Object.assign(a, { tlsFingerprint: PIN.replace(/:/g, '').toLowerCase() })],
  ['a fingerprint too short', (a) => Object.assign(a, { tlsFingerprint: 'AB:CD' })],
  ['a password source with an extra field', (a) => Object.assign(a, { password: { source: 'keychain', extra: 1 } })],
  ['a password command with a NUL', (a) => Object.assign(a, { password: { source: 'command', command: 'pass\u0000x' } })],
  ['an unknown login mechanism', (a) => Object.assign(a, { authMechanism: 'BOGUS' })],
  ['an id with a space', (a) => Object.assign(a, { id: 'bad id' })],
  ['an email that is not one', (a) => Object.assign(a, { email: 'not an email' })],
  ['check every 0 minutes', (a) => Object.assign(a, { checkEveryMinutes: 0 })],
  ['trust server verdict as text', (a) => Object.assign(a, { trustServerVerdict: 'yes' })],
  ['a user with a control character', (a) => Object.assign(a, { user: 'me\u0001' })],
  ['two identities with one address', (a) => Object.assign(a, { identities: [{ id: 'a', name: '', address: 'me@example.org' }, { id: 'b', name: '', address: 'ME@example.org' }] })],
  ['an identity name with a line break', (a) => Object.assign(a, { identities: [{ id: 'a', name: 'Me\nYou', address: 'me@example.org' }] })],
  ['an identity without an address', (a) => Object.assign(a, { identities: [{ id: 'a', name: 'Me' }] })],
  ['an IPv6 host', (a) => Object.assign(a, { host: '::1' })],
  ['defaults left out (an older file)', (a) => { for (const k of ['trustServerVerdict', 'junkOnServer', 'checkEveryMinutes', 'checkAtStartup']) delete a[k]; }],
];

describe('popbox account list: the quick path says what the full path says', () => {
  let root: string;
  beforeAll(async () => void (root = await fs.mkdtemp(path.join(os.tmpdir(), 'popbox-quick-accounts-'))));
  afterAll(async () => fs.rm(root, { recursive: true, force: true }));

  async function say(dataDir: string, quick: boolean): Promise<{ code: number; out: string }> {
    const printed: string[] = [];
    const io = { out: (t: string) => void printed.push(t), err: (t: string) => void printed.push(t) };
    if (quick) {
      const code = await quickAccountList(dataDir, [], io);
      if (code !== null) return { code, out: printed.join('') };
    }
    const code = await runCli(['--data-dir', dataDir, 'account', 'list'], { ...io, columns: 100, stdin: () => undefined });
    return { code, out: printed.join('') };
  }

  it.each(CASES)('%s', async (what, change) => {
    const dataDir = path.join(root, what.replace(/\W+/g, '-'));
    await fs.mkdir(dataDir, { recursive: true });
    const account = good();
    change(account);
    await fs.writeFile(path.join(dataDir, 'accounts.json'), `${JSON.stringify({ version: 2, accounts: [account] }, null, 2)}\n`);
    const full = await say(dataDir, false);
    expect(await say(dataDir, true)).toEqual(full);
  });

  it('the file as written is answered by the quick path itself', async () => {
    const dataDir = path.join(root, 'quick-itself');
    await fs.mkdir(dataDir, { recursive: true });
    await fs.writeFile(path.join(dataDir, 'accounts.json'), `${JSON.stringify({ version: 2, accounts: [good()] }, null, 2)}\n`);
    const printed: string[] = [];
    expect(await quickAccountList(dataDir, [], { out: (t) => void printed.push(t), err: (t) => void printed.push(t) })).toBe(0);
    expect(printed.join('')).toBe('Home\tme@mail.example.org:995\ttls\tleave on server, delete after 14 d, delete when deleted here\tsends via me@smtp.example.org:465 tls\n');
  });
});
