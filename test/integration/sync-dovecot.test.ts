/**
 * The sync engine against a real Dovecot: what lands on disk (byte-exact, exactly once) and
 * what stays on the server, for each of the account's settings.
 */
import { createHash } from 'node:crypto';
import fsc from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { AppFailure } from '../../electron/core/errors.js';
import { AccountMailbox } from '../../electron/core/store/mailbox.js';
import { messageIdFor } from '../../electron/core/store/ids.js';
import type { SyncPolicy } from '../../electron/core/sync/plan.js';
import { fetchFull, syncAccount, type SyncOptions } from '../../electron/core/sync/sync-engine.js';
import { dovecotUnavailable, startDovecot, type DovecotServer } from '../support/dovecot.js';
import { generateMessage, generateMessages, toCrlf } from '../support/mailgen.js';

const unavailable = dovecotUnavailable();
if (unavailable && process.env.CI) throw new Error(`Dovecot is required in CI: ${unavailable}`);
if (unavailable) console.warn(`Skipping the sync suite: ${unavailable}`);
const suite = unavailable ? describe.skip : describe;

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const DAY = 24 * 3600 * 1000;

const LEAVE_OFF: SyncPolicy = { leaveOnServer: false, deleteAfterDays: null, deleteWhenDeletedLocally: false, maxMessageSizeKB: null };
const LEAVE_ON: SyncPolicy = { ...LEAVE_OFF, leaveOnServer: true };

