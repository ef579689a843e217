/**
 * Spam is never forwarded by a filter (session-7 note, "Next"): on arrival the rules ran before
 * the junk filter, so spam matching a "forward to" filter went out to the target and was filed
 * in Junk only afterwards. Against a real Postfix delivering into a real Dovecot: with the word
 * list trained on SpamAssassin corpus mail, a spam message and a good one both match a filter
 * that forwards everything of the account; the good one reaches the target once, the spam is
 * filed in Junk and never reaches it.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import type { AccountSettings } from '../../shared/accounts.js';
import { classify } from '../../electron/core/junk/index.js';
import type * as ClassifyModule from '../../electron/core/junk/classify.js';
import { MailService } from '../../electron/core/mail-service.js';
import { MemorySecretStore } from '../../electron/core/secrets/index.js';
import { aliceSending, sendSuite, startSendServers, type SendServers } from '../support/send-servers.js';
import { sleep } from '../support/servers.js';
import { corpusMessage, trainJunkFilter, UNTRAINED_FROM } from '../support/spam-corpus.js';

// Every classification the junk filter makes is recorded (the real classifier, counted).
vi.mock('../../electron/core/junk/classify.js', async (importOriginal) => {
  const real = await importOriginal<typeof ClassifyModule>();
  return { ...real, classify: vi.fn(real.classify) };
});

const suite = sendSuite('the forward-and-junk suite');
const subjectOf = (raw: Buffer) => /^Subject:[ \t]*(.*)$/im.exec(raw.toString('latin1'))?.[1]?.trim() ?? '';

suite('a forwarding filter and the junk filter (Postfix + Dovecot)', () => {
  let servers: SendServers;
  let dataDir: string;
  let service: MailService;
  let alice: AccountSettings;
  let spam: Buffer;
  let ham: Buffer;

  beforeAll(async () => {
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'popbox-forward-junk-'));
    // Trained before the app opens, as `popbox junk learn` would leave it.
    const { list, spamNames, hamNames } = await trainJunkFilter(dataDir);
    // A spam message the filter calls junk and a good one it calls good (both unseen in training;
    // with a subject to find them by, and not auto-submitted, which no filter forwards).
    const firstJudged = async (group: string, names: string[], verdict: 'junk' | 'ham') => {
      for (const n of names.slice(UNTRAINED_FROM)) {
        const raw = await corpusMessage(group, n);
        if (classify(raw, list).verdict === verdict && subjectOf(raw) !== '' && !/^Auto-Submitted:/im.test(raw.toString('latin1'))) return raw;
      }
      return undefined;
    };
    spam = (await firstJudged('spam-1', spamNames, 'junk'))!;
    ham = (await firstJudged('easy-ham-1', hamNames, 'ham'))!;

    servers = await startSendServers({ users: [{ name: 'alice', password: 'alice-pw' }, { name: 'bob', password: 'bob-pw' }] });
    service = await MailService.open({ dataDir, secrets: new MemorySecretStore() });
    alice = await service.addAccount(aliceSending(servers), 'alice-pw');
    await service.saveRules([{ name: 'All to Bob', match: 'all', conditions: [{ field: 'account', op: 'is', value: 'Alice' }], actions: [{ t: 'forward', to: 'bob@example.org' }] }]);
  }, 180_000);

  afterAll(async () => {
    await service?.close();
    await servers?.stop();
    if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
  });

  it('spam matching the filter is filed in Junk and never reaches the target; good mail does, once', async () => {
    expect(spam).toBeDefined();
    expect(ham).toBeDefined();
    await servers.dovecot.deliver('alice', [spam, ham]);
    vi.mocked(classify).mockClear();
    expect((await service.sync([alice.id]))[0]).toMatchObject({ ok: true, result: { downloaded: 2 } });
    await service.arrivalsSettled();
    // Each arrival classified once (the filter's verdicts, by subject): the verdict that stopped
    // the spam's forward is the one that filed it.
    const classified = vi.mocked(classify).mock.calls.map(([raw]) => subjectOf(raw)).sort();
    expect(classified).toEqual([subjectOf(spam), subjectOf(ham)].sort());

    const mine = service.messages({ accountId: alice.id });
    const where = (raw: Buffer) => mine.find((m) => m.summary.subject === subjectOf(raw) && m.folder !== 'Sent')?.folder;
    expect(where(spam)).toBe('Junk');
    expect(where(ham)).toBe('INBOX');

    // Postfix delivers after its 250: wait for the good one, then a little longer for anything else.
    const deadline = Date.now() + 30_000;
    while ((await servers.dovecot.mailbox('bob')).length < 1 && Date.now() < deadline) await sleep(100);
    await sleep(1500);
    const got = await servers.dovecot.mailbox('bob');
    const subjects = await Promise.all(got.map(async (m) => (await simpleParser(m.bytes)).subject));
    expect(subjects).toEqual([`Fwd: ${subjectOf(ham)}`]);
    // No forward of the spam waits in the Outbox or was filed in Sent either.
    const forwards = service.messages({ accountId: alice.id }).filter((m) => m.summary.subject.startsWith('Fwd: '));
    expect(forwards.map((m) => m.summary.subject)).toEqual([`Fwd: ${subjectOf(ham)}`]);
  });
});
