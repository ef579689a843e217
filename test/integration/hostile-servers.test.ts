/**
 * Hostile servers (issue 6 §1, DESIGN §3.5): a fuzz loop, bounded in count and time, where our
 * fault server answers the sync engine's commands normally most of the time and otherwise with
 * garbage, oversized lines, endless listings, truncated or out-of-order replies, bare bytes, or
 * silence. Every sync must settle — a result or a typed error — within its budget; nothing
 * crashes; nothing stored is torn; the process's peak RSS stays bounded.
 *
 * Runs: 120 in `npm test` (fixed seed), 600 with POPBOX_SOAK=1; POPBOX_FUZZ_RUNS / _SEED choose.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAppFailure } from '../../electron/core/errors.js';
import { isPop3Error } from '../../electron/core/pop3/errors.js';
import { AccountMailbox } from '../../electron/core/store/mailbox.js';
import { syncAccount } from '../../electron/core/sync/sync-engine.js';
import { miniPop3, startFaultServer, type FaultConn, type FaultServer } from '../support/fault-server.js';
import { generateMessage, mulberry32, type Rng } from '../support/mailgen.js';
import { sha256 } from '../support/maildir-check.js';

const RUNS = Number(process.env.POPBOX_FUZZ_RUNS ?? (process.env.POPBOX_SOAK ? 600 : 120));
const SEED = Number(process.env.POPBOX_FUZZ_SEED ?? 0xbad5eed) >>> 0;
const IDLE_MS = 300;
const BUDGET_MS = 8_000;
const RSS_LIMIT = 400 * 1024 * 1024;

type Mischief = (conn: FaultConn, verb: string, rng: Rng) => Promise<void>;

const junk = (rng: Rng, n: number) => Buffer.from(Array.from({ length: n }, () => Math.floor(rng() * 256)));

/**
 * Replies out of order: the client takes the extra lines for the data of what it asked. Such a
 * server can make Popbox store what it framed as a message (no client can tell); it still may
 * not make it hang, crash or tear a file.
 */
const DESYNC = new Set(['reply twice', 'listing for a one-line command']);
/** A bare status line where a listing or a message should follow is the same kind of desync. */
const MULTI_LINE = new Set(['*', 'CAPA', 'UIDL', 'LIST', 'RETR', 'TOP']);
/**
 * The "endless" listing ends after 200,000 lines, and the next pipelined reply's terminator ends
 * it for the client: in place of a message it is the same desync. Whether the client reads all of
 * it before its idle timeout depends on the machine's speed, so both outcomes must pass: a
 * timeout, or a stored "message" hundreds of times its LIST size, with a warning that says so.
 */
const LISTING_AS_MESSAGE = new Set(['*', 'RETR']);
const desyncs = (m: { mischief: string | null; at: string }) =>
  DESYNC.has(m.mischief ?? '') ||
  (m.mischief === 'bare LF everything' && MULTI_LINE.has(m.at)) ||
  (m.mischief === 'endless listing' && LISTING_AS_MESSAGE.has(m.at));

/** What a hostile server may do instead of answering. Each one ends or garbles the session. */
const MISCHIEF: Record<string, Mischief> = {
  garbage: async (c, _v, rng) => {
    await c.write(Buffer.concat([junk(rng, 1 + Math.floor(rng() * 200)), Buffer.from('\r\n')]));
  },
  'no status': async (c) => {
    await c.send('HELLO THERE');
  },
  'huge status line': async (c) => {
    await c.write(Buffer.alloc(2 * 1024 * 1024, 0x41));
  },
  'endless listing': async (c) => {
    await c.send('+OK here it comes');
    const line = Buffer.from('1 uid-with-a-long-name-to-fill-memory-quickly-0123456789\r\n');
    for (let i = 0; i < 200_000 && !c.closed; i++) if (!(await c.write(line))) break;
  },
  'truncated reply': async (c) => {
    await c.write('+OK 3 mess');
    c.end();
  },
  'reply twice': async (c) => {
    await c.send('+OK one');
    await c.send('+OK two');
    await c.send('-ERR three');
  },
  'listing for a one-line command': async (c) => {
    await c.send('+OK\r\nsurprise\r\n.');
  },
  'nul and bare cr': async (c) => {
    await c.write('+OK \0\0\r\r\r\n');
  },
  silence: async () => {},
  reset: async (c) => {
    c.reset();
  },
  'message without terminator': async (c) => {
    await c.send('+OK message follows');
    await c.write('Subject: x\r\n\r\nbody that never ends\r\n');
    c.end();
  },
  'bare LF everything': async (c) => {
    await c.write('+OK fine\n');
  },
};

