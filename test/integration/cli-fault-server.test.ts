/**
 * The CLI as a child process against our fault server, for what a user sees where Dovecot does
 * not go: a server without UIDL, and the output when it is piped or the subjects are long.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli-bundle.js';
import { miniPop3, startFaultServer, type FaultServer, type MiniOptions } from '../support/fault-server.js';

let server: FaultServer | undefined;
let dataDir: string;

beforeEach(async () => {
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'popbox-cli-fault-'));
});
afterEach(async () => {
  await server?.close();
  expect(server?.errors ?? []).toEqual([]);
  server = undefined;
  await fs.rm(dataDir, { recursive: true, force: true });
});

const message = (subject: string, from = 'Ann <ann@example.org>') =>
  Buffer.from(`From: ${from}\r\nSubject: ${subject}\r\nMessage-ID: <${encodeURIComponent(subject).slice(0, 40)}@x>\r\n\r\nbody\r\n`);

/** A fault server holding `messages`, and an account "Box" for it in the data directory. */
async function serveAccount(messages: Buffer[], options: Partial<MiniOptions> = {}): Promise<void> {
  server = await startFaultServer((conn) => miniPop3(conn, { messages, ...options }));
  const add = await runCli(
    dataDir, 'account', 'add', 'Box', '--host', '127.0.0.1', '--port', String(server.port), '--security', 'none',
    '--user', 'alice', '--password-command', 'echo pw', '--allow-insecure-auth',
  );
  expect(add).toMatchObject({ code: 0 });
}

describe('a server without UIDL', () => {
  it('lists every downloaded message right after the sync that took them off the server', async () => {
    const subjects = Array.from({ length: 12 }, (_, i) => `no-uidl message ${i + 1}`);
    await serveAccount(subjects.map((s) => message(s)), {
      capa: ['USER'],
      override: async (c, verb) => (verb === 'UIDL' ? (await c.send('-ERR unknown command'), true) : false),
    });
    const sync = await runCli(dataDir, 'sync');
    expect(sync).toMatchObject({ code: 0, stdout: 'Box: 12 new, 12 deleted on server\n' });
    const listed = JSON.parse((await runCli(dataDir, 'messages', '--json')).stdout) as { subject: string; account: string }[];
    expect(listed.map((m) => m.subject).sort()).toEqual([...subjects].sort());
    expect(new Set(listed.map((m) => m.account))).toEqual(new Set(['Box']));
  });
});
