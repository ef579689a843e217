/**
 * The renderer end to end in real Chromium, against the web host and a real Dovecot: add an
 * account through the UI (trusting the self-signed certificate by its fingerprint), get mail,
 * read, mark, trash, change leave-on-server settings and see them survive a reload, and see new
 * mail arrive. What the screen shows is checked through the accessibility tree.
 */
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MailService } from '../../electron/core/mail-service.js';
import { requireChromium } from '../support/browser.js';
import { dovecotUnavailable, type DovecotServer } from '../support/dovecot.js';
import { startWebApp, type WebApp } from '../support/webapp.js';

const unavailable = dovecotUnavailable();
if (unavailable && process.env.CI) throw new Error(`Dovecot is required in CI: ${unavailable}`);
if (unavailable) console.warn(`Skipping the renderer end-to-end suite: ${unavailable}`);
const suite = unavailable || !requireChromium('the renderer end-to-end suite') ? describe.skip : describe;

function mail(n: number, subject: string, from = 'Ann Example <ann@example.org>', date = `Tue, 0${n} Nov 2026 10:00:00 +0000`): Buffer {
  return Buffer.from(
    [`From: ${from}`, 'To: bob@popbox.test', `Subject: ${subject}`, `Date: ${date}`, `Message-ID: <m${n}-${subject.replace(/\W/g, '')}@example.org>`, 'Content-Type: text/plain; charset=utf-8', '', `Body of ${subject}.`, 'See https://example.org/x for more.', ''].join('\n'),
  );
}

