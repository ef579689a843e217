/**
 * The CLI's quick check (core/sync/quick-check.ts) reads the ledger file once for its digest and
 * folds the plan from those bytes (~12 MB at 100,000 UIDLs). They are let go once folded, or once
 * the listing has been compared with the recorded digest, so they are not held while the check
 * waits on the server: seen through a WeakRef to the bytes read, after a full collection run while
 * the server holds its answer (UIDL, then QUIT). In the unit-gc project (gc() exposed).
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Ledger } from '../../electron/core/store/ledger.js';
import type { SyncPolicy } from '../../electron/core/sync/plan.js';
import { quickCheck, recordQuickCheckStamp } from '../../electron/core/sync/quick-check.js';
import { miniPop3, startFaultServer, type FaultServer } from '../support/fault-server.js';
import { collectGarbage } from '../support/gc.js';
import { ageMaildir } from '../support/maildir-age.js';

const mail = (n: string) => Buffer.from(`From: d@example.org\r\nSubject: ${n}\r\nMessage-ID: <${n}@x>\r\n\r\nbody ${n}\r\n`);
const keep: SyncPolicy = { leaveOnServer: true, deleteAfterDays: null, deleteWhenDeletedLocally: false, maxMessageSizeKB: null };

describe('the quick check’s ledger bytes', () => {
  let server: FaultServer;
  let accountDir: string;
  let ledgerFile: string;
  /** The last ledger bytes the check read. */
  let bytes: WeakRef<Buffer> | undefined;
  /** Per command the server held: whether those bytes were still reachable while it waited. */
  let heldAt: Record<string, boolean> = {};
  /** Answer UIDL with this listing instead. */
  let listing: string | null = null;
  const realReadFile = fs.readFile;

  beforeAll(async () => {
    server = await startFaultServer((conn) =>
      miniPop3(conn, {
        messages: [mail('a'), mail('b')],
        uids: ['a', 'b'],
        override: async (c, verb) => {
          if (verb === 'UIDL' || verb === 'QUIT') {
            await new Promise((resolve) => setImmediate(resolve)); // out of the job that read them
            collectGarbage();
            heldAt[verb] = bytes?.deref() !== undefined;
          }
          if (verb !== 'UIDL' || listing === null) return false;
          await c.write(listing);
          return true;
        },
      }),
    );
    // Not vi.spyOn: a spy keeps every result it returned, the bytes included.
    fs.readFile = (async (...args: Parameters<typeof realReadFile>) => {
      const result = await realReadFile(...args);
      if (args[0] === ledgerFile && Buffer.isBuffer(result)) bytes = new WeakRef(result);
      return result;
    }) as typeof realReadFile;
  });
  afterAll(async () => {
    fs.readFile = realReadFile;
    await server.close();
  });

  beforeEach(async () => {
    accountDir = await fs.mkdtemp(path.join(os.tmpdir(), 'popbox-qc-memory-'));
    ledgerFile = path.join(accountDir, 'ledger.jsonl');
    const ledger = await Ledger.open(ledgerFile);
    for (const u of ['a', 'b']) ledger.downloaded(u, `id-${u}`, Date.now() - 1000, 100, false);
    await ledger.commit();
    for (const sub of ['cur', 'new', 'tmp']) await fs.mkdir(path.join(accountDir, 'Maildir', sub), { recursive: true });
    await ageMaildir(accountDir);
    await recordQuickCheckStamp(accountDir, Date.now(), false);
    bytes = undefined;
    heldAt = {};
    listing = null;
  });

  const check = () =>
    quickCheck({
      accountDir,
      connect: () => ({ host: '127.0.0.1', port: server.port, security: 'plain' }),
      server: { host: '127.0.0.1', port: server.port },
      credentials: { user: 'alice', password: 'pw', allowInsecure: true },
      policy: keep,
      now: Date.now(),
    });

  it('folded beside the connection (no digest yet): not held while the listing and QUIT are awaited', async () => {
    expect(await check()).toMatchObject({ kind: 'done' });
    expect(bytes).toBeDefined();
    expect(heldAt).toEqual({ UIDL: false, QUIT: false });
  });

  it('the digest answers: not held once the listing is compared, while QUIT is awaited', async () => {
    expect(await check()).toMatchObject({ kind: 'done' });
    expect(await check()).toMatchObject({ kind: 'done' }); // answered from the digest
    expect(bytes).toBeDefined();
    expect(heldAt.QUIT).toBe(false);
  });

  it('the digest may answer but the listing differs: folded from those bytes, then not held while QUIT is awaited', async () => {
    expect(await check()).toMatchObject({ kind: 'done' });
    listing = '+OK\r\n1 b\r\n2 a\r\n.\r\n'; // the same messages, numbered otherwise
    expect(await check()).toMatchObject({ kind: 'done' });
    expect(bytes).toBeDefined();
    expect(heldAt.QUIT).toBe(false);
  });
});
