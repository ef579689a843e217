/**
 * The junk filter in the app against a real Dovecot (issue 16 §2): trained on SpamAssassin corpus
 * files, a sync of corpus spam and good mail files junk in Junk (on disk, in the account's
 * Maildir++ .Junk) and leaves good mail in the Inbox; a rule's decision wins over the filter;
 * Junk / Not junk through the contract move the message and change its score.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDispatcher, mailServiceHandlers } from '../../electron/core/contract-handler.js';
import { classify, loadWordList } from '../../electron/core/junk/index.js';
import { MailService } from '../../electron/core/mail-service.js';
import { MemorySecretStore } from '../../electron/core/secrets/index.js';
import { dovecotUnavailable, startDovecot, type DovecotServer } from '../support/dovecot.js';
import { corpusMessage, trainJunkFilter, UNTRAINED_FROM } from '../support/spam-corpus.js';

const unavailable = dovecotUnavailable();
if (unavailable && process.env.CI) throw new Error(`Dovecot is required in CI: ${unavailable}`);
if (unavailable) console.warn(`Skipping the junk-arrivals suite: ${unavailable}`);
const suite = unavailable ? describe.skip : describe;

const messageIdOf = (raw: Buffer) => /^Message-I[Dd]:\s*<?([^>\s]+)>?/m.exec(raw.toString('latin1'))?.[1] ?? '';

suite('junk filter on arrival (Dovecot)', () => {
  let dc: DovecotServer;
  let dataDir: string;
  let service: MailService;
  let dispatch: ReturnType<typeof createDispatcher>;
  const spam: Buffer[] = [];
  const ham: Buffer[] = [];
  let expectedJunk: string[] = [];
  const byMessageId = (raw: Buffer) => service.messages().find((m) => m.summary.messageId?.includes(messageIdOf(raw)))!;
  const score = async (raw: Buffer) => classify(raw, await loadWordList(dataDir)).score;

  beforeAll(async () => {
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'popbox-junk-arrivals-'));
    // Trained before the app opens, as `popbox junk learn` would leave it: 200 of each kind.
    const { list, spamNames, hamNames } = await trainJunkFilter(dataDir);
    for (const n of spamNames.slice(UNTRAINED_FROM, UNTRAINED_FROM + 6)) spam.push(await corpusMessage('spam-1', n));
    for (const n of hamNames.slice(UNTRAINED_FROM, UNTRAINED_FROM + 6)) ham.push(await corpusMessage('easy-ham-1', n));
    // What the filter itself says of these (the corpus has spam it cannot tell: those stay, unsure).
    expectedJunk = spam.slice(1).filter((raw) => classify(raw, list).verdict === 'junk').map(messageIdOf);

    dc = await startDovecot({ users: [{ name: 'jo', password: 'jo-pw' }] });
    await dc.deliver('jo', [...spam, ...ham]);
    service = await MailService.open({ dataDir, secrets: new MemorySecretStore() });
    await service.addAccount({ name: 'Jo', host: '127.0.0.1', port: dc.tlsPort, security: 'tls', user: 'jo', tlsFingerprint: dc.fingerprint256, leaveOnServer: true, password: { source: 'keychain' } }, 'jo-pw');
    // A rule files the first spam message elsewhere: its decision wins over the filter's.
    await service.saveRules([{ name: 'Offers', match: 'all', conditions: [{ field: 'header', name: 'Message-ID', op: 'contains', value: messageIdOf(spam[0]!) }], actions: [{ t: 'move', folder: ['Offers'] }] }]);
    dispatch = createDispatcher(mailServiceHandlers(service, { chooseSaveDestination: async () => null }));
  });
  afterAll(async () => {
    await service?.close();
    await dc?.stop();
    if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
  });

  const maildir = (sub: string) => fs.readdir(path.join(dataDir, 'accounts', service.listAccounts()[0]!.id, 'Maildir', sub, 'cur')).catch(() => [] as string[]);

  it('a sync files junk in Junk and leaves good mail in the Inbox; a rule wins', async () => {
    expect(expectedJunk.length).toBeGreaterThanOrEqual(3); // the corpus split gives the filter something to do
    const syncedAt = Date.now();
    const [outcome] = await service.sync();
    expect(outcome).toMatchObject({ ok: true, result: { downloaded: 12 } });
    await service.arrivalsSettled();
    for (const raw of ham) expect(byMessageId(raw).folder).toBe('INBOX');
    for (const raw of spam.slice(1)) expect(byMessageId(raw).folder).toBe(expectedJunk.includes(messageIdOf(raw)) ? 'Junk' : 'INBOX');
    // Filed with the date it was filed: "delete junk after N days" counts from this check.
    for (const raw of spam.slice(1)) if (expectedJunk.includes(messageIdOf(raw))) expect(byMessageId(raw).trashedAt).toBeGreaterThanOrEqual(syncedAt);
    expect(byMessageId(spam[0]!).folder).toBe('Offers');
    // On disk, where other tools look: the account's Maildir++ Junk folder holds exactly them.
    expect(await maildir('.Junk')).toHaveLength(expectedJunk.length);
    expect(await maildir('.Offers')).toHaveLength(1);
  });

  it('Not junk moves a message back to the Inbox and lowers its score; Junk moves it and raises it', async () => {
    const filed = spam.slice(1).find((raw) => expectedJunk.includes(messageIdOf(raw)))!;
    const before = await score(filed);
    expect(await dispatch('markNotJunk', { ids: [byMessageId(filed).id] })).toEqual({ ok: true, value: null });
    expect(byMessageId(filed).folder).toBe('INBOX');
    expect(await score(filed)).toBeLessThan(before);

    const good = ham[0]!;
    const hamBefore = await score(good);
    expect(await dispatch('markJunk', { ids: [byMessageId(good).id] })).toEqual({ ok: true, value: null });
    expect(byMessageId(good).folder).toBe('Junk');
    expect(await score(good)).toBeGreaterThan(hamBefore);
    expect(await maildir('.Junk')).toHaveLength(expectedJunk.length); // one out, one in

    // Undo of Junk: the lesson taken back, the message back in the Inbox.
    expect(await dispatch('markNotJunk', { ids: [byMessageId(good).id], undo: true })).toEqual({ ok: true, value: null });
    expect(byMessageId(good).folder).toBe('INBOX');
    expect(await score(good)).toBeCloseTo(hamBefore, 6);
  });

  it('Train from existing mail learns what is filed, once', async () => {
    const before = await loadWordList(dataDir);
    const r = await dispatch('trainJunk', undefined);
    expect(r.ok).toBe(true);
    const after = await loadWordList(dataDir);
    const value = (r as { value: { junk: number; ham: number } }).value;
    expect(value.junk + value.ham).toBeGreaterThan(0);
    expect(after.junkMessages - before.junkMessages).toBe(value.junk);
    expect(after.hamMessages - before.hamMessages).toBe(value.ham);
    expect(await dispatch('trainJunk', undefined)).toEqual({ ok: true, value: { junk: 0, ham: 0 } });
  });
});
