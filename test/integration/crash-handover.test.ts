/**
 * kill -9 during the quick check's hand-over (issue 18; DESIGN §3 invariants 1–4): `popbox sync`
 * finds new mail in its quick check, which keeps the account's lock and its logged-in session
 * for the full path; the process is SIGKILLed after the server answered that session's LIST and
 * before (or while) the full sync opens the account's mailbox — the full path loading, the data
 * directory opening, AccountMailbox.open, reconcile. Then a new `popbox sync` runs to its end:
 * the dead process's locks are taken over, every message is on disk exactly once, byte for byte,
 * and listed once; nothing was deleted on the server by the killed session, and with "leave on
 * server" nothing at all, without it only what is safe on disk.
 *
 * Kill points: spread over the time an uninterrupted sync takes from LIST to its first RETR
 * (measured first, per variant), POPBOX_CRASH_RUNS kills per variant (default 3; POPBOX_SOAK=1: 12);
 * POPBOX_CRASH_VERBOSE=1 prints every kill.
 * The server is one of our own (test/support/fault-server.ts) so that the kill can follow the
 * session's LIST: it holds each mailbox across sessions and applies DELE only at QUIT.
 */
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MailService } from '../../electron/core/mail-service.js';
import { MemorySecretStore } from '../../electron/core/secrets/index.js';
import { AccountMailbox } from '../../electron/core/store/mailbox.js';
import { bundleCli } from '../support/cli-bundle.js';
import { miniPop3, startFaultServer, type FaultServer } from '../support/fault-server.js';
import { ageMaildir } from '../support/maildir-age.js';

const run = promisify(execFile);
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const KILLS = process.env.POPBOX_CRASH_RUNS ? Number(process.env.POPBOX_CRASH_RUNS) : process.env.POPBOX_SOAK ? 12 : 3;
const env = { ...process.env, POPBOX_DATA_DIR: '' };

const mail = (uid: string, lines = 3) =>
  Buffer.from(`From: w@example.org\r\nSubject: message ${uid}\r\nMessage-ID: <${uid}@x>\r\n\r\n${`body of ${uid} ${'x'.repeat(60)}\r\n`.repeat(lines)}`);
const OLD = ['old1', 'old2', 'old3'].map((uid) => ({ uid, bytes: mail(uid) }));
const NEW = ['new1', 'new2', 'new3', 'new4', 'new5'].map((uid, i) => ({ uid, bytes: mail(uid, 20 + i * 40) }));
const expected = new Map([...OLD, ...NEW].map((m) => [sha(m.bytes), m.uid]));

interface Session {
  verbs: string[];
  /** When the server received LIST / the first RETR (performance.now()). */
  listAt?: number;
  retrAt?: number;
}

