/**
 * `popbox sync` opens its first account's connection before the quick path has loaded
 * (cli/early-connect.ts, issue 18 P0): what the server sees of it.
 *  - The check that finds nothing new uses that connection: one connection, one login.
 *  - Another Popbox holds the data directory: the early connection never logs in, and is closed
 *    with QUIT before the command says the directory is in use.
 *  - A sync of an account that does not exist connects nowhere (the full path would not either).
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

const mail = (n: number) => Buffer.from(`From: a@example.org\r\nSubject: early ${n}\r\nMessage-ID: <early-${n}@x>\r\n\r\nbody ${n}\r\n`);

/** The commands each connection since `from` sent, in order. */
const commands = (from: number) => server.connections.slice(from).map((c) => c.received.map((l) => l.split(' ')[0]));

beforeEach(async () => {
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'popbox-cli-early-'));
  server = await startFaultServer((conn) => miniPop3(conn, { messages: [mail(1), mail(2)] }), { tls: true });
  const add = await runCli(
    dataDir, 'account', 'add', 'Early', '--host', '127.0.0.1', '--port', String(server.port), '--security', 'tls',
    '--tls-fingerprint', FAULT_FINGERPRINT, '--user', 'alice', '--password-command', 'echo pw', '--leave-on-server',
  );
  expect(add).toMatchObject({ code: 0 });
  expect(await runCli(dataDir, 'sync')).toMatchObject({ code: 0, stdout: 'Early: 2 new, 0 deleted on server\n' });
  const [accountId] = await fs.readdir(path.join(dataDir, 'accounts'));
  await ageMaildir(path.join(dataDir, 'accounts', accountId!));
  // Full again: it records a stamp the next check trusts, which is then a quick one.
  expect(await runCli(dataDir, 'sync')).toMatchObject({ code: 0, stdout: 'Early: 0 new, 0 deleted on server\n' });
});
afterEach(async () => {
  await server.close();
  expect(server.errors).toEqual([]);
  await fs.rm(dataDir, { recursive: true, force: true });
});

describe('popbox sync: the connection opened early', () => {
  it('a check that finds nothing new logs in once, over the connection opened first', async () => {
    const before = server.connections.length;
    expect(await runCli(dataDir, 'sync')).toEqual({ code: 0, stdout: 'Early: 0 new, 0 deleted on server\n', stderr: '' });
    // One connection: greeting and CAPA before the quick path had loaded, then AUTH PLAIN (its response on the next line).
    expect(commands(before)).toEqual([['CAPA', 'AUTH', expect.any(String), 'CAPA', 'UIDL', 'QUIT']]);
  });

  it('with the data directory held by another Popbox, it never logs in and ends with QUIT', async () => {
    const lock = await acquireLock(path.join(dataDir, 'popbox.lock'), () => 'held by the test');
    try {
      const before = server.connections.length;
      const sync = await runCli(dataDir, 'sync');
      expect(sync.code).not.toBe(0);
      expect(sync.stderr).toMatch(/already using this data directory/);
      expect(sync.stdout).toBe('');
      // Greeting and CAPA only; no USER, PASS or AUTH.
      expect(commands(before)).toEqual([['CAPA', 'QUIT']]);
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
