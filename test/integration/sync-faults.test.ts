/**
 * The sync engine against our fault server, for what Dovecot does not do: no UIDL, a message
 * that vanishes between UIDL and RETR, EXPIRE 0, and a QUIT that never answers.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AppFailure } from '../../electron/core/errors.js';
import { AccountMailbox } from '../../electron/core/store/mailbox.js';
import type { SyncPolicy } from '../../electron/core/sync/plan.js';
import { syncAccount, type SyncOptions } from '../../electron/core/sync/sync-engine.js';
import { Ingest } from '../../electron/core/ingest/ingest.js';
import { ParsePool } from '../../electron/core/ingest/parse-pool.js';
import { Journal } from '../../electron/core/store/journal.js';
import { miniPop3, startFaultServer, type FaultServer, type MiniOptions } from '../support/fault-server.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const LEAVE_OFF: SyncPolicy = { leaveOnServer: false, deleteAfterDays: null, deleteWhenDeletedLocally: false, maxMessageSizeKB: null };
const msg = (i: number) => Buffer.from(`Subject: message ${i}\r\nMessage-ID: <${i}@x>\r\n\r\nbody ${i}\r\n.dot line\r\n`);

let server: FaultServer | undefined;
let dataDir: string;
let box: AccountMailbox;

beforeEach(async () => {
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'popbox-syncfault-'));
  box = await AccountMailbox.open(dataDir, 'acct');
});
afterEach(async () => {
  await box.close().catch(() => {});
  await server?.close();
  expect(server?.errors ?? []).toEqual([]);
  server = undefined;
  await fs.rm(dataDir, { recursive: true, force: true });
});

/** A server whose mailbox persists across connections, with DELE applied only on QUIT. */
function persistentServer(messages: Buffer[], extra: (state: { live: Buffer[] }) => Partial<MiniOptions> = () => ({})) {
  const state = { live: [...messages] };
  return {
    state,
    start: async () => {
      server = await startFaultServer(async (conn) => {
        const deleted = new Set<number>();
        const snapshot = [...state.live];
        const options = extra(state);
        await miniPop3(conn, {
          messages: snapshot,
          ...options,
          override: async (c, verb, args, line) => {
            if (options.override && (await options.override(c, verb, args, line))) return true;
            if (verb === 'DELE') deleted.add(Number(args[0]));
            if (verb === 'QUIT') {
              state.live = snapshot.filter((_, i) => !deleted.has(i + 1));
              await c.send('+OK bye');
              c.end();
              return true;
            }
            return false;
          },
        });
      });
    },
  };
}

const options = (policy: SyncPolicy): SyncOptions => ({
  connect: { host: '127.0.0.1', port: server!.port, security: 'plain', timeouts: { idleMs: 2000 } },
  credentials: { user: 'alice', password: 'pw', allowInsecure: true },
  policy,
});

async function storedShas(): Promise<string[]> {
  const out: string[] = [];
  for (const f of box.maildir.all()) out.push(sha(await fs.readFile(box.maildir.pathOf(f.id)!)));
  return out.sort();
}

