/**
 * Filters cut short by close(): close() waits a bounded time for the filters of new mail, then
 * the sessions refuse all new work ('closing'). A filter still running then has its moves
 * refused; runRules does not throw, it reports them, so the "filtered up to" mark
 * (rules-filtered.json) used to be written anyway and those messages were never filtered again,
 * not even after a restart. Now runRules says which messages it left not done and the mark
 * stops before them, so the next start's sync filters them (a second run moves, copies and
 * forwards nothing twice). Nothing is said at the close: the window is going; and the refusal is
 * not one of the tries after which Popbox gives up on that mail (nothing failed).
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { MailService } from '../../electron/core/mail-service.js';
import { AccountMailbox } from '../../electron/core/store/mailbox.js';
import { MemorySecretStore } from '../../electron/core/secrets/index.js';
import type { RuleInput } from '../../shared/rules.js';
import { FAULT_FINGERPRINT, miniPop3, startFaultServer } from '../support/fault-server.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const mail = (n: number) => Buffer.from(`From: a@example.org\r\nSubject: invoice ${n}\r\nMessage-ID: <inv-${n}@x>\r\n\r\nbody ${n}\r\n`);
const where = (service: MailService) => [...service.journal.all()].map((m) => `${m.folder}:${m.summary.subject}`).sort();

it('mail whose filters close() cut short is filtered at the next start, once', async () => {
  const server = await startFaultServer((conn) => miniPop3(conn, { messages: [mail(1), mail(2), mail(3)] }), { tls: true });
  cleanups.push(() => server.close());
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'popbox-closefilters-'));
  cleanups.push(() => fs.rm(dataDir, { recursive: true, force: true }));
  const secrets = new MemorySecretStore();
  let service = await MailService.open({ dataDir, secrets });
  const acct = await service.addAccount(
    { name: 'A', host: '127.0.0.1', port: server.port, security: 'tls', user: 'alice', checkAtStartup: false, leaveOnServer: true, tlsFingerprint: FAULT_FINGERPRINT, password: { source: 'keychain' } },
    'pw',
  );
  const rules: RuleInput[] = [{ name: 'inv', enabled: true, match: 'all', conditions: [{ field: 'subject', op: 'contains', value: 'invoice' }], actions: [{ t: 'copy', folder: ['Kept'] }, { t: 'move', folder: ['Receipts'] }] }];
  await service.saveRules(rules);
  // Stands in for filters slower than close()'s bounded wait: the close does not wait for them,
  // so the sessions refuse the rule's moves while the filters still run.
  const filtersDone = service.arrivalsSettled.bind(service);
  (service as unknown as { arrivalsSettled: () => Promise<void> }).arrivalsSettled = async () => {};
  const notices: string[] = [];
  service.on('notice', (n: { message: string }) => notices.push(n.message));
  let closing: Promise<void> | null = null;
  const outcomes = await service.sync([acct.id], () => void (closing ??= service.close()));
  expect(outcomes[0]).toMatchObject({ ok: true, result: { downloaded: 3 } });
  await closing;
  // The filters run on after close() returned; they end with the moves refused, and say nothing.
  await filtersDone();
  expect(notices).toEqual([]);
  expect(where(service)).toEqual(['INBOX:invoice 1', 'INBOX:invoice 2', 'INBOX:invoice 3']);
  const mark = JSON.parse(await fs.readFile(path.join(AccountMailbox.dirFor(dataDir, acct.id), 'rules-filtered.json'), 'utf8')) as { retry: Record<string, unknown> };
  expect(Object.values(mark.retry)).toEqual([0, 1, 2].map(() => ({ folder: 'INBOX', tries: 0, ruled: true })));

  // The next start: its first sync brings nothing new, and still files what was left unfiltered.
  service = await MailService.open({ dataDir, secrets });
  cleanups.push(() => service.close());
  expect(await service.sync([acct.id])).toMatchObject([{ ok: true, result: { downloaded: 0 } }]);
  await service.arrivalsSettled();
  expect(where(service)).toEqual(['Kept:invoice 1', 'Kept:invoice 2', 'Kept:invoice 3', 'Receipts:invoice 1', 'Receipts:invoice 2', 'Receipts:invoice 3']);
  // Filtering the arrivals once more (copies are no arrivals: no uidl) changes nothing: nothing
  // moved again, no second copy.
  await service.runRules([...service.journal.all()].filter((m) => m.uidl !== '').map((m) => m.id), { forward: true });
  expect(where(service)).toEqual(['Kept:invoice 1', 'Kept:invoice 2', 'Kept:invoice 3', 'Receipts:invoice 1', 'Receipts:invoice 2', 'Receipts:invoice 3']);
});
