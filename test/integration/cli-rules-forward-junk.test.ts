/**
 * `popbox rules run --forward`, run by hand, asks the junk filter before it forwards, as the
 * rules on arrival do (mail-service.ts filterArrivals): with the word list trained on
 * SpamAssassin corpus mail, a spam message and a good one in the Inbox both match a filter that
 * forwards everything of the account; only the good one is forwarded (queued in the Outbox),
 * the spam never is. Before, a run by hand forwarded both.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classify, learn, saveWordList, WordList } from '../../electron/core/junk/index.js';
import { MailService } from '../../electron/core/mail-service.js';
import { MemorySecretStore } from '../../electron/core/secrets/index.js';
import { runCli } from '../support/cli-bundle.js';
import { dovecotUnavailable, startDovecot, type DovecotServer } from '../support/dovecot.js';
import { corpusMessage as message, corpusNames as names, TRAINED, UNTRAINED_FROM } from '../support/spam-corpus.js';

const unavailable = dovecotUnavailable();
if (unavailable && process.env.CI) throw new Error(`Dovecot is required in CI: ${unavailable}`);
if (unavailable) console.warn(`Skipping the rules run --forward junk suite: ${unavailable}`);
const suite = unavailable ? describe.skip : describe;

const subjectOf = (raw: Buffer) => /^Subject:[ \t]*(.*)$/im.exec(raw.toString('latin1'))?.[1]?.trim() ?? '';

suite('popbox rules run --forward and the junk filter', () => {
  let dc: DovecotServer;
  let dataDir: string;
  const secrets = new MemorySecretStore();
  let spam: Buffer | undefined;
  let ham: Buffer | undefined;

  beforeAll(async () => {
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'popbox-cli-forward-junk-'));
    const list = new WordList();
    const spamNames = await names('spam-1');
    const hamNames = await names('easy-ham-1');
    // As trainJunkFilter (spam-corpus.ts) trains, but saved only after the first sync below.
    for (const n of spamNames.slice(0, TRAINED)) learn(await message('spam-1', n), list, 'junk');
    for (const n of hamNames.slice(0, TRAINED)) learn(await message('easy-ham-1', n), list, 'ham');
    // Unseen in training: a spam message the filter calls junk, a good one it calls good.
    const pick = async (group: string, from: string[], verdict: string) => {
      for (const n of from) {
        const raw = await message(group, n);
        if (classify(raw, list).verdict === verdict && subjectOf(raw) !== '' && !/^Auto-Submitted:/im.test(raw.toString('latin1'))) return raw;
      }
      return undefined;
    };
    spam = await pick('spam-1', spamNames.slice(UNTRAINED_FROM), 'junk');
    ham = await pick('easy-ham-1', hamNames.slice(UNTRAINED_FROM), 'ham');

    dc = await startDovecot({ users: [{ name: 'alice', password: 'alice-pw' }] });
    await dc.deliver('alice', [spam!, ham!]);
    const service = await MailService.open({ dataDir, secrets });
    const alice = await service.addAccount(
      {
        name: 'Alice', email: 'alice@example.org', host: '127.0.0.1', port: dc.tlsPort, security: 'tls', user: 'alice', tlsFingerprint: dc.fingerprint256,
        password: { source: 'keychain' },
        // Never reached: `rules run` only queues forwards in the Outbox.
        smtp: { host: '127.0.0.1', port: 9, security: 'tls', user: 'alice', password: { source: 'incoming' } },
        identities: [{ id: 'alice', name: 'Alice', address: 'alice@example.org' }],
      },
      'alice-pw',
    );
    // Both arrive while the filter has no word list and no filter forwards: both stay in the Inbox.
    expect((await service.sync([alice.id]))[0]).toMatchObject({ ok: true, result: { downloaded: 2 } });
    await service.arrivalsSettled();
    await service.saveRules([{ name: 'All to Bob', match: 'all', conditions: [{ field: 'account', op: 'is', value: 'Alice' }], actions: [{ t: 'forward', to: 'bob@example.org' }] }]);
    await service.close();
    // Trained afterwards, as `popbox junk learn` would leave it.
    await saveWordList(dataDir, list);
  }, 180_000);

  afterAll(async () => {
    await dc?.stop();
    if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
  });

  it('forwards the good message and not the spam', async () => {
    expect(spam).toBeDefined();
    expect(ham).toBeDefined();
    const run = await runCli(dataDir, 'rules', 'run', '--forward');
    expect(run.code).toBe(0);
    const lineOf = (raw: Buffer) => run.stdout.split('\n').find((l) => l.includes(JSON.stringify(subjectOf(raw)))) ?? '';
    expect(lineOf(ham!)).toContain('forwarded to bob@example.org');
    expect(lineOf(spam!)).not.toContain('forwarded');
    expect(run.stdout).toMatch(/1 forward in the Outbox/);

    // What waits in the Outbox: the good one's forward only.
    const service = await MailService.open({ dataDir, secrets, sendQueued: false });
    try {
      const queued = service.messages({}).filter((m) => m.folder === 'Outbox').map((m) => m.summary.subject);
      expect(queued).toEqual([`Fwd: ${subjectOf(ham!)}`]);
    } finally {
      await service.close();
    }
  });
});
