/**
 * On the server in real Chromium (issue 16 §3), against the web host and a real Dovecot: the
 * view lists what the server holds before anything was downloaded (its size and count, each
 * message Not downloaded); ticking two and Delete from server asks natively (the question says
 * they will be gone from every device); "no" leaves all six on the server; "yes" takes the two
 * off the screen with a toast, and out of Dovecot's Maildir; Get Mail then brings the other four
 * and never those two (not in the store, not in the message list). Refresh asks the server at
 * most once per window: clicked again at once it costs Dovecot no login and shows what it had;
 * after the window it shows the new mail.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConfirmQuestion } from '../../electron/core/contract-handler.js';
import type { MailService } from '../../electron/core/mail-service.js';
import { REFRESH_MIN_INTERVAL_MS } from '../../electron/core/server-view/refresh-gate.js';
import { requireChromium } from '../support/browser.js';
import { dovecotUnavailable } from '../support/dovecot.js';
import { startWebApp, type WebApp } from '../support/webapp.js';

const unavailable = dovecotUnavailable();
if (unavailable && process.env.CI) throw new Error(`Dovecot is required in CI: ${unavailable}`);
if (unavailable) console.warn(`Skipping the On the server browser suite: ${unavailable}`);
const suite = unavailable || !requireChromium('the On the server browser suite') ? describe.skip : describe;

function mail(day: number, subject: string, from: string): Buffer {
  return Buffer.from(
    [`From: ${from}`, 'To: bob@popbox.test', `Subject: ${subject}`, `Date: ${String(day).padStart(2, '0')} Nov 2026 10:00:00 +0000`, `Message-ID: <sv${day}@example.org>`, 'Content-Type: text/plain; charset=utf-8', '', `Body of ${subject}.`, ''].join('\n'),
  );
}

const KEEP = ['Team offsite', 'Lunch on Friday', 'Quarterly report', 'Garden club'];
const UNWANTED = ['Cheap watches today', 'You have won a prize'];
// Delivered in this order; the server lists the newest (last) first.
const ALL = [KEEP[0]!, UNWANTED[0]!, KEEP[1]!, KEEP[2]!, UNWANTED[1]!, KEEP[3]!];

suite('On the server in Chromium', () => {
  let app: WebApp;
  let service: MailService;
  let page: Page;
  const asked: ConfirmQuestion[] = [];
  let answer = false;
  /** Main's clock runs this far ahead: a test moves it past the refresh window. */
  let skew = 0;

  const sidebar = () => page.getByRole('navigation', { name: 'Folders' });
  const serverGrid = () => page.getByRole('grid', { name: 'Messages on the server' });
  const serverRows = () => serverGrid().locator('[role="row"][data-uidl]');
  const serverRow = (subject: string) => serverGrid().getByRole('row', { name: new RegExp(subject) });
  const onDovecot = async () => (await app.dc.mailbox('bob')).map((m) => /^Subject: (.*)$/m.exec(m.bytes.toString())![1]!).sort();
  const stored = () => service.messages().map((m) => m.summary.subject).sort();
  const toast = () => page.locator('.toast');
  /** POPBOX_SCREENSHOTS=DIR keeps pictures of the screens for people to look at. */
  const shot = async (name: string) => {
    if (process.env.POPBOX_SCREENSHOTS) await page.screenshot({ path: path.join(process.env.POPBOX_SCREENSHOTS, `server-view-${name}.png`) });
  };

  beforeAll(async () => {
    app = await startWebApp({
      user: { name: 'bob', password: 'bob-pw' },
      now: () => Date.now() + skew,
      confirm: async (q) => {
        asked.push(q);
        return answer;
      },
      prepare: async (server, svc) => {
        await server.deliver(
          'bob',
          ALL.map((s, i) => mail(i + 1, s, UNWANTED.includes(s) ? 'Promo <promo@spam.example>' : 'Ann <ann@example.org>')),
        );
        // Never checked: everything is only on the server when the view first looks.
        await svc.addAccount(
          { name: 'Bob', host: '127.0.0.1', port: server.tlsPort, security: 'tls', user: 'bob', tlsFingerprint: server.fingerprint256, leaveOnServer: true, checkAtStartup: false, password: { source: 'keychain' } },
          'bob-pw',
        );
      },
    });
    ({ service, page } = app);
    page.setDefaultTimeout(60_000);
    await page.goto(app.host.url);
    await sidebar().getByRole('region', { name: 'Bob' }).waitFor({ timeout: 30_000 });
  }, 120_000);

  afterAll(() => app?.close());

  it('lists what the server holds, none of it downloaded, with the mailbox’s size and count', async () => {
    await sidebar().getByRole('region', { name: 'Bob' }).getByRole('button', { name: 'On the server' }).click();
    await page.getByRole('heading', { name: 'Bob — on the server' }).waitFor();
    await expect.poll(() => serverRows().count(), { timeout: 20_000 }).toBe(6);
    await page.getByText(/^6 messages, [\d.]+ (B|KB) on the server$/).waitFor();
    await page.getByText('Listed just now').waitFor();
    for (const s of ALL) expect(await serverRow(s).getAttribute('aria-label')).toMatch(/, Not downloaded$/);
    // Newest first, as the server numbers them.
    expect(await serverRows().locator('.sv-subject').allTextContents()).toEqual([...ALL].reverse());
    expect(stored()).toEqual([]);
    await shot('listed');
  });

  it('declining the question leaves every message on the server and on the screen', async () => {
    answer = false;
    for (const s of UNWANTED) await page.getByRole('checkbox', { name: `Select ${s}` }).check();
    await page.getByText('2 of 6 selected').waitFor();
    await page.getByRole('button', { name: 'Delete from server (2)' }).click();
    await expect.poll(() => asked.length).toBe(1);
    // The screen says nothing of a "no": no alert, no toast; the two are still ticked.
    await expect.poll(() => page.getByRole('button', { name: 'Delete from server (2)' }).isEnabled()).toBe(true);
    expect(await page.getByRole('alert').count()).toBe(0);
    expect(await toast().count()).toBe(0);
    expect(await serverRows().count()).toBe(6);
    expect(await onDovecot()).toEqual([...ALL].sort());
  });

  it('deleting two on the server asks natively (gone from every device), then they leave the screen and Dovecot', async () => {
    answer = true;
    asked.length = 0;
    await page.getByRole('button', { name: 'Delete from server (2)' }).click();
    await toast().getByText('2 messages deleted from the server').waitFor();
    expect(asked).toHaveLength(1);
    expect(`${asked[0]!.message} ${asked[0]!.detail}`).toMatch(/gone from the server and from every device/);
    expect(asked[0]!.message).toMatch(/2 messages/);
    await expect.poll(() => serverRows().count()).toBe(4);
    for (const s of UNWANTED) expect(await serverRow(s).count()).toBe(0);
    expect(await onDovecot()).toEqual([...KEEP].sort());
    await page.getByText(/^4 messages, /).waitFor();
    await shot('deleted');
  });

  it('Get Mail then brings the other four and never the two deleted on the server', async () => {
    await page.getByRole('button', { name: 'Get Mail' }).click();
    await expect.poll(() => stored(), { timeout: 30_000 }).toEqual([...KEEP].sort());
    // The view follows main: the four are downloaded now.
    for (const s of KEEP) await expect.poll(() => serverRow(s).getAttribute('aria-label')).toMatch(/, Downloaded$/);
    // Not in the store, not in any message list.
    await sidebar().getByRole('button', { name: /^Unified Inbox/ }).click();
    const grid = page.getByRole('grid', { name: 'Messages' });
    await expect.poll(() => grid.getByRole('row').count()).toBe(4);
    for (const s of UNWANTED) expect(await grid.getByRole('row', { name: new RegExp(s) }).count()).toBe(0);
    expect(stored()).toEqual([...KEEP].sort());
    expect(await onDovecot()).toEqual([...KEEP].sort());
    expect(app.pageErrors).toEqual([]);
  });

  it('keys: Space ticks, Delete asks about the focused row only when nothing is ticked, Enter opens a downloaded one in its folder', async () => {
    await sidebar().getByRole('region', { name: 'Bob' }).getByRole('button', { name: 'On the server' }).click();
    await expect.poll(() => serverRows().count()).toBe(4);
    // A click selects that row and focuses the list; the window's own Delete (to Trash) does not act behind it.
    await serverRow('Lunch on Friday').click();
    await page.getByText('1 of 4 selected').waitFor();
    await page.keyboard.press('Space');
    await page.getByText('4 messages', { exact: true }).waitFor();
    await page.keyboard.press('x');
    await page.getByText('1 of 4 selected').waitFor();
    await page.keyboard.press('x');
    await page.getByText('4 messages', { exact: true }).waitFor();
    answer = false;
    asked.length = 0;
    await page.keyboard.press('Delete');
    await expect.poll(() => asked.length).toBe(1);
    expect(asked[0]!.message).toMatch(/one message/);
    expect(service.messages().find((m) => m.summary.subject === 'Lunch on Friday')?.folder).toBe('INBOX');
    expect(await onDovecot()).toEqual([...KEEP].sort());
    await page.keyboard.press('Enter');
    await page.getByRole('region', { name: 'Message' }).getByRole('heading', { name: 'Lunch on Friday' }).waitFor();
    expect(await page.title()).toBe('Inbox — Bob — Popbox');
    expect(await serverGrid().count()).toBe(0);
  });

  it('Refresh sees new mail on the server; Download and Download headers only bring exactly the ticked one each', async () => {
    await app.dc.deliver('bob', [mail(20, 'Fresh minutes', 'Ann <ann@example.org>'), mail(21, 'Big scan attached', 'Ann <ann@example.org>')]);
    await sidebar().getByRole('region', { name: 'Bob' }).getByRole('button', { name: 'On the server' }).click();
    await expect.poll(() => serverRows().count()).toBe(4);
    await page.getByRole('button', { name: 'Refresh' }).click();
    await expect.poll(() => serverRows().count()).toBe(6);
    await page.getByText(/^6 messages, /).waitFor();
    // A downloaded row cannot be downloaded again, and the screen says why.
    await page.getByRole('checkbox', { name: 'Select Team offsite' }).check();
    expect(await page.getByRole('button', { name: 'Download', exact: true }).isDisabled()).toBe(true);
    await page.getByText(/This message is already downloaded\./).waitFor();
    await page.getByRole('checkbox', { name: 'Select Team offsite' }).uncheck();

    await page.getByRole('checkbox', { name: 'Select Fresh minutes' }).check();
    await page.getByRole('button', { name: 'Download (1)' }).click();
    await toast().getByText('1 message downloaded').waitFor();
    await expect.poll(() => serverRow('Fresh minutes').getAttribute('aria-label')).toMatch(/, Downloaded$/);
    await page.getByRole('checkbox', { name: 'Select Fresh minutes' }).uncheck();
    await page.getByRole('checkbox', { name: 'Select Big scan attached' }).check();
    await page.getByRole('button', { name: 'Download headers only (1)' }).click();
    await toast().getByText('Headers of 1 message downloaded').waitFor();
    await expect.poll(() => serverRow('Big scan attached').getAttribute('aria-label')).toMatch(/, Headers only$/);
    await shot('states');
    const byName = (s: string) => service.messages().find((m) => m.summary.subject === s);
    expect(byName('Fresh minutes')?.partial).toBe(false);
    expect(byName('Big scan attached')?.partial).toBe(true);
    expect(stored()).toEqual([...KEEP, 'Fresh minutes', 'Big scan attached'].sort());
    // Both stay on the server (the account leaves mail there).
    expect(await onDovecot()).toEqual([...KEEP, 'Fresh minutes', 'Big scan attached'].sort());
  });

  it('Refresh again at once costs no login and shows what it had; after the window it shows new mail', async () => {
    const logins = async () => ((await fs.readFile(app.dc.logPath, 'utf8')).match(/Login: user=<bob>,/g) ?? []).length;
    const answered = { n: 0 };
    const listing = service.serverListing.bind(service);
    service.serverListing = async (...args) => {
      const l = await listing(...args);
      answered.n++;
      return l;
    };
    await app.dc.deliver('bob', [mail(22, 'Minutes, corrected', 'Ann <ann@example.org>')]);
    skew += REFRESH_MIN_INTERVAL_MS + 1000;
    await page.getByRole('button', { name: 'Refresh' }).click();
    await expect.poll(() => serverRows().count()).toBe(7);

    // At once again: another message arrived, but the server is not asked within the window.
    await app.dc.deliver('bob', [mail(23, 'Minutes, final', 'Ann <ann@example.org>')]);
    const before = await logins();
    const asked = answered.n;
    await page.getByRole('button', { name: 'Refresh' }).click();
    await expect.poll(() => answered.n).toBeGreaterThan(asked);
    await expect.poll(() => page.getByRole('button', { name: 'Refresh' }).isEnabled()).toBe(true);
    expect(await serverRows().count()).toBe(7);
    expect(await serverRow('Minutes, final').count()).toBe(0);
    expect(await logins()).toBe(before);

    // After the window the same button shows it.
    skew += REFRESH_MIN_INTERVAL_MS + 1000;
    await page.getByRole('button', { name: 'Refresh' }).click();
    await expect.poll(() => serverRows().count()).toBe(8);
    await serverRow('Minutes, final').waitFor();
    expect(await logins()).toBe(before + 1);
    expect(app.pageErrors).toEqual([]);
  });

  it('Settings › account: “Leave suspected junk on the server for review” is saved with the account', async () => {
    expect(service.listAccounts()[0]!.junkOnServer).toBe(false);
    await page.getByRole('button', { name: 'Account settings' }).click();
    const settings = page.getByRole('region', { name: 'Account settings' });
    const box = settings.getByRole('checkbox', { name: 'Leave suspected junk on the server for review' });
    // Beside the other junk-filter setting, with a line saying what it does.
    await settings.getByRole('checkbox', { name: /Trust the server's spam verdict/ }).waitFor();
    await settings.getByText(/stays on the server, marked “Held as junk”/).waitFor();
    await box.check();
    await settings.getByRole('button', { name: 'Save', exact: true }).click();
    await expect.poll(() => service.listAccounts()[0]!.junkOnServer).toBe(true);
    await settings.getByRole('button', { name: 'Done' }).click();
  });
});
