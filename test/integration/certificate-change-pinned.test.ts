/**
 * A pinned certificate alone decides (DESIGN §3.8, net/tls.ts checkPeer), even when the server's
 * new certificate is one a CA vouches for: a home server that "moves to a real certificate" may be
 * an interception with a certificate from a CA this machine trusts, so the account blocks with the
 * certificate-change question (both fingerprints) and never re-syncs or sends by itself.
 *
 * Real servers throughout: a private Dovecot and Postfix first serve their self-signed
 * certificates (pinned by the account), then are reloaded with a certificate for 127.0.0.1 and
 * localhost signed by the test's own CA. That CA is trusted as a public one would be: through
 * `ca` for every connection of the service here (so the handshake itself reports the new
 * certificate as authorized), and through NODE_EXTRA_CA_CERTS for the CLI (a pinned connection's
 * context trusts no CA at all there). POP3 over implicit TLS and STLS, SMTP over implicit TLS
 * (the Outbox) and STARTTLS. The same CA lets an account without a pin connect.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { MailService } from '../../electron/core/mail-service.js';
import { MemorySecretStore } from '../../electron/core/secrets/index.js';
import { probe } from '../../electron/core/smtp/index.js';
import { runCliWithEnv } from '../support/cli-bundle.js';
import { generateMessages } from '../support/mailgen.js';
import { aliceSending, sendSuite, startSendServers, type SendServers } from '../support/send-servers.js';
import { makeCaSignedCert, makeTestCa, replaceCertificate, until, type CertAndKey, type TestCa } from '../support/servers.js';
import { startSwitch, type SwitchRelay } from '../support/switch-relay.js';

const suite = sendSuite('the pinned-certificate-change suite');

const USERS = [
  { name: 'alice', password: 'alice-pw' },
  { name: 'bob', password: 'bob-pw' },
  { name: 'carol', password: 'carol-pw' },
];

/** Whether a client trusting only `ca` (and the host name) accepts what 127.0.0.1:`port` presents now. */
function verifiedUnder(ca: string, port: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const sock = tls.connect({ host: '127.0.0.1', port, ca, rejectUnauthorized: false }, () => {
      resolve(sock.authorized);
      sock.destroy();
    });
    sock.once('error', reject);
  });
}