describe('hostile servers', () => {
  let server: FaultServer;
  let dataDir: string;
  const plan: { mischief: string | null; at: string; odds: number }[] = [];
  let current: { mischief: string | null; at: string; odds: number } = { mischief: null, at: '', odds: 0 };
  const rng = mulberry32(SEED);
  const messages = Array.from({ length: 5 }, (_, i) => generateMessage(SEED + i, 2_000 + i * 30_000));
  const wanted = new Set(messages.map((m) => sha256(m)));

  beforeAll(async () => {
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'popbox-fuzz-'));
    server = await startFaultServer(async (conn) => {
      const mine = current;
      const local = mulberry32(Math.floor(rng() * 2 ** 32));
      let answered = false;
      await miniPop3(conn, {
        messages,
        override: async (c, verb) => {
          if (answered || !mine.mischief) return false;
          if (mine.at !== '*' && mine.at !== verb) return false;
          if (local() > mine.odds) return false;
          answered = true;
          await MISCHIEF[mine.mischief]!(c, verb, local);
          return true;
        },
      });
    });
  });
  afterAll(async () => {
    await server?.close();
    await fs.rm(dataDir, { recursive: true, force: true });
  });

  it(`${RUNS} sessions with a misbehaving server: every sync settles in time, typed, nothing torn`, async () => {
    const names = Object.keys(MISCHIEF);
    const verbs = ['*', 'CAPA', 'USER', 'PASS', 'AUTH', 'STAT', 'UIDL', 'LIST', 'RETR', 'TOP', 'DELE', 'QUIT'];
    const codes = new Map<string, number>();
    let oversized = 0;
    let peak = process.memoryUsage().rss;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
    try {
      for (let run = 0; run < RUNS; run++) {
        current = { mischief: rng() < 0.1 ? null : names[Math.floor(rng() * names.length)]!, at: verbs[Math.floor(rng() * verbs.length)]!, odds: 0.3 + rng() * 0.7 };
        plan.push(current);
        const box = await AccountMailbox.open(dataDir, `run-${run}`);
        const t0 = performance.now();
        let code = 'ok';
        let warnings: string[] = [];
        try {
          ({ warnings } = await syncAccount(box, {
            connect: { host: '127.0.0.1', port: server.port, security: 'plain', timeouts: { connectMs: 2_000, greetingMs: IDLE_MS, idleMs: IDLE_MS } },
            credentials: { user: 'alice', password: 'pw', allowInsecure: true },
            policy: { leaveOnServer: rng() < 0.5, deleteAfterDays: null, deleteWhenDeletedLocally: false, maxMessageSizeKB: null },
          }));
        } catch (e) {
          const typed = isPop3Error(e) || isAppFailure(e);
          expect(typed, `run ${run} (${current.mischief} at ${current.at}): untyped ${String(e)}`).toBe(true);
          code = (e as { code: string }).code;
        }
        const took = performance.now() - t0;
        expect(took, `run ${run} (${current.mischief} at ${current.at})`).toBeLessThan(BUDGET_MS);
        codes.set(code, (codes.get(code) ?? 0) + 1);
        // Whatever was stored is one of the served messages, whole (unless the server framed otherwise).
        // A stored message far larger than any served one comes with a warning naming it.
        let hugest = 0;
        for (const f of box.maildir.all()) hugest = Math.max(hugest, (await fs.stat(box.maildir.pathOf(f.id)!)).size);
        if (code === 'ok' && hugest > 64 * Math.max(...messages.map((m) => m.length)) + 1024 * 1024) {
          expect(warnings.join('\n'), `run ${run} (${current.mischief} at ${current.at})`).toMatch(/far larger than the server announced/);
          oversized++;
        }
        for (const f of desyncs(current) ? [] : box.maildir.all()) {
          const bytes = await fs.readFile(box.maildir.pathOf(f.id)!);
          expect(wanted.has(sha256(bytes)), `run ${run} (${current.mischief} at ${current.at}, ${code}): a torn message of ${bytes.length} bytes: ${JSON.stringify(bytes.subarray(0, 120).toString('latin1'))} … ${JSON.stringify(bytes.subarray(-80).toString('latin1'))}`).toBe(true);
        }
        await box.close();
      }
    } finally {
      clearInterval(sampler);
    }
    console.log(`hostile servers: ${RUNS} runs, outcomes ${JSON.stringify(Object.fromEntries([...codes].sort()))}, ${oversized} out-of-step messages stored with a warning, peak RSS ${(peak / 1024 / 1024).toFixed(0)} MB`);
    expect(peak).toBeLessThan(RSS_LIMIT);
    expect(codes.get('protocol') ?? 0).toBeGreaterThan(0);
    expect(codes.get('timeout') ?? 0).toBeGreaterThan(0);
    expect(server.errors.filter((e) => !/EPIPE|ECONNRESET|write after end/.test(String(e)))).toEqual([]);
  }, 600_000);
});
