/**
 * A chosen deletion the server refuses at a check (review F8): the person chose two messages in
 * On the server, the connection that was to delete them was cut, so the next check carries them
 * out; the server deletes one and answers -ERR to the other's DELE. The refused one is still on
 * the server and still chosen (retried at the next check): the view must keep showing it as
 * "Will be deleted at next check" at once, not hide it until the next Refresh; the one deleted
 * leaves the view. No real server refuses a DELE on purpose, so a scripted one does.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../electron/cli/run.js';
import { MailService } from '../../electron/core/mail-service.js';
import { MemorySecretStore } from '../../electron/core/secrets/index.js';
import { miniPop3, startFaultServer, type FaultServer } from '../support/fault-server.js';

const mail = (n: string) => Buffer.from(`From: w@example.org\r\nSubject: message ${n}\r\n\r\nbody ${n}\r\n`);

describe('a chosen deletion the server refuses at a check', () => {
  /** The mailbox as the server holds it, across connections. */
  let box: { uid: string; bytes: Buffer }[] = ['a', 'b', 'c'].map((u) => ({ uid: u, bytes: mail(u) }));
  let cutAtDele = false;
  const refused = new Set<string>();
  let server: FaultServer;
  let dataDir: string;
  let service: MailService;
  let accountId: string;

  beforeAll(async () => {
    server = await startFaultServer(async (conn) => {
      const now = box.slice();
      const doomed = new Set<number>();
      await miniPop3(conn, {
        messages: now.map((m) => m.bytes),
        uids: now.map((m) => m.uid),
        override: async (c, verb, args) => {
          if (verb === 'DELE') {
            const n = Number(args[0]);
            if (cutAtDele) c.socket.destroy();
            else if (refused.has(now[n - 1]?.uid ?? '')) await c.send('-ERR cannot delete that one now');
            else {
              doomed.add(n);
              await c.send('+OK marked');
            }
            return true;
          }
          if (verb !== 'QUIT') return false;
          box = now.filter((_, i) => !doomed.has(i + 1)); // committed at QUIT (RFC 1939 UPDATE)
          await c.send('+OK bye');
          c.end();
          return true;
        },
      });
    });
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'popbox-server-dele-refused-'));
    service = await MailService.open({ dataDir, secrets: new MemorySecretStore() });
    accountId = (await service.addAccount({ name: 'F', host: '127.0.0.1', port: server.port, security: 'plain', allowInsecureAuth: true, user: 'alice', leaveOnServer: true, password: { source: 'keychain' } }, 'pw')).id;
  });

  afterAll(async () => {
    await service?.close();
    await server?.close();
    if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
  });

  it('keeps showing the refused one as to be deleted at the next check; the deleted one leaves the view', async () => {
    expect((await service.serverListing(accountId, { refresh: true })).messages.map((m) => m.uidl)).toEqual(['c', 'b', 'a']);
    cutAtDele = true;
    await expect(service.deleteOnServer(accountId, ['b', 'c'])).rejects.toMatchObject({ code: 'network' });
    cutAtDele = false;
    const chosen = async () => (await service.serverListing(accountId)).messages.filter((m) => m.pendingDeletion === 'chosen').map((m) => m.uidl).sort();
    expect(await chosen()).toEqual(['b', 'c']);
    // `pendingDeletions` / `popbox pending` list them too, with why (they were missing).
    expect((await service.pending({ accountId })).map((p) => [p.uidl, p.reason, p.subject, p.from, p.id])).toEqual([
      ['b', 'chosen', 'message b', 'w@example.org', ''],
      ['c', 'chosen', 'message c', 'w@example.org', ''],
    ]);
    const printed: string[] = [];
    const io = { out: (t: string) => void printed.push(t), err: (t: string) => void printed.push(t), columns: 100, stdin: () => undefined, service };
    expect(await runCli(['--data-dir', dataDir, 'pending'], io)).toBe(0);
    expect(printed.join('')).toBe('(only on server)  F  chosen  message b\n(only on server)  F  chosen  message c\n');

    refused.add('b');
    const [outcome] = await service.sync([accountId]);
    expect(outcome).toMatchObject({ ok: true, result: { downloaded: 1, deletedOnServer: 1 } });
    expect(box.map((m) => m.uid)).toEqual(['a', 'b']);
    expect((await service.pending({ accountId })).map((p) => [p.uidl, p.reason])).toEqual([['b', 'chosen']]);
    // Without a Refresh: b is still there and still chosen; c is gone.
    const shown = await service.serverListing(accountId);
    expect(shown.messages.map((m) => [m.uidl, m.pendingDeletion])).toEqual([
      ['b', 'chosen'],
      ['a', null],
    ]);

    // The next check deletes it.
    refused.clear();
    expect((await service.sync([accountId]))[0]).toMatchObject({ ok: true, result: { downloaded: 0, deletedOnServer: 1 } });
    expect(box.map((m) => m.uid)).toEqual(['a']);
    expect((await service.serverListing(accountId)).messages.map((m) => m.uidl)).toEqual(['a']);
    expect(await service.pending({ accountId })).toEqual([]);
    expect(server.errors).toEqual([]);
  });
});