suite('a pinned account whose server changes to a certificate a trusted CA vouches for', () => {
  let s: SendServers;
  let ca: TestCa;
  let leaf: CertAndKey;
  let caDir: string;
  let dataDir: string;
  let cliDir: string;
  /** In front of Dovecot's pop3s and Postfix's 465: they count the connections the account makes. */
  let pop: SwitchRelay;
  let smtp: SwitchRelay;
  let service: MailService;
  let aliceId: string;
  /** Alice's mailbox again, over STLS (port 110's kind), pinned the same way. */
  let stlsId: string;
  const secrets = new MemorySecretStore();
  /** What the server logged from now on. */
  const logSince = (file: string) => {
    const from = fs.readFile(file, 'utf8').then((t) => t.length);
    return async () => (await fs.readFile(file, 'utf8')).slice(await from);
  };
  /** The app's service, with the test's CA trusted like a public CA for every connection, pinned or not. */
  const open = () => {
    const trusted = { tls: { ca: ca.certPem } };
    return MailService.open({ dataDir, secrets, connectExtras: () => trusted, smtpExtras: () => trusted });
  };
  /** Messages stored for the account, every folder (Sent too). */
  const localCount = (accountId: string) => service.messages({ accountId }).length;

  beforeAll(async () => {
    s = await startSendServers({ users: USERS });
    pop = await startSwitch(s.dovecot.tlsPort);
    smtp = await startSwitch(s.postfix.submissionsPort);
    caDir = await fs.mkdtemp(path.join(os.tmpdir(), 'popbox-pin-ca-'));
    ca = await makeTestCa(caDir);
    leaf = await makeCaSignedCert(ca, caDir, 'server');
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'popbox-pin-'));
    cliDir = await fs.mkdtemp(path.join(os.tmpdir(), 'popbox-pin-cli-'));
    service = await open();
  }, 180_000);

  afterAll(async () => {
    await service?.close();
    await pop?.close();
    await smtp?.close();
    await s?.stop();
    for (const d of [caDir, dataDir, cliDir]) if (d) await fs.rm(d, { recursive: true, force: true });
  });

  it('with the pinned self-signed certificates served: sync and send work (in the app and the CLI)', async () => {
    await s.dovecot.deliver('alice', generateMessages({ seed: 81, count: 2, mix: 'small' }));
    const alice = await service.addAccount({ ...aliceSending(s, smtp.port), port: pop.port, leaveOnServer: true }, 'alice-pw');
    aliceId = alice.id;
    const [first] = await service.sync([aliceId]);
    expect(first, JSON.stringify(first)).toMatchObject({ ok: true, result: { downloaded: 2 } });
    // The same mailbox over STLS on the plain port, pinned too.
    stlsId = (await service.addAccount({ name: 'Alice STLS', host: '127.0.0.1', port: s.dovecot.plainPort, security: 'starttls', user: 'alice', tlsFingerprint: s.dovecot.fingerprint256, leaveOnServer: true, password: { source: 'keychain' } }, 'alice-pw')).id;
    expect((await service.sync([stlsId]))[0]).toMatchObject({ ok: true, result: { downloaded: 2 } });
    await service.send({ accountId: aliceId, to: ['bob@example.org'], subject: 'Before the change', text: 'Through the pinned server.', now: true });
    await until('the first message at bob', async () => (await s.dovecot.mailbox('bob')).some((m) => m.bytes.includes('Before the change')), 60_000);
    await until('an empty Outbox', async () => (await service.outboxStatus(aliceId)).length === 0);

    // The CLI's data directory: one account pinned like Alice's, one that trusts CAs (no pin).
    await s.dovecot.deliver('carol', generateMessages({ seed: 82, count: 2, mix: 'small' }));
    const cli = await MailService.open({ dataDir: cliDir, secrets });
    try {
      const base = { host: '127.0.0.1', port: s.dovecot.tlsPort, security: 'tls' as const, user: 'carol', leaveOnServer: true, password: { source: 'command' as const, command: 'echo carol-pw' } };
      await cli.addAccount({ ...base, name: 'Pinned', tlsFingerprint: s.dovecot.fingerprint256 });
      await cli.addAccount({ ...base, name: 'Verified' });
      expect((await cli.sync(['Pinned']))[0]).toMatchObject({ ok: true, result: { downloaded: 2 } });
    } finally {
      await cli.close();
    }

    // Both servers now present a certificate for 127.0.0.1 that the test's CA signed.
    await replaceCertificate(s.dovecot, [s.dovecot.tlsPort], leaf);
    await replaceCertificate(s.postfix, [s.postfix.submissionsPort], leaf);
    expect(await verifiedUnder(ca.certPem, s.dovecot.tlsPort)).toBe(true);
    expect(await verifiedUnder(ca.certPem, s.postfix.submissionsPort)).toBe(true);
    expect(leaf.fingerprint256).not.toBe(s.dovecot.fingerprint256);
  });

  it('POP3 (implicit TLS and STLS): refused with both fingerprints though the CA vouches for the new certificate; nothing downloaded, no login', async () => {
    await s.dovecot.deliver('alice', generateMessages({ seed: 83, count: 3, mix: 'small' }));
    const log = logSince(s.dovecot.logPath);
    const stored = localCount(aliceId);
    const [outcome] = await service.sync([aliceId]);
    expect(outcome).toMatchObject({ ok: false, error: { code: 'certificate', fingerprint256: leaf.fingerprint256, expectedFingerprint256: s.dovecot.fingerprint256 } });
    expect(localCount(aliceId)).toBe(stored);
    const stlsStored = localCount(stlsId);
    expect((await service.sync([stlsId]))[0]).toMatchObject({ ok: false, error: { code: 'certificate', fingerprint256: leaf.fingerprint256, expectedFingerprint256: s.dovecot.fingerprint256 } });
    expect(localCount(stlsId)).toBe(stlsStored);
    expect(await s.dovecot.mailbox('alice')).toHaveLength(5);
    expect(await log()).not.toMatch(/Login: user=<alice>/);
  });

  it('the block holds: no check at startup or on Get Mail; saving the settings tries once and is refused again', async () => {
    const before = pop.accepted;
    const stored = localCount(aliceId);
    const scheduler = service.startScheduler();
    expect(scheduler.status(aliceId)).toMatchObject({
      state: 'needs-attention',
      nextRunAt: null,
      lastError: { code: 'certificate', fingerprint256: leaf.fingerprint256, expectedFingerprint256: s.dovecot.fingerprint256 },
    });
    scheduler.resume();
    expect((await service.syncNow([aliceId]))[0]).toMatchObject({ ok: false, error: { code: 'certificate' } });
    expect(pop.accepted).toBe(before);
    expect(localCount(aliceId)).toBe(stored);

    // Saving the settings with the pin unchanged tries once more at once, and the pin refuses again.
    const failures = scheduler.status(aliceId)!.failures;
    await service.updateAccount(aliceId, { checkEveryMinutes: 30 });
    const again = await until('the try after saving', () => {
      const st = scheduler.status(aliceId);
      return st && st.failures > failures && st;
    });
    expect(again).toMatchObject({ state: 'needs-attention', nextRunAt: null, lastError: { code: 'certificate', fingerprint256: leaf.fingerprint256 } });
    expect(pop.accepted).toBe(before + 1);
    expect(localCount(aliceId)).toBe(stored);
    scheduler.stop();
  });

  it('SMTP (implicit TLS, pinned): the message fails on the certificate, is not retried (nor after a restart), and nothing reaches the server', async () => {
    const log = s.postfix.logSince();
    const connections = smtp.accepted;
    await service.send({ accountId: aliceId, to: ['bob@example.org'], subject: 'After the change', text: 'Must not go out.', now: true });
    await until('the message failed or sent', async () => (await service.outboxStatus(aliceId)).every((i) => i.state === 'failed'), 60_000);
    const [item] = await service.outboxStatus(aliceId);
    expect(item).toMatchObject({ state: 'failed', nextAttemptAt: null, lastError: { code: 'certificate' } });
    expect(item!.lastError!.message).toMatch(/pinned/);
    expect(item!.attempts).toBe(1);
    expect(smtp.accepted).toBe(connections + 1);
    expect((await s.dovecot.mailbox('bob')).some((m) => m.bytes.includes('After the change'))).toBe(false);
    expect(log()).not.toMatch(/sasl_username=alice/);

    // Nor after a restart: the Outbox's start leaves the failed message to the user, and the
    // account stays blocked without connecting.
    const popConnections = pop.accepted;
    await service.close();
    service = await open();
    const scheduler = service.startScheduler();
    expect(scheduler.status(aliceId)).toMatchObject({ state: 'needs-attention', nextRunAt: null, lastError: { code: 'certificate' } });
    // The Outbox's startup pass (open() started it) has looked at the message: a retry would be an
    // attempt made or one due (nextAttemptAt), however far off, not a wait's worth of time.
    await (service as unknown as { outbox: { idle(): Promise<void> } }).outbox.idle();
    scheduler.stop();
    expect(await service.outboxStatus(aliceId)).toMatchObject([{ state: 'failed', attempts: 1, nextAttemptAt: null }]);
    expect(smtp.accepted).toBe(connections + 1);
    expect(pop.accepted).toBe(popConnections);
  });

  it('SMTP with STARTTLS, pinned: refused after the handshake, before AUTH', async () => {
    await service.updateAccount(aliceId, { smtp: { port: s.postfix.submissionPort, security: 'starttls' } }, 'alice-pw');
    const log = s.postfix.logSince();
    const settings = await service.smtpSettingsFor(aliceId);
    expect(settings.tls).toMatchObject({ pinnedFingerprint256: s.postfix.fingerprint256, ca: ca.certPem });
    await expect(probe(settings)).rejects.toMatchObject({ code: 'certificate', fingerprint256: leaf.fingerprint256, expectedFingerprint256: s.postfix.fingerprint256 });
    expect(log()).not.toMatch(/sasl_username=alice/);
  });

  it('removing the pin (a way out of the block a page can take) forgets the stored password: no login at the CA-valid server', async () => {
    const log = logSince(s.dovecot.logPath);
    const stored = localCount(aliceId);
    const saved = await service.updateAccount(aliceId, { tlsFingerprint: null });
    expect(saved.tlsFingerprint).toBeUndefined();
    const [outcome] = await service.sync([aliceId]);
    expect(await secrets.get(aliceId), JSON.stringify(outcome)).toBeNull();
    expect(outcome).toMatchObject({ ok: false });
    expect(localCount(aliceId)).toBe(stored);
    expect(await log()).not.toMatch(/Login: user=<alice>/);
  });

  it('the CLI, trusting the CA through NODE_EXTRA_CA_CERTS: the pinned account is refused (quick and full path), the one without a pin syncs', async () => {
    const env = { NODE_EXTRA_CA_CERTS: ca.certPath };
    await s.dovecot.deliver('carol', generateMessages({ seed: 84, count: 1, mix: 'small' }));
    const log = logSince(s.dovecot.logPath);
    const quick = await runCliWithEnv(env, cliDir, 'sync', 'Pinned');
    expect(quick.code).not.toBe(0);
    expect(quick.stderr).toMatch(/Pinned: certificate: .*does not match the pinned fingerprint/);
    // Not closed cleanly: the full path (MailService) connects instead of the quick check.
    await fs.rm(path.join(cliDir, 'closed-cleanly'), { force: true });
    const full = await runCliWithEnv(env, cliDir, 'sync', 'Pinned');
    expect(full.code).not.toBe(0);
    expect(full.stderr).toMatch(/Pinned: certificate: .*does not match the pinned fingerprint/);
    expect(await log()).not.toMatch(/Login: user=<carol>/);

    // The same process trusts the CA: an account without a pin connects, verified by it.
    const verified = await runCliWithEnv(env, cliDir, 'sync', 'Verified');
    expect(verified.stderr).toBe('');
    expect(verified.stdout).toMatch(/^Verified: 3 new, 0 deleted on server$/m);
    expect(verified.code).toBe(0);
    // And the trust is the CA's, not anything else on this machine.
    const untrusted = await runCliWithEnv({ NODE_EXTRA_CA_CERTS: '' }, cliDir, 'sync', 'Verified');
    expect(untrusted.code).not.toBe(0);
    expect(untrusted.stderr).toMatch(/Verified: certificate: .*not trusted/);
  });

  it('in the app, accounts without a pin connect through the CA: POP3 downloads, SMTP delivers', async () => {
    await s.dovecot.deliver('bob', generateMessages({ seed: 85, count: 2, mix: 'small' }));
    const bob = await service.addAccount(
      {
        name: 'Bob',
        email: 'bob@example.org',
        host: '127.0.0.1',
        port: s.dovecot.tlsPort,
        security: 'tls',
        user: 'bob',
        leaveOnServer: true,
        password: { source: 'keychain' },
        smtp: { host: '127.0.0.1', port: s.postfix.submissionsPort, security: 'tls', user: 'bob', password: { source: 'incoming' } },
        identities: [{ id: 'bob', name: 'Bob', address: 'bob@example.org' }],
      },
      'bob-pw',
    );
    const [outcome] = await service.sync([bob.id]);
    expect(outcome).toMatchObject({ ok: true });
    expect(localCount(bob.id)).toBeGreaterThanOrEqual(2);
    await service.send({ accountId: bob.id, to: ['carol@example.org'], subject: 'Verified by the CA', text: 'Through the CA-signed server.', now: true });
    await until('the message at carol', async () => (await s.dovecot.mailbox('carol')).some((m) => m.bytes.includes('Verified by the CA')), 60_000);
  });
});
