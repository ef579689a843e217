/**
 * The other side of a cut delete (issue 16 §3): the server did carry out the deletion (it got
 * QUIT and committed), but its +OK never arrived. No real server does that on purpose, so a
 * scripted one does: it commits the DELEs at QUIT and drops the connection without answering.
 * Popbox records nothing (it cannot know), keeps the choice, and the next sync and listing see the
 * messages gone: never downloaded, the choice forgotten, the downloaded copy still here.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MailService } from '../../electron/core/mail-service.js';
import { MemorySecretStore } from '../../electron/core/secrets/index.js';
import { AccountMailbox } from '../../electron/core/store/mailbox.js';
import { miniPop3, startFaultServer, type FaultServer } from '../support/fault-server.js';

const mail = (n: string) => Buffer.from(`From: w@example.org\r\nSubject: message ${n}\r\n\r\nbody ${n}\r\n`);

describe('a delete whose QUIT +OK was lost', () => {
  /** The mailbox as the server holds it, across connections. */
  let box: { uid: string; bytes: Buffer }[] = ['a', 'b', 'c'].map((u) => ({ uid: u, bytes: mail(u) }));
  let loseQuitAnswer = false;
  let server: FaultServer;
  let dataDir: string;
  let service: MailService;
  let accountId: string;
  const ledger = () => fs.readFile(path.join(AccountMailbox.dirFor(dataDir, accountId), 'ledger.jsonl'), 'utf8').catch(() => '');

  beforeAll(async () => {
    server = await startFaultServer(async (conn) => {
      const now = box.slice();
      const doomed = new Set<number>();
      await miniPop3(conn, {
        messages: now.map((m) => m.bytes),
        uids: now.map((m) => m.uid),
        override: async (c, verb, args) => {
          if (verb === 'DELE') {
            doomed.add(Number(args[0]));
            await c.send('+OK marked');
            return true;
          }
          if (verb !== 'QUIT') return false;
          // The server commits (RFC 1939 UPDATE state)…
          box = now.filter((_, i) => !doomed.has(i + 1));
          if (loseQuitAnswer) {
            c.socket.destroy(); // …and its answer is lost
            return true;
          }
          await c.send('+OK bye');
          c.end();
          return true;
        },
      });
    });
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'popbox-server-lost-quit-'));
    service = await MailService.open({ dataDir, secrets: new MemorySecretStore() });
    accountId = (await service.addAccount({ name: 'F', host: '127.0.0.1', port: server.port, security: 'plain', allowInsecureAuth: true, user: 'alice', leaveOnServer: true, password: { source: 'keychain' } }, 'pw')).id;
  });

  afterAll(async () => {
    await service?.close();
    await server?.close();
    if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
  });

  it('records nothing, keeps the choice; the next sync downloads the rest only and the listing forgets them', async () => {
    expect(await service.downloadFromServer(accountId, ['a'])).toEqual({ downloaded: 1, alreadyHere: 0, gone: 0 });
    expect((await service.serverListing(accountId, { refresh: true })).messages.map((m) => m.uidl)).toEqual(['c', 'b', 'a']);
    const before = await ledger();

    loseQuitAnswer = true;
    await expect(service.deleteOnServer(accountId, ['a', 'b'])).rejects.toMatchObject({ code: 'network' });
    loseQuitAnswer = false;
    expect(box.map((m) => m.uid)).toEqual(['c']); // the server did delete them
    expect(await ledger()).toBe(before); // Popbox could not know: nothing recorded
    const shown = await service.serverListing(accountId);
    expect(shown.messages.filter((m) => m.pendingDeletion === 'chosen').map((m) => m.uidl).sort()).toEqual(['a', 'b']);

    const [outcome] = await service.sync([accountId]);
    expect(outcome).toMatchObject({ ok: true, result: { downloaded: 1, deletedOnServer: 0 } });
    expect(service.messages({ accountId }).map((m) => m.uidl).sort()).toEqual(['a', 'c']); // b never came; a's copy stays
    const after = await service.serverListing(accountId, { refresh: true });
    expect(after.messages.map((m) => m.uidl)).toEqual(['c']);
    expect(after.messages[0]).toMatchObject({ local: 'downloaded', pendingDeletion: null });
    await expect(fs.access(path.join(AccountMailbox.dirFor(dataDir, accountId), 'server-chosen.json'))).rejects.toThrow();
    expect(server.errors).toEqual([]);
  });
});
