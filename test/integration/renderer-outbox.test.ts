/**
 * The Outbox in real Chromium (issue 15 §3) against a real Postfix delivering by LMTP into a
 * real Dovecot: a message sent while the outgoing server cannot be reached waits in the Outbox
 * with when it is tried again and why in plain words (and the status bar counts it); once the
 * server is back, Send now sends it, it leaves the Outbox and shows in Sent, and Bob has it
 * once. A recipient Postfix refuses shows the server's words; Discard asks first; a message
 * sent for later says when and goes back to Drafts with Edit; a refused password offers the
 * account's settings with the password field ready.
 */
import net from 'node:net';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireChromium } from '../support/browser.js';
import { postfixUnavailable, startPostfix, type PostfixServer } from '../support/postfix.js';
import { startWebApp, type WebApp } from '../support/webapp.js';

const unavailable = postfixUnavailable();
if (unavailable && process.env.CI) throw new Error(`Postfix is required in CI: ${unavailable}`);
if (unavailable) console.warn(`Skipping the Outbox screen suite: ${unavailable}`);
const suite = unavailable || !requireChromium('the Outbox screen suite') ? describe.skip : describe;

const USERS = [
  { name: 'alice', password: 'alice-pw' },
  { name: 'bob', password: 'bob-pw' },
];
const NAME = 'Alice';
/** A clock time as the page's locale writes it: 18:05, 6:05 PM. */
const TIME = String.raw`\d{1,2}:\d{2}(\s?[AP]M)?`;

