/**
 * The On the server view's core against a real Dovecot (issue 16 §3), through a fault proxy so
 * connections can be counted and cut: the listing matches what Dovecot holds (count, LIST sizes,
 * subjects from TOP) and the cached one needs no connection; download a selection, whole or
 * headers only, then fetch the rest; delete two never-downloaded messages (gone from Dovecot's
 * Maildir, never stored here, and a following sync downloads the rest and not those); delete a
 * downloaded one (its copy stays, no sync asks again); a connection cut after DELE and before
 * QUIT deletes nothing and records nothing, and the next sync neither downloads those nor
 * forgets them; a page cannot delete on the server without the person's native yes. Refreshes
 * are rate-limited per account (a page could otherwise log in as often as it likes): two in a
 * row cost Dovecot one login, ten at once one connection, and one within the window answers the
 * listing main has (listedAt unchanged) until the window has passed.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDispatcher, mailServiceHandlers, type ConfirmQuestion } from '../../electron/core/contract-handler.js';
import { MailService } from '../../electron/core/mail-service.js';
import { MemorySecretStore } from '../../electron/core/secrets/index.js';
import { REFRESH_MIN_INTERVAL_MS } from '../../electron/core/server-view/refresh-gate.js';
import { AccountMailbox } from '../../electron/core/store/mailbox.js';
import { webHostServices } from '../../electron/webhost/server.js';
import type { ServerListing } from '../../shared/server-view.js';
import { dovecotUnavailable, startDovecot, type DovecotServer } from '../support/dovecot.js';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.js';

const missing = dovecotUnavailable();
if (missing && process.env.CI) throw new Error(`The server view suite needs: ${missing}`);
const suite = missing ? describe.skip : describe;

const message = (n: number, extra = '') =>
  Buffer.from(`From: Sender ${n} <s${n}@example.org>\nTo: jo@example.org\nSubject: note number ${n}\nDate: Sun, 6 Dec 2026 0${n % 10}:00:00 +0000\nMessage-ID: <${n}@example.org>\n\nbody of ${n}\n${extra}`);

suite('On the server (Dovecot)', () => {
  let dc: DovecotServer;
  let proxy: FaultProxy;
  let dataDir: string;
  let service: MailService;
  let accountId: string;
  const asked: ConfirmQuestion[] = [];
  let answer = true;
  let dispatch: ReturnType<typeof createDispatcher>;
  /** The service's clock runs this far ahead: a test moves it past the refresh window. */
  let skew = 0;
  const pastTheWindow = () => (skew += REFRESH_MIN_INTERVAL_MS + 1000);
  /** Logins Dovecot has logged for jo so far. */
  const logins = async () => ((await fs.readFile(dc.logPath, 'utf8')).match(/Login: user=<jo>,/g) ?? []).length;
  const subjects = () => service.messages({ accountId }).map((m) => m.summary.subject).sort();
  const onServer = async () => (await dc.mailbox('jo')).map((m) => /Subject: (.*)/.exec(m.bytes.toString())![1]!).sort();
  const listing = async (refresh: boolean): Promise<ServerListing> => {
    const r = await dispatch('serverListing', { accountId, refresh });
    if (!r.ok) throw new Error(JSON.stringify(r.error));
    return r.value as ServerListing;
  };
  const uidlOf = (l: ServerListing, n: number) => l.messages.find((m) => m.subject === `note number ${n}`)!.uidl;
  const ledger = () => fs.readFile(path.join(AccountMailbox.dirFor(dataDir, accountId), 'ledger.jsonl'), 'utf8').catch(() => '');

  beforeAll(async () => {
    dc = await startDovecot({ users: [{ name: 'jo', password: 'jo-pw' }] });
    // A big one (message 3) to download as headers only; the rest small.
    await dc.deliver('jo', [1, 2, 3, 4, 5, 6, 7, 8].map((n) => message(n, n === 3 ? 'x'.repeat(200_000) + '\n' : '')));
    proxy = await startFaultProxy({ host: '127.0.0.1', port: dc.plainPort });
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'popbox-server-view-'));
    service = await MailService.open({ dataDir, secrets: new MemorySecretStore(), now: () => Date.now() + skew });
    const account = await service.addAccount(
      { name: 'Jo', host: '127.0.0.1', port: proxy.port, security: 'plain', allowInsecureAuth: true, user: 'jo', leaveOnServer: true, password: { source: 'keychain' } },
      'jo-pw',
    );
    accountId = account.id;
    // Answered at once, then again: the pause after Cancel (test/unit/native-questions.test.ts) is off here.
    dispatch = createDispatcher(mailServiceHandlers(service, { chooseSaveDestination: async () => null, confirm: async (q) => (asked.push(q), answer), pauseAfterCancelMs: 0 }));
  });

  afterAll(async () => {
    await service?.close();
    await proxy?.close();
    await dc?.stop();
    if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
  });

  it('lists what Dovecot holds (count, sizes, subjects by TOP); the cached listing needs no connection', async () => {
    const before = proxy.connections();
    const empty = await listing(false);
    expect(empty).toMatchObject({ listedAt: null, messageCount: 0, messages: [] });
    expect(proxy.connections()).toBe(before);

    const l = await listing(true);
    expect(proxy.connections()).toBe(before + 1);
    const box = await dc.mailbox('jo');
    expect(l.messageCount).toBe(box.length);
    // LIST counts CRLF line ends; Dovecot stores LF.
    const crlfSize = (b: Buffer) => b.length + b.toString('latin1').split('\n').length - 1;
    expect(l.mailboxBytes).toBe(box.reduce((s, m) => s + crlfSize(m.bytes), 0));
    expect(l.messages.map((m) => m.subject)).toEqual([8, 7, 6, 5, 4, 3, 2, 1].map((n) => `note number ${n}`)); // newest first
    expect(l.messages.map((m) => m.size)).toEqual([...box].reverse().map((m) => crlfSize(m.bytes)));
    expect(l.messages[0]).toMatchObject({ from: 'Sender 8', headersKnown: true, local: 'not-downloaded', localId: null, pendingDeletion: null, heldAsJunk: false });
    expect(l.messages[0]!.date).toBe('2026-12-06T08:00:00.000Z');
    expect(l.headersPending).toBe(0);
    // Nothing downloaded by listing.
    expect(service.messages({ accountId })).toEqual([]);

    // Offline: the server unreachable, the cached listing still answers, the same.
    pastTheWindow();
    proxy.setPlan({ reset: { dir: 'down', at: 0 } });
    const n = proxy.connections();
    const cached = await listing(false);
    expect(cached.messages).toEqual(l.messages);
    expect(proxy.connections()).toBe(n);
    const failed = await dispatch('serverListing', { accountId, refresh: true });
    expect(failed.ok).toBe(false);
    proxy.setPlan(null);
  });

  it('downloads a selection, whole or headers only, each once; the rest can be fetched later', async () => {
    const l = await listing(false);
    const r = await dispatch('downloadFromServer', { accountId, uidls: [uidlOf(l, 1), uidlOf(l, 2)] });
    expect(r).toEqual({ ok: true, value: { downloaded: 2, alreadyHere: 0, gone: 0 } });
    expect(subjects()).toEqual(['note number 1', 'note number 2']);
    const again = await dispatch('downloadFromServer', { accountId, uidls: [uidlOf(l, 1), 'no-such-uidl'] });
    expect(again).toEqual({ ok: true, value: { downloaded: 0, alreadyHere: 1, gone: 1 } });

    expect(await dispatch('downloadFromServer', { accountId, uidls: [uidlOf(l, 3)], headersOnly: true })).toEqual({ ok: true, value: { downloaded: 1, alreadyHere: 0, gone: 0 } });
    const partial = service.messages({ accountId }).find((m) => m.summary.subject === 'note number 3')!;
    expect(partial.partial).toBe(true);
    expect((await fs.stat(partial.path)).size).toBeLessThan(10_000);
    const after = await listing(false);
    expect(after.messages.find((m) => m.uidl === uidlOf(l, 3))).toMatchObject({ local: 'headers-only', localId: partial.id });
    expect(after.messages.find((m) => m.uidl === uidlOf(l, 1))).toMatchObject({ local: 'downloaded' });
    expect(after.messages.find((m) => m.uidl === uidlOf(l, 4))).toMatchObject({ local: 'not-downloaded' });

    const full = await service.fetchFull(partial.id);
    expect((await fs.stat(full.path)).size).toBeGreaterThan(200_000);
    expect((await listing(false)).messages.find((m) => m.uidl === uidlOf(l, 3))).toMatchObject({ local: 'downloaded' });
    // Nothing else came, and nothing left the server.
    expect(subjects()).toEqual(['note number 1', 'note number 2', 'note number 3']);
    expect((await onServer()).length).toBe(8);
  });

  it('a page cannot delete on the server without the person: no host to ask refuses, Cancel changes nothing', async () => {
    const l = await listing(false);
    const web = createDispatcher(mailServiceHandlers(service, webHostServices({ downloadsDir: path.join(dataDir, 'dl') })));
    const connections = proxy.connections();
    expect(await web('deleteOnServer', { accountId, uidls: [uidlOf(l, 5)] })).toMatchObject({ ok: false, error: { code: 'unsupported' } });
    const bare = createDispatcher(mailServiceHandlers(service, { chooseSaveDestination: async () => null }));
    expect(await bare('deleteOnServer', { accountId, uidls: [uidlOf(l, 5)] })).toMatchObject({ ok: false, error: { code: 'unsupported' } });
    answer = false;
    expect(await dispatch('deleteOnServer', { accountId, uidls: [uidlOf(l, 5), uidlOf(l, 1)] })).toMatchObject({ ok: false, error: { code: 'cancelled' } });
    answer = true;
    expect(asked.at(-1)!.message).toMatch(/2 messages/);
    expect(asked.at(-1)!.detail).toMatch(/every device/);
    expect(asked.at(-1)!.detail).toMatch(/1 of them was never downloaded here/);
    expect(proxy.connections()).toBe(connections);
    expect((await onServer()).length).toBe(8);
    expect((await listing(false)).messages.every((m) => m.pendingDeletion === null)).toBe(true);
    expect(await ledger()).not.toMatch(/"e":"srv"/);
  });

  it('deletes two never-downloaded messages on the server: gone there, never here, and a sync brings the rest only', async () => {
    const l = await listing(false);
    const r = await dispatch('deleteOnServer', { accountId, uidls: [uidlOf(l, 5), uidlOf(l, 6)] });
    expect(r).toEqual({ ok: true, value: { deleted: 2, gone: 0 } });
    expect(asked.at(-1)!.detail).toMatch(/They were never downloaded here, so they are gone for good/);
    expect(await onServer()).toEqual([1, 2, 3, 4, 7, 8].map((n) => `note number ${n}`));
    const after = await listing(false);
    expect(after.messages.map((m) => m.subject)).not.toContain('note number 5');
    expect(after.messageCount).toBe(6);
    const [outcome] = await service.sync([accountId]);
    expect(outcome).toMatchObject({ ok: true, result: { downloaded: 3, deletedOnServer: 0 } });
    expect(subjects()).toEqual([1, 2, 3, 4, 7, 8].map((n) => `note number ${n}`));
    // A UIDL gone again (already deleted elsewhere) counts as gone, nothing else happens.
    expect(await dispatch('deleteOnServer', { accountId, uidls: [uidlOf(l, 5)] })).toEqual({ ok: true, value: { deleted: 0, gone: 1 } });
  });

  it('deleting a downloaded one on the server keeps the copy here, and no sync asks again', async () => {
    const l = await listing(true);
    const one = service.messages({ accountId }).find((m) => m.summary.subject === 'note number 1')!;
    expect(await dispatch('deleteOnServer', { accountId, uidls: [uidlOf(l, 1)] })).toEqual({ ok: true, value: { deleted: 1, gone: 0 } });
    expect(asked.at(-1)!.detail).not.toMatch(/never downloaded/);
    expect(await onServer()).not.toContain('note number 1');
    expect(service.messages({ accountId }).find((m) => m.id === one.id)).toBeDefined();
    expect(await ledger()).toMatch(new RegExp(`"e":"srv","u":\\["${uidlOf(l, 1)}"\\]`));
    const [outcome] = await service.sync([accountId]);
    expect(outcome).toMatchObject({ ok: true, result: { downloaded: 0, deletedOnServer: 0 } });
    expect((await listing(true)).messages.map((m) => m.uidl)).not.toContain(uidlOf(l, 1));
  });

  it('a connection cut after DELE, before QUIT: nothing deleted, nothing recorded; the next sync deletes them, never downloads them', async () => {
    await dc.deliver('jo', [message(11), message(12)]);
    pastTheWindow(); // the last test's refresh was just now
    const l = await listing(true);
    const up = proxy.lastTranscript().up.toString('latin1');
    const afterUidl = up.indexOf('UIDL\r\n') + 'UIDL\r\n'.length;
    expect(afterUidl).toBeGreaterThan(6);
    // Message numbers now: the two new ones are the last two.
    const nums = [l.messageCount - 1, l.messageCount];
    const beforeQuit = afterUidl + nums.reduce((s, n) => s + `DELE ${n}\r\n`.length, 0);
    proxy.setPlan({ reset: { dir: 'up', at: beforeQuit + 1 } }); // the DELEs pass, QUIT does not
    const ledgerBefore = await ledger();
    const r = await dispatch('deleteOnServer', { accountId, uidls: [uidlOf(l, 11), uidlOf(l, 12)] });
    proxy.setPlan(null);
    expect(r).toMatchObject({ ok: false, error: { code: 'network' } });
    expect((r as { error: { message: string } }).error.message).toMatch(/Nothing was deleted on the server/);
    expect(proxy.lastTranscript().up.toString('latin1')).toMatch(/DELE \d+\r\nDELE \d+\r\nQ$/);
    expect(await onServer()).toContain('note number 11');
    expect(await onServer()).toContain('note number 12');
    expect(await ledger()).toBe(ledgerBefore);
    const shown = await listing(false);
    expect(shown.messages.filter((m) => m.pendingDeletion === 'chosen').map((m) => m.subject).sort()).toEqual(['note number 11', 'note number 12']);

    const [outcome] = await service.sync([accountId]);
    expect(outcome).toMatchObject({ ok: true, result: { downloaded: 0, deletedOnServer: 2 } });
    expect(await onServer()).not.toContain('note number 11');
    expect(subjects()).not.toContain('note number 11');
    expect(subjects()).not.toContain('note number 12');
    const later = await listing(false);
    expect(later.messages.map((m) => m.subject)).not.toContain('note number 11');
  });

  it('two refreshes in a row cost Dovecot one login; ten at once one connection; within the window the listing main has', async () => {
    await dc.deliver('jo', [message(21)]);
    pastTheWindow();
    const before = await logins();
    const first = await listing(true);
    const second = await listing(true);
    expect(await logins()).toBe(before + 1);
    expect(first.messages.map((m) => m.subject)).toContain('note number 21');
    // The screen can tell it was not asked again: the same listedAt.
    expect(second.listedAt).toBe(first.listedAt);
    expect(second.messages).toEqual(first.messages);

    // Ten at once (a page in a loop): one connection, one login, every caller answered alike.
    await dc.deliver('jo', [message(22)]);
    pastTheWindow();
    const connections = proxy.connections();
    const loginsBefore = await logins();
    const all = await Promise.all(Array.from({ length: 10 }, () => listing(true)));
    expect(proxy.connections()).toBe(connections + 1);
    expect(await logins()).toBe(loginsBefore + 1);
    for (const l of all) {
      expect(l.messages.map((m) => m.subject)).toContain('note number 22');
      expect(l.listedAt).toBe(all[0]!.listedAt);
    }

    // New mail within the window is not seen (no connection); after it, the next refresh shows it.
    await dc.deliver('jo', [message(23)]);
    const soon = await listing(true);
    expect(proxy.connections()).toBe(connections + 1);
    expect(soon.messages.map((m) => m.subject)).not.toContain('note number 23');
    expect(soon.listedAt).toBe(all[0]!.listedAt);
    pastTheWindow();
    const later = await listing(true);
    expect(proxy.connections()).toBe(connections + 2);
    expect(later.messages.map((m) => m.subject)).toContain('note number 23');
    expect(later.listedAt).toBeGreaterThan(all[0]!.listedAt!);
  });
});
