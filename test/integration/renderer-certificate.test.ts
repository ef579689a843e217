/**
 * A certificate that changes under an existing account (issue 13 §2), in real Chromium: the
 * account's server first is a Dovecot whose certificate the account has pinned; then the same
 * host and port answer with another certificate (a network attacker, or a provider that renewed
 * it). The status shows a blocking warning with both fingerprints and no one-click trust, the new
 * server receives no password, nothing retries by itself, and the new certificate is accepted
 * only in the account's settings once the user types the password.
 */
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MailService } from '../../electron/core/mail-service.js';
import { requireChromium } from '../support/browser.js';
import { dovecotUnavailable, type DovecotServer } from '../support/dovecot.js';
import { FAULT_FINGERPRINT, miniPop3, startFaultServer, type FaultServer } from '../support/fault-server.js';
import { startSwitch, type SwitchRelay } from '../support/switch-relay.js';
import { startWebApp, type WebApp } from '../support/webapp.js';

const unavailable = dovecotUnavailable();
if (unavailable && process.env.CI) throw new Error(`Dovecot is required in CI: ${unavailable}`);
if (unavailable) console.warn(`Skipping the certificate-change suite: ${unavailable}`);
const suite = unavailable || !requireChromium('the certificate-change suite') ? describe.skip : describe;

const SERVER_WAIT = { timeout: 60_000 };

function mail(subject: string): Buffer {
  return Buffer.from(
    [`From: Ann <ann@example.org>`, 'To: bob@popbox.test', `Subject: ${subject}`, 'Date: Tue, 03 Nov 2026 10:00:00 +0000', `Message-ID: <${subject.replace(/\W/g, '')}@example.org>`, '', `Body of ${subject}.`, ''].join('\r\n'),
  );
}

