/**
 * Commands on many messages are batched end to end (issue 14 §1, reported by the layout work:
 * Mark all as read sent one store pass per message, each opening the mailbox and reading its
 * folder listing): one pass over the store and one journal append per account, whatever the
 * count, with every file name and every record right afterwards.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChangesResult } from '../../shared/changes.js';
import { createDispatcher, mailServiceHandlers } from '../../electron/core/contract-handler.js';
import { MailService } from '../../electron/core/mail-service.js';
import { MemorySecretStore } from '../../electron/core/secrets/index.js';
import { dovecotUnavailable, startDovecot, type DovecotServer } from '../support/dovecot.js';
import { generateMessages } from '../support/mailgen.js';

const unavailable = dovecotUnavailable();
if (unavailable && process.env.CI) throw new Error(`Dovecot is required in CI: ${unavailable}`);
if (unavailable) console.warn(`Skipping the batch-commands suite: ${unavailable}`);
const suite = unavailable ? describe.skip : describe;
const COUNT = 400;

suite('commands on many messages', () => {
  let dc: DovecotServer;
  let dataDir: string;
  let service: MailService;
  let dispatch: ReturnType<typeof createDispatcher>;

  beforeAll(async () => {
    dc = await startDovecot({ users: [{ name: 'many', password: 'many-pw' }] });
    await dc.deliver('many', generateMessages({ seed: 14, count: COUNT, mix: 'small' }));
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'popbox-batch-'));
    service = await MailService.open({ dataDir, secrets: new MemorySecretStore() });
    await service.addAccount({ name: 'Many', host: '127.0.0.1', port: dc.tlsPort, security: 'tls', user: 'many', tlsFingerprint: dc.fingerprint256, leaveOnServer: true, password: { source: 'keychain' } }, 'many-pw');
    const [outcome] = await service.sync();
    expect(outcome).toMatchObject({ ok: true, result: { downloaded: COUNT } });
    dispatch = createDispatcher(mailServiceHandlers(service, { chooseSaveDestination: async () => null }));
  });
  afterAll(async () => {
    await service?.close();
    await dc?.stop();
    await fs.rm(dataDir, { recursive: true, force: true });
  });

  const curNames = async (dir = 'cur') => fs.readdir(path.join(dataDir, 'accounts', service.listAccounts()[0]!.id, 'Maildir', dir));

  for (const [what, method, flags, dir, letter] of [
    ['marks all read', 'setFlags', { seen: true }, 'cur', 'S'],
    ['moves all to Trash', 'moveToTrash', undefined, '.Trash/cur', ''],
  ] as const) {
    it(`${what} in one store pass and one journal append`, async () => {
      const ids = service.messages().map((m) => m.id);
      const before = service.snapshot().state;
      const hints: number[] = [];
      const off = service.on('stateChanged', ({ state }) => hints.push(state));
      const r = await dispatch(method, flags ? { ids, flags } : { ids });
      off();
      expect(r).toEqual({ ok: true, value: null });
      expect(hints).toHaveLength(1); // one append for all of them
      const feed = service.changesSince(before) as Extract<ChangesResult, { changes: unknown }>;
      expect(feed.changes).toHaveLength(COUNT);
      const names = await curNames(dir);
      expect(names).toHaveLength(COUNT);
      expect(names.every((n) => n.split(':2,')[1]!.includes(letter))).toBe(true);
    });
  }

  it('two quick commands on one message each keep the other flag (mark read, then Delete)', async () => {
    const [a, b] = service.messages().map((m) => m.id);
    await dispatch('restore', { ids: [a, b] });
    await dispatch('setFlags', { ids: [a, b], flags: { seen: false } });
    for (const [first, second] of [
      [dispatch('setFlags', { ids: [a], flags: { seen: true } }), dispatch('moveToTrash', { ids: [a] })],
      [dispatch('moveToTrash', { ids: [b] }), dispatch('setFlags', { ids: [b], flags: { seen: true } })],
    ] as const) {
      expect(await Promise.all([first, second])).toEqual([{ ok: true, value: null }, { ok: true, value: null }]);
    }
    for (const id of [a, b]) {
      expect(service.messages().find((m) => m.id === id)!).toMatchObject({ flags: { seen: true }, folder: 'Trash' });
      expect((await curNames('.Trash/cur')).find((n) => n.startsWith(id!))).toMatch(/:2,S$/);
    }
  });

  it('refuses the whole batch, changing nothing, when one id is unknown', async () => {
    const ids = service.messages().map((m) => m.id);
    const before = await curNames();
    const r = await dispatch('restore', { ids: [...ids.slice(0, 10), 'no-such-message'] });
    expect(r).toMatchObject({ ok: false, error: { code: 'not-found' } });
    expect(await curNames()).toEqual(before);
  });
});