describe('crash safety of the quick check’s hand-over: SIGKILL `popbox sync` between its LIST and the full sync', () => {
  let server: FaultServer;
  /** The mailbox as the server holds it across sessions. */
  let box: { uid: string; bytes: Buffer }[] = [];
  const sessions: Session[] = [];
  /** Called when a session's LIST arrives (the test's kill timer). */
  let onList: (() => void) | null = null;
  let base: string;
  let cliPath: string;
  const templates: Record<'on' | 'off', { dir: string; accountId: string }> = {} as never;

  beforeAll(async () => {
    cliPath = await bundleCli();
    server = await startFaultServer(async (conn) => {
      const now = box.slice();
      const session: Session = { verbs: [] };
      sessions.push(session);
      const dele = new Set<string>();
      await miniPop3(conn, {
        messages: now.map((m) => m.bytes),
        uids: now.map((m) => m.uid),
        capa: ['USER', 'UIDL', 'TOP', 'PIPELINING', 'RESP-CODES', 'AUTH-RESP-CODE'],
        override: async (_c, verb, args) => {
          session.verbs.push(verb);
          if (verb === 'LIST' && args.length === 0) {
            session.listAt = performance.now();
            onList?.();
          }
          if (verb === 'RETR') session.retrAt ??= performance.now();
          const m = now[Number(args[0]) - 1];
          if (verb === 'DELE' && m) dele.add(m.uid);
          // RFC 1939 §6: deletions happen at QUIT only.
          if (verb === 'QUIT') box = box.filter((x) => !dele.has(x.uid));
          return false;
        },
      });
    });
    base = await fs.mkdtemp(path.join(os.tmpdir(), 'popbox-crash-handover-'));
    // One data directory per variant, synced with the old mail, then made ready for a quick check.
    for (const leave of ['on', 'off'] as const) {
      box = OLD.slice();
      const dir = path.join(base, `template-${leave}`);
      const service = await MailService.open({ dataDir: dir, secrets: new MemorySecretStore() });
      const { id } = await service.addAccount({
        name: 'H', host: '127.0.0.1', port: server.port, security: 'plain', allowInsecureAuth: true, user: 'alice',
        leaveOnServer: leave === 'on', password: { source: 'command', command: 'echo pw' },
      });
      expect((await service.sync())[0]).toMatchObject({ ok: true, result: { downloaded: 3 } });
      await ageMaildir(AccountMailbox.dirFor(dir, id));
      expect((await service.sync())[0]).toMatchObject({ ok: true, result: { downloaded: 0 } }); // the stamp
      await service.close(); // cleanly: the CLI's quick path runs
      templates[leave] = { dir, accountId: id };
    }
  }, 120_000);

  afterAll(async () => {
    await server?.close();
    if (base) await fs.rm(base, { recursive: true, force: true });
  });

  /** A copy of the variant's template, and the server as it left it plus the new mail. */
  async function fresh(leave: 'on' | 'off', name: string): Promise<string> {
    const dir = path.join(base, name);
    await run('cp', ['-a', templates[leave].dir, dir]);
    box = [...(leave === 'on' ? OLD : []), ...NEW];
    return dir;
  }

  /** `popbox sync`, SIGKILLed `killAfterMs` after its first LIST reached the server (never, when undefined). */
  function sync(dataDir: string, killAfterMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; pid: number; killedAt?: number }> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [cliPath, '--data-dir', dataDir, 'sync'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      let killedAt: number | undefined;
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      let timer: NodeJS.Timeout | null = null;
      onList =
        killAfterMs === undefined
          ? null
          : () => {
              onList = null;
              timer = setTimeout(() => {
                killedAt = performance.now();
                child.kill('SIGKILL');
              }, killAfterMs);
            };
      child.on('error', reject);
      child.on('exit', (code, signal) => {
        onList = null;
        if (timer) clearTimeout(timer);
        resolve({ code, signal, stdout, stderr, pid: child.pid!, ...(killedAt !== undefined ? { killedAt } : {}) });
      });
    });
  }

  /** Every stored message by its content: the uids found, each as often as there are files of it. */
  async function stored(dataDir: string, accountId: string): Promise<string[]> {
    const root = path.join(AccountMailbox.dirFor(dataDir, accountId), 'Maildir');
    const found: string[] = [];
    for (const dir of ['', ...(await fs.readdir(root)).filter((d) => d.startsWith('.'))]) {
      for (const sub of ['cur', 'new']) {
        for (const name of await fs.readdir(path.join(root, dir, sub)).catch(() => [] as string[])) {
          const uid = expected.get(sha(await fs.readFile(path.join(root, dir, sub, name))));
          found.push(uid ?? `unexpected file ${dir}/${sub}/${name}`);
        }
      }
    }
    return found.sort();
  }

  const all = [...OLD, ...NEW].map((m) => m.uid).sort();

  for (const leave of ['on', 'off'] as const) {
    it(`leave on server ${leave}: ${KILLS} kills in the hand-over, then a sync: every message once, nothing lost on the server`, async () => {
      const { accountId } = templates[leave];
      // Uninterrupted: one session (the quick check's, handed over), and how long from its LIST to its first RETR.
      const calibration = await fresh(leave, `calibrate-${leave}`);
      const from = sessions.length;
      const clean = await sync(calibration);
      expect(clean, clean.stderr).toMatchObject({ code: 0, stdout: `H: 5 new, ${leave === 'on' ? 0 : 5} deleted on server\n` });
      expect(sessions.length - from).toBe(1);
      const s = sessions[from]!;
      expect(s.verbs.filter((v) => v === 'PASS')).toHaveLength(1);
      const window = s.retrAt! - s.listAt!;
      expect(await stored(calibration, accountId)).toEqual(all);

      let inWindow = 0;
      for (let k = 0; k < KILLS; k++) {
        const dir = await fresh(leave, `kill-${leave}-${k}`);
        const serverBefore = box.map((m) => m.uid).sort();
        const first = sessions.length;
        // Spread over the first ¾ of the hand-over (right after LIST on): a later run may go faster than the measured one.
        const killAfter = Math.floor((0.75 * window * (k + 0.25)) / KILLS);
        const killed = await sync(dir, killAfter);
        if (killed.signal !== 'SIGKILL') {
          // Finished before the timer: nothing to check about a kill, but it must have succeeded.
          expect(killed.code, killed.stderr).toBe(0);
        } else {
          const killedSession = sessions[first]!;
          const before = killedSession.retrAt === undefined || killedSession.retrAt > killed.killedAt!;
          if (before) inWindow++;
          if (process.env.POPBOX_CRASH_VERBOSE) console.log(`kill ${leave} ${k}: ${killAfter} ms after LIST (window ${window.toFixed(0)} ms), ${before ? 'before' : 'after'} the first RETR`);
          // Killed in the hand-over, it held the account's lock (taken by the quick check, kept for the full sync).
          if (before) expect(await fs.readFile(path.join(AccountMailbox.dirFor(dir, accountId), 'lock'), 'utf8')).toMatch(new RegExp(`^${killed.pid} `));
          // Without QUIT the server deleted nothing; in any case every message is on the server or safe on disk.
          const now = await stored(dir, accountId);
          if (!killedSession.verbs.includes('QUIT')) expect(box.map((m) => m.uid).sort()).toEqual(serverBefore);
          for (const uid of all) expect(box.some((m) => m.uid === uid) || now.includes(uid), uid).toBe(true);
          // On disk each message at most once (a download cut short leaves no copy or one).
          expect(new Set(now).size).toBe(now.length);
        }
        // A new sync: the dead process's locks are taken over, and it ends with everything once.
        const again = await sync(dir);
        expect(again.code, again.stderr).toBe(0);
        expect(again.stdout).toMatch(/^H: \d+ new, \d+ deleted on server\n$/);
        expect(await stored(dir, accountId)).toEqual(all);
        const listed = JSON.parse((await run(process.execPath, [cliPath, '--data-dir', dir, 'messages', '--json'], { env })).stdout) as { uidl: string }[];
        expect(listed.map((m) => m.uidl).sort()).toEqual(all);
        expect(box.map((m) => m.uid).sort()).toEqual(leave === 'on' ? all : []);
        await fs.rm(dir, { recursive: true, force: true });
      }
      // Most kills landed where this suite is about: after LIST, before the full sync's first RETR.
      expect(inWindow).toBeGreaterThanOrEqual(Math.ceil(KILLS / 2));
    }, 300_000);
  }
});
