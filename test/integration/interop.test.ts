/**
 * One scenario suite, every POP3 server apt gives us (test/support/interop/): each transport
 * and login mechanism the server offers, a full download byte-exact and exactly once, the
 * leave-on-server settings, headers-only with the rest on demand, and what DELE means with and
 * without QUIT. In CI every server must run; on a developer's machine a server that cannot be
 * started here is skipped with the reason (which names what to install or run).
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Pop3Client, Pop3Error, type AuthMechanism, type Pop3ConnectOptions, type Security } from '../../electron/core/pop3/index.js';
import { AccountMailbox } from '../../electron/core/store/mailbox.js';
import type { SyncPolicy } from '../../electron/core/sync/plan.js';
import { fetchFull, syncAccount, type SyncOptions } from '../../electron/core/sync/sync-engine.js';
import { INTEROP_SERVERS, type InteropServer } from '../support/interop/index.js';
import { sha256 } from '../support/maildir-check.js';
import { generateMessage, generateMessages, toCrlf } from '../support/mailgen.js';
import { readAll } from '../support/streams.js';

const DAY = 24 * 3600 * 1000;
const LEAVE_OFF: SyncPolicy = { leaveOnServer: false, deleteAfterDays: null, deleteWhenDeletedLocally: false, maxMessageSizeKB: null };
const LEAVE_ON: SyncPolicy = { ...LEAVE_OFF, leaveOnServer: true };
const TIMEOUTS = { connectMs: 5000, greetingMs: 10_000, idleMs: 20_000 };

/** The transports a server offers, most secure first. */
function transports(srv: InteropServer): { security: Security; port: number }[] {
  const out: { security: Security; port: number }[] = [];
  if (srv.tlsPort !== null) out.push({ security: 'tls', port: srv.tlsPort });
  if (srv.stls) out.push({ security: 'starttls', port: srv.plainPort });
  out.push({ security: 'plain', port: srv.plainPort });
  return out;
}

function connectOptions(srv: InteropServer, t = transports(srv)[0]!, extra: Partial<Pop3ConnectOptions> = {}): Pop3ConnectOptions {
  return {
    host: srv.host,
    port: t.port,
    security: t.security,
    tls: srv.caPem ? { ca: srv.caPem, servername: 'localhost' } : {},
    timeouts: TIMEOUTS,
    ...extra,
  };
}

const served = (srv: InteropServer, m: Buffer) => (srv.served ? srv.served(m) : toCrlf(m));

/**
 * Body lines that begin "From " (one after an empty line, where an mbox splits messages) and one
 * already quoted. The Message-ID carries the seed: popa3d's UIDL is a hash of Date, Message-ID,
 * Received and Delivered-To only, so no two messages in one mailbox may share those.
 */
function fromLines(seed: number): Buffer {
  return Buffer.from(
    [
      'From: Quoter <quoter@example.org>',
      'To: interop@example.org',
      'Subject: lines that begin with From',
      'Date: Mon, 05 Jan 2026 10:00:00 +0000',
      `Message-ID: <from-lines-${seed}@example.org>`,
      '',
      'From the first body line, right after the header block.',
      'A line.',
      'From the middle of a paragraph.',
      '',
      'From a new paragraph.',
      '>From an already quoted line.',
      '',
    ].join('\n'),
  );
}

/**
 * Messages that exercise framing: dot-stuffed lines, 8-bit text, a multi-MB attachment, "From "
 * lines. Every Message-ID in it is unique (mailgen puts the message's seed in it).
 */
function corpus(seed: number): Buffer[] {
  return [
    ...generateMessages({ seed, count: 5, mix: 'small' }),
    generateMessage(seed + 100, 3 * 1024, { dotLines: true }),
    generateMessage(seed + 101, 5 * 1024, { eightBit: true, dotLines: true }),
    generateMessage(seed + 102, 2 * 1024 * 1024, { attachment: true }),
    fromLines(seed),
  ];
}

