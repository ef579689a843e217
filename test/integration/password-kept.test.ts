/**
 * A password command's answer is kept in the app's memory (accounts-service.ts): a check every few
 * minutes does not start a process (a fork of the whole app) each time. It runs again only after
 * the server refused the password ([AUTH]) — the same check then logs in once more with what the
 * command prints now, if that is another password — or when the account's password settings change. A refusal for another reason
 * ([IN-USE]) keeps it. Counted at a POP3 server whose password the test changes.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MailService } from '../../electron/core/mail-service.js';
import { MemorySecretStore } from '../../electron/core/secrets/index.js';
import { miniPop3, startFaultServer, type FaultServer } from '../support/fault-server.js';

describe('a password command in the running app', () => {
  let server: FaultServer;
  let dataDir: string;
  let service: MailService;
  let accountId: string;
  let runs: string;
  let printed: string;
  /** What the server takes now, and what it answers instead of logging in. */
  let serverPassword = 'first';
  let refuseWith: string | null = null;
  let logins = 0;

  const commandRuns = async () => (await fs.readFile(runs, 'utf8').catch(() => '')).split('\n').filter(Boolean).length;
  const check = async () => (await service.sync([accountId]))[0];

  beforeAll(async () => {
    server = await startFaultServer((conn) =>
      miniPop3(conn, {
        messages: [Buffer.from('Subject: one\r\n\r\nbody\r\n')],
        uids: ['one'],
        capa: ['USER', 'UIDL', 'PIPELINING', 'RESP-CODES', 'AUTH-RESP-CODE'],
        // The password the server takes when this connection is made (a wrong one: -ERR [AUTH]).
        password: serverPassword,
        override: async (c, verb) => {
          if (verb !== 'PASS') return false;
          logins++;
          if (!refuseWith) return false;
          await c.send(refuseWith);
          return true;
        },
      }),
    );
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'popbox-pwkept-'));
    runs = path.join(dataDir, 'runs');
    printed = path.join(dataDir, 'printed');
    await fs.writeFile(printed, 'first');
    service = await MailService.open({ dataDir, secrets: new MemorySecretStore(), sendQueued: false });
    accountId = (
      await service.addAccount({
        name: 'P', host: '127.0.0.1', port: server.port, security: 'plain', allowInsecureAuth: true, user: 'alice', leaveOnServer: true,
        password: { source: 'command', command: `echo run >> '${runs}'; cat '${printed}'` },
      })
    ).id;
  });

  afterAll(async () => {
    await service?.close();
    await server?.close();
    if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
  });

  it('runs once for two checks, again after the server refused the password, not after [IN-USE]', async () => {
    expect(await check()).toMatchObject({ ok: true, result: { downloaded: 1 } });
    expect(await check()).toMatchObject({ ok: true, result: { downloaded: 0 } });
    expect(await commandRuns()).toBe(1);
    expect(logins).toBe(2);

    // The password changed at the server and in the store the command reads.
    serverPassword = 'second';
    await fs.writeFile(printed, 'second');
    // The kept one is tried and refused; the command runs again and the same check logs in
    // with what it prints now (the scheduler would stop checking an account that needs a password).
    const before = logins;
    expect(await check()).toMatchObject({ ok: true, result: { downloaded: 0 } });
    expect(await commandRuns()).toBe(2);
    expect(logins - before).toBe(2);
    expect(await check()).toMatchObject({ ok: true, result: { downloaded: 0 } });
    expect(await commandRuns()).toBe(2);

    refuseWith = '-ERR [IN-USE] locked by another session';
    try {
      expect(await check()).toMatchObject({ ok: false, error: { code: 'in-use' } });
    } finally {
      refuseWith = null;
    }
    expect(await check()).toMatchObject({ ok: true, result: { downloaded: 0 } });
    expect(await commandRuns()).toBe(2);
  });

  it('a refused password the command still prints is not sent again: the check reports it', async () => {
    const runsBefore = await commandRuns();
    serverPassword = 'third'; // changed at the provider, not yet in the store the command reads
    try {
      const before = logins;
      expect(await check()).toMatchObject({ ok: false, error: { code: 'auth' } });
      expect(logins - before).toBe(1); // the kept one; the command printed it again
      expect((await commandRuns()) - runsBefore).toBe(1);
    } finally {
      serverPassword = 'second';
    }
    expect(await check()).toMatchObject({ ok: true, result: { downloaded: 0 } });
  });

  it('runs again when the account gets another command', async () => {
    const before = await commandRuns();
    await service.updateAccount(accountId, { password: { source: 'command', command: `echo run >> '${runs}'; cat '${printed}'; true` } });
    expect(await check()).toMatchObject({ ok: true, result: { downloaded: 0 } });
    expect(await check()).toMatchObject({ ok: true, result: { downloaded: 0 } });
    expect((await commandRuns()) - before).toBe(1);
  });
});

describe('a password command slow enough that the server hangs up after refusing the kept password', () => {
  it('the check says the password was refused (not a dropped link); the next check logs in with what the command printed, without running it again', async () => {
    let serverPassword = 'first';
    const passes: string[] = [];
    const server = await startFaultServer((conn) =>
      miniPop3(conn, {
        messages: [Buffer.from('Subject: one\r\n\r\nbody\r\n')],
        uids: ['one'],
        capa: ['USER', 'UIDL', 'RESP-CODES', 'AUTH-RESP-CODE'],
        password: serverPassword,
        closeAfterWrongPassword: true,
        override: async (_c, verb, args) => {
          if (verb === 'PASS') passes.push(args.join(' '));
          return false;
        },
      }),
    );
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'popbox-pwslow-'));
    const printed = path.join(dataDir, 'printed');
    const runs = path.join(dataDir, 'runs');
    await fs.writeFile(printed, 'first');
    const service = await MailService.open({ dataDir, secrets: new MemorySecretStore(), sendQueued: false });
    try {
      const { id } = await service.addAccount({
        name: 'S', host: '127.0.0.1', port: server.port, security: 'plain', allowInsecureAuth: true, user: 'alice', leaveOnServer: true,
        // Slow only when it runs again (the server has hung up by the time it prints).
        password: { source: 'command', command: `if [ -e '${runs}' ]; then sleep 0.5; fi; echo run >> '${runs}'; cat '${printed}'` },
      });
      expect((await service.sync([id]))[0]).toMatchObject({ ok: true });
      serverPassword = 'second';
      await fs.writeFile(printed, 'second');
      expect((await service.sync([id]))[0]).toMatchObject({ ok: false, error: { code: 'auth' } });
      expect(passes).toEqual(['first', 'first']); // the fresh one could not be sent: the server had hung up
      expect((await service.sync([id]))[0]).toMatchObject({ ok: true });
      expect(passes).toEqual(['first', 'first', 'second']);
      expect((await fs.readFile(runs, 'utf8')).trim().split('\n')).toHaveLength(2);
    } finally {
      await service.close();
      await server.close();
      await fs.rm(dataDir, { recursive: true, force: true });
    }
  });
});
