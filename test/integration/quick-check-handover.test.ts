/**
 * A check that finds new mail does the server's work once (issue 18): one login, one UIDL and one
 * LIST per check — in the app, where the quick check hands its session to the full sync, and
 * through `popbox sync`, whose quick path hands its session to the full path in the same process
 * instead of QUIT and a second login. The password command runs once per login through the CLI,
 * once for the app's life in the app (accounts-service.ts keeps its answer). Counted at a
 * POP3 server of our own that records every command of every session.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MailService } from '../../electron/core/mail-service.js';
import { MemorySecretStore } from '../../electron/core/secrets/index.js';
import { AccountMailbox } from '../../electron/core/store/mailbox.js';
import { runCli } from '../support/cli-bundle.js';
import { miniPop3, startFaultServer, type FaultServer } from '../support/fault-server.js';
import { ageMaildir } from '../support/maildir-age.js';

const mail = (n: string) => Buffer.from(`From: w@example.org\r\nSubject: message ${n}\r\nMessage-ID: <${n}@x>\r\n\r\nbody ${n}\r\n`);

/** A server whose mailbox persists across sessions and which records each session's commands. */
async function countingServer(user: string) {
  const box: { uid: string; bytes: Buffer }[] = [];
  const sessions: string[][] = [];
  const server = await startFaultServer(async (conn) => {
    const now = box.slice();
    const verbs: string[] = [];
    sessions.push(verbs);
    await miniPop3(conn, {
      user,
      messages: now.map((m) => m.bytes),
      uids: now.map((m) => m.uid),
      capa: ['USER', 'UIDL', 'TOP', 'PIPELINING', 'RESP-CODES', 'AUTH-RESP-CODE'],
      override: async (_c, verb) => {
        verbs.push(verb);
        return false;
      },
    });
  });
  /** Commands of the sessions opened since `from` (an index into `sessions`). */
  const since = (from: number) => {
    const all = sessions.slice(from).flat();
    const count = (v: string) => all.filter((x) => x === v).length;
    return { sessions: sessions.length - from, pass: count('PASS'), uidl: count('UIDL'), list: count('LIST'), retr: count('RETR'), quit: count('QUIT') };
  };
  return { server, box, sessions, since };
}