/** A loopback port nothing listens on now (the outgoing server "down"), and a way to bring it up. */
async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** Forward `port` to Postfix's implicit-TLS port: the server "comes back" at the address the account names. */
async function relay(port: number, target: number): Promise<{ close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(target, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => (client.destroy(), upstream.destroy()));
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return {
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

/**
 * An SMTP server that takes the whole message and then hangs up without answering the final
 * dot: the one case where nobody can know whether it was sent.
 */
async function swallowingSmtp(): Promise<{ port: number; messages: () => number; close(): Promise<void> }> {
  let messages = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let buffered = '';
    let data = false;
    socket.write('220 swallow ESMTP\r\n');
    socket.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('latin1');
      if (data) {
        if (!buffered.includes('\r\n.\r\n')) return;
        messages++;
        socket.destroy();
        return;
      }
      let nl: number;
      while ((nl = buffered.indexOf('\r\n')) !== -1) {
        const line = buffered.slice(0, nl).toUpperCase();
        buffered = buffered.slice(nl + 2);
        if (line.startsWith('EHLO')) socket.write('250-swallow\r\n250 8BITMIME\r\n');
        else if (line.startsWith('DATA')) {
          data = true;
          socket.write('354 go ahead\r\n');
          return;
        } else if (line.startsWith('QUIT')) socket.end('221 bye\r\n');
        else socket.write('250 ok\r\n');
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    messages: () => messages,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

suite('the Outbox in Chromium', () => {
  let app: WebApp;
  let pf: PostfixServer;
  let page: Page;
  let accountId: string;
  let port: number;
  let up: { close(): Promise<void> } | null = null;
  let swallow: Awaited<ReturnType<typeof swallowingSmtp>>;
  let relayId: string;

  const sidebar = () => page.getByRole('navigation', { name: 'Folders' }).getByRole('region', { name: NAME });
  const folder = (key: string) => sidebar().locator(`[data-folder="${key}"]`);
  const outbox = () => page.getByRole('region', { name: 'Outbox' });
  const entry = (subject: string) => outbox().getByRole('listitem', { name: subject });
  const status = () => page.getByRole('contentinfo', { name: 'Status' });
  const grid = () => page.getByRole('grid', { name: 'Messages' });

  beforeAll(async () => {
    port = await freePort();
    swallow = await swallowingSmtp();
    app = await startWebApp({
      user: USERS[0]!,
      dovecot: { lmtp: true, users: USERS },
      prepare: async (dc, svc) => {
        // carol@ is refused for now (450) while Bob takes the same message: a partly sent message.
        pf = await startPostfix({
          dovecot: dc,
          extraMainCf: 'smtpd_recipient_restrictions = check_recipient_access inline:{ { carol@example.org = 450 4.2.1 Mailbox busy - try again later } }, permit_sasl_authenticated, reject\n',
        });
        const a = await svc.addAccount(
          {
            name: NAME,
            email: 'alice@example.org',
            host: '127.0.0.1',
            port: dc.tlsPort,
            security: 'tls',
            tlsFingerprint: dc.fingerprint256,
            user: 'alice',
            password: { source: 'keychain' },
            // Where Postfix will be; nothing listens there yet.
            smtp: { host: '127.0.0.1', port, security: 'tls', user: 'alice', tlsFingerprint: pf.fingerprint256, password: { source: 'incoming' } },
            identities: [{ name: 'Alice Example', address: 'alice@example.org' }],
          },
          'alice-pw',
        );
        accountId = a.id;
        // A home relay that takes mail without a login, and never answers the final dot.
        const relay = await svc.addAccount(
          {
            name: 'Home relay',
            email: 'alice@home.test',
            host: '127.0.0.1',
            port: dc.tlsPort,
            security: 'tls',
            tlsFingerprint: dc.fingerprint256,
            user: 'alice',
            password: { source: 'keychain' },
            smtp: { host: '127.0.0.1', port: swallow.port, security: 'plain', auth: 'none' },
            identities: [{ name: 'Alice at home', address: 'alice@home.test' }],
          },
          'alice-pw',
        );
        relayId = relay.id;
      },
    });
    page = app.page;
    await page.goto(app.host.url);
  }, 120_000);

  afterAll(async () => {
    await up?.close();
    await app?.close();
    await pf?.stop();
    await swallow?.close();
  });

  it('offline: the message waits with when it is tried again and why, and the status bar counts it', async () => {
    await app.service.send({ accountId, to: ['bob@example.org'], subject: 'Waiting for the network', text: 'Sent while the server was down.', now: true });
    // The Outbox shows in the sidebar once it holds mail, with its count.
    await folder('Outbox').getByLabel('1 message').waitFor({ timeout: 15_000 });
    await folder('Outbox').click();
    const item = entry('Waiting for the network');
    // The first retry is a minute away: counted down in seconds.
    await item.getByText(new RegExp(`^Not sent yet: will try again (in \\d+ s|at ${TIME})$`)).waitFor({ timeout: 30_000 });
    await item.getByText('Popbox could not reach the outgoing server (no network, or the server is down).').waitFor();
    expect(await item.getByText('To: bob@example.org').count()).toBe(1);
    await status().getByText(new RegExp(`^1 message waiting to be sent \\(next try at ${TIME}\\)\\.$`)).waitFor();
    expect((await app.dc.mailbox('bob')).length).toBe(0);
  });

  it('the server is back: Send now sends it, it leaves the Outbox and shows in Sent; Bob has it once', async () => {
    up = await relay(port, pf.submissionsPort);
    await entry('Waiting for the network').getByRole('button', { name: 'Send now' }).click();
    await outbox().getByText('Nothing waits to be sent.').waitFor({ timeout: 30_000 });
    await expect.poll(() => status().getByText(/waiting to be sent/).count()).toBe(0);
    await folder('Sent').click();
    await grid().getByRole('row', { name: /Waiting for the network/ }).waitFor();
    await expect.poll(async () => (await app.dc.mailbox('bob')).length, { timeout: 30_000 }).toBe(1);
    expect((await app.dc.mailbox('bob'))[0]!.bytes.toString()).toMatch(/^Subject: Waiting for the network$/m);
  });

  it('one recipient refused while Bob got it: the status bar says who did not and why, until dismissed', async () => {
    await app.dc.clear('bob');
    await app.service.send({ accountId, to: ['bob@example.org', 'nobody@example.org'], subject: 'Partly delivered', text: 'One of you exists.', now: true });
    const line = status().locator('.status-line', { hasText: 'Partly delivered' });
    await line.waitFor({ timeout: 30_000 });
    expect(await line.locator('span').textContent()).toMatch(/^“Partly delivered”: Sent, but not to nobody@example\.org: unknown recipient \(“550 .*User unknown/);
    await expect.poll(async () => (await app.dc.mailbox('bob')).length, { timeout: 30_000 }).toBe(1);
    await folder('Sent').click();
    await grid().getByRole('row', { name: /Partly delivered/ }).waitFor();
    await line.getByRole('button', { name: 'Dismiss' }).click();
    await expect.poll(() => status().locator('.status-line', { hasText: 'Partly delivered' }).count(), { timeout: 15_000 }).toBe(0);
    // Dismissing the notice leaves the message in Sent.
    expect(await grid().getByRole('row', { name: /Partly delivered/ }).count()).toBe(1);
    expect(await app.service.outboxStatus(accountId)).toEqual([]);
  });

  it('Bob has it, Carol’s server says later: no Edit (it cannot go back to Drafts); Discard says so and files it in Sent, not Trash', async () => {
    await app.dc.clear('bob');
    const { id } = await app.service.send({ accountId, to: ['bob@example.org', 'carol@example.org'], subject: 'Bob has it', text: 'Carol waits.', now: true });
    await expect.poll(async () => (await app.service.outboxStatus(accountId)).find((i) => i.id === id)?.state, { timeout: 30_000 }).toBe('retrying');
    await folder('Outbox').click();
    const item = entry('Bob has it');
    await item.getByRole('button', { name: 'Discard' }).waitFor({ timeout: 15_000 });
    expect(await item.getByRole('button', { name: 'Edit' }).count()).toBe(0);
    expect(await item.getByRole('button', { name: 'Mark as sent' }).count()).toBe(1);
    await item.getByRole('button', { name: 'Discard' }).click();
    const dialog = page.getByRole('dialog', { name: 'Discard this message?' });
    await dialog.getByText('“Bob has it” was already sent to bob@example.org: it goes to Sent, and is not tried again for carol@example.org.').waitFor();
    await dialog.getByRole('button', { name: 'Discard' }).click();
    await folder('Sent').click();
    await grid().getByRole('row', { name: /Bob has it/ }).waitFor({ timeout: 15_000 });
    const after = (await app.service.outboxStatus(accountId)).find((i) => i.id === id);
    expect(after).toMatchObject({ state: 'sent', sentTo: ['bob@example.org'] });
    expect(after?.lastError?.message).toMatch(/^Sent, but not to carol@example\.org/);
    await folder('Trash').click();
    await page.waitForTimeout(300);
    expect(await grid().getByRole('row', { name: /Bob has it/ }).count()).toBe(0);
    expect((await app.dc.mailbox('bob')).length).toBe(1);
    await app.service.discardQueued(id); // the notice, dismissed
  });

  it('a recipient Postfix refuses: Not sent, with the server’s words; Discard asks first and sends nothing', async () => {
    await app.service.send({ accountId, to: ['nobody@example.org'], subject: 'To nobody', text: 'Nobody reads this.', now: true });
    await folder('Outbox').click();
    const item = entry('To nobody');
    await item.getByText('Not sent', { exact: true }).waitFor({ timeout: 30_000 });
    const problem = item.getByRole('alert');
    await expect.poll(() => problem.textContent()).toMatch(/^Not sent to nobody@example\.org: unknown recipient\. Check the address, then send it again\. The server said: “550 .*User unknown/);
    await status().getByText('1 message in the Outbox needs your attention.').waitFor();

    await item.getByRole('button', { name: 'Discard' }).click();
    const dialog = page.getByRole('dialog', { name: 'Discard this message?' });
    await dialog.getByText(/“To nobody” will not be sent/).waitFor();
    // Cancel has the focus: Enter keeps the message.
    await page.keyboard.press('Enter');
    await dialog.waitFor({ state: 'detached' });
    expect(await entry('To nobody').count()).toBe(1);
    await item.getByRole('button', { name: 'Discard' }).click();
    await dialog.getByRole('button', { name: 'Discard' }).click();
    await expect.poll(() => entry('To nobody').count(), { timeout: 15_000 }).toBe(0);
    await folder('Trash').click();
    await grid().getByRole('row', { name: /To nobody/ }).waitFor();
    expect(await app.service.outboxStatus(accountId)).toEqual([]);
  });

  it('sent for later: says when; Edit puts it back in Drafts, unsent', async () => {
    await app.service.send({ accountId, to: ['bob@example.org'], subject: 'Later, please', text: 'Not yet.', sendAt: Date.now() + 3 * 3600_000 });
    await folder('Outbox').click();
    const item = entry('Later, please');
    await item.getByText(new RegExp(`^Sends (at|on .* at) ${TIME}$`)).waitFor({ timeout: 15_000 });
    await item.getByRole('button', { name: 'Edit' }).click();
    // Back in Drafts, and open to go on writing.
    const panel = page.locator('.compose-panel');
    await expect.poll(() => panel.getByLabel('Subject').inputValue(), { timeout: 15_000 }).toBe('Later, please');
    await page.keyboard.press('Escape');
    await panel.waitFor({ state: 'detached' });
    await expect.poll(() => entry('Later, please').count(), { timeout: 15_000 }).toBe(0);
    await folder('Drafts').click();
    await grid().getByRole('row', { name: /Later, please/ }).waitFor();
    expect((await app.dc.mailbox('bob')).length).toBe(1);
  });

  it('a refused password: Enter password opens the account’s settings with the outgoing password ready', async () => {
    // The outgoing server gets a password of its own, and a wrong one.
    await app.service.updateAccount(accountId, { smtp: { password: { source: 'keychain' } } }, undefined, { smtpPassword: 'wrong-pw' });
    await app.service.send({ accountId, to: ['bob@example.org'], subject: 'Wrong password', text: 'Refused login.', now: true });
    await folder('Outbox').click();
    const item = entry('Wrong password');
    await item.getByText(/^The outgoing server refused the user name or password\. Enter the password/).waitFor({ timeout: 30_000 });
    await item.getByRole('button', { name: 'Enter password' }).click();
    const field = page.getByRole('region', { name: 'Account settings' }).getByLabel('Outgoing password');
    await expect.poll(() => field.evaluate((el) => el === (el as { ownerDocument: { activeElement: unknown } }).ownerDocument.activeElement)).toBe(true);
    expect(app.pageErrors).toEqual([]);
  });

  it('no answer after the final dot: May have been sent, never sent again by itself; Mark as sent files it in Sent', async () => {
    await page.getByRole('button', { name: 'Done' }).click();
    await app.service.send({ accountId: relayId, to: ['bob@example.org'], subject: 'Did it go?', text: 'Nobody knows.', now: true });
    const home = page.getByRole('navigation', { name: 'Folders' }).getByRole('region', { name: 'Home relay' });
    await home.locator('[data-folder="Outbox"]').click({ timeout: 15_000 });
    const item = entry('Did it go?');
    await item.getByText('May have been sent', { exact: true }).waitFor({ timeout: 30_000 });
    await item.getByText(/The recipients may have it already: send it again only if they did not get it, or mark it as sent\./).waitFor();
    expect(await item.getByRole('button', { name: 'Send again' }).count()).toBe(1);
    expect(await item.getByRole('button', { name: 'Discard' }).count()).toBe(1);
    // Undo is too late for a message that may be with the server.
    expect(await item.getByRole('button', { name: 'Edit' }).count()).toBe(0);
    await new Promise((r) => setTimeout(r, 1500));
    expect(swallow.messages()).toBe(1);
    // Send again needs a native yes; a browser page cannot give one, and says how to do it instead.
    await item.getByRole('button', { name: 'Send again' }).click();
    await item.getByText(/The browser cannot ask you safely whether to go ahead; to do it, run in a terminal: .*popbox outbox resend/).waitFor();
    expect(swallow.messages()).toBe(1);
    await item.getByRole('button', { name: 'Mark as sent' }).click();
    await expect.poll(() => entry('Did it go?').count(), { timeout: 15_000 }).toBe(0);
    await home.locator('[data-folder="Sent"]').click();
    await grid().getByRole('row', { name: /Did it go\?/ }).waitFor();
    expect(swallow.messages()).toBe(1);
  });
});
