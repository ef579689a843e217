/**
 * Filters on arrival whose actions failed are tried again at the next check, once (real Dovecot,
 * real Postfix): a move into a folder that cannot be made, a forward the Outbox could not store.
 * Before, the "filtered up to" mark passed them, so the mail stayed in the inbox and the
 * forward never went; now the mark stops before them and the next check — in the same process
 * or after a restart — runs on them alone: what was done beside them (and filed by the person
 * since) is not run on again, nothing is moved or forwarded twice, and the notice says the
 * actions will be tried again.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import type { AccountSettings } from '../../shared/accounts.js';
import type { RuleInput } from '../../shared/rules.js';
import { MailService } from '../../electron/core/mail-service.js';
import { MemorySecretStore } from '../../electron/core/secrets/index.js';
import { AccountMailbox } from '../../electron/core/store/mailbox.js';
import { aliceSending, sendSuite, startSendServers, type SendServers } from '../support/send-servers.js';
import { sleep } from '../support/servers.js';

const suite = sendSuite('the filters-tried-again suite');

let n = 0;
const mail = (subject: string) =>
  Buffer.from([`From: Dave <dave@other.example>`, 'To: alice@example.org', `Subject: ${subject}`, `Message-ID: <retry-${++n}-${Date.now()}@other.example>`, '', `Body of ${subject}.`, ''].join('\n'));

const rule = (name: string, word: string, action: RuleInput['actions'][number]): RuleInput => ({ name, match: 'all', conditions: [{ field: 'subject', op: 'contains', value: word }], actions: [action] });

suite('filters whose actions failed run again at the next check', () => {
  let servers: SendServers;
  const secrets = new MemorySecretStore();
  const cleanups: (() => Promise<unknown>)[] = [];

  beforeAll(async () => {
    servers = await startSendServers({ users: [{ name: 'alice', password: 'alice-pw' }, { name: 'bob', password: 'bob-pw' }] });
  }, 120_000);
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
    await servers.dovecot.clear('alice');
    await servers.dovecot.clear('bob');
  });
  afterAll(async () => {
    await servers?.stop();
  });

  async function start(): Promise<{ dataDir: string; service: MailService; alice: AccountSettings; notices: string[] }> {
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'popbox-rules-retry-'));
    cleanups.push(() => fs.rm(dataDir, { recursive: true, force: true }));
    const service = await MailService.open({ dataDir, secrets });
    cleanups.push(() => service.close());
    const alice = await service.addAccount(aliceSending(servers), 'alice-pw');
    const notices: string[] = [];
    service.on('notice', (e) => notices.push(e.message));
    return { dataDir, service, alice, notices };
  }

  const where = (service: MailService, accountId: string) =>
    service
      .messages({ accountId })
      .filter((m) => m.uidl !== '')
      .map((m) => `${m.folder}:${m.summary.subject}`)
      .sort();

  async function check(service: MailService, accountId: string, downloaded: number): Promise<void> {
    expect(await service.sync([accountId])).toMatchObject([{ ok: true, result: { downloaded } }]);
    await service.arrivalsSettled();
  }

  it('a move into a folder that cannot be made is done at the next start, once it can be; the mail done beside it stays where the person put it', async () => {
    const { dataDir, service, alice, notices } = await start();
    await service.saveRules([rule('Receipts', 'invoice', { t: 'move', folder: ['Receipts'] }), rule('News', 'news', { t: 'move', folder: ['News'] })]);
    // Where the folder would be made, another tool left a file.
    const maildir = path.join(AccountMailbox.dirFor(dataDir, alice.id), 'Maildir');
    await fs.mkdir(maildir, { recursive: true });
    await fs.writeFile(path.join(maildir, '.Receipts'), 'not a folder');
    await servers.dovecot.deliver('alice', [mail('invoice 1'), mail('news 1')]);
    await check(service, alice.id, 2);
    expect(where(service, alice.id)).toEqual(['INBOX:invoice 1', 'News:news 1']);
    // The person files the news elsewhere: a rule run on it again would take it back.
    await service.moveMessages(service.messages({ accountId: alice.id }).filter((m) => m.summary.subject === 'news 1').map((m) => m.id), 'Trash');
    await service.close();

    await fs.rm(path.join(maildir, '.Receipts'));
    const again = await MailService.open({ dataDir, secrets });
    cleanups.push(() => again.close());
    await check(again, alice.id, 0);
    expect(where(again, alice.id)).toEqual(['Receipts:invoice 1', 'Trash:news 1']);
    await check(again, alice.id, 0);
    expect(where(again, alice.id)).toEqual(['Receipts:invoice 1', 'Trash:news 1']);
    const mark = JSON.parse(await fs.readFile(path.join(AccountMailbox.dirFor(dataDir, alice.id), 'rules-filtered.json'), 'utf8')) as { upTo: number; retry?: unknown };
    expect(mark.retry).toBeUndefined();
    expect(mark.upTo).toBeGreaterThanOrEqual(Math.max(...again.messages({ accountId: alice.id }).map((m) => m.receivedAt)));
    expect(notices.join('\n')).toMatch(/Some filter actions failed: Receipts: .*\. They will be tried again at the next check \(at most 4 checks in all\)\./);
  });

  it('a forward the Outbox could not store goes at the next check, once', async () => {
    const { dataDir, service, alice, notices } = await start();
    await check(service, alice.id, 0); // the account's folders are made
    await service.saveRules([rule('Urgent to Bob', 'urgent', { t: 'forward', to: 'bob@example.org' })]);
    // The Outbox cannot take a message: where its tmp/ should be, a file.
    const outboxTmp = path.join(AccountMailbox.dirFor(dataDir, alice.id), 'Maildir', '.Outbox', 'tmp');
    await fs.rm(outboxTmp, { recursive: true });
    await fs.writeFile(outboxTmp, 'not a folder');
    await servers.dovecot.deliver('alice', [mail('urgent: the roof')]);
    await check(service, alice.id, 1);
    await sleep(1_500);
    expect(await servers.dovecot.mailbox('bob')).toHaveLength(0);

    await fs.rm(outboxTmp);
    await fs.mkdir(outboxTmp);
    await check(service, alice.id, 0);
    const deadline = Date.now() + 30_000;
    while ((await servers.dovecot.mailbox('bob')).length === 0 && Date.now() < deadline) await sleep(100);
    // Once: another check and a run told to forward send nothing more.
    await check(service, alice.id, 0);
    const inbox = service.messages({ accountId: alice.id }).filter((m) => m.folder === 'INBOX').map((m) => m.id);
    expect((await service.runRules(inbox, { forward: true })).flatMap((o) => o.forwardedTo ?? [])).toEqual([]);
    await sleep(1_500);
    const got = await servers.dovecot.mailbox('bob');
    expect(got.map((m) => /^Subject: (.*)$/m.exec(m.bytes.toString('latin1'))?.[1])).toEqual(['Fwd: urgent: the roof']);
    expect(notices.join('\n')).toMatch(/Some filter actions failed: forwarding “urgent: the roof” to bob@example.org: .*\. They will be tried again at the next check \(at most 4 checks in all\)\./);
  });
});