suite('renderer in Chromium against the web host and Dovecot', () => {
  let app: WebApp;
  let dc: DovecotServer;
  let service: MailService;
  let page: Page;

  /** POPBOX_SCREENSHOTS=DIR keeps pictures of the screens for people to look at. */
  const shot = async (name: string) => {
    if (process.env.POPBOX_SCREENSHOTS) await page.screenshot({ path: path.join(process.env.POPBOX_SCREENSHOTS, `${name}.png`) });
  };
  const messages = () => page.getByRole('grid', { name: 'Messages' }).getByRole('row');
  const row = (subject: string) => page.getByRole('grid', { name: 'Messages' }).getByRole('row', { name: new RegExp(subject) });

  beforeAll(async () => {
    app = await startWebApp({
      user: { name: 'bob', password: 'bob-pw' },
      scheduler: true,
      prepare: (server) => server.deliver('bob', [mail(1, 'Lunch on Friday'), mail(2, 'Quarterly report', 'Carol <carol@example.org>'), mail(3, 'Holiday photos', 'Dave <dave@example.org>')]).then(() => {}),
    });
    ({ dc, service, page } = app);
  }, 120_000);

  afterAll(() => app?.close());

  it('does not start without the token', async () => {
    const ok = await fetch(app.host.url);
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-security-policy')).toContain("script-src 'self'");
    // The page is the public build; without the key its API answers nothing and it says so.
    const keyless = await app.browser.newPage();
    await keyless.goto(`${app.host.origin}/`);
    await keyless.getByText(/^Popbox could not start: open the address the Popbox web host printed/).waitFor();
    await keyless.close();
  });

  it('adds an account from an email address, trusting the certificate by fingerprint', async () => {
    await page.goto(app.host.url);
    await page.getByRole('heading', { name: 'Welcome to Popbox' }).waitFor();
    await page.getByLabel('Email address').fill('bob@popbox.test');
    await page.getByLabel('Password').fill('bob-pw');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByLabel('Server', { exact: true }).waitFor();
    await page.getByLabel('Server', { exact: true }).fill('127.0.0.1');
    await page.getByLabel('Security').selectOption('tls');
    await page.getByLabel('Port').fill(String(dc.tlsPort));
    await page.getByLabel('User name').fill('bob');
    await page.getByRole('button', { name: 'Test connection' }).click();
    // Self-signed: the UI shows the fingerprint and offers to trust it.
    await expect.poll(() => page.getByText(dc.fingerprint256).count(), { timeout: 20_000 }).toBe(1);
    await page.getByRole('button', { name: 'Trust this certificate' }).click();
    await expect.poll(() => page.getByText(/Connection works \(encrypted\): 3 messages/).count(), { timeout: 20_000 }).toBe(1);
    await shot('add-account');
    // Leave messages on server is on by default (a phone or webmail may read the same mailbox); this
    // test takes it off to see the server copies go once safe on disk.
    const leave = page.getByLabel('Leave messages on server');
    expect(await leave.isChecked()).toBe(true);
    await leave.uncheck();
    await page.getByRole('button', { name: 'Save account' }).click();

    // The first sync runs: the three messages appear, newest first.
    await expect.poll(() => messages().count(), { timeout: 30_000 }).toBe(3);
    const names = await messages().evaluateAll((rows) => rows.map((r) => r.getAttribute('aria-label')));
    expect(names[0]).toMatch(/^Dave, Holiday photos, .*unread/);
    expect(names[2]).toMatch(/^Ann Example, Lunch on Friday/);
    await expect.poll(() => page.getByRole('navigation', { name: 'Folders' }).getByLabel('3 unread').count()).toBeGreaterThan(0);
    // Leave-on-server was taken off: the server copies are gone once safe on disk.
    await expect.poll(async () => (await dc.mailbox('bob')).length, { timeout: 20_000 }).toBe(0);
    expect(service.messages()).toHaveLength(3);
  });

  it('opens a message, marks it read, and moves it to Trash', async () => {
    await row('Quarterly report').click();
    const reader = page.getByRole('region', { name: 'Message' });
    await reader.getByRole('heading', { name: 'Quarterly report' }).waitFor();
    await reader.getByText('Body of Quarterly report.').waitFor();
    await expect.poll(() => reader.getByRole('link', { name: 'https://example.org/x' }).count()).toBe(1);
    await shot('reading');
    // Opening marks it read: in main's truth, and back down in the list.
    await expect.poll(() => row('Quarterly report').getAttribute('aria-label')).not.toMatch(/unread/);
    expect(service.messages().find((m) => m.summary.subject === 'Quarterly report')?.flags.seen).toBe(true);

    await reader.getByRole('button', { name: 'Mark as unread' }).click();
    await expect.poll(() => row('Quarterly report').getAttribute('aria-label')).toMatch(/unread/);

    await reader.getByRole('button', { name: 'Move to Trash' }).click();
    await expect.poll(() => messages().count()).toBe(2);
    expect(service.messages().find((m) => m.summary.subject === 'Quarterly report')?.folder).toBe('Trash');
    await page.getByRole('navigation', { name: 'Folders' }).getByRole('button', { name: /^Trash/ }).click();
    await expect.poll(() => messages().count()).toBe(1);
    await row('Quarterly report').waitFor();
    await page.getByRole('navigation', { name: 'Folders' }).getByRole('button', { name: /^Unified Inbox/ }).click();
  });

  it('keeps leave-on-server settings across a reload', async () => {
    await page.getByRole('button', { name: 'Account settings' }).click();
    const settings = page.getByRole('region', { name: 'Account settings' });
    await settings.getByLabel('Leave messages on server').check();
    await settings.getByLabel('Delete from server when deleted here').check();
    await settings.getByLabel('Delete from server after a number of days').check();
    await settings.getByLabel('Days to keep on server').fill('7');
    await settings.getByRole('button', { name: 'Save', exact: true }).click();
    await settings.getByText('Settings saved.').waitFor();
    await shot('settings');
    expect(service.listAccounts()[0]).toMatchObject({ leaveOnServer: true, deleteWhenDeletedLocally: true, deleteAfterDays: 7 });

    await page.reload();
    await page.getByRole('button', { name: 'Account settings' }).click();
    const again = page.getByRole('region', { name: 'Account settings' });
    await expect.poll(() => again.getByLabel('Leave messages on server').isChecked()).toBe(true);
    expect(await again.getByLabel('Delete from server when deleted here').isChecked()).toBe(true);
    expect(await again.getByLabel('Days to keep on server').inputValue()).toBe('7');
    await again.getByRole('button', { name: 'Done' }).click();
  });

  it('shows new mail after Get Mail, and the keyboard moves through the list', async () => {
    await dc.deliver('bob', [mail(4, 'Fresh news', 'Erin <erin@example.org>', 'Sat, 28 Nov 2026 09:00:00 +0000')]);
    await page.getByRole('button', { name: 'Get Mail' }).click();
    await expect.poll(() => messages().count(), { timeout: 30_000 }).toBe(3);
    await row('Fresh news').waitFor();
    // Leave on server is on now: the new message stays there.
    expect((await dc.mailbox('bob')).length).toBe(1);

    await page.getByRole('grid', { name: 'Messages' }).focus();
    await page.keyboard.press('j');
    await page.getByRole('region', { name: 'Message' }).getByRole('heading', { name: 'Fresh news' }).waitFor();
    await page.keyboard.press('s');
    await expect.poll(() => row('Fresh news').getAttribute('aria-label')).toMatch(/flagged/);
    await page.keyboard.press('/');
    expect(await page.evaluate(`document.activeElement?.getAttribute('role')`)).toBe('searchbox');
    await page.getByRole('searchbox').fill('holiday');
    await expect.poll(() => messages().count()).toBe(1);
    await row('Holiday photos').waitFor();
    await page.getByRole('searchbox').fill('');
    expect(app.pageErrors).toEqual([]);
  });

  it('paints last session\'s first rows at once on a reload, and a click on one is not lost', async () => {
    // The app's bundle is held back until the click, so the click surely lands on the snapshot.
    let clicked!: () => void;
    const held = new Promise<void>((resolve) => (clicked = resolve));
    const bundle = /\/assets\/start-[^/]*\.js$/;
    await page.route(bundle, async (route) => {
      await held;
      await route.continue();
    });
    await page.reload({ waitUntil: 'commit' });
    // The snapshot is plain DOM from localStorage, shown before the app has loaded…
    await row('Holiday photos').click();
    expect(await page.getByRole('grid', { name: 'Messages' }).getAttribute('aria-busy')).toBe('true');
    clicked();
    // …and the app opens what was clicked when it is up.
    await page.getByRole('region', { name: 'Message' }).getByRole('heading', { name: 'Holiday photos' }).waitFor();
    await page.unroute(bundle);
    expect(await page.evaluate(`performance.getEntriesByName('popbox:snapshot').length`)).toBe(1);
    expect(app.pageErrors).toEqual([]);
  });
});
