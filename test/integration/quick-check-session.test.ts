/**
 * The quick check and DESIGN §3.4 (one session per account), against a server that counts its
 * logged-in sessions: a check that finds new mail logs in once and keeps that session until the
 * sync it hands over to is done, so a job asked for meanwhile (download the rest of a message,
 * On the server's Refresh) waits for it instead of logging in beside it; and a login the server
 * refuses ([IN-USE]) is that check's outcome, one attempt, not a second login at once.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { quickSync } from '../../electron/cli/quick-sync.js';
import { MailService } from '../../electron/core/mail-service.js';
import { MemorySecretStore } from '../../electron/core/secrets/index.js';
import { AccountMailbox } from '../../electron/core/store/mailbox.js';
import { HandOver } from '../../electron/core/sync/hand-over.js';
import { miniPop3, startFaultServer, type FaultServer } from '../support/fault-server.js';
import { ageMaildir } from '../support/maildir-age.js';

const mail = (n: string, body = `body ${n}\r\n`) => Buffer.from(`From: w@example.org\r\nSubject: message ${n}\r\nMessage-ID: <${n}@x>\r\n\r\n${body}`);

function gate() {
  let open!: () => void;
  const p = new Promise<void>((r) => (open = r));
  return { p, open };
}

describe('the quick check keeps the account to one session', () => {
  /** The mailbox as the server holds it, across connections. */
  const box: { uid: string; bytes: Buffer }[] = [
    { uid: 'a', bytes: mail('a') },
    // Over the account's 1 KB limit: stored headers only, its rest fetched on demand.
    { uid: 'big', bytes: mail('big', `${'x'.repeat(70)}\r\n`.repeat(40)) },
  ];
  let server: FaultServer;
  let dataDir: string;
  let service: MailService;
  let accountId: string;
  let accountDir: string;
  /** Logged-in sessions now, the most there ever were at once, and PASS commands received. */
  const sessions = { now: 0, max: 0, logins: 0 };
  /** Answer PASS with this instead of logging in. */
  let refuseLogin: string | null = null;
  /** Hold the next UIDL listing until released (the quick check between its UIDL and the hand-over). */
  let holdUidl: { held: ReturnType<typeof gate>; release: ReturnType<typeof gate> } | null = null;

  beforeAll(async () => {
    server = await startFaultServer(async (conn) => {
      const now = box.slice();
      let authed = false;
      try {
        await miniPop3(conn, {
          messages: now.map((m) => m.bytes),
          uids: now.map((m) => m.uid),
          // USER/PASS only (no SASL), so that every login is a PASS counted below.
          capa: ['USER', 'UIDL', 'TOP', 'PIPELINING', 'RESP-CODES', 'AUTH-RESP-CODE'],
          override: async (c, verb, args) => {
            if (verb === 'PASS') {
              sessions.logins++;
              if (refuseLogin) {
                await c.send(refuseLogin);
                return true;
              }
              if (args.join(' ') !== 'pw') return false;
              authed = true;
              sessions.now++;
              sessions.max = Math.max(sessions.max, sessions.now);
              await c.send('+OK logged in');
              return true;
            }
            if (verb === 'UIDL' && args.length === 0 && holdUidl) {
              const hold = holdUidl;
              holdUidl = null;
              hold.held.open();
              await hold.release.p;
            }
            return false;
          },
        });
      } finally {
        if (authed) sessions.now--;
      }
    });
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'popbox-quick-session-'));
    service = await MailService.open({ dataDir, secrets: new MemorySecretStore() });
    accountId = (
      await service.addAccount(
        { name: 'F', host: '127.0.0.1', port: server.port, security: 'plain', allowInsecureAuth: true, user: 'alice', leaveOnServer: true, maxMessageSizeKB: 1, password: { source: 'keychain' } },
        'pw',
      )
    ).id;
    accountDir = AccountMailbox.dirFor(dataDir, accountId);
  });

  afterAll(async () => {
    await service?.close();
    await server?.close();
    if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
  });

  /** A full sync over an aged Maildir: its stamp lets the next check be a quick one. */
  async function quickEligible(): Promise<void> {
    await ageMaildir(accountDir);
    expect((await service.sync([accountId]))[0]).toMatchObject({ ok: true, result: { downloaded: 0, headersOnly: 0 } });
  }

  it('new mail: download-the-rest and Refresh asked for while the quick check has its UIDL wait for the sync; never two sessions at once', async () => {
    expect((await service.sync([accountId]))[0]).toMatchObject({ ok: true, result: { downloaded: 1, headersOnly: 1 } });
    const partial = service.messages({ accountId }).find((m) => m.uidl === 'big')!;
    await quickEligible();
    box.push({ uid: 'c', bytes: mail('c') });
    sessions.max = 0;
    const loginsBefore = sessions.logins;
    const opens = vi.spyOn(AccountMailbox, 'open');

    holdUidl = { held: gate(), release: gate() };
    const { held, release } = holdUidl;
    const check = service.sync([accountId]);
    await held.p; // the quick check is logged in and waits for its UIDL
    const fetched = service.fetchFull(partial.id);
    const refreshed = service.serverListing(accountId, { refresh: true });
    await new Promise((r) => setTimeout(r, 100));
    release.open();

    expect((await check)[0]).toMatchObject({ ok: true, result: { downloaded: 1 } });
    expect((await fetched).id).toBe(partial.id);
    expect((await refreshed).messages.map((m) => m.uidl).sort()).toEqual(['a', 'big', 'c']);
    // The check went through the quick check and its hand-over (the mailbox opened under the lock it took) …
    expect(opens.mock.calls.some((call) => call[2] !== undefined)).toBe(true);
    // … with one login, and each other job logged in after it had ended.
    expect(sessions.logins - loginsBefore).toBe(3);
    expect(sessions.max).toBe(1);
    expect(service.messages({ accountId }).map((m) => m.uidl).sort()).toEqual(['a', 'big', 'c']);
    opens.mockRestore();
  });

  it('a login refused with [IN-USE]: one attempt, and the check says in-use (the scheduler backs off)', async () => {
    await quickEligible();
    box.push({ uid: 'd', bytes: mail('d') });
    refuseLogin = '-ERR [IN-USE] the mailbox is locked by another session';
    try {
      const before = sessions.logins;
      const [outcome] = await service.sync([accountId]);
      expect(outcome).toMatchObject({ ok: false, error: { code: 'in-use' } });
      expect(sessions.logins - before).toBe(1);
    } finally {
      refuseLogin = null;
    }
    expect((await service.sync([accountId]))[0]).toMatchObject({ ok: true, result: { downloaded: 1 } });
  });

  it('through the CLI quick path: a login refused with [IN-USE] is printed as the full path prints it, after one attempt', async () => {
    await service.updateAccount(accountId, { password: { source: 'command', command: 'echo pw' } });
    await service.sync([accountId]); // whatever the test before left
    await quickEligible();
    await service.close(); // a clean close: the CLI's quick path may run
    refuseLogin = '-ERR [IN-USE] the mailbox is locked by another session';
    try {
      const before = sessions.logins;
      const out: string[] = [];
      const err: string[] = [];
      const code = await quickSync(dataDir, [], { out: (s) => out.push(s), err: (s) => err.push(s) }, new HandOver());
      expect(code).toBe(1);
      expect(out).toEqual([]);
      expect(err.join('')).toMatch(/^F: in-use: PASS: server said -ERR \[IN-USE\] the mailbox is locked/);
      expect(sessions.logins - before).toBe(1);
    } finally {
      refuseLogin = null;
      service = await MailService.open({ dataDir, secrets: new MemorySecretStore() });
    }
  });

  it('a ledger that cannot be read (a directory in its place): the sync says storage, and the connection opened beside the read is closed, not left to the server to time out', async () => {
    await quickEligible();
    const ledger = path.join(accountDir, 'ledger.jsonl');
    await fs.rename(ledger, `${ledger}.kept`);
    await fs.mkdir(ledger); // EISDIR, root or not
    try {
      const connectionsBefore = server.connections.length;
      const [outcome] = await service.sync([accountId]);
      expect(outcome).toMatchObject({ ok: false, error: { code: 'storage' } });
      // The quick check connected while it read the ledger (the full path fails at its mailbox, before connecting).
      expect(server.connections.length - connectionsBefore).toBe(1);
      const conn = server.connections[connectionsBefore]!;
      // Dropped by the client (no QUIT: nothing was asked); left open, only the server's timeout would end it.
      expect(await conn.closedWithin(10_000)).toBe(true);
      expect(conn.received).not.toContain('QUIT');
    } finally {
      await fs.rm(ledger, { recursive: true, force: true });
      await fs.rename(`${ledger}.kept`, ledger);
    }
    expect((await service.sync([accountId]))[0]).toMatchObject({ ok: true });
  });
});
