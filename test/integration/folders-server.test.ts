/**
 * Filing and the server (issue 14 §2, DESIGN §3 invariant 10): moving a downloaded message is
 * not deleting it, and deleting it from whatever folder it was filed in still follows its
 * account's leave-on-server rules; a copy is mail of its own that the server never hears of;
 * the rest of a headers-only message lands in the folder it was filed in.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MailService } from '../../electron/core/mail-service.js';
import { MemorySecretStore } from '../../electron/core/secrets/index.js';
import { dovecotUnavailable, startDovecot, type DovecotServer } from '../support/dovecot.js';
import { generateMessage, generateMessages } from '../support/mailgen.js';

const unavailable = dovecotUnavailable();
if (unavailable && process.env.CI) throw new Error(`Dovecot is required in CI: ${unavailable}`);
if (unavailable) console.warn(`Skipping the folders-and-server suite: ${unavailable}`);
const suite = unavailable ? describe.skip : describe;

suite('folders and the server copy', () => {
  let dc: DovecotServer;
  let base: string;
  let service: MailService;
  let accountId: string;

  beforeAll(async () => {
    dc = await startDovecot({ users: [{ name: 'filer', password: 'filer-pw' }] });
    base = await fs.mkdtemp(path.join(os.tmpdir(), 'popbox-folders-server-'));
    service = await MailService.open({ dataDir: base, secrets: new MemorySecretStore() });
    const account = await service.addAccount(
      { name: 'Filer', host: '127.0.0.1', port: dc.tlsPort, security: 'tls', user: 'filer', tlsFingerprint: dc.fingerprint256, leaveOnServer: true, deleteWhenDeletedLocally: true, maxMessageSizeKB: 100, password: { source: 'keychain' } },
      'filer-pw',
    );
    accountId = account.id;
  });

  afterAll(async () => {
    await service?.close();
    await dc?.stop();
    if (base) await fs.rm(base, { recursive: true, force: true });
  });

  const bySubject = (s: string) => service.messages().find((m) => m.summary.subject === s)!;

  it('a moved, archived or copied message stays on the server; deleted from a folder, it goes there too', async () => {
    const mail = generateMessages({ seed: 77, count: 4, mix: 'small' });
    await dc.deliver('filer', mail);
    expect((await service.sync())[0]).toMatchObject({ ok: true, result: { downloaded: 4 } });
    const [a, b, c, d] = service.messages().map((m) => m.id);
    await service.createFolder(accountId, ['Keep']);
    await service.moveMessages([a!], 'Keep');
    await service.archive([b!]);
    const [copy] = await service.copyMessages([c!], 'Keep');

    // Filing is not deleting: nothing is pending, a sync deletes nothing and downloads nothing.
    expect(await service.pending()).toEqual([]);
    expect((await service.sync())[0]).toMatchObject({ ok: true, result: { downloaded: 0, deletedOnServer: 0 } });
    expect(await dc.mailbox('filer')).toHaveLength(4);

    // Deleting the copy deletes a message that never was on the server: nothing to do there.
    await service.moveToTrash([copy!]);
    await service.emptyTrash();
    expect(await service.pending()).toEqual([]);

    // Deleting the filed original (from Keep, through Trash) is a deletion here: the server follows.
    await service.moveToTrash([a!]);
    expect(await service.pending()).toEqual([]); // in Trash it is still here
    await service.emptyTrash(accountId);
    expect((await service.pending()).map((p) => [p.id, p.reason])).toEqual([[a, 'deleted-locally']]);
    expect((await service.sync())[0]).toMatchObject({ ok: true, result: { deletedOnServer: 1 } });
    expect(await dc.mailbox('filer')).toHaveLength(3);

    // An archived one deleted for good straight from Archive/<year> goes the same way.
    await service.deleteForGood([b!]);
    expect((await service.sync())[0]).toMatchObject({ ok: true, result: { deletedOnServer: 1 } });
    expect(await dc.mailbox('filer')).toHaveLength(2);
    expect(service.messages().map((m) => m.id).sort()).toEqual([c!, d!].sort());
  });

  it('the rest of a headers-only message arrives in the folder it was filed in', async () => {
    await dc.deliver('filer', [generateMessage(91, 400 * 1024, { attachment: true })]);
    const [outcome] = await service.sync();
    expect(outcome).toMatchObject({ ok: true, result: { headersOnly: 1 } });
    const partial = service.messages().find((m) => m.partial)!;
    await service.createFolder(accountId, ['Big']);
    await service.moveMessages([partial.id], 'Big');
    await service.fetchFull(partial.id);
    const full = service.messages().find((m) => m.id === partial.id)!;
    expect(full).toMatchObject({ partial: false, folder: 'Big' });
    const maildir = path.join(base, 'accounts', accountId, 'Maildir');
    const inBig = await fs.readdir(path.join(maildir, '.Big', 'cur'));
    expect(inBig).toHaveLength(1);
    expect((await fs.stat(path.join(maildir, '.Big', 'cur', inBig[0]!))).size).toBeGreaterThan(400 * 1024);
    expect((await fs.readdir(path.join(maildir, 'cur'))).filter((n) => n.startsWith(partial.id))).toEqual([]);
    expect(bySubject(full.summary.subject).id).toBe(partial.id);
  });
});