describe('a check that finds new mail asks the server once', () => {
  let a: Awaited<ReturnType<typeof countingServer>>;
  let b: Awaited<ReturnType<typeof countingServer>>;
  let servers: FaultServer[] = [];
  let dataDir: string;
  let passwordRuns: string;
  let service: MailService | null = null;
  const ids: string[] = [];

  beforeAll(async () => {
    a = await countingServer('alice');
    b = await countingServer('bob');
    servers = [a.server, b.server];
    a.box.push({ uid: 'a1', bytes: mail('a1') });
    b.box.push({ uid: 'b1', bytes: mail('b1') });
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'popbox-handover-'));
    passwordRuns = path.join(dataDir, 'password-runs');
    service = await MailService.open({ dataDir, secrets: new MemorySecretStore() });
    for (const [name, user, srv] of [['A', 'alice', a.server], ['B', 'bob', b.server]] as const) {
      const account = await service.addAccount({
        name, host: '127.0.0.1', port: srv.port, security: 'plain', allowInsecureAuth: true, user, leaveOnServer: true,
        // Each run leaves a line: how often a check asked for the password.
        password: { source: 'command', command: `echo ${name} >> '${passwordRuns}'; echo pw` },
      });
      ids.push(account.id);
    }
    const first = await service.sync();
    expect(first.map((o) => o.ok && o.result.downloaded)).toEqual([1, 1]);
  });

  afterAll(async () => {
    await service?.close();
    for (const s of servers) await s.close();
    if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
  });

  const passwordRunsOf = async (name: string) => (await fs.readFile(passwordRuns, 'utf8').catch(() => '')).split('\n').filter((l) => l === name).length;

  /** Full syncs over aged Maildirs: their stamps let the next checks be quick ones. */
  async function quickEligible(): Promise<void> {
    for (const id of ids) await ageMaildir(AccountMailbox.dirFor(dataDir, id));
    for (const o of await service!.sync()) expect(o).toMatchObject({ ok: true, result: { downloaded: 0 } });
  }

  it('in the app: one login, one UIDL, one LIST, and the password command not run again (kept from the first check)', async () => {
    await quickEligible();
    a.box.push({ uid: 'a2', bytes: mail('a2') }, { uid: 'a3', bytes: mail('a3') });
    const from = a.sessions.length;
    const runsBefore = await passwordRunsOf('A');
    const [outcome] = await service!.sync([ids[0]!]);
    expect(outcome).toMatchObject({ ok: true, result: { downloaded: 2 } });
    expect(a.since(from)).toEqual({ sessions: 1, pass: 1, uidl: 1, list: 1, retr: 2, quit: 1 });
    expect((await passwordRunsOf('A')) - runsBefore).toBe(0);
    expect(service!.messages({ accountId: ids[0]! }).map((m) => m.uidl).sort()).toEqual(['a1', 'a2', 'a3']);
  });

  it('through `popbox sync`: one login per account (the quick path’s session goes on in the full path), each message stored once', async () => {
    await quickEligible();
    await service!.close(); // a clean close: the CLI's quick path runs
    service = null;
    // A has nothing new and is checked first; B has new mail.
    b.box.push({ uid: 'b2', bytes: mail('b2') }, { uid: 'b3', bytes: mail('b3') });
    const fromA = a.sessions.length;
    const fromB = b.sessions.length;
    const runsA = await passwordRunsOf('A');
    const runsB = await passwordRunsOf('B');

    const out = await runCli(dataDir, 'sync');
    expect(out).toEqual({ code: 0, stdout: 'A: 0 new, 0 deleted on server\nB: 2 new, 0 deleted on server\n', stderr: '' });
    expect(a.since(fromA)).toEqual({ sessions: 1, pass: 1, uidl: 1, list: 0, retr: 0, quit: 1 });
    expect(b.since(fromB)).toEqual({ sessions: 1, pass: 1, uidl: 1, list: 1, retr: 2, quit: 1 });
    expect((await passwordRunsOf('A')) - runsA).toBe(1);
    expect((await passwordRunsOf('B')) - runsB).toBe(1);

    const list = await runCli(dataDir, 'messages', '--json');
    expect(list.code).toBe(0);
    const uidls = (JSON.parse(list.stdout) as { uidl: string }[]).map((m) => m.uidl).sort();
    expect(uidls).toEqual(['a1', 'a2', 'a3', 'b1', 'b2', 'b3']);
    // Nothing new now: the next `popbox sync` says so, one login each.
    const fromB2 = b.sessions.length;
    expect(await runCli(dataDir, 'sync')).toMatchObject({ code: 0, stdout: 'A: 0 new, 0 deleted on server\nB: 0 new, 0 deleted on server\n' });
    expect(b.since(fromB2)).toMatchObject({ sessions: 1, pass: 1, retr: 0 });
  });
  it('through `popbox sync` when the quick check cannot tell (another tool changed the Maildir): the password command still runs once per login', async () => {
    // Another tool touched A's Maildir: its quick check ends before connecting, and the full path checks it.
    const cur = path.join(AccountMailbox.dirFor(dataDir, ids[0]!), 'Maildir', 'cur');
    await fs.writeFile(path.join(cur, 'probe'), '');
    await fs.rm(path.join(cur, 'probe'));
    const fromA = a.sessions.length;
    const runsA = await passwordRunsOf('A');
    const runsB = await passwordRunsOf('B');
    expect(await runCli(dataDir, 'sync')).toMatchObject({ code: 0, stdout: 'A: 0 new, 0 deleted on server\nB: 0 new, 0 deleted on server\n' });
    expect(a.since(fromA)).toMatchObject({ sessions: 1, pass: 1 });
    expect((await passwordRunsOf('A')) - runsA).toBe(1);
    expect((await passwordRunsOf('B')) - runsB).toBe(1);
  });
});
