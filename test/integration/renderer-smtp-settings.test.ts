/**
 * Settings › account: the outgoing server and identities in real Chromium (issue 15 §1),
 * against a real Postfix that logs in through the same Dovecot the POP3 side reads. What a user
 * does: switch sending on, enter the server, test it (the self-signed certificate trusted by
 * its fingerprint; the report says TLS and the 10 MB limit), write identities with checks as
 * they type, save. Then a message sent with those settings reaches Bob from the default identity.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireChromium } from '../support/browser.js';
import { postfixUnavailable, startPostfix, type PostfixServer } from '../support/postfix.js';
import { startWebApp, type WebApp } from '../support/webapp.js';

const unavailable = postfixUnavailable();
if (unavailable && process.env.CI) throw new Error(`Postfix is required in CI: ${unavailable}`);
if (unavailable) console.warn(`Skipping the outgoing-server settings suite: ${unavailable}`);
const suite = unavailable || !requireChromium('the outgoing-server settings suite') ? describe.skip : describe;

const USERS = [
  { name: 'alice', password: 'alice-pw' },
  { name: 'bob', password: 'bob-pw' },
];
const NAME = 'Alice at home';

suite('the outgoing server and identities in Chromium', () => {
  let app: WebApp;
  let pf: PostfixServer;
  let page: Page;
  let accountId: string;

  const settings = () => page.getByRole('region', { name: 'Account settings' });
  const outgoing = () => settings().getByRole('group', { name: 'Outgoing server (SMTP)' });
  const identity = (label: string) => settings().getByRole('group', { name: `Identity ${label}`, exact: true });

  beforeAll(async () => {
    app = await startWebApp({
      user: USERS[0]!,
      dovecot: { lmtp: true, users: USERS },
      prepare: async (dc, svc) => {
        const a = await svc.addAccount(
          { name: NAME, email: 'alice@example.org', host: '127.0.0.1', port: dc.tlsPort, security: 'tls', tlsFingerprint: dc.fingerprint256, user: 'alice', password: { source: 'keychain' } },
          'alice-pw',
        );
        accountId = a.id;
      },
    });
    pf = await startPostfix({ dovecot: app.dc });
    page = app.page;
  }, 120_000);

  afterAll(async () => {
    await app?.close();
    await pf?.stop();
  });

  it('sets up the outgoing server: checks as typed, a test that trusts the certificate and says TLS and the size limit', async () => {
    await page.goto(app.host.url);
    await page.getByRole('button', { name: 'Account settings' }).click();
    await outgoing().getByLabel('Send mail from this account').check();
    const host = outgoing().getByLabel('Outgoing server', { exact: true });
    await host.fill('smtp example');
    await outgoing().getByText('Enter a host name or an IP address, without spaces.').waitFor();
    await host.fill('127.0.0.1');
    expect(await outgoing().getByText('Enter a host name or an IP address, without spaces.').count()).toBe(0);
    // SSL/TLS is the default, on its usual port; this server listens elsewhere.
    expect(await outgoing().getByLabel('Outgoing security').inputValue()).toBe('tls');
    const port = outgoing().getByLabel('Outgoing port');
    expect(await port.inputValue()).toBe('465');
    await port.fill('12x');
    await outgoing().getByText(/^Enter a port number from 1 to 65535/).waitFor();
    await port.fill(String(pf.submissionsPort));
    expect(await outgoing().getByLabel('Outgoing user name').inputValue()).toBe('alice');
    expect(await outgoing().getByLabel('Use the incoming password').isChecked()).toBe(true);
    // Main forgets the incoming password when the outgoing server starts using it: the form says to type it.
    await outgoing().getByText(/Type the incoming password in “Password” above as well/).waitFor();
    await settings().getByLabel('Password', { exact: true }).fill('alice-pw');

    await outgoing().getByRole('button', { name: 'Test outgoing server' }).click();
    await outgoing().getByText('The outgoing server’s certificate is not trusted by this computer.', { exact: false }).waitFor({ timeout: 30_000 });
    expect(await outgoing().locator('code.fingerprint').textContent()).toBe(pf.fingerprint256);
    await outgoing().getByRole('button', { name: 'Trust this certificate' }).click();
    const report = outgoing().getByRole('status', { name: 'Outgoing server test' });
    await report.waitFor({ timeout: 30_000 });
    const said = await report.locator('li').allTextContents();
    expect(said).toContain('The connection is encrypted (TLS).');
    expect(said).toContain('Popbox logged in.');
    expect(said).toContain('It accepts messages up to 10 MB.');
    expect(said.some((l) => /SMTPUTF8/.test(l))).toBe(true);
    expect(await outgoing().getByLabel('Outgoing server’s trusted certificate (SHA-256)').inputValue()).toBe(pf.fingerprint256);
  });

  it('writes identities with checks as typed, makes one the default, and saves it all (no password in the file)', async () => {
    // Switching sending on started an identity from the account's address.
    const first = identity('alice@example.org');
    await first.getByLabel('Your name').fill('Alice Example');
    const replyTo = first.getByLabel('Reply-to address');
    await replyTo.fill('not an address');
    await first.getByText(/^That is not an email address/).waitFor();
    await replyTo.fill('replies@example.org');
    expect(await first.getByText(/^That is not an email address/).count()).toBe(0);
    await first.getByLabel('Signature').fill('Alice\nSent from home');

    await settings().getByRole('button', { name: 'Add identity' }).click();
    const added = identity('New identity');
    await added.getByLabel('Email address').fill('ALICE@example.org');
    await identity('ALICE@example.org').getByText('Another identity of this account has this address.').waitFor();
    await identity('ALICE@example.org').getByLabel('Email address').fill('alice.work@example.org');
    const work = identity('alice.work@example.org');
    await work.getByLabel('Your name').fill('Alice at work');
    await work.getByRole('button', { name: 'Make default' }).click();
    await work.getByText('(default)').waitFor();

    await settings().getByRole('button', { name: 'Save', exact: true }).click();
    await settings().getByText(/^Settings saved\. Popbox logged in and checked for mail\.$/).waitFor({ timeout: 60_000 });

    const file = await fs.readFile(path.join(app.dataDir, 'accounts.json'), 'utf8');
    expect(file).not.toContain('alice-pw');
    const stored = (JSON.parse(file) as { accounts: { id: string; smtp: unknown; identities: unknown[] }[] }).accounts.find((a) => a.id === accountId)!;
    expect(stored.smtp).toMatchObject({ host: '127.0.0.1', port: pf.submissionsPort, security: 'tls', auth: 'password', user: 'alice', tlsFingerprint: pf.fingerprint256, password: { source: 'incoming' } });
    expect(stored.identities).toMatchObject([
      { name: 'Alice Example', address: 'alice@example.org', replyTo: 'replies@example.org', signature: 'Alice\nSent from home' },
      { name: 'Alice at work', address: 'alice.work@example.org', default: true },
    ]);
    expect((stored.identities[0] as { default?: boolean }).default).toBeFalsy();
  });

  it('sends with what the screens saved: from the default identity, delivered to Bob once', async () => {
    await app.service.send({ accountId, to: ['bob@example.org'], subject: 'Set up in the screens', text: 'Hello Bob.', now: true });
    await expect.poll(async () => (await app.dc.mailbox('bob')).length, { timeout: 30_000 }).toBe(1);
    const [got] = await app.dc.mailbox('bob');
    const text = got!.bytes.toString('utf8');
    expect(text).toMatch(/^From: Alice at work <alice\.work@example\.org>$/m);
    expect(text).toMatch(/^Subject: Set up in the screens$/m);
    await expect.poll(async () => (await app.service.outboxStatus(accountId)).length).toBe(0);
  });

  it('Add account: the outgoing server and the name recipients see, tested (STARTTLS) and saved with the account', async () => {
    // A provider from the table: the outgoing server comes with the incoming one (no network needed).
    await settings().getByRole('button', { name: 'Add account' }).click();
    const add = page.getByRole('region', { name: 'Add account' });
    await add.getByLabel('Email address').fill('someone@outlook.com');
    await add.getByLabel('Password').fill('x');
    await add.getByRole('button', { name: 'Continue' }).click();
    const found = add.getByRole('group', { name: 'Outgoing server (SMTP)' });
    await found.getByLabel('Outgoing server', { exact: true }).waitFor();
    expect(await found.getByLabel('Send mail from this account').isChecked()).toBe(true);
    expect(await found.getByLabel('Outgoing server', { exact: true }).inputValue()).toBe('smtp-mail.outlook.com');
    expect(await found.getByLabel('Outgoing security').inputValue()).toBe('starttls');
    expect(await found.getByLabel('Outgoing port').inputValue()).toBe('587');
    expect(await found.getByLabel('Outgoing user name').inputValue()).toBe('someone@outlook.com');
    expect(await found.getByLabel('Use the incoming password').isChecked()).toBe(true);
    await add.getByRole('button', { name: 'Cancel' }).click();

    await settings().getByRole('button', { name: 'Add account' }).click();
    // Name, address and password on the first page, together.
    await add.getByLabel('Your name').fill('Bob Builder');
    await add.getByLabel('Email address').fill('bob@localhost');
    await add.getByLabel('Password').fill('bob-pw');
    await add.getByRole('button', { name: 'Continue' }).click();
    await add.getByLabel('Account name').fill('Bob');
    await add.getByLabel('Server', { exact: true }).fill('127.0.0.1');
    await add.getByLabel('Security', { exact: true }).selectOption('tls');
    await add.getByLabel('Port', { exact: true }).fill(String(app.dc.tlsPort));
    await add.getByLabel('User name', { exact: true }).fill('bob');
    await add.getByRole('button', { name: 'Test connection' }).click();
    await add.getByRole('button', { name: 'Trust this certificate' }).click({ timeout: 60_000 });
    await add.getByText(/Connection works \(encrypted\)/).waitFor({ timeout: 60_000 });

    const out = add.getByRole('group', { name: 'Outgoing server (SMTP)' });
    await out.getByLabel('Send mail from this account').check();
    await out.getByLabel('Outgoing server', { exact: true }).fill('127.0.0.1');
    await out.getByLabel('Outgoing security').selectOption('starttls');
    // The usual port follows the security choice.
    expect(await out.getByLabel('Outgoing port').inputValue()).toBe('587');
    await out.getByLabel('Outgoing port').fill(String(pf.submissionPort));
    expect(await out.getByLabel('Outgoing user name').inputValue()).toBe('bob');
    await out.getByRole('button', { name: 'Test outgoing server' }).click();
    await out.getByRole('button', { name: 'Trust this certificate' }).click({ timeout: 30_000 });
    const report = out.getByRole('status', { name: 'Outgoing server test' });
    await report.waitFor({ timeout: 30_000 });
    expect(await report.locator('li').allTextContents()).toEqual(expect.arrayContaining(['The connection is encrypted (TLS).', 'Popbox logged in.', 'It accepts messages up to 10 MB.']));
    await add.getByRole('button', { name: 'Save account' }).click();
    await expect.poll(() => app.service.listAccounts().find((a) => a.name === 'Bob')?.smtp ?? null).toMatchObject({ host: '127.0.0.1', port: pf.submissionPort, security: 'starttls', user: 'bob', tlsFingerprint: pf.fingerprint256, password: { source: 'incoming' } });
    expect(app.service.listAccounts().find((a) => a.name === 'Bob')!.identities).toMatchObject([{ name: 'Bob Builder', address: 'bob@localhost', default: true }]);
    // Back to Alice's settings for the next step.
    await settings().getByRole('navigation', { name: 'Accounts' }).getByRole('button', { name: NAME, exact: true }).click();
  });

  it('a second Save keeps the identities (no duplicates) and the page got no password', async () => {
    await settings().getByRole('button', { name: 'Save', exact: true }).click();
    await settings().getByText(/^Settings saved\./).waitFor();
    await expect.poll(() => app.service.listAccounts().find((a) => a.id === accountId)?.identities.length).toBe(2);
    expect(app.pageErrors).toEqual([]);
  });

  it('a password command set on the command line is said in the form and survives a Save; sending still logs in with it', async () => {
    // As `popbox account edit --smtp-password-command` leaves it (the screens cannot set one).
    await app.service.updateAccount(accountId, { smtp: { password: { source: 'command', command: 'printf alice-pw' } } }, undefined, { fromCommandLine: true });
    await page.reload();
    await page.getByRole('button', { name: 'Account settings' }).click();
    await outgoing().getByLabel('Outgoing password').waitFor();
    expect(await outgoing().getByLabel('Use the incoming password').isChecked()).toBe(false);
    await outgoing().getByText('The password comes from a command set on the command line.').waitFor();
    expect(await outgoing().getByLabel('Outgoing password').isDisabled()).toBe(true);
    await settings().getByLabel('Your name').first().fill('Alice E.');
    await settings().getByRole('button', { name: 'Save', exact: true }).click();
    await settings().getByText(/^Settings saved\./).waitFor({ timeout: 60_000 });
    expect(await settings().getByText(/Outgoing password: type/).count()).toBe(0);
    const stored = app.service.listAccounts().find((a) => a.id === accountId)!;
    expect(stored.smtp?.password).toEqual({ source: 'command', command: 'printf alice-pw' });
    expect(stored.identities[0]).toMatchObject({ name: 'Alice E.' });
    // Postfix's log, not Bob's mailbox: Bob's account (added above) may fetch the message first.
    const log = pf.logSince();
    const { messageId } = await app.service.send({ accountId, to: ['bob@example.org'], subject: 'With the command', text: 'Hello again.', now: true });
    await expect.poll(log, { timeout: 30_000 }).toMatch(/status=sent/);
    expect(log()).toMatch(/sasl_method=PLAIN, sasl_username=alice/);
    expect(log()).toContain(`message-id=${messageId}`);
    expect(app.pageErrors).toEqual([]);
  });
});
