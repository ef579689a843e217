/**
 * Certificates that change under an existing account (issue 13 §2), through MailService against
 * a real Dovecot and a server with another certificate behind one relay address: an account the
 * CA chain vouched for names the certificate last seen when validation starts failing, and a
 * block survives a restart (the check at startup does not connect again by itself) until the
 * account's settings are saved.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MailService } from '../../electron/core/mail-service.js';
import { MemorySecretStore } from '../../electron/core/secrets/index.js';
import { dovecotUnavailable, startDovecot, type DovecotServer } from '../support/dovecot.js';
import { FAULT_FINGERPRINT, miniPop3, startFaultServer, type FaultServer } from '../support/fault-server.js';
import { startSwitch, type SwitchRelay } from '../support/switch-relay.js';

const unavailable = dovecotUnavailable();
if (unavailable && process.env.CI) throw new Error(`Dovecot is required in CI: ${unavailable}`);
if (unavailable) console.warn(`Skipping the certificate-change suite: ${unavailable}`);
const suite = unavailable ? describe.skip : describe;

suite('a certificate that changes under an existing account', () => {
  let dc: DovecotServer;
  let other: FaultServer;
  let relay: SwitchRelay;
  let dataDir: string;
  const secrets = new MemorySecretStore();
  /** Dovecot's own CA is trusted here as a public CA would be: the account pins nothing. */
  const open = () => MailService.open({ dataDir, secrets, connectExtras: () => ({ tls: { ca: dc.caPem } }) });
  const otherLines = () => other.connections.flatMap((c) => c.received);

  beforeAll(async () => {
    dc = await startDovecot({ users: [{ name: 'carl', password: 'carl-pw' }] });
    other = await startFaultServer((conn) => miniPop3(conn, { user: 'carl', password: 'carl-pw' }), { tls: true });
    relay = await startSwitch(dc.tlsPort);
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'popbox-cert-'));
  }, 120_000);

  afterAll(async () => {
    await relay?.close();
    await other?.close();
    await dc?.stop();
    if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
  });

  it('a CA-validated account names the certificate last seen next to the one that fails validation', async () => {
    const service = await open();
    try {
      const account = await service.addAccount(
        { name: 'Carl', host: '127.0.0.1', port: relay.port, security: 'tls', user: 'carl', leaveOnServer: true, password: { source: 'keychain' } },
        'carl-pw',
      );
      expect((await service.sync([account.id]))[0]?.ok).toBe(true);
      const settingsBefore = await fs.readFile(path.join(dataDir, 'accounts.json'), 'utf8');
      // Remembered with the account's sync state, not as a setting.
      const remembered = JSON.parse(await fs.readFile(path.join(dataDir, 'accounts', account.id, 'certificate.json'), 'utf8')) as { lastSeen: { fingerprint256: string } };
      expect(remembered.lastSeen.fingerprint256).toBe(dc.fingerprint256);

      relay.target = other.port;
      const [changed] = await service.sync([account.id]);
      expect(changed).toMatchObject({ ok: false, error: { code: 'certificate', fingerprint256: FAULT_FINGERPRINT, expectedFingerprint256: dc.fingerprint256 } });
      expect(otherLines()).toEqual([]);
      expect(await fs.readFile(path.join(dataDir, 'accounts.json'), 'utf8')).toBe(settingsBefore);
    } finally {
      await service.close();
    }
  });

  it('the block survives a restart: no check at startup, until the settings are saved', async () => {
    const service = await open();
    try {
      const before = relay.accepted;
      const scheduler = service.startScheduler();
      const [account] = service.listAccounts();
      expect(account?.checkAtStartup).toBe(true);
      expect(scheduler.status(account!.id)).toMatchObject({
        state: 'needs-attention',
        nextRunAt: null,
        lastError: { code: 'certificate', fingerprint256: FAULT_FINGERPRINT, expectedFingerprint256: dc.fingerprint256 },
      });
      scheduler.resume();
      expect((await service.syncNow([account!.id]))[0]).toMatchObject({ ok: false, error: { code: 'certificate' } });
      expect(relay.accepted).toBe(before);
      expect(otherLines()).toEqual([]);

      // The provider's old server is back (the interception is over): the user saves the settings.
      relay.target = dc.tlsPort;
      await service.updateAccount(account!.id, { checkEveryMinutes: 30 });
      await expect.poll(() => scheduler.status(account!.id)?.lastSuccessAt, { timeout: 60_000 }).not.toBeNull();
      expect(scheduler.status(account!.id)).toMatchObject({ lastError: null });
      expect(relay.accepted).toBe(before + 1);
    } finally {
      await service.close();
    }
    // Nothing blocks the next start.
    const again = await open();
    try {
      const [account] = again.listAccounts();
      expect(again.startScheduler().status(account!.id)?.state).not.toBe('needs-attention');
    } finally {
      await again.close();
    }
  });
});
