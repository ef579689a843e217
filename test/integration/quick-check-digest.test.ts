/**
 * The quick check's digest (core/sync/quick-check-digest.ts): a check without a kept ledger (the
 * CLI's) that planned nothing remembers what from, and the next one with the same ledger, listing
 * and policy answers without folding the ledger again — but never misses what the plan would
 * have found: a message replaced by another of the same size (count and size alike, RFC 1939),
 * a message that became due by age, a change in the ledger, another setting.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { Ledger } from '../../electron/core/store/ledger.js';
import type { SyncPolicy } from '../../electron/core/sync/plan.js';
import { quickCheck, recordQuickCheckStamp } from '../../electron/core/sync/quick-check.js';
import { miniPop3, startFaultServer, type FaultServer } from '../support/fault-server.js';
import { ageMaildir } from '../support/maildir-age.js';

const DAY = 86_400_000;
const mail = (n: string) => Buffer.from(`From: d@example.org\r\nSubject: ${n}\r\nMessage-ID: <${n}@x>\r\n\r\nbody ${n}\r\n`);

describe('the quick check’s digest', () => {
  /** The server's mailbox, read at each connection. */
  let box: { uid: string; bytes: Buffer }[] = [];
  /** Answer UIDL with this listing instead. */
  let listing: string | null = null;
  let server: FaultServer;
  let accountDir: string;
  const keep: SyncPolicy = { leaveOnServer: true, deleteAfterDays: null, deleteWhenDeletedLocally: false, maxMessageSizeKB: null };
  const T = Date.now();

  beforeAll(async () => {
    server = await startFaultServer((conn) =>
      miniPop3(conn, {
        messages: box.map((m) => m.bytes),
        uids: box.map((m) => m.uid),
        override: async (c, verb) => {
          if (verb !== 'UIDL' || listing === null) return false;
          await c.write(listing);
          return true;
        },
      }),
    );
  });
  afterAll(() => server.close());
  afterEach(() => vi.restoreAllMocks());

  const made: string[] = [];
  afterAll(async () => {
    for (const dir of made) await fs.rm(dir, { recursive: true, force: true });
  });

  beforeEach(async () => {
    box = [{ uid: 'a', bytes: mail('a') }, { uid: 'b', bytes: mail('b') }];
    listing = null;
    accountDir = await fs.mkdtemp(path.join(os.tmpdir(), 'popbox-digest-'));
    made.push(accountDir);
    // As a full sync leaves it: both downloaded two days ago, the Maildir settled, its stamp written.
    const ledger = await Ledger.open(path.join(accountDir, 'ledger.jsonl'));
    ledger.downloaded('a', 'id-a', T - 2 * DAY, 100, false);
    ledger.downloaded('b', 'id-b', T - 2 * DAY + 1000, 100, false);
    await ledger.commit();
    for (const sub of ['cur', 'new', 'tmp']) await fs.mkdir(path.join(accountDir, 'Maildir', sub), { recursive: true });
    await ageMaildir(accountDir);
    await recordQuickCheckStamp(accountDir, Date.now(), false);
  });

  const check = (policy: SyncPolicy = keep, now = T) =>
    quickCheck({
      accountDir,
      connect: () => ({ host: '127.0.0.1', port: server.port, security: 'plain' }),
      server: { host: '127.0.0.1', port: server.port },
      credentials: { user: 'alice', password: 'pw', allowInsecure: true },
      policy,
      now,
    });

  it('a check that plans nothing remembers what from; the next answers from that, without folding the ledger', async () => {
    expect(await check()).toMatchObject({ kind: 'done', result: { downloaded: 0, deletedOnServer: 0 } });
    expect(JSON.parse(await fs.readFile(path.join(accountDir, 'quick-check-digest.json'), 'utf8'))).toMatchObject({ oldest: T - 2 * DAY });
    const folds = vi.spyOn(Ledger, 'fromRead'); // every fold, Ledger.open's too
    expect(await check()).toMatchObject({ kind: 'done', result: { downloaded: 0, deletedOnServer: 0 } });
    expect(folds).not.toHaveBeenCalled();
  });

  it('where the digest cannot answer, the ledger file is read once: the plan is folded from the bytes whose digest is recorded', async () => {
    const ledgerFile = path.join(accountDir, 'ledger.jsonl');
    const reads = vi.spyOn(fs, 'readFile');
    const ledgerReads = () => reads.mock.calls.filter(([file]) => file === ledgerFile).length;
    // No digest yet: the ledger is opened beside the connection.
    expect(await check()).toMatchObject({ kind: 'done' });
    expect(ledgerReads()).toBe(1);
    // The same ledger and policy, another listing (the same messages numbered otherwise): opened after the listing.
    listing = '+OK\r\n1 b\r\n2 a\r\n.\r\n';
    expect(await check()).toMatchObject({ kind: 'done' });
    expect(ledgerReads()).toBe(2);
    // What was recorded answers the next check with that listing, the ledger not opened.
    const folds = vi.spyOn(Ledger, 'fromRead'); // every fold, Ledger.open's too
    expect(await check()).toMatchObject({ kind: 'done' });
    expect(folds).not.toHaveBeenCalled();
    expect(ledgerReads()).toBe(3);
  });

  it('a message replaced by another of the same size (the same count and size) is new mail', async () => {
    expect(await check()).toMatchObject({ kind: 'done' });
    box = [box[0]!, { uid: 'c', bytes: mail('c') }];
    expect(box[1]!.bytes.length).toBe(mail('b').length);
    expect(await check()).toBeNull(); // work: the full sync's
  });

  it('a message due by age since the last check goes to the full sync', async () => {
    const threeDays = { ...keep, deleteAfterDays: 3 };
    expect(await check(threeDays)).toMatchObject({ kind: 'done' });
    expect(await check(threeDays, T + DAY - 1)).toMatchObject({ kind: 'done' });
    expect(await check(threeDays, T + DAY)).toBeNull();
  });

  it('a change in the ledger or another setting makes the plan again', async () => {
    expect(await check()).toMatchObject({ kind: 'done' });
    // Deleted here, and this account deletes on the server what is deleted here.
    const deleteHere = { ...keep, deleteWhenDeletedLocally: true };
    const ledger = await Ledger.open(path.join(accountDir, 'ledger.jsonl'));
    ledger.deletedLocally('a', T);
    await ledger.commit();
    expect(await check()).toMatchObject({ kind: 'done' }); // the same setting: nothing due
    expect(await check(deleteHere)).toBeNull();
    // Delete after one day: both are due.
    expect(await check({ ...keep, deleteAfterDays: 1 })).toBeNull();
  });

  it('download and delete: with the deleted ones still in the ledger, the next empty check answers from the digest too (review M1)', async () => {
    const take: SyncPolicy = { ...keep, leaveOnServer: false };
    // As a sync leaves it: both downloaded, deleted on the server (QUIT +OK), still remembered.
    const ledger = await Ledger.open(path.join(accountDir, 'ledger.jsonl'));
    ledger.serverDeleted(['a', 'b'], T - DAY);
    await ledger.commit();
    box = [];
    expect(await check(take)).toMatchObject({ kind: 'done', result: { downloaded: 0, deletedOnServer: 0 } });
    expect(JSON.parse(await fs.readFile(path.join(accountDir, 'quick-check-digest.json'), 'utf8'))).toMatchObject({ oldest: null });
    const folds = vi.spyOn(Ledger, 'fromRead'); // every fold, Ledger.open's too
    expect(await check(take, T + 30 * DAY)).toMatchObject({ kind: 'done' });
    expect(folds).not.toHaveBeenCalled();
    // New mail is still new mail.
    box = [{ uid: 'c', bytes: mail('c') }];
    expect(await check(take, T + 30 * DAY)).toBeNull();
  });

  it('delete after N days: a message expired and deleted before does not stop the digest answering for the rest', async () => {
    const sevenDays = { ...keep, deleteAfterDays: 7 };
    const ledger = await Ledger.open(path.join(accountDir, 'ledger.jsonl'));
    ledger.downloaded('old', 'id-old', T - 20 * DAY, 100, false);
    ledger.serverDeleted(['old'], T - 13 * DAY);
    await ledger.commit();
    expect(await check(sevenDays)).toMatchObject({ kind: 'done' });
    expect(JSON.parse(await fs.readFile(path.join(accountDir, 'quick-check-digest.json'), 'utf8'))).toMatchObject({ oldest: T - 2 * DAY });
    const folds = vi.spyOn(Ledger, 'fromRead'); // every fold, Ledger.open's too
    expect(await check(sevenDays, T + DAY)).toMatchObject({ kind: 'done' });
    expect(folds).not.toHaveBeenCalled();
    // a comes due five days on: the full sync deletes it.
    expect(await check(sevenDays, T + 5 * DAY)).toBeNull();
  });

  it('a digest made under other planning rules (or a format without their version) never answers', async () => {
    expect(await check()).toMatchObject({ kind: 'done' });
    const file = path.join(accountDir, 'quick-check-digest.json');
    const { rules: _rules, ...old } = JSON.parse(await fs.readFile(file, 'utf8')) as Record<string, unknown>;
    for (const written of [old, { ...old, rules: 0 }]) {
      await fs.writeFile(file, JSON.stringify(written));
      const folds = vi.spyOn(Ledger, 'fromRead'); // every fold, Ledger.open's too
      expect(await check()).toMatchObject({ kind: 'done' });
      expect(folds).toHaveBeenCalledTimes(1);
      folds.mockRestore();
    }
  });

  it('a listing that cannot be read is the full path’s, whatever was recorded', async () => {
    expect(await check()).toMatchObject({ kind: 'done' });
    listing = '+OK\r\n1 a\r\n2\r\n.\r\n';
    expect(await check()).toBeNull();
  });

  it('a ledger whose last line a crash tore: planned from its whole lines, the torn one cut off the file, and the next check’s digest is of what is left (DESIGN §3.2)', async () => {
    const ledgerFile = path.join(accountDir, 'ledger.jsonl');
    const whole = await fs.readFile(ledgerFile);
    // Deleted here, its line written all but its newline: a record the ledger never had.
    const ledger = await Ledger.open(ledgerFile);
    ledger.deletedLocally('a', T);
    await ledger.commit();
    const torn = (await fs.readFile(ledgerFile)).subarray(0, -1);
    await fs.writeFile(ledgerFile, torn);
    expect(JSON.parse(torn.subarray(whole.length).toString())).toMatchObject({ u: 'a' }); // whole JSON, no newline
    const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
    const recorded = async () => (JSON.parse(await fs.readFile(path.join(accountDir, 'quick-check-digest.json'), 'utf8')) as { ledger: string }).ledger;
    // This account deletes on the server what is deleted here: folded, the torn line would send a's DELE (work).
    const deleteHere = { ...keep, deleteWhenDeletedLocally: true };
    expect(await check(deleteHere)).toMatchObject({ kind: 'done', result: { deletedOnServer: 0, plan: { delete: [] } } });
    expect(await fs.readFile(ledgerFile)).toEqual(whole);
    expect(await recorded()).toBe(sha(torn)); // the bytes planned from, as read
    // The file is not those bytes any more: the next check plans again, and records what is there now.
    const folds = vi.spyOn(Ledger, 'fromRead');
    expect(await check(deleteHere)).toMatchObject({ kind: 'done' });
    expect(folds).toHaveBeenCalledTimes(1);
    expect(await recorded()).toBe(sha(whole));
  });

  it('a ledger that cannot be read (a directory in its place): the full path’s, and the connection opened beside the read is closed first', async () => {
    const ledger = path.join(accountDir, 'ledger.jsonl');
    await fs.rm(ledger);
    await fs.mkdir(ledger); // EISDIR, root or not
    const connectionsBefore = server.connections.length;
    expect(await check()).toBeNull();
    expect(server.connections.length - connectionsBefore).toBe(1);
    const conn = server.connections[connectionsBefore]!;
    // Dropped without QUIT (nothing was asked); left open, only the server's timeout would end it.
    expect(await conn.closedWithin(10_000)).toBe(true);
    expect(conn.received).not.toContain('QUIT');
  });
});