describe('sync against the fault server', () => {
  it('a server without UIDL: download and delete, named by content so a cut session cannot duplicate', async () => {
    const messages = [msg(1), msg(2), msg(3)];
    let quitDrops = 1;
    const srv = persistentServer(messages, () => ({
      capa: ['USER'],
      override: async (c, verb) => {
        if (verb === 'UIDL') return (await c.send('-ERR unknown command'), true);
        if (verb === 'QUIT' && quitDrops-- > 0) return (c.reset(), true); // the first session is cut before QUIT
        return false;
      },
    }));
    await srv.start();
    const first = await syncAccount(box, options(LEAVE_OFF)).catch((e: unknown) => e);
    expect((first as { code?: string }).code).toBe('network');
    expect(srv.state.live).toHaveLength(3); // nothing deleted: QUIT never answered
    expect(await storedShas()).toEqual(messages.map(sha).sort());

    const second = await syncAccount(box, options(LEAVE_OFF));
    expect(second.deletedOnServer).toBe(3);
    expect(second.warnings.join(' ')).toMatch(/does not support UIDL/);
    expect(srv.state.live).toEqual([]);
    expect(await storedShas()).toEqual(messages.map(sha).sort()); // still exactly one copy each
  });

  it('a message hundreds of times its LIST size is kept byte-exact, with a warning that names it', async () => {
    // What a server whose replies are out of step produces (a listing or the next message read as
    // this one); LIST sizes are hints, so it is stored as framed, and the user is told.
    const huge = Buffer.concat([msg(2).subarray(0, -2), Buffer.from('x'.repeat(76).concat('\r\n').repeat(40_000))]);
    const messages = [msg(1), huge, msg(3)];
    await persistentServer(messages, () => ({ listSizes: messages.map((m, i) => (i === 1 ? 2_000 : m.length)) })).start();
    const result = await syncAccount(box, options({ ...LEAVE_OFF, leaveOnServer: true }));
    expect(result.downloaded).toBe(3);
    expect(await storedShas()).toEqual(messages.map(sha).sort());
    expect(result.warnings).toEqual([expect.stringMatching(/^Message 2 arrived far larger than the server announced \(3\.0 MB instead of 2 KB\)/)]);
  });

  it('a server that sends far more than it announced is cut off at the byte budget of the sync: what is stored stays, nothing is deleted', async () => {
    const huge = Buffer.concat([msg(2).subarray(0, -2), Buffer.from('x'.repeat(76).concat('\r\n').repeat(40_000))]);
    const messages = [msg(1), huge, msg(3)];
    const srv = persistentServer(messages, () => ({ listSizes: messages.map((m, i) => (i === 1 ? 2_000 : m.length)) }));
    await srv.start();
    const err = await syncAccount(box, { ...options(LEAVE_OFF), budgetSlack: 1024 * 1024 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppFailure);
    expect(err).toMatchObject({ code: 'protocol', message: expect.stringMatching(/sent far more than it announced .*Nothing was deleted on the server/) });
    expect(await storedShas()).toEqual([sha(msg(1))]);
    expect(srv.state.live).toHaveLength(3);
    expect(await fs.readdir(path.join(box.maildir.dir, 'tmp'))).toEqual([]);
  });

  it('a server without UIDL: each new message is parsed once (no early parse under a name it is not journaled by)', async () => {
    // Without UIDL a message is written under a provisional id and recorded under its content's:
    // an early parse of the handed bytes would be keyed by the first and never used.
    const messages = [msg(1), msg(2), msg(3)];
    await persistentServer(messages, () => ({
      capa: ['USER'],
      override: async (c, verb) => (verb === 'UIDL' ? (await c.send('-ERR unknown command'), true) : false),
    })).start();
    const pool = new ParsePool({ entry: null });
    const parsed: string[] = [];
    const parse = pool.parse.bind(pool);
    const parseBytes = pool.parseBytes.bind(pool);
    pool.parse = (file) => (parsed.push(file), parse(file));
    pool.parseBytes = (file, bytes) => (parsed.push(file), parseBytes(file, bytes));
    const journal = await Journal.open(path.join(dataDir, 'journal.jsonl'));
    const run = new Ingest(journal, Date.now, { pool }).begin(box);
    const result = await syncAccount(box, { ...options(LEAVE_OFF), onStored: (e) => run.stored(e) });
    await run.finish();
    expect(result.downloaded).toBe(3);
    expect(parsed).toHaveLength(3);
    expect([...journal.all()].map((m) => m.summary.subject).sort()).toEqual(['message 1', 'message 2', 'message 3']);
  });

  it('a server without UIDL refuses leave-on-server with a clear error', async () => {
    const srv = persistentServer([msg(1)], () => ({
      capa: ['USER'],
      override: async (c, verb) => (verb === 'UIDL' ? (await c.send('-ERR unknown command'), true) : false),
    }));
    await srv.start();
    const err = await syncAccount(box, options({ ...LEAVE_OFF, leaveOnServer: true })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppFailure);
    expect((err as AppFailure).code).toBe('unsupported');
    expect((err as AppFailure).message).toMatch(/leave messages on server/);
    expect(box.maildir.size).toBe(0);
  });

  it('skips a message that vanished between UIDL and RETR, and gets the rest', async () => {
    const srv = persistentServer([msg(1), msg(2), msg(3)], () => ({
      override: async (c, verb, args) => (verb === 'RETR' && args[0] === '2' ? (await c.send('-ERR no such message'), true) : false),
    }));
    await srv.start();
    const r = await syncAccount(box, options({ ...LEAVE_OFF, leaveOnServer: true }));
    expect(r).toMatchObject({ downloaded: 2, skipped: 1 });
    expect(await storedShas()).toEqual([msg(1), msg(3)].map(sha).sort());
  });

  it('warns when leave-on-server meets a server that deletes on retrieval (EXPIRE 0)', async () => {
    const srv = persistentServer([msg(1)], () => ({ capa: ['USER', 'UIDL', 'EXPIRE 0'] }));
    await srv.start();
    const r = await syncAccount(box, options({ ...LEAVE_OFF, leaveOnServer: true }));
    expect(r.warnings.join(' ')).toMatch(/EXPIRE 0/);
  });

  it('records deletions only after QUIT +OK: a dropped QUIT leaves them pending and they are retried', async () => {
    let dropQuit = true;
    const srv = persistentServer([msg(1), msg(2)], () => ({
      override: async (c, verb) => {
        if (verb === 'QUIT' && dropQuit) {
          dropQuit = false;
          c.reset();
          return true;
        }
        return false;
      },
    }));
    await srv.start();
    await expect(syncAccount(box, options(LEAVE_OFF))).rejects.toMatchObject({ code: 'network' });
    expect(srv.state.live).toHaveLength(2);
    expect([...box.ledger.all()].every((e) => e.serverDeletedAt === undefined)).toBe(true);
    const again = await syncAccount(box, options(LEAVE_OFF));
    expect(again).toMatchObject({ downloaded: 0, deletedOnServer: 2 });
    expect(srv.state.live).toEqual([]);
    expect([...box.ledger.all()].every((e) => e.serverDeletedAt !== undefined)).toBe(true);
  });
});
