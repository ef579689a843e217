/**
 * Arrivals left unfiltered by a kill between the sync and the rules are filtered at the next
 * sync (a durable "filtered up to" mark per account), and filtering them again copies nothing
 * twice. Real mail in a real Dovecot, left on the server.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MailService } from '../../electron/core/mail-service.js';
import { MemorySecretStore } from '../../electron/core/secrets/index.js';
import { AccountMailbox } from '../../electron/core/store/mailbox.js';
import { dovecotUnavailable, startDovecot, type DovecotServer } from '../support/dovecot.js';

const missing = dovecotUnavailable();
if (missing && process.env.CI) throw new Error(`The rules resume suite needs: ${missing}`);
const suite = missing ? describe.skip : describe;

const message = (n: number) => Buffer.from(`From: a@example.org\r\nTo: reader@example.org\r\nSubject: invoice ${n}\r\nMessage-ID: <${n}@example.org>\r\n\r\nbody ${n}\r\n`);

suite('on-arrival filtering survives a kill between the sync and the rules', () => {
  let dc: DovecotServer;
  let dataDir: string;
  const secrets = new MemorySecretStore();

  beforeAll(async () => {
    dc = await startDovecot({ users: [{ name: 'reader', password: 'reader-pw' }] });
    await dc.deliver('reader', [message(1), message(2)]);
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'popbox-rules-resume-'));
  }, 120_000);
  afterAll(async () => {
    await dc?.stop();
    if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
  });

  it('what the rules never saw is filtered at the next sync, once', async () => {
    let service = await MailService.open({ dataDir, secrets });
    const account = await service.addAccount({ name: 'Reader', host: '127.0.0.1', port: dc.tlsPort, security: 'tls', user: 'reader', tlsFingerprint: dc.fingerprint256, leaveOnServer: true, password: { source: 'command', command: 'echo reader-pw' } });
    await service.saveRules([{ name: 'keep', match: 'all', conditions: [{ field: 'subject', op: 'contains', value: 'invoice' }], actions: [{ t: 'copy', folder: ['Receipts'] }, { t: 'flag' }] }]);
    // The first sync's mark, as a kill right after the download would leave it: before the arrivals.
    const mark = path.join(AccountMailbox.dirFor(dataDir, account.id), 'rules-filtered.json');
    await fs.mkdir(path.dirname(mark), { recursive: true });
    await fs.writeFile(mark, JSON.stringify({ upTo: 0 }));
    const rules = await service.listRules();
    await service.saveRules([]); // the sync runs without rules: as if killed before filtering
    await service.sync([account.id]);
    await service.arrivalsSettled();
    await fs.writeFile(mark, JSON.stringify({ upTo: 0 }));
    await service.close();

    service = await MailService.open({ dataDir, secrets });
    await service.saveRules(rules);
    await service.sync([account.id]); // nothing new on the server
    await service.arrivalsSettled();
    const inbox = service.messages({ accountId: account.id }).filter((m) => m.folder === 'INBOX');
    expect(inbox.map((m) => m.flags.flagged)).toEqual([true, true]);
    expect(service.messages({ accountId: account.id }).filter((m) => m.folder === 'Receipts').length).toBe(2);
    // Once: another sync files nothing again, and the mark moved past them.
    await service.sync([account.id]);
    await service.arrivalsSettled();
    expect(service.messages({ accountId: account.id }).filter((m) => m.folder === 'Receipts').length).toBe(2);
    expect((JSON.parse(await fs.readFile(mark, 'utf8')) as { upTo: number }).upTo).toBeGreaterThan(0);
    await service.close();
  });
});
