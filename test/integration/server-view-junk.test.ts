/**
 * "Leave suspected junk on the server for review" (the account's junkOnServer, issue 16 §3)
 * against a real Dovecot: with the junk filter trained on SpamAssassin corpus mail, a sync judges
 * new messages by their headers (TOP) first, downloads the good mail and leaves the junk on the
 * server, shown held in the On the server listing, even on an account that deletes what it
 * downloads. A held message the person downloads arrives in the Inbox, not in Junk: they said it
 * is wanted.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classify } from '../../electron/core/junk/index.js';
import { MailService } from '../../electron/core/mail-service.js';
import { MemorySecretStore } from '../../electron/core/secrets/index.js';
import { dovecotUnavailable, startDovecot, type DovecotServer } from '../support/dovecot.js';
import { corpusMessage, trainJunkFilter, UNTRAINED_FROM } from '../support/spam-corpus.js';

const unavailable = dovecotUnavailable();
if (unavailable && process.env.CI) throw new Error(`Dovecot is required in CI: ${unavailable}`);
const suite = unavailable ? describe.skip : describe;

/** What TOP n 0 gives: the header block and its blank line. */
const headerOf = (raw: Buffer) => {
  const end = raw.indexOf('\n\n');
  return end < 0 ? raw : raw.subarray(0, end + 2);
};
const subjectOf = (raw: Buffer) => /^Subject:[ \t]*(.*)$/im.exec(raw.toString('latin1'))?.[1]?.trim() ?? '';

suite('junk left on the server for review (Dovecot)', () => {
  let dc: DovecotServer;
  let dataDir: string;
  let service: MailService;
  let accountId: string;
  let spam: Buffer;
  const ham: Buffer[] = [];
  const onServer = async () => (await dc.mailbox('jo')).map((m) => subjectOf(m.bytes));
  const here = () => service.messages({ accountId });

  beforeAll(async () => {
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'popbox-server-junk-'));
    const { list, spamNames, hamNames } = await trainJunkFilter(dataDir);
    // From the untrained rest: a spam the filter calls junk by its headers alone and by the whole
    // message (so the Inbox at the end means the filter was told, not that it missed), and good
    // mail it does not call junk by its headers.
    for (const n of spamNames.slice(UNTRAINED_FROM)) {
      const raw = await corpusMessage('spam-1', n);
      if (subjectOf(raw) && classify(headerOf(raw), list).verdict === 'junk' && classify(raw, list).verdict === 'junk') {
        spam = raw;
        break;
      }
    }
    for (const n of hamNames.slice(UNTRAINED_FROM)) {
      const raw = await corpusMessage('easy-ham-1', n);
      if (subjectOf(raw) && classify(headerOf(raw), list).verdict !== 'junk' && !ham.some((h) => subjectOf(h) === subjectOf(raw))) ham.push(raw);
      if (ham.length === 2) break;
    }
    expect(spam).toBeDefined();
    expect(ham).toHaveLength(2);

    dc = await startDovecot({ users: [{ name: 'jo', password: 'jo-pw' }] });
    await dc.deliver('jo', [ham[0]!, spam, ham[1]!]);
    service = await MailService.open({ dataDir, secrets: new MemorySecretStore() });
    // Not leaving mail on the server: what is downloaded goes from there; held junk stays.
    const account = await service.addAccount(
      { name: 'Jo', host: '127.0.0.1', port: dc.tlsPort, security: 'tls', user: 'jo', tlsFingerprint: dc.fingerprint256, junkOnServer: true, password: { source: 'keychain' } },
      'jo-pw',
    );
    accountId = account.id;
  }, 120_000);

  afterAll(async () => {
    await service?.close();
    await dc?.stop();
    if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
  });

  it('a sync downloads the good mail and leaves the junk on the server, shown held', async () => {
    const changed: string[] = [];
    const off = service.on('serverChanged', (e) => changed.push(e.accountId));
    const [outcome] = await service.sync([accountId]);
    off();
    expect(outcome).toMatchObject({ ok: true, result: { downloaded: 2 } });
    await service.arrivalsSettled();
    expect(here().map((m) => m.summary.subject).sort()).toEqual(ham.map(subjectOf).sort());
    expect(await onServer()).toEqual([subjectOf(spam)]);
    expect(changed).toContain(accountId);

    // Shown without connecting: the listing the sync left.
    const l = await service.serverListing(accountId);
    const held = l.messages.filter((m) => m.heldAsJunk);
    expect(held).toHaveLength(1);
    expect(held[0]).toMatchObject({ subject: subjectOf(spam), local: 'not-downloaded', junk: { verdict: 'junk' }, pendingDeletion: null });

    // The next sync leaves it there too.
    const [again] = await service.sync([accountId]);
    expect(again).toMatchObject({ ok: true, result: { downloaded: 0 } });
    expect(await onServer()).toEqual([subjectOf(spam)]);
  });

  it('a held message the person downloads arrives in the Inbox and is never held or filed as junk again', async () => {
    const l = await service.serverListing(accountId, { refresh: true });
    const uidl = l.messages.find((m) => m.heldAsJunk)!.uidl;
    expect(await service.downloadFromServer(accountId, [uidl])).toEqual({ downloaded: 1, alreadyHere: 0, gone: 0 });
    await service.arrivalsSettled();
    const got = here().find((m) => m.summary.subject === subjectOf(spam))!;
    expect(got.folder).toBe('INBOX');
    const after = (await service.serverListing(accountId)).messages.find((m) => m.uidl === uidl)!;
    expect(after).toMatchObject({ local: 'downloaded', heldAsJunk: false, pendingDeletion: 'downloaded' });
    // The account deletes what it downloaded: now that one goes too, and stays in the Inbox.
    const [outcome] = await service.sync([accountId]);
    expect(outcome).toMatchObject({ ok: true, result: { downloaded: 0, deletedOnServer: 1 } });
    await service.arrivalsSettled();
    expect(await onServer()).toEqual([]);
    expect(here().find((m) => m.id === got.id)!.folder).toBe('INBOX');
  });

  it('a check that finds new mail judges it once: the quick check holds the junk, the sync it hands over to downloads the rest', async () => {
    // Two seconds after the last change, a check leaves a stamp the next quick check trusts.
    await new Promise((r) => setTimeout(r, 2100));
    expect((await service.sync([accountId]))[0]).toMatchObject({ ok: true, result: { downloaded: 0 } });
    await dc.deliver('jo', [spam, ham[0]!]);
    const changed: string[] = [];
    const off = service.on('serverChanged', (e) => changed.push(e.accountId));
    const [outcome] = await service.sync([accountId]);
    off();
    expect(outcome).toMatchObject({ ok: true, result: { downloaded: 1 } });
    expect(await onServer()).toEqual([subjectOf(spam)]);
    expect((await service.serverListing(accountId)).messages.filter((m) => m.heldAsJunk).map((m) => m.subject)).toEqual([subjectOf(spam)]);
    // The hook's one run (held junk taken into the view) and the end of the check: the view is
    // told twice, not three times (the hook ran again in the full sync before).
    expect(changed).toEqual([accountId, accountId]);
  });
});
