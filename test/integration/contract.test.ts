/**
 * MailService through the IPC contract's dispatcher, as the renderer will use it: validated
 * calls, typed errors, the change feed, and the message operations, against a real Dovecot.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChangesResult } from '../../shared/changes.js';
import type { Result } from '../../shared/contract.js';
import { createDispatcher, mailServiceHandlers } from '../../electron/core/contract-handler.js';
import { MailService } from '../../electron/core/mail-service.js';
import { MemorySecretStore } from '../../electron/core/secrets/index.js';
import { dovecotUnavailable, startDovecot, type DovecotServer } from '../support/dovecot.js';
import { generateMessages, toCrlf } from '../support/mailgen.js';

const unavailable = dovecotUnavailable();
if (unavailable && process.env.CI) throw new Error(`Dovecot is required in CI: ${unavailable}`);
if (unavailable) console.warn(`Skipping the contract suite: ${unavailable}`);
const suite = unavailable ? describe.skip : describe;

const ATTACHMENT = Buffer.from('%PDF-1.4 pretend pdf bytes \x00\x01\x02', 'latin1');
const MESSAGE = Buffer.from(
  [
    'From: Ann Example <ann@example.org>',
    'To: bob@example.org',
    'Subject: =?UTF-8?Q?Caf=C3=A9_menu?=',
    'Date: Tue, 03 Nov 2026 10:00:00 +0000',
    'Message-ID: <menu@example.org>',
    'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary="b1"',
    '',
    '--b1',
    'Content-Type: text/plain; charset=utf-8',
    '',
    'Lunch is at noon.',
    '--b1',
    'Content-Type: application/pdf; name="menu.pdf"',
    'Content-Disposition: attachment; filename="menu.pdf"',
    'Content-Transfer-Encoding: base64',
    '',
    ATTACHMENT.toString('base64'),
    '--b1--',
    '',
  ].join('\n'),
);

suite('MailService through the contract', () => {
  let dc: DovecotServer;
  let dataDir: string;
  let service: MailService;
  let dispatch: ReturnType<typeof createDispatcher>;
  const saveDir = path.join(os.tmpdir(), `popbox-save-${process.pid}`);
  const states: number[] = [];

  const call = async <T,>(method: string, input: unknown = {}): Promise<T> => {
    const r = (await dispatch(method, input)) as Result<T>;
    if (!r.ok) throw new Error(`${method}: ${r.error.code}: ${r.error.message}`);
    return r.value;
  };

  /** Starts a sync and resolves once it has stored a message; `done` is the sync's outcome, still to come. */
  const syncUnderWay = async (): Promise<{ done: Promise<{ ok: boolean }[]> }> => {
    let downloading!: () => void;
    const started = new Promise<void>((r) => (downloading = r));
    const off = service.on('syncProgress', ({ progress }) => progress.phase === 'downloading' && progress.done > 0 && downloading());
    const sync = call<{ ok: boolean }[]>('syncNow', {});
    void sync.finally(off).catch(() => {});
    await started;
    return { done: sync };
  };

  beforeAll(async () => {
    dc = await startDovecot({ users: [{ name: 'ann', password: 'ann-pw' }] });
    await dc.deliver('ann', [MESSAGE]);
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'popbox-contract-'));
    await fs.mkdir(saveDir, { recursive: true });
    service = await MailService.open({ dataDir, secrets: new MemorySecretStore() });
    service.on('stateChanged', ({ state }) => states.push(state));
    dispatch = createDispatcher(mailServiceHandlers(service, { chooseSaveDestination: async (name) => path.join(saveDir, name) }));
  });
  afterAll(async () => {
    await service?.close();
    await dc?.stop();
    await fs.rm(dataDir, { recursive: true, force: true });
    await fs.rm(saveDir, { recursive: true, force: true });
  });

  it('refuses unknown methods and invalid input with a typed error', async () => {
    expect(await dispatch('format', {})).toEqual({ ok: false, error: { code: 'invalid', message: 'unknown method "format"' } });
    const bad = await dispatch('addAccount', { account: { name: 'x', host: 'h', port: 99999, security: 'tls', user: 'u', password: { source: 'keychain' } } });
    expect(bad).toMatchObject({ ok: false, error: { code: 'invalid' } });
    expect(!bad.ok && bad.error.message).toMatch(/port/);
    expect(await dispatch('messageBody', { id: 'nope' })).toMatchObject({ ok: false, error: { code: 'not-found' } });
  });

  it('tests a connection, adds the account, and never shows its password', async () => {
    const report = await call<{ secure: boolean; messageCount: number; fingerprint256: string; uidl: boolean }>('testConnection', {
      host: '127.0.0.1',
      port: dc.tlsPort,
      security: 'tls',
      user: 'ann',
      password: 'ann-pw',
      tlsFingerprint: dc.fingerprint256,
    });
    expect(report).toMatchObject({ secure: true, messageCount: 1, fingerprint256: dc.fingerprint256, uidl: true });
    const wrong = await dispatch('testConnection', { host: '127.0.0.1', port: dc.tlsPort, security: 'tls', user: 'ann', password: 'nope', tlsFingerprint: dc.fingerprint256 });
    expect(wrong).toMatchObject({ ok: false, error: { code: 'auth' } });

    const account = await call<Record<string, unknown>>('addAccount', {
      account: { name: 'Ann', host: '127.0.0.1', port: dc.tlsPort, security: 'tls', user: 'ann', tlsFingerprint: dc.fingerprint256, leaveOnServer: true, password: { source: 'keychain' } },
      password: 'ann-pw',
    });
    expect(account.password).toEqual({ source: 'keychain' });
    expect(JSON.stringify(await call('listAccounts'))).not.toContain('ann-pw');
  });

  it('syncs, and the change feed and snapshot carry the parsed message', async () => {
    const [outcome] = await call<{ ok: boolean; result: { downloaded: number } }[]>('syncNow', {});
    expect(outcome).toMatchObject({ ok: true, result: { downloaded: 1 } });
    const feed = await call<ChangesResult>('changesSince', { state: 0 });
    // Adding the account journaled its folder tree; the sync, the message.
    expect('changes' in feed && feed.changes.map((c) => c.t)).toEqual(['folders', 'add']);
    const snap = await call<{ state: number; messages: { id: string; summary: { subject: string; from: { address: string }[]; hasAttachments: boolean } }[] }>('snapshot');
    expect(snap.messages).toHaveLength(1);
    expect(snap.messages[0]!.summary).toMatchObject({ subject: 'Café menu', from: [{ address: 'ann@example.org' }], hasAttachments: true });
    expect(states.at(-1)).toBe(snap.state);
  });

  it('reads the body, the raw source, and saves an attachment byte-exact', async () => {
    const [m] = (await call<{ messages: { id: string }[] }>('snapshot')).messages;
    const body = await call<{ text: string; attachments: { id: string; filename: string; size: number }[] }>('messageBody', { id: m!.id });
    expect(body.text.trim()).toBe('Lunch is at noon.');
    expect(body.attachments).toEqual([expect.objectContaining({ filename: 'menu.pdf', size: ATTACHMENT.length })]);
    const raw = await call<{ text: string; truncated: boolean }>('rawSource', { id: m!.id });
    expect(raw).toEqual({ text: toCrlf(MESSAGE).toString('utf8'), truncated: false });
    const saved = await call<{ saved: boolean; size: number; path: string }>('saveAttachment', { id: m!.id, attachmentId: body.attachments[0]!.id });
    expect(saved).toEqual({ saved: true, size: ATTACHMENT.length, path: path.join(saveDir, 'menu.pdf') });
    const onDisk = await fs.readFile(path.join(saveDir, 'menu.pdf'));
    expect(createHash('sha256').update(onDisk).digest('hex')).toBe(createHash('sha256').update(ATTACHMENT).digest('hex'));
  });

  it('saves the message as received, as an .eml named by its subject, and never over an existing file', async () => {
    const [m] = (await call<{ messages: { id: string }[] }>('snapshot')).messages;
    const saved = await call<{ saved: boolean; size: number; path: string }>('saveMessage', { id: m!.id });
    expect(saved).toEqual({ saved: true, size: toCrlf(MESSAGE).length, path: path.join(saveDir, 'Café menu.eml') });
    expect((await fs.readFile(saved.path)).equals(toCrlf(MESSAGE))).toBe(true);
    const again = await dispatch('saveMessage', { id: m!.id });
    expect(again).toMatchObject({ ok: false, error: { code: 'exists' } });
    expect((await fs.readFile(saved.path)).equals(toCrlf(MESSAGE))).toBe(true);
  });

  it('reads a message while it is being marked read and unread (its file renamed meanwhile)', async () => {
    const id = (await call<{ messages: { id: string }[] }>('snapshot')).messages[0]!.id;
    const later = <T,>(ms: number, f: () => Promise<T>) => new Promise<T>((r, j) => setTimeout(() => f().then(r, j), ms));
    for (let i = 0; i < 120; i++) {
      // Readers start a moment into the flag change, where the rename happens.
      const [, body, source] = await Promise.all([
        call('setFlags', { ids: [id], flags: { seen: i % 2 === 0 } }),
        later(i % 4, () => call<{ text: string }>('messageBody', { id })),
        later((i >> 2) % 4, () => call<{ text: string }>('rawSource', { id })),
      ]);
      expect(body.text).toContain('Lunch is at noon.');
      expect(source.text).toContain('Subject:');
    }
    await call('setFlags', { ids: [id], flags: { seen: false } });
  });

  it('flags, Trash and restore change the file name and come back through the feed', async () => {
    const snap = await call<{ state: number; messages: { id: string }[] }>('snapshot');
    const id = snap.messages[0]!.id;
    await call('setFlags', { ids: [id], flags: { seen: true, flagged: true } });
    await call('moveToTrash', { ids: [id] });
    const feed = await call<ChangesResult>('changesSince', { state: snap.state });
    expect('changes' in feed && feed.changes.map((c) => (c.t === 'flags' ? c.flags : c.t === 'move' ? [c.folder, c.trashedFrom] : c.t))).toEqual([
      { seen: true, flagged: true },
      ['Trash', 'INBOX'],
    ]);
    const maildir = path.join(dataDir, 'accounts', service.listAccounts()[0]!.id, 'Maildir');
    expect(await fs.readdir(path.join(maildir, 'cur'))).toEqual([]);
    expect(await fs.readdir(path.join(maildir, '.Trash', 'cur'))).toEqual([`${id}:2,FS`]);
    await call('restore', { ids: [id] });
    expect(service.messages()[0]).toMatchObject({ flags: { seen: true, flagged: true }, folder: 'INBOX' });
    expect(await fs.readdir(path.join(maildir, 'cur'))).toEqual([`${id}:2,FS`]);
  });

  it('commands for one account at once all land (each used to open the mailbox, and the second failed with in-use)', async () => {
    const id = service.messages()[0]!.id;
    const flags = [{ seen: true }, { flagged: true }, { seen: false }, { flagged: false }, { seen: true }];
    const results = await Promise.all([
      ...flags.map((f) => dispatch('setFlags', { ids: [id], flags: f })),
      dispatch('moveToTrash', { ids: [id] }),
      dispatch('pendingDeletions', {}),
    ]);
    expect(results.filter((r) => !r.ok)).toEqual([]);
    await call('restore', { ids: [id] });
    const m = service.messages()[0]!;
    expect(m.folder).toBe('INBOX');
    const cur = await fs.readdir(path.join(dataDir, 'accounts', m.accountId, 'Maildir', 'cur'));
    expect(cur).toEqual([`${id}:2,${m.flags.flagged ? 'F' : ''}${m.flags.seen ? 'S' : ''}`]);
  });

  it('deletes for good; the pending server deletion follows the account settings', async () => {
    const id = service.messages()[0]!.id;
    await call('deleteForGood', { ids: [id] });
    expect(await call('pendingDeletions', {})).toEqual([]); // leave on server, no delete-when-deleted
    // The settings form's preview asks with the settings being edited, before they are saved.
    const accountId = service.listAccounts()[0]!.id;
    const edited = { leaveOnServer: true, deleteAfterDays: null, deleteWhenDeletedLocally: true };
    expect(await call('pendingDeletions', { accountId, policy: edited })).toEqual([expect.objectContaining({ id, reason: 'deleted-locally' })]);
    expect(await call('pendingDeletions', { accountId })).toEqual([]);
    await call('updateAccount', { id: 'Ann', patch: { deleteWhenDeletedLocally: true } });
    expect(await call('pendingDeletions', {})).toEqual([expect.objectContaining({ id, reason: 'deleted-locally' })]);
    const [outcome] = await call<{ result: { deletedOnServer: number } }[]>('syncNow', {});
    expect(outcome!.result.deletedOnServer).toBe(1);
    expect(await dc.mailbox('ann')).toEqual([]);
  });
  it('marks a message read and lists pending deletions while a sync is downloading', async () => {
    // One stored message to mark, then plenty of mail still to come.
    await dc.deliver('ann', [MESSAGE]);
    await call('syncNow', {});
    const id = service.messages()[0]!.id;
    await dc.deliver('ann', generateMessages({ seed: 404, count: 150, mix: 'small' }));
    const sync = (await syncUnderWay()).done;
    await call('setFlags', { ids: [id], flags: { seen: true } });
    expect(await call<unknown[]>('pendingDeletions', {})).toEqual([]);
    const [outcome] = await sync;
    expect(outcome!.ok).toBe(true);
    expect(service.messages().find((m) => m.id === id)!.flags.seen).toBe(true);
    const cur = await fs.readdir(path.join(dataDir, 'accounts', service.listAccounts()[0]!.id, 'Maildir', 'cur'));
    expect(cur).toContain(`${id}:2,S`);
    expect(cur).toHaveLength(151);
  });

  it('download-the-rest and delete-for-good asked for during a sync wait for it on the same open mailbox, and all succeed', async () => {
    // A message over the size limit is stored headers-only, then plenty of mail is still to come.
    await call('updateAccount', { id: 'Ann', patch: { maxMessageSizeKB: 4 } });
    const big = Buffer.concat([MESSAGE.subarray(0, MESSAGE.indexOf('\n\n') + 2), Buffer.from(`${'The rest of a long letter.\n'.repeat(800)}`)]);
    await dc.deliver('ann', [big, MESSAGE]);
    await call('syncNow', {});
    const partial = service.messages().find((m) => m.partial)!;
    const other = service.messages().find((m) => !m.partial)!;
    expect(partial).toBeDefined();
    const before = service.messages().length;
    await dc.deliver('ann', generateMessages({ seed: 405, count: 150, mix: 'small' }));
    const sync = (await syncUnderWay()).done;
    // Both need the account's mailbox to themselves (a second POP3 session; ledger writes): they
    // used to fail with in-use against this very process.
    const [rest, del] = await Promise.all([dispatch('fetchFull', { id: partial.id }), dispatch('deleteForGood', { ids: [other.id] })]);
    const [outcome] = await sync;
    expect(outcome!.ok).toBe(true);
    expect(rest).toEqual({ ok: true, value: null });
    expect(del).toEqual({ ok: true, value: null });
    const full = service.messages().find((m) => m.id === partial.id)!;
    expect(full.partial).toBe(false);
    expect((await fs.readFile(full.path)).equals(toCrlf(big))).toBe(true);
    expect(service.messages().some((m) => m.id === other.id)).toBe(false);
    const cur = await fs.readdir(path.join(dataDir, 'accounts', full.accountId, 'Maildir', 'cur'));
    expect(cur).toHaveLength(service.messages().length);
    expect(service.messages()).toHaveLength(before + 150 - 1);
    await call('updateAccount', { id: 'Ann', patch: { maxMessageSizeKB: null } });
  });

});
