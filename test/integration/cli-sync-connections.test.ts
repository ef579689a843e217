/**
 * What the server sees of an empty `popbox sync` (the CLI's quick path, cli/quick-sync.ts, issue
 * 18 P0), and that no session of ours starts without the data directory's and the account's locks
 * (DESIGN §3.4):
 *  - the check that finds nothing new: one connection, one login;
 *  - another Popbox holds the data directory: nothing is connected to; another process holds the
 *    account: no login;
 *  - a sync of an account that does not exist connects nowhere.
 * Session 13's early connection (f0ada60: connect, TLS, greeting and CAPA before the quick path
 * had loaded) connected even to a held data directory (CAPA, then QUIT); it was taken out in
 * session 14, measured without a gain.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { acquireLock, releaseLock } from '../../electron/core/store/lock.js';
import { runCli } from '../support/cli-bundle.js';
import { FAULT_FINGERPRINT, miniPop3, startFaultServer, type FaultServer } from '../support/fault-server.js';
import { ageMaildir } from '../support/maildir-age.js';

let server: FaultServer;
let dataDir: string;

const mail = (n: number) => Buffer.from(`From: a@example.org\r\nSubject: check ${n}\r\nMessage-ID: <check-${n}@x>\r\n\r\nbody ${n}\r\n`);

/** The commands each connection since `from` sent, in order. */
const commands = (from: number) => server.connections.slice(from).map((c) => c.received.map((l) => l.split(' ')[0]));

beforeEach(async () => {
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'popbox-cli-connections-'));
  server = await startFaultServer((conn) => miniPop3(conn, { messages: [mail(1), mail(2)] }), { tls: true });
  const add = await runCli(
    dataDir, 'account', 'add', 'Check', '--host', '127.0.0.1', '--port', String(server.port), '--security', 'tls',
    '--tls-fingerprint', FAULT_FINGERPRINT, '--user', 'alice', '--password-command', 'echo pw', '--leave-on-server',
  );
  expect(add).toMatchObject({ code: 0 });
  expect(await runCli(dataDir, 'sync')).toMatchObject({ code: 0, stdout: 'Check: 2 new, 0 deleted on server\n' });
  const [accountId] = await fs.readdir(path.join(dataDir, 'accounts'));
  await ageMaildir(path.join(dataDir, 'accounts', accountId!));
  // Full again: it records a stamp the next check trusts, which is then a quick one.
  expect(await runCli(dataDir, 'sync')).toMatchObject({ code: 0, stdout: 'Check: 0 new, 0 deleted on server\n' });
});
afterEach(async () => {
  await server.close();
  expect(server.errors).toEqual([]);
  await fs.rm(dataDir, { recursive: true, force: true });
});

describe('popbox sync: the connections an empty check makes', () => {
  it('a check that finds nothing new logs in once, on one connection', async () => {
    const before = server.connections.length;
    expect(await runCli(dataDir, 'sync')).toEqual({ code: 0, stdout: 'Check: 0 new, 0 deleted on server\n', stderr: '' });
    // One connection: greeting and CAPA, then AUTH PLAIN (its response on the next line), CAPA and UIDL together, QUIT.
    expect(commands(before)).toEqual([['CAPA', 'AUTH', expect.any(String), 'CAPA', 'UIDL', 'QUIT']]);
  });

  it('with the data directory held by another Popbox, it connects nowhere', async () => {
    const lock = await acquireLock(path.join(dataDir, 'popbox.lock'), () => 'held by the test');
    try {
      const before = server.connections.length;
      const sync = await runCli(dataDir, 'sync');
      expect(sync.code).not.toBe(0);
      expect(sync.stderr).toMatch(/already using this data directory/);
      expect(sync.stdout).toBe('');
      // The data directory's lock comes before any connection: no greeting read, no CAPA, no login.
      expect(server.connections.length).toBe(before);
    } finally {
      await releaseLock(lock);
    }
  });

  it("with the account's session held by another process, it never logs in", async () => {
    const [accountId] = await fs.readdir(path.join(dataDir, 'accounts'));
    const lock = await acquireLock(path.join(dataDir, 'accounts', accountId!, 'lock'), () => 'held by the test');
    try {
      const before = server.connections.length;
      const sync = await runCli(dataDir, 'sync');
      expect(sync.code).not.toBe(0);
      expect(sync.stdout).toBe('');
      // No session of ours while the account's is held elsewhere (DESIGN §3.4).
      expect(commands(before).flat()).not.toContain('AUTH');
      expect(commands(before).flat()).not.toContain('USER');
    } finally {
      await releaseLock(lock);
    }
  });

  it('a sync of an account that does not exist connects nowhere', async () => {
    const before = server.connections.length;
    const sync = await runCli(dataDir, 'sync', 'Nobody');
    expect(sync.code).not.toBe(0);
    expect(server.connections.length).toBe(before);
  });
});
