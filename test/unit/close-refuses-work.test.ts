/**
 * MailService.close() and work that arrives while it closes (a renderer test's rm of the data
 * directory hit ENOTEMPTY): a click that reaches main as the app closes — the reading pane marking
 * a message read — queued an account job after close() had waited for the sessions, so the job
 * opened the account's mailbox (its directory, its lock, its Maildir) after close() returned, in
 * a data directory the next owner (or rm) already had. Now the sessions stop taking work when
 * close() waits for them: what was asked before is done before close() returns, what comes later
 * is refused as 'closing', and nothing touches the data directory once close() has returned.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { MailService } from '../../electron/core/mail-service.js';
import { MemorySecretStore } from '../../electron/core/secrets/index.js';
import { record } from '../renderer/service-api.js';

const account = { name: 'Home', host: '127.0.0.1', port: 995, security: 'tls' as const, user: 'me', checkAtStartup: false, password: { source: 'keychain' as const } };

it('a command asked while close() runs is done before it returns or refused; after it returns nothing writes in the data directory', async () => {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'popbox-close-'));
  const service = await MailService.open({ dataDir, secrets: new MemorySecretStore() });
  const home = await service.addAccount(account, 'pw');
  const m = record({ accountId: home.id });
  await service.journal.append([{ t: 'add', m }]);

  let closed = false;
  const closing = service.close().then(() => {
    closed = true;
  });
  // Clicks at every turn of the event loop until close() returns (a bounded number).
  const answers: Promise<string>[] = [];
  for (let turn = 0; !closed && turn < 500; turn++) {
    answers.push(service.setFlags([m.id], { seen: true }).then(() => 'done', (e: { code?: string }) => e.code ?? String(e)));
    await new Promise((r) => setImmediate(r));
  }
  await closing;
  expect(closed).toBe(true);
  // The next owner of the directory (here: rm) has it to itself from now on.
  await fs.rm(dataDir, { recursive: true });
  const settled = await Promise.all(answers);
  await expect(fs.access(dataDir)).rejects.toThrow();
  // Each was done before close() returned (the record has no file: 'not-found') or refused,
  // and those asked once close() had begun to wait for the sessions were refused.
  expect(new Set(settled)).toEqual(new Set(['not-found', 'closing']));
  expect(settled.at(-1)).toBe('closing');
  // One that comes after close() returned (the web host's socket, a window still open) too:
  // before, it opened the account's mailbox and so made the data directory again.
  await expect(service.setFlags([m.id], { seen: true })).rejects.toMatchObject({ code: 'closing', message: expect.stringContaining('Popbox is closing') });
  await expect(fs.access(dataDir)).rejects.toThrow();
});