suite('a certificate that changes under an existing account, in Chromium', () => {
  let app: WebApp;
  let dc: DovecotServer;
  let service: MailService;
  let page: Page;
  let relay: SwitchRelay;
  let attacker: FaultServer;
  let accountId: string;

  /** POPBOX_SCREENSHOTS=DIR keeps pictures of the screens for people to look at. */
  const shot = async (name: string) => {
    if (process.env.POPBOX_SCREENSHOTS) await page.screenshot({ path: path.join(process.env.POPBOX_SCREENSHOTS, `${name}.png`) });
  };
  const status = () => page.getByRole('contentinfo', { name: 'Status' });
  const settings = () => page.getByRole('region', { name: 'Account settings' });
  const messages = () => page.getByRole('grid', { name: 'Messages' }).getByRole('row');
  /** Every line the other server received: a password would be a PASS or AUTH line among them. */
  const attackerLines = () => attacker.connections.flatMap((c) => c.received);

  beforeAll(async () => {
    attacker = await startFaultServer((conn) => miniPop3(conn, { user: 'bob', password: 'bob-pw', messages: [mail('From the new server')], uids: ['new-1'] }), { tls: true });
    app = await startWebApp({
      user: { name: 'bob', password: 'bob-pw' },
      scheduler: true,
      prepare: async (server, svc) => {
        await server.deliver('bob', [mail('From the old server')]);
        relay = await startSwitch(server.tlsPort);
        const account = await svc.addAccount(
          { name: 'Home', host: '127.0.0.1', port: relay.port, security: 'tls', tlsFingerprint: server.fingerprint256, user: 'bob', leaveOnServer: true, password: { source: 'keychain' } },
          'bob-pw',
        );
        accountId = account.id;
        const [first] = await svc.sync([account.id]);
        expect(first?.ok).toBe(true);
      },
    });
    ({ dc, service, page } = app);
  }, 120_000);

  afterAll(async () => {
    await app?.close();
    await relay?.close();
    await attacker?.close();
  });

  it('blocks with both fingerprints, offers no trust, and sends the new server nothing', async () => {
    await page.goto(app.host.url);
    await expect.poll(() => messages().count(), SERVER_WAIT).toBe(1);
    expect(FAULT_FINGERPRINT).not.toBe(dc.fingerprint256);

    relay.target = attacker.port;
    const before = relay.accepted;
    // A scheduled check, as the timer would start it.
    const [outcome] = await service.syncNow([accountId]);
    expect(outcome).toMatchObject({ ok: false, error: { code: 'certificate', fingerprint256: FAULT_FINGERPRINT, expectedFingerprint256: dc.fingerprint256 } });

    await status().getByText(/Home: the server's certificate has changed\. Someone may be intercepting the connection/).waitFor(SERVER_WAIT);
    await status().getByText(dc.fingerprint256, { exact: true }).waitFor();
    await status().getByText(FAULT_FINGERPRINT, { exact: true }).waitFor();
    expect(await page.getByRole('button', { name: 'Trust this certificate' }).count()).toBe(0);
    await status().getByRole('button', { name: 'Open settings' }).waitFor();
    await shot('certificate-changed-status');

    // The other server got a TLS handshake (it presented its certificate) and not one command.
    expect(relay.accepted).toBe(before + 1);
    expect(attackerLines()).toEqual([]);
    expect(service.listAccounts()[0]?.tlsFingerprint).toBe(dc.fingerprint256);
  });

  it('does not retry by itself: no timer, nothing after sleep or a network change, and Get Mail connects to nothing', async () => {
    const connections = relay.accepted;
    // No retry is even planned: a planned one would have a time (nextRunAt) and a timer.
    expect(service.syncStatus().find((s) => s.accountId === accountId)).toMatchObject({ state: 'needs-attention', nextRunAt: null });
    // What would run anything overdue: waking from sleep, the network coming back.
    const scheduler = service.startScheduler();
    scheduler.resume();
    scheduler.setOnline(false);
    scheduler.setOnline(true);
    // Get Mail, pressed by the user: answered with the block once main has handled it.
    const answers: unknown[] = [];
    const syncNow = service.syncNow.bind(service);
    service.syncNow = async (ids) => {
      const out = await syncNow(ids);
      answers.push(out.find((o) => o.accountId === accountId));
      return out;
    };
    try {
      await page.getByRole('button', { name: 'Get Mail' }).click();
      await expect.poll(() => answers.length, SERVER_WAIT).toBe(1);
    } finally {
      service.syncNow = syncNow;
    }
    expect(answers[0]).toMatchObject({ ok: false, error: { code: 'certificate' } });
    // Main has answered; the page learns it after (the status is read back into its database).
    await expect.poll(() => status().getByText(/Home: the server's certificate has changed/).count()).toBe(1);
    expect(relay.accepted).toBe(connections);
    expect(attackerLines()).toEqual([]);
    expect(service.syncStatus().find((s) => s.accountId === accountId)).toMatchObject({ state: 'needs-attention', nextRunAt: null });
  });

  it('accepts the new certificate only in the settings form, once the user types the password', async () => {
    await status().getByRole('button', { name: 'Open settings' }).click();
    const form = settings();
    const warning = form.getByRole('alert').filter({ hasText: 'Someone may be intercepting the connection' });
    await warning.waitFor();
    await warning.getByText(dc.fingerprint256, { exact: true }).waitFor();
    await warning.getByText(FAULT_FINGERPRINT, { exact: true }).waitFor();
    await shot('certificate-changed-settings');

    // Testing the saved settings shows the new certificate; the saved password goes nowhere.
    await form.getByRole('button', { name: 'Test connection' }).click();
    await form.getByRole('button', { name: 'Trust this certificate' }).waitFor(SERVER_WAIT);
    await form.getByRole('button', { name: 'Trust this certificate' }).click();
    await form.getByText(/^Type the password, then press Test connection again/).waitFor();
    await shot('certificate-changed-trust-needs-password');
    expect(attackerLines()).toEqual([]);
    expect(service.listAccounts()[0]?.tlsFingerprint).toBe(dc.fingerprint256);

    await form.getByLabel('Password', { exact: true }).fill('bob-pw');
    await form.getByRole('button', { name: 'Test connection' }).click();
    await form.getByText(/Connection works \(encrypted\): 1 message/).waitFor(SERVER_WAIT);
    await form.getByRole('button', { name: 'Save', exact: true }).click();
    await form.getByText(/^Settings saved\. Popbox logged in and checked for mail\./).waitFor(SERVER_WAIT);

    expect(service.listAccounts()[0]?.tlsFingerprint).toBe(FAULT_FINGERPRINT);
    expect(attackerLines().some((l) => /^(PASS|AUTH) /i.test(l))).toBe(true);
    expect(service.syncStatus().find((s) => s.accountId === accountId)).toMatchObject({ lastError: null });
    await page.getByRole('button', { name: 'Done' }).click();
    await expect.poll(() => messages().count(), SERVER_WAIT).toBe(2);
    // The account's state reaches the page apart from its mail: wait for what replaces the warning
    // (when mail was last checked, said only once the account's last check went well), then the
    // warning is gone. An absence polled alone passed at the first moment it was absent.
    await status().getByText(/^Checked for mail (at|on) /).waitFor(SERVER_WAIT);
    expect(await status().getByText(/certificate/).count()).toBe(0);
  });
});
