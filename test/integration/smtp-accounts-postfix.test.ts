/**
 * An account's outgoing server as the outbox will use it (issue 15 §1): smtpSettingsFor builds
 * the settings with the password from the secret store, sendRaw hands the message to a real
 * Postfix on loopback, Dovecot delivers it by LMTP, and the account's own sync brings it back by
 * POP3. Certificates are pinned as a user who entered the hosts would pin them (no CA given).
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import MailComposer from 'nodemailer/lib/mail-composer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { smtpSecretKey } from '../../electron/core/accounts/accounts-service.js';
import { MailService } from '../../electron/core/mail-service.js';
import { MemorySecretStore } from '../../electron/core/secrets/index.js';
import { sendRaw } from '../../electron/core/smtp/index.js';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { postfixUnavailable, startPostfix, type PostfixServer } from '../support/postfix.js';
import { sleep } from '../support/servers.js';

const unavailable = postfixUnavailable();
if (unavailable && process.env.CI) throw new Error(`Postfix is required in CI: ${unavailable}`);
if (unavailable) console.warn(`Skipping the accounts-through-Postfix suite: ${unavailable}`);
const suite = unavailable ? describe.skip : describe;

const USERS = [
  { name: 'alice', password: 'alice-pw' },
  { name: 'bob', password: 'bob-pw' },
];

suite('an account sends through its outgoing server (Postfix) and gets the message back by POP3 (Dovecot)', () => {
  let dc: DovecotServer;
  let pf: PostfixServer;
  let dataDir: string;
  let service: MailService;
  const secrets = new MemorySecretStore();

  beforeAll(async () => {
    dc = await startDovecot({ lmtp: true, users: USERS });
    pf = await startPostfix({ dovecot: dc });
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'popbox-smtp-accounts-'));
    service = await MailService.open({ dataDir, secrets });
  });
  afterAll(async () => {
    await service?.close();
    await pf?.stop();
    await dc?.stop();
    if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
  });

  const account = (name: string, user: string) => ({
    name,
    email: `${user}@example.org`,
    host: '127.0.0.1',
    port: dc.tlsPort,
    security: 'tls' as const,
    user,
    tlsFingerprint: dc.fingerprint256,
    password: { source: 'keychain' as const },
  });

  async function compose(from: string, to: string, tag: string): Promise<Buffer> {
    return new MailComposer({ from, to, subject: `Sent by ${tag}`, messageId: `<${tag}@popbox.test>`, text: `Hello from ${tag}.\n` }).compile().build();
  }

  async function syncUntil(accountId: string, messageId: string): Promise<void> {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const [outcome] = await service.sync([accountId]);
      expect(outcome).toMatchObject({ ok: true });
      if (service.messages({ accountId }).some((m) => m.summary.messageId === messageId)) return;
      if (Date.now() > deadline) throw new Error(`${messageId} did not arrive`);
      await sleep(100);
    }
  }

  it('implicit TLS (465), the incoming password for both: sent, delivered, and synced back into the account', async () => {
    const alice = await service.addAccount(
      { ...account('Alice', 'alice'), smtp: { host: '127.0.0.1', port: pf.submissionsPort, security: 'tls', user: 'alice', tlsFingerprint: pf.fingerprint256, password: { source: 'incoming' } } },
      'alice-pw',
    );
    expect(await secrets.get(smtpSecretKey(alice.id))).toBeNull();
    const settings = await service.smtpSettingsFor(alice.id);
    expect(settings).toMatchObject({ port: pf.submissionsPort, security: 'tls', auth: { user: 'alice', password: 'alice-pw' }, tls: { pinnedFingerprint256: pf.fingerprint256 } });
    const raw = await compose('Alice <alice@example.org>', 'alice@example.org', 'alice-465');
    const sent = await sendRaw(settings, { from: alice.identities[0]!.address, to: ['alice@example.org'], raw });
    expect(sent).toMatchObject({ accepted: ['alice@example.org'], rejected: [], messageId: '<alice-465@popbox.test>' });
    await syncUntil(alice.id, '<alice-465@popbox.test>');
    const got = service.messages({ accountId: alice.id }).find((m) => m.summary.messageId === '<alice-465@popbox.test>')!;
    expect(got.summary.subject).toBe('Sent by alice-465');
    expect(await fs.readFile(got.path, 'latin1')).toContain('Hello from alice-465.');
  });

  it('STARTTLS (587) with a keychain password of its own: sent to another account, which syncs it', async () => {
    const bob = await service.addAccount({ ...account('Bob', 'bob') }, 'bob-pw');
    const carol = await service.addAccount(
      { ...account('Bob sends', 'bob'), name: 'Bob sends', smtp: { host: '127.0.0.1', port: pf.submissionPort, security: 'starttls', user: 'bob', mechanism: 'LOGIN', tlsFingerprint: pf.fingerprint256 } },
      'bob-pw',
      { smtpPassword: 'bob-pw' },
    );
    expect(await secrets.get(smtpSecretKey(carol.id))).toBe('bob-pw');
    const raw = await compose('Bob <bob@example.org>', 'bob@example.org', 'bob-587');
    const sent = await sendRaw(await service.smtpSettingsFor(carol.id), { from: 'bob@example.org', to: ['bob@example.org'], raw });
    expect(sent.accepted).toEqual(['bob@example.org']);
    await syncUntil(bob.id, '<bob-587@popbox.test>');
  });

  it('testSmtp with the stored password reports what Postfix offers; a wrong stored password is an auth failure and nothing is sent', async () => {
    const a = service.accounts.get('Alice');
    const report = await service.testSmtp({ accountId: a.id, host: '127.0.0.1', port: pf.submissionsPort, security: 'tls', user: 'alice', tlsFingerprint: pf.fingerprint256 });
    expect(report).toMatchObject({ secure: true, authenticated: true, fingerprint256: pf.fingerprint256, sizeLimit: pf.messageSizeLimit });
    expect(report.authMechanisms).toContain('PLAIN');

    const sender = service.accounts.get('Bob sends');
    await secrets.set(smtpSecretKey(sender.id), 'not-bobs');
    const raw = await compose('Bob <bob@example.org>', 'bob@example.org', 'wrong-password');
    await expect(sendRaw(await service.smtpSettingsFor(sender.id), { from: 'bob@example.org', to: ['bob@example.org'], raw })).rejects.toMatchObject({ code: 'auth' });
    await sleep(300);
    expect((await dc.mailbox('bob')).some((m) => m.bytes.includes('wrong-password@popbox.test'))).toBe(false);
  });

  it('a pin the server does not match is refused before any password goes out', async () => {
    const a = await service.updateAccount('Alice', { smtp: { tlsFingerprint: dc.fingerprint256 } }, 'alice-pw');
    const raw = await compose('Alice <alice@example.org>', 'alice@example.org', 'wrong-pin');
    await expect(sendRaw(await service.smtpSettingsFor(a.id), { from: 'alice@example.org', to: ['alice@example.org'], raw })).rejects.toMatchObject({ code: 'certificate' });
  });
});
