/**
 * "Delete on the server" is the user's call, never the page's (DESIGN §3.8): a compromised
 * renderer could save `size > 0 → delete-on-server` and run it over every message, and the next
 * sync would delete everything on the server. Saving such a rule and a run that would mark mail
 * for deletion there ask a native question in main; "Cancel" changes nothing (`cancelled`); the
 * web host, which cannot ask, refuses. Real mail in a real Dovecot, synced and left there.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it, describe } from 'vitest';
import type { Result } from '../../shared/contract.js';
import { createDispatcher, mailServiceHandlers, type ConfirmQuestion } from '../../electron/core/contract-handler.js';
import { MailService } from '../../electron/core/mail-service.js';
import { MemorySecretStore } from '../../electron/core/secrets/index.js';
import { AccountMailbox } from '../../electron/core/store/mailbox.js';
import { webHostServices } from '../../electron/webhost/server.js';
import { dovecotUnavailable, startDovecot, type DovecotServer } from '../support/dovecot.js';

const missing = dovecotUnavailable();
if (missing && process.env.CI) throw new Error(`The hostile rules suite needs: ${missing}`);
const suite = missing ? describe.skip : describe;

const message = (n: number) => Buffer.from(`From: a@example.org\r\nTo: reader@example.org\r\nSubject: note ${n}\r\nMessage-ID: <${n}@example.org>\r\n\r\nbody ${n}\r\n`);
const killer = { name: 'wipe', match: 'all', conditions: [{ field: 'size', op: '>', bytes: 0 }], actions: [{ t: 'delete-on-server' }] };

suite('a page cannot delete mail on the server through filters without the user', () => {
  let dc: DovecotServer;
  let dataDir: string;
  let service: MailService;
  const asked: ConfirmQuestion[] = [];
  let answer = false;
  let dispatch: ReturnType<typeof createDispatcher>;
  let web: ReturnType<typeof createDispatcher>;
  let accountId: string;
  const call = (method: string, input: unknown): Promise<Result<unknown>> => dispatch(method, input);

  beforeAll(async () => {
    dc = await startDovecot({ users: [{ name: 'reader', password: 'reader-pw' }] });
    await dc.deliver('reader', [message(1), message(2), message(3)]);
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'popbox-hostile-rules-'));
    service = await MailService.open({ dataDir, secrets: new MemorySecretStore() });
    const account = await service.addAccount({ name: 'Reader', host: '127.0.0.1', port: dc.tlsPort, security: 'tls', user: 'reader', tlsFingerprint: dc.fingerprint256, leaveOnServer: true, password: { source: 'command', command: 'echo reader-pw' } });
    accountId = account.id;
    await service.sync([accountId]);
    await service.arrivalsSettled();
    // Answered at once, then again: the pause after Cancel (test/unit/native-questions.test.ts) is off here.
    dispatch = createDispatcher(mailServiceHandlers(service, { chooseSaveDestination: async () => null, confirm: async (q) => (asked.push(q), answer), pauseAfterCancelMs: 0 }));
    web = createDispatcher(mailServiceHandlers(service, webHostServices({ downloadsDir: path.join(dataDir, 'dl') })));
  }, 120_000);

  afterAll(async () => {
    await service?.close();
    await dc?.stop();
    if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
  });

  it('saving a delete-on-server rule asks; Cancel saves nothing; the web host refuses', async () => {
    expect(await call('saveRules', { rules: [killer] })).toMatchObject({ ok: false, error: { code: 'cancelled' } });
    expect(asked.at(-1)?.title).toMatch(/server/);
    expect(asked.at(-1)?.detail).toMatch(/every device/);
    expect(await service.listRules()).toEqual([]);
    expect(await web('saveRules', { rules: [killer] })).toMatchObject({ ok: false, error: { code: 'unsupported' } });
    expect(await service.listRules()).toEqual([]);
  });

  it('a run that would mark server deletions asks; Cancel marks nothing and the server keeps all', async () => {
    await service.saveRules([killer as never]); // as the CLI would: trusted, not asked
    const ids = service.messages({ accountId }).map((m) => m.id);
    expect(ids.length).toBe(3);
    const before = asked.length;
    expect(await call('runRules', { ids })).toMatchObject({ ok: false, error: { code: 'cancelled' } });
    expect(asked.length).toBe(before + 1);
    expect(asked.at(-1)?.message).toMatch(/3 messages/);
    expect(await web('runRules', { ids })).toMatchObject({ ok: false, error: { code: 'unsupported' } });
    await service.sync([accountId]);
    expect(service.messages({ accountId }).length).toBe(3);
    const ledgerFile = path.join(AccountMailbox.dirFor(dataDir, accountId), 'ledger.jsonl');
    expect(await fs.readFile(ledgerFile, 'utf8')).not.toMatch(/"e":"ask"/);
    // Saving the same list again asks nothing (nothing new deletes on the server).
    const n = asked.length;
    expect(await call('saveRules', { rules: [killer] })).toMatchObject({ ok: true });
    expect(asked.length).toBe(n);
    // Yes: the run goes ahead.
    answer = true;
    expect(await call('runRules', { ids })).toMatchObject({ ok: true });
    expect(await fs.readFile(ledgerFile, 'utf8')).toMatch(/"e":"ask"/);
  });
});
