/**
 * "Delete junk after N days" (issue 16 §2) against a real Dovecot: a check for mail deletes for
 * good what has been in Junk that long, and the server copy follows the account's
 * leave-on-server rules (deleted there at the next sync when the account deletes on the server
 * what is deleted here; kept there when it does not).
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MailService } from '../../electron/core/mail-service.js';
import { MemorySecretStore } from '../../electron/core/secrets/index.js';
import { dovecotUnavailable, startDovecot, type DovecotServer } from '../support/dovecot.js';
import { generateMessages } from '../support/mailgen.js';

const unavailable = dovecotUnavailable();
if (unavailable && process.env.CI) throw new Error(`Dovecot is required in CI: ${unavailable}`);
if (unavailable) console.warn(`Skipping the junk-expiry suite: ${unavailable}`);
const suite = unavailable ? describe.skip : describe;

const DAY = 86_400_000;

suite('delete junk after N days', () => {
  let dc: DovecotServer;
  const bases: string[] = [];
  const services: MailService[] = [];

  beforeAll(async () => {
    dc = await startDovecot({ users: [{ name: 'junky', password: 'junky-pw' }, { name: 'keeper', password: 'keeper-pw' }] });
  });

  afterAll(async () => {
    for (const s of services) await s.close();
    await dc?.stop();
    for (const b of bases) await fs.rm(b, { recursive: true, force: true });
  });

  async function open(user: string, deleteWhenDeletedLocally: boolean) {
    const base = await fs.mkdtemp(path.join(os.tmpdir(), 'popbox-junk-expiry-'));
    bases.push(base);
    const clock = { now: Date.UTC(2026, 10, 1) };
    const service = await MailService.open({ dataDir: base, secrets: new MemorySecretStore(), now: () => clock.now });
    services.push(service);
    await service.addAccount(
      { name: user, host: '127.0.0.1', port: dc.tlsPort, security: 'tls', user, tlsFingerprint: dc.fingerprint256, leaveOnServer: true, deleteWhenDeletedLocally, password: { source: 'keychain' } },
      `${user}-pw`,
    );
    return { service, clock, base };
  }

  it('31 days in Junk goes at the check after the 30th day, 29 days stays; the server copy goes at the next sync', async () => {
    const { service, clock } = await open('junky', true);
    await dc.deliver('junky', generateMessages({ seed: 16, count: 3, mix: 'small' }));
    expect((await service.sync())[0]).toMatchObject({ ok: true, result: { downloaded: 3 } });
    const [old, young, inbox] = service.messages().map((m) => m.id);
    await service.moveMessages([old!], 'Junk');
    clock.now += 2 * DAY;
    await service.moveMessages([young!], 'Junk');

    // Off (0, the default): nothing goes however old.
    clock.now += 60 * DAY;
    expect((await service.sync())[0]).toMatchObject({ ok: true });
    expect(service.messages()).toHaveLength(3);

    // Filed again so their ages are 31 and 29 days at the check.
    await service.moveMessages([old!, young!], 'INBOX');
    await service.moveMessages([old!], 'Junk');
    clock.now += 2 * DAY;
    await service.moveMessages([young!], 'Junk');
    clock.now += 29 * DAY;
    await service.updatePreferences({ deleteJunkAfterDays: 30 });
    expect((await service.sync())[0]).toMatchObject({ ok: true, result: { deletedOnServer: 0 } });
    expect(service.messages().map((m) => m.id).sort()).toEqual([young!, inbox!].sort());
    expect(service.messages().find((m) => m.id === young)?.folder).toBe('Junk');
    expect((await service.pending()).map((p) => [p.id, p.reason])).toEqual([[old, 'deleted-locally']]);
    expect(await dc.mailbox('junky')).toHaveLength(3);

    // The next check deletes it on the server (QUIT +OK), and the young one is still kept.
    expect((await service.sync())[0]).toMatchObject({ ok: true, result: { deletedOnServer: 1, downloaded: 0 } });
    expect(await dc.mailbox('junky')).toHaveLength(2);
    expect(service.messages()).toHaveLength(2);
  });

  it('an account that keeps mail on the server when it is deleted here keeps it there', async () => {
    const { service, clock } = await open('keeper', false);
    await dc.deliver('keeper', generateMessages({ seed: 17, count: 1, mix: 'small' }));
    expect((await service.sync())[0]).toMatchObject({ ok: true, result: { downloaded: 1 } });
    await service.moveMessages([service.messages()[0]!.id], 'Junk');
    await service.updatePreferences({ deleteJunkAfterDays: 7 });
    clock.now += 8 * DAY;
    await service.sync();
    expect(service.messages()).toEqual([]);
    expect((await service.sync())[0]).toMatchObject({ ok: true, result: { deletedOnServer: 0, downloaded: 0 } });
    expect(await dc.mailbox('keeper')).toHaveLength(1);
  });
});