suite('sync engine against Dovecot', () => {
  let dc: DovecotServer;
  let dataDir: string;
  let box: AccountMailbox;
  const user = 'sync';
  let clock = Date.UTC(2026, 0, 1);

  beforeAll(async () => {
    dc = await startDovecot({ users: [{ name: user, password: 'sync-pw' }] });
  });
  afterAll(async () => {
    await dc?.stop();
  });
  beforeEach(async () => {
    await dc.clear(user);
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'popbox-sync-'));
    box = await AccountMailbox.open(dataDir, 'acct-1');
    clock = Date.UTC(2026, 0, 1);
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    await box?.close().catch(() => {});
    await fs.rm(dataDir, { recursive: true, force: true });
  });

  const options = (policy: SyncPolicy, extra: Partial<SyncOptions> = {}): SyncOptions => ({
    connect: { host: '127.0.0.1', port: dc.tlsPort, security: 'tls', tls: { ca: dc.caPem, servername: 'localhost' } },
    credentials: { user, password: 'sync-pw' },
    policy,
    now: () => clock,
    ...extra,
  });

  /** SHA-256 of every file in the local Maildir (cur/ and new/), by message id. */
  async function local(): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const f of box.maildir.all()) out.set(f.id, sha(await fs.readFile(box.maildir.pathOf(f.id)!)));
    for (const sub of ['cur', 'new', 'tmp']) {
      const names = await fs.readdir(path.join(box.maildir.dir, sub));
      if (sub === 'tmp') expect(names).toEqual([]);
    }
    return out;
  }

  async function serverShas(): Promise<string[]> {
    return (await dc.mailbox(user)).map((m) => sha(toCrlf(m.bytes)));
  }

  it('stores every message byte-exact, downloads nothing twice, and picks up new mail', async () => {
    const first = [...generateMessages({ seed: 11, count: 12, mix: 'small' }), generateMessage(12, 2 * 1024 * 1024, { attachment: true })];
    await dc.deliver(user, first);
    const progress: string[] = [];
    const planned: number[] = [];
    const r1 = await syncAccount(box, options(LEAVE_ON, { onProgress: (p) => progress.push(`${p.phase}:${p.done}/${p.total}`), onPlanned: (n) => planned.push(n) }));
    expect(r1).toMatchObject({ downloaded: 13, deletedOnServer: 0, skipped: 0 });
    // The plan's size, told once (ingest starts its parse worker from it).
    expect(planned).toEqual([13]);
    expect(progress[0]).toBe('connecting:0/0');
    expect(progress).toContain('downloading:13/13');
    const files = await local();
    expect([...files.values()].sort()).toEqual(first.map((m) => sha(toCrlf(m))).sort());
    expect(box.ledger.size).toBe(13);

    const r2 = await syncAccount(box, options(LEAVE_ON));
    expect(r2.downloaded).toBe(0);
    expect((await local()).size).toBe(13);

    const more = generateMessages({ seed: 99, count: 2, mix: 'small' });
    await dc.deliver(user, more);
    const r3 = await syncAccount(box, options(LEAVE_ON));
    expect(r3.downloaded).toBe(2);
    expect((await local()).size).toBe(15);
    expect((await serverShas()).length).toBe(15);
  });

  it('tells each phase at once and the moving count at most once an interval, the last count always', async () => {
    await dc.deliver(user, generateMessages({ seed: 12, count: 13, mix: 'small' }));
    const told: string[] = [];
    // An interval longer than the sync: the first count is told, the next ones held, and the last
    // one told when the download ends (the app sent one event, and one renderer write, per message).
    await syncAccount(box, options(LEAVE_OFF, { progressEveryMs: 3_600_000, onProgress: (p) => told.push(`${p.phase}:${p.done}/${p.total}`) }));
    expect(told).toEqual([
      'connecting:0/0',
      'authenticating:0/0',
      'listing:0/0',
      'downloading:0/13',
      'downloading:1/13',
      'downloading:13/13',
      'deleting:13/13',
      'finishing:13/13',
    ]);
  });

  it('leave on server off: every message deleted there once safe here', async () => {
    const msgs = generateMessages({ seed: 21, count: 8, mix: 'small' });
    await dc.deliver(user, msgs);
    const r = await syncAccount(box, options(LEAVE_OFF));
    expect(r).toMatchObject({ downloaded: 8, deletedOnServer: 8 });
    expect(await dc.mailbox(user)).toEqual([]);
    expect([...(await local()).values()].sort()).toEqual(msgs.map((m) => sha(toCrlf(m))).sort());
    expect([...box.ledger.all()].every((e) => e.serverDeletedAt === clock)).toBe(true);
  });

  it('leave on server for N days: deleted there once N days have passed since download', async () => {
    await dc.deliver(user, generateMessages({ seed: 31, count: 4, mix: 'small' }));
    const policy = { ...LEAVE_ON, deleteAfterDays: 7 };
    await syncAccount(box, options(policy));
    clock += 6 * DAY;
    expect((await syncAccount(box, options(policy))).deletedOnServer).toBe(0);
    expect((await dc.mailbox(user)).length).toBe(4);
    clock += 1 * DAY;
    expect((await syncAccount(box, options(policy))).deletedOnServer).toBe(4);
    expect(await dc.mailbox(user)).toEqual([]);
    expect((await local()).size).toBe(4);
  });

  it('leave on server + delete there when deleted here; without it, a local deletion stays local', async () => {
    const msgs = generateMessages({ seed: 41, count: 3, mix: 'small' });
    await dc.deliver(user, msgs);
    await syncAccount(box, options(LEAVE_ON));
    const uidls = [...box.ledger.all()].map((e) => e.uidl);

    // Delete the first one here for good (what emptying Trash does).
    const gone = box.ledger.get(uidls[0]!)!;
    const goneSha = sha(await fs.readFile(box.maildir.pathOf(gone.id)!));
    await box.maildir.remove(gone.id);
    box.ledger.deletedLocally(gone.uidl, clock);
    await box.ledger.commit();

    const keep = await syncAccount(box, options(LEAVE_ON));
    expect(keep).toMatchObject({ downloaded: 0, deletedOnServer: 0 }); // not downloaded again
    expect((await dc.mailbox(user)).length).toBe(3);

    const del = await syncAccount(box, options({ ...LEAVE_ON, deleteWhenDeletedLocally: true }));
    expect(del.deletedOnServer).toBe(1);
    const remaining = await serverShas();
    expect(remaining.sort()).toEqual(msgs.map((m) => sha(toCrlf(m))).filter((h) => h !== goneSha).sort());
    expect((await local()).size).toBe(2);
  });

  it('headers only over the size limit, the rest on demand; a partial message is never deleted from the server', async () => {
    const small = generateMessage(51, 4 * 1024);
    const big = generateMessage(52, 600 * 1024, { attachment: true });
    await dc.deliver(user, [small, big]);
    const r = await syncAccount(box, options({ ...LEAVE_OFF, maxMessageSizeKB: 100 }));
    expect(r).toMatchObject({ downloaded: 1, headersOnly: 1, deletedOnServer: 1 });
    const server = await dc.mailbox(user);
    expect(server.map((m) => sha(m.bytes))).toEqual([sha(big)]); // the partial one stays

    const bigUidl = [...box.ledger.all()].find((e) => e.partial)!;
    const headerBytes = toCrlf(big).subarray(0, toCrlf(big).indexOf('\r\n\r\n') + 4);
    expect(sha(await fs.readFile(box.maildir.pathOf(bigUidl.id)!))).toBe(sha(headerBytes));

    // A second sync neither re-downloads nor deletes it.
    expect(await syncAccount(box, options({ ...LEAVE_OFF, maxMessageSizeKB: 100 }))).toMatchObject({ downloaded: 0, headersOnly: 0, deletedOnServer: 0 });

    await fetchFull(box, bigUidl.id, { connect: options(LEAVE_OFF).connect, credentials: options(LEAVE_OFF).credentials });
    expect(sha(await fs.readFile(box.maildir.pathOf(bigUidl.id)!))).toBe(sha(toCrlf(big)));
    expect(box.ledger.get(bigUidl.uidl)!.partial).toBe(false);
    expect((await local()).size).toBe(2);

    // Now complete, it follows the account's setting.
    expect((await syncAccount(box, options({ ...LEAVE_OFF, maxMessageSizeKB: 100 }))).deletedOnServer).toBe(1);
    expect(await dc.mailbox(user)).toEqual([]);
  });

  it('a failing disk write sends no DELE, reports storage, and leaves nothing half-written', async () => {
    const msgs = generateMessages({ seed: 61, count: 6, mix: 'small' });
    await dc.deliver(user, msgs);
    const realWrite = box.maildir.write.bind(box.maildir);
    let writes = 0;
    box.maildir.write = async (id, body, onChunk) => {
      if (++writes === 4) {
        body.destroy();
        throw Object.assign(new AppFailure('storage', 'cannot write a new message: the disk is full'), {});
      }
      return realWrite(id, body, onChunk);
    };
    const err = await syncAccount(box, options(LEAVE_OFF)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppFailure);
    expect((err as AppFailure).code).toBe('storage');
    expect((await dc.mailbox(user)).length).toBe(6); // no DELE reached the server
    const stored = await local();
    expect(stored.size).toBe(3); // the ones before the failure, whole and recorded
    expect(box.ledger.size).toBe(3);

    box.maildir.write = realWrite;
    const again = await syncAccount(box, options(LEAVE_OFF));
    expect(again).toMatchObject({ downloaded: 3, deletedOnServer: 6 });
    expect([...(await local()).values()].sort()).toEqual(msgs.map((m) => sha(toCrlf(m))).sort());
  });

  const outOfTmp = (from: fsc.PathLike) => path.basename(path.dirname(String(from))) === 'tmp';
  const eio = () => Object.assign(new Error('EIO: i/o error, rename'), { code: 'EIO' });

  it('a rename out of tmp/ that fails reaches the sync as storage: no DELE, every stored file recorded, the rest comes next time', async () => {
    const msgs = generateMessages({ seed: 63, count: 6, mix: 'small' });
    await dc.deliver(user, msgs);
    // The 4th rename out of tmp/ fails, wherever the store runs it (this thread or the pool).
    let n = 0;
    const realRenameSync = fsc.renameSync.bind(fsc);
    vi.spyOn(fsc, 'renameSync').mockImplementation((from, to) => {
      if (outOfTmp(from) && ++n === 4) throw eio();
      realRenameSync(from, to);
    });
    const realRename = fsc.rename.bind(fsc) as typeof fsc.rename;
    vi.spyOn(fsc, 'rename').mockImplementation(((from: fsc.PathLike, to: fsc.PathLike, cb: fsc.NoParamCallback) => {
      if (outOfTmp(from) && ++n === 4) process.nextTick(cb, eio());
      else realRename(from, to, cb);
    }) as typeof fsc.rename);
    const err = await syncAccount(box, options(LEAVE_OFF)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppFailure);
    expect((err as AppFailure).code).toBe('storage');
    expect((await dc.mailbox(user)).length).toBe(6); // no DELE reached the server
    const stored = await local(); // and tmp/ is empty
    expect(stored.size).toBeGreaterThanOrEqual(3);
    expect(stored.size).toBeLessThan(6);
    expect(new Set([...box.ledger.all()].map((e) => e.id))).toEqual(new Set(stored.keys()));

    vi.restoreAllMocks();
    const again = await syncAccount(box, options(LEAVE_OFF));
    expect(again).toMatchObject({ downloaded: 6 - stored.size, deletedOnServer: 6 });
    expect([...(await local()).values()].sort()).toEqual(msgs.map((m) => sha(toCrlf(m))).sort());
  });

  it('a message is in the ledger only once its file is in cur/ and a directory fsync came after it', async () => {
    const msgs = generateMessages({ seed: 67, count: 10, mix: 'small' });
    await dc.deliver(user, msgs);
    // What cur/ held when the last directory fsync started: those names are durable.
    let durable = new Set<string>();
    const syncDirs = box.maildir.syncDirs.bind(box.maildir);
    box.maildir.syncDirs = async () => {
      const names = new Set(await fs.readdir(path.join(box.maildir.dir, 'cur')));
      await syncDirs();
      durable = names;
    };
    const commit = box.ledger.commit.bind(box.ledger);
    let commits = 0;
    box.ledger.commit = async () => {
      for (const e of box.ledger.all()) expect(durable.has(path.basename(box.maildir.pathOf(e.id) ?? '?')), `${e.id} is durable in cur/`).toBe(true);
      commits++;
      return commit();
    };
    const r = await syncAccount(box, options(LEAVE_OFF, { commitEvery: 3 }));
    expect(r).toMatchObject({ downloaded: 10, deletedOnServer: 10 });
    expect(commits).toBeGreaterThanOrEqual(4);
    expect([...(await local()).values()].sort()).toEqual(msgs.map((m) => sha(toCrlf(m))).sort());
  });

  it('names files after (account, UIDL): a message re-delivered after a lost ledger is not duplicated', async () => {
    const msgs = generateMessages({ seed: 71, count: 3, mix: 'small' });
    await dc.deliver(user, msgs);
    await syncAccount(box, options(LEAVE_ON));
    await box.close();
    await fs.rm(path.join(box.dir, 'ledger.jsonl'));
    box = await AccountMailbox.open(dataDir, 'acct-1');
    await syncAccount(box, options(LEAVE_ON));
    const files = await local();
    expect(files.size).toBe(3);
    for (const e of box.ledger.all()) expect(e.id).toBe(messageIdFor('acct-1', e.uidl));
  });

  it('one session per account: a second open of the same account is refused with in-use', async () => {
    const err = await AccountMailbox.open(dataDir, 'acct-1').catch((e: unknown) => e);
    expect((err as AppFailure).code).toBe('in-use');
  });
});