/** Whether the trace shows our client logging in with `mechanism` (APOP and PASS lines show no arguments). */
function triedMechanism(trace: string[], mechanism: AuthMechanism): boolean {
  const cmd = `C ${mechanism === 'USER' || mechanism === 'APOP' ? mechanism : `AUTH ${mechanism}`}`;
  return trace.some((l) => l === cmd || l.startsWith(`${cmd} `));
}

for (const kind of INTEROP_SERVERS) {
  const unavailable = kind.unavailable();
  if (unavailable && process.env.CI) throw new Error(`${kind.name} is required in CI: ${unavailable}`);
  if (unavailable) console.warn(`Skipping the interop suite for ${kind.name}: ${unavailable}`);
  const suite = unavailable ? describe.skip : describe;

  suite(`interop: ${kind.name}`, () => {
    let srv: InteropServer;
    let dataDir: string;
    let box: AccountMailbox;
    let clock = Date.UTC(2026, 0, 1);
    /** Every client a test opens, closed after it even when it fails (a session left logged in locks the mailbox on some servers). */
    const clients: Pop3Client[] = [];

    const connect = async (t = transports(srv)[0]!, extra: Partial<Pop3ConnectOptions> = {}): Promise<Pop3Client> => {
      const pop = await Pop3Client.connect(connectOptions(srv, t, extra));
      clients.push(pop);
      return pop;
    };
    const session = async (): Promise<Pop3Client> => {
      const pop = await connect();
      await pop.login({ user: srv.user, password: srv.password, allowInsecure: !pop.secure });
      return pop;
    };

    beforeAll(async () => {
      const t0 = Date.now();
      srv = await kind.start();
      console.info(
        `interop: ${srv.label} on 127.0.0.1:${srv.plainPort}${srv.tlsPort ? ` and :${srv.tlsPort} (TLS)` : ''}; logins ${srv.mechanisms.join(', ')}; started in ${Date.now() - t0} ms`,
      );
    }, 120_000);
    afterAll(async () => {
      await srv?.stop();
    });
    beforeEach(async () => {
      await srv.clear();
      dataDir = await fs.mkdtemp(path.join(os.tmpdir(), `popbox-interop-${kind.name}-`));
      box = await AccountMailbox.open(dataDir, 'acct-1');
      clock = Date.UTC(2026, 0, 1);
    });
    afterEach(async () => {
      for (const pop of clients.splice(0)) pop.close();
      await box?.close().catch(() => {});
      await fs.rm(dataDir, { recursive: true, force: true });
    });

    const syncOptions = (policy: SyncPolicy, extra: Partial<SyncOptions> = {}): SyncOptions => ({
      connect: connectOptions(srv),
      credentials: { user: srv.user, password: srv.password, allowInsecure: srv.tlsPort === null && !srv.stls },
      policy,
      now: () => clock,
      ...extra,
    });

    /** SHA-256 of each local message file; tmp/ must be empty. */
    async function local(): Promise<string[]> {
      expect(await fs.readdir(path.join(box.maildir.dir, 'tmp'))).toEqual([]);
      const out: string[] = [];
      for (const f of box.maildir.all()) out.push(sha256(await fs.readFile(box.maildir.pathOf(f.id)!)));
      return out.sort();
    }

    it('each transport it offers: connects, checks the certificate, logs in', async () => {
      await srv.deliver(generateMessages({ seed: 1, count: 2, mix: 'small' }));
      for (const t of transports(srv)) {
        const pop = await connect(t);
        expect(pop.secure, t.security).toBe(t.security !== 'plain');
        await pop.login({ user: srv.user, password: srv.password, allowInsecure: t.security === 'plain' });
        expect((await pop.stat()).count, t.security).toBe(2);
        await pop.quit();
      }
      if (srv.tlsPort !== null) {
        // Not trusted without the CA: the user is shown the fingerprint instead.
        const err = await Pop3Client.connect(connectOptions(srv, undefined, { tls: {} })).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(Pop3Error);
        expect((err as Pop3Error).code).toBe('certificate');
      }
    });

    it('each login mechanism it offers works on each transport, and never shows the password in the trace', async () => {
      await srv.deliver(generateMessages({ seed: 2, count: 1, mix: 'small' }));
      expect(srv.mechanisms.length).toBeGreaterThan(0);
      for (const t of transports(srv)) {
        for (const mechanism of srv.mechanisms) {
          const what = `${mechanism} over ${t.security}`;
          const lines: string[] = [];
          const pop = await connect(t, { log: (d, l) => lines.push(`${d} ${l}`) });
          const login = pop.login({ user: srv.user, password: srv.password, mechanism, allowInsecure: !pop.secure });
          if (mechanism === 'APOP' && t.security === 'starttls') {
            // By design: the greeting's APOP timestamp came before TLS, so our client does not use it.
            const err = await login.catch((e: unknown) => e);
            expect(err, what).toBeInstanceOf(Pop3Error);
            expect((err as Pop3Error).code, what).toBe('unsupported');
            pop.close();
            continue;
          }
          await login;
          expect(triedMechanism(lines, mechanism), what).toBe(true);
          expect((await pop.stat()).count, what).toBe(1);
          await pop.quit();
          const trace = lines.join('\n');
          expect(trace, what).not.toContain(srv.password);
          expect(trace, what).not.toContain(Buffer.from(srv.password).toString('base64'));
        }
      }
      const pop = await connect();
      const err = await pop.login({ user: srv.user, password: 'not-the-password', allowInsecure: !pop.secure }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Pop3Error);
      expect((err as Pop3Error).code).toBe('auth');
      pop.close();
    });

    it('lists what was delivered: sizes as served, unique UIDLs that stay the same in the next session, RETR byte-exact', async () => {
      const msgs = corpus(60);
      await srv.deliver(msgs);
      const want = msgs.map((m) => served(srv, m));
      const pop = await session();
      expect(await pop.stat()).toEqual({ count: msgs.length, size: want.reduce((n, b) => n + b.length, 0) });
      expect((await pop.list()).map((m) => m.size)).toEqual(want.map((b) => b.length));
      for (let i = 0; i < want.length; i++) expect(sha256(await readAll(await pop.retr(i + 1))), `message ${i + 1}`).toBe(sha256(want[i]!));
      const uidls = srv.uidl ? (await pop.uidl()).map((u) => u.uid) : [];
      await pop.quit();
      if (srv.uidl) {
        expect(new Set(uidls).size).toBe(msgs.length);
        // As a check for mail asks it (quick-check.ts), on each transport: the CAPA after login
        // pipelined with UIDL where the server said PIPELINING, PLAIN first over TLS.
        for (const t of transports(srv)) {
          const again = await connect(t);
          expect((await again.loginThenUidl({ user: srv.user, password: srv.password, allowInsecure: !again.secure })).map((u) => u.uid), t.security).toEqual(uidls);
          await again.quit();
        }
      }
    });

    for (const pipelining of [true, false]) {
      it(`downloads everything byte-exact, exactly once, and empties the server (leave on server off${pipelining ? '' : ', pipelining off'})`, async () => {
        const msgs = corpus(10);
        await srv.deliver(msgs);
        const r = await syncAccount(box, syncOptions(LEAVE_OFF, { connect: connectOptions(srv, undefined, { pipelining }) }));
        expect(r).toMatchObject({ downloaded: msgs.length, deletedOnServer: msgs.length, skipped: 0 });
        expect(await local()).toEqual(msgs.map((m) => sha256(served(srv, m))).sort());
        expect(await srv.count()).toBe(0);
        expect((await syncAccount(box, syncOptions(LEAVE_OFF))).downloaded).toBe(0);
        expect((await local()).length).toBe(msgs.length);
      });
    }

    it('leave on server: nothing downloaded twice, new mail picked up, the server keeps everything', async () => {
      const first = corpus(20);
      await srv.deliver(first);
      expect((await syncAccount(box, syncOptions(LEAVE_ON))).downloaded).toBe(first.length);
      expect((await syncAccount(box, syncOptions(LEAVE_ON))).downloaded).toBe(0);
      const more = generateMessages({ seed: 21, count: 2, mix: 'small' });
      await srv.deliver(more);
      expect(await syncAccount(box, syncOptions(LEAVE_ON))).toMatchObject({ downloaded: 2, deletedOnServer: 0 });
      expect(await local()).toEqual([...first, ...more].map((m) => sha256(served(srv, m))).sort());
      expect(await srv.count()).toBe(first.length + 2);
    });

    it('leave on server for N days, and delete there when deleted here', async () => {
      const msgs = generateMessages({ seed: 30, count: 4, mix: 'small' });
      await srv.deliver(msgs);
      const policy: SyncPolicy = { ...LEAVE_ON, deleteAfterDays: 7, deleteWhenDeletedLocally: true };
      await syncAccount(box, syncOptions(policy));

      // Delete one here for good (what emptying Trash does): gone from the server at the next check.
      const gone = [...box.ledger.all()][0]!;
      await box.maildir.remove(gone.id);
      box.ledger.deletedLocally(gone.uidl, clock);
      await box.ledger.commit();
      clock += 6 * DAY;
      expect(await syncAccount(box, syncOptions(policy))).toMatchObject({ downloaded: 0, deletedOnServer: 1 });
      expect(await srv.count()).toBe(3);

      clock += 1 * DAY;
      expect((await syncAccount(box, syncOptions(policy))).deletedOnServer).toBe(3);
      expect(await srv.count()).toBe(0);
      expect((await local()).length).toBe(3);
    });

    it('headers only over the size limit, then the rest on demand, byte-exact', async () => {
      const small = generateMessage(40, 4 * 1024);
      const big = generateMessage(41, 600 * 1024, { attachment: true });
      await srv.deliver([small, big]);
      const r = await syncAccount(box, syncOptions({ ...LEAVE_OFF, maxMessageSizeKB: 100 }));
      expect(r).toMatchObject({ downloaded: 1, headersOnly: 1, deletedOnServer: 1 });
      expect(await srv.count()).toBe(1); // the partial one stays on the server
      const partial = [...box.ledger.all()].find((e) => e.partial)!;
      const full = served(srv, big);
      expect(sha256(await fs.readFile(box.maildir.pathOf(partial.id)!))).toBe(sha256(full.subarray(0, full.indexOf('\r\n\r\n') + 4)));

      const opts = syncOptions(LEAVE_OFF);
      await fetchFull(box, partial.id, { connect: opts.connect, credentials: opts.credentials });
      expect(sha256(await fs.readFile(box.maildir.pathOf(partial.id)!))).toBe(sha256(full));
      expect((await syncAccount(box, syncOptions({ ...LEAVE_OFF, maxMessageSizeKB: 100 }))).deletedOnServer).toBe(1);
      expect(await srv.count()).toBe(0);
    });

    it('DELE counts only after QUIT: a dropped connection deletes nothing', async () => {
      await srv.deliver(generateMessages({ seed: 50, count: 3, mix: 'small' }));
      const dropped = await session();
      await dropped.deleteMany([1, 2]);
      dropped.close();
      // The server notices the drop on its own time; give it a moment before looking.
      await new Promise((r) => setTimeout(r, 300));
      expect(await srv.count()).toBe(3);

      const pop = await session();
      expect((await pop.stat()).count).toBe(3);
      const before = srv.uidl ? (await pop.uidl()).map((u) => u.uid) : [];
      await pop.deleteMany([1]);
      await pop.quit();
      expect(await srv.count()).toBe(2);

      // Exactly that one is gone.
      const after = await session();
      expect((await after.stat()).count).toBe(2);
      if (srv.uidl) expect((await after.uidl()).map((u) => u.uid)).toEqual(before.slice(1));
      await after.quit();
    });
  });
}
