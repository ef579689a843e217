/**
 * The On the server hook runs once per check. With `handOver` (the app), the quick check runs it
 * on its listing and the full sync replays what it changed; without (nothing to hand over to),
 * a check that finds work leaves the hook to the full sync, which runs it itself — running it
 * here too would run it twice (holding junk fetches headers each time).
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MailService } from '../../electron/core/mail-service.js';
import { MemorySecretStore } from '../../electron/core/secrets/index.js';
import { AccountMailbox } from '../../electron/core/store/mailbox.js';
import { dropHandOver, quickCheck, type QuickCheckHook } from '../../electron/core/sync/quick-check.js';
import { miniPop3, startFaultServer, type FaultServer } from '../support/fault-server.js';
import { ageMaildir } from '../support/maildir-age.js';

const mail = (n: string) => Buffer.from(`From: w@example.org\r\nSubject: message ${n}\r\nMessage-ID: <${n}@x>\r\n\r\nbody ${n}\r\n`);

describe('the quick check and the On the server hook', () => {
  const box: { uid: string; bytes: Buffer }[] = [{ uid: 'a1', bytes: mail('a1') }];
  const verbs: string[][] = [];
  let server: FaultServer;
  let dataDir: string;
  let accountDir: string;
  const policy = { leaveOnServer: true, deleteAfterDays: null, deleteWhenDeletedLocally: false, maxMessageSizeKB: null };

  beforeAll(async () => {
    server = await startFaultServer(async (conn) => {
      const now = box.slice();
      const seen: string[] = [];
      verbs.push(seen);
      await miniPop3(conn, {
        messages: now.map((m) => m.bytes),
        uids: now.map((m) => m.uid),
        capa: ['USER', 'UIDL', 'TOP', 'PIPELINING', 'RESP-CODES', 'AUTH-RESP-CODE'],
        override: async (_c, verb) => {
          seen.push(verb);
          return false;
        },
      });
    });
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'popbox-quick-hook-'));
    const service = await MailService.open({ dataDir, secrets: new MemorySecretStore(), sendQueued: false });
    const account = await service.addAccount(
      { name: 'H', host: '127.0.0.1', port: server.port, security: 'plain', allowInsecureAuth: true, user: 'alice', leaveOnServer: true, password: { source: 'keychain' } },
      'pw',
    );
    accountDir = AccountMailbox.dirFor(dataDir, account.id);
    expect((await service.sync())[0]).toMatchObject({ ok: true, result: { downloaded: 1 } });
    // Age the Maildir so that the stamp the next full sync writes is trusted (quick-check.ts).
    await ageMaildir(accountDir);
    expect((await service.sync())[0]).toMatchObject({ ok: true, result: { downloaded: 0 } });
    await service.close();
    box.push({ uid: 'a2', bytes: mail('a2') });
  });

  afterAll(async () => {
    await server?.close();
    if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
  });

  const check = (handOver: boolean, hook: QuickCheckHook) =>
    quickCheck({
      accountDir,
      connect: () => ({ host: '127.0.0.1', port: server.port, security: 'plain' }),
      server: { host: '127.0.0.1', port: server.port },
      credentials: { user: 'alice', password: 'pw', allowInsecure: true },
      policy,
      now: Date.now(),
      handOver,
      adjustPlan: hook,
    });

  it('without hand-over, new mail: QUIT, and the hook is left to the full sync (not run here)', async () => {
    let runs = 0;
    const hook: QuickCheckHook = async (plan) => {
      runs++;
      return plan;
    };
    const from = verbs.length;
    expect(await check(false, hook)).toBeNull();
    expect(runs).toBe(0);
    expect(verbs.slice(from).flat().filter((v) => ['UIDL', 'LIST', 'QUIT'].includes(v))).toEqual(['UIDL', 'QUIT']);
  });

  it('with hand-over, new mail: the hook runs once here, on the listing handed over', async () => {
    let runs = 0;
    const hook: QuickCheckHook = async (plan) => {
      runs++;
      return plan;
    };
    const outcome = await check(true, hook);
    expect(outcome).toMatchObject({ kind: 'work', listing: [{ uidl: 'a1' }, { uidl: 'a2' }], hook: { changes: expect.anything() } });
    expect(runs).toBe(1);
    if (outcome?.kind === 'work') await dropHandOver(outcome);
  });
});
