/**
 * A new user's walkthrough in real Chromium, against the web host and a real Dovecot (session
 * 11 findings), each checked on what the screen shows:
 * 1. Add account asks Your name, Email address and Password together on its first page.
 * 2. Plain-text mail reads in the reading font (line breaks and spaces kept, long lines wrapped);
 *    Settings › General › Reading › "Fixed-width font for plain text" brings the fixed font back.
 * 3. The search header says "N results for “lunch”", no "…" inside the quotes.
 * 4. Drafts and Junk show for the account while empty.
 * 5. A conversation row (a real thread: In-Reply-To and References from the server's mail)
 *    shows one message: the newest's sender beside the newest's date.
 * POPBOX_SCREENSHOTS=DIR keeps the screens (walkthrough-*.png).
 */
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireChromium } from '../support/browser.js';
import { dovecotUnavailable } from '../support/dovecot.js';
import { startWebApp, type WebApp } from '../support/webapp.js';

const unavailable = dovecotUnavailable();
if (unavailable && process.env.CI) throw new Error(`Dovecot is required in CI: ${unavailable}`);
if (unavailable) console.warn(`Skipping the walkthrough browser suite: ${unavailable}`);
const suite = unavailable || !requireChromium('the walkthrough browser suite') ? describe.skip : describe;

/** A function run in the page on an element `el` (this project's Node types have no DOM). */
function inPage(body: string): (el: unknown) => unknown {
  return new Function('el', body) as (el: unknown) => unknown;
}

/** A long line with no break a fixed-width pane could hold, and a small table laid out with spaces. */
const LONG = 'We could meet at the new place on the corner of Market Street and Third, the one with the green awning that opened last month, unless you would rather go back to the noodle bar near the station where we went in the spring.';
function mail(day: number, subject: string, from: string, id: string, body: string[], replyTo?: string): Buffer {
  return Buffer.from(
    [
      `From: ${from}`,
      'To: Bob <bob@localhost>',
      `Subject: ${subject}`,
      `Date: ${String(day).padStart(2, '0')} Nov 2026 10:00:00 +0000`,
      `Message-ID: <${id}@example.org>`,
      ...(replyTo ? [`In-Reply-To: <${replyTo}@example.org>`, `References: <${replyTo}@example.org>`] : []),
      'Content-Type: text/plain; charset=utf-8',
      '',
      ...body,
      '',
    ].join('\r\n'),
  );
}

const MAIL = [
  mail(1, 'Lunch on Friday', 'Ann <ann@example.org>', 'lunch1', ['Hi Bob,', '', LONG, '', 'Place      Price', 'Noodles    $12', 'Tacos      $9', '', 'Ann']),
  mail(2, 'Garden club', 'Erin <erin@example.org>', 'garden', ['The meeting moved to Tuesday.']),
  mail(3, 'Re: Lunch on Friday', 'Carol <carol@example.org>', 'lunch2', ['Count me in.', '', '> Hi Bob,'], 'lunch1'),
];

suite('a new user’s walkthrough in Chromium', () => {
  let app: WebApp;
  let page: Page;
  const grid = () => page.getByRole('grid', { name: 'Messages' });
  const row = (name: RegExp) => grid().getByRole('row', { name });
  const sidebar = () => page.getByRole('navigation', { name: 'Folders' });
  const reader = () => page.getByRole('region', { name: 'Message' });
  const settings = () => page.getByRole('region', { name: 'Account settings' });
  const shot = async (name: string) => {
    if (process.env.POPBOX_SCREENSHOTS) await page.screenshot({ path: path.join(process.env.POPBOX_SCREENSHOTS, `walkthrough-${name}.png`) });
  };

  beforeAll(async () => {
    app = await startWebApp({
      user: { name: 'bob', password: 'bob-pw' },
      prepare: async (server, svc) => {
        await server.deliver('bob', MAIL);
        await svc.addAccount({ name: 'Bob', host: '127.0.0.1', port: server.tlsPort, security: 'tls', user: 'bob', tlsFingerprint: server.fingerprint256, password: { source: 'keychain' } }, 'bob-pw');
        const outcomes = await svc.syncNow([svc.listAccounts()[0]!.id]);
        expect(outcomes[0]?.ok).toBe(true);
      },
    });
    ({ page } = app);
    page.setDefaultTimeout(60_000);
    await page.goto(app.host.url);
    await row(/Garden club/).waitFor({ timeout: 30_000 });
  }, 120_000);

  afterAll(() => app?.close());

  it('4. the account shows Drafts and Junk while they are empty, beside Inbox, Sent, Archive and Trash', async () => {
    const bob = sidebar().getByRole('region', { name: 'Bob' });
    await bob.getByRole('button', { name: /^Inbox/ }).waitFor();
    await shot('4-folders');
    const shown = await bob.locator('button.folder .folder-label').allTextContents();
    // (then "On the server", the account's view of its POP3 mailbox, not a folder)
    expect(shown.filter((f) => f !== 'On the server')).toEqual(['Inbox', 'Drafts', 'Sent', 'Archive', 'Junk', 'Trash']);
  });

  it('5. a conversation row shows its newest message’s sender beside that message’s date', async () => {
    await sidebar().getByRole('region', { name: 'Bob' }).getByRole('button', { name: /^Inbox/ }).click();
    await expect.poll(() => grid().getByRole('row').count()).toBe(3);
    // What Carol's reply shows on its own row: its sender and its date.
    const carol = row(/^Carol, Re: Lunch on Friday/);
    const carolDate = await carol.locator('.date').textContent();
    // Conversations on, ordered by sender: Ann's message comes first in that order and stands for the thread.
    await page.getByRole('button', { name: 'Conversations' }).click();
    await page.getByRole('combobox', { name: /Sort by/ }).selectOption('from');
    await expect.poll(() => grid().getByRole('row').count()).toBe(2);
    const thread = grid().getByRole('row', { name: /conversation of 2/ });
    await shot('5-conversation-row');
    expect(await thread.locator('.sender').textContent()).toBe('Carol');
    expect(await thread.locator('.subject').textContent()).toBe('Re: Lunch on Friday');
    expect(await thread.locator('.date').textContent()).toBe(carolDate);
    // Back to the usual list for the next steps.
    await page.getByRole('combobox', { name: /Sort by/ }).selectOption('date');
    await page.getByRole('button', { name: 'Conversations' }).click();
    await expect.poll(() => grid().getByRole('row').count()).toBe(3);
  });

  it('2. plain text reads in the reading font, spaces kept and long lines wrapped; Settings can ask for fixed width', async () => {
    await row(/^Ann, Lunch on Friday/).click();
    const body = reader().locator('.plain-body');
    await body.getByText('Noodles', { exact: false }).waitFor();
    await shot('2-plain-text');
    const look = () =>
      body.evaluate(
        inPage('const s = getComputedStyle(el); return { font: s.fontFamily, ui: getComputedStyle(document.body).fontFamily, whiteSpace: s.whiteSpace, overflows: el.scrollWidth > el.clientWidth };'),
      ) as Promise<{ font: string; ui: string; whiteSpace: string; overflows: boolean }>;
    const plain = await look();
    expect(plain.font).toBe(plain.ui);
    expect(plain.font).not.toMatch(/mono/i);
    expect(plain.whiteSpace).toBe('pre-wrap');
    expect(plain.overflows).toBe(false);
    // The table's spaces are kept.
    expect(await body.textContent()).toContain('Noodles    $12');

    await page.getByRole('button', { name: 'Account settings' }).click();
    await settings().getByRole('button', { name: 'General' }).click();
    await settings().getByRole('checkbox', { name: 'Fixed-width font for plain text' }).check();
    await shot('2-settings-reading');
    await settings().getByRole('button', { name: 'Done' }).click();
    await row(/^Ann, Lunch on Friday/).click();
    await body.getByText('Noodles', { exact: false }).waitFor();
    expect((await look()).font).toMatch(/mono/i);
    // Remembered across a reload (a restart of the window).
    await page.reload();
    await row(/^Ann, Lunch on Friday/).click();
    await body.getByText('Noodles', { exact: false }).waitFor();
    await shot('2-plain-text-fixed');
    expect((await look()).font).toMatch(/mono/i);
    // Off again for the screens that follow.
    await page.getByRole('button', { name: 'Account settings' }).click();
    await settings().getByRole('button', { name: 'General' }).click();
    await settings().getByRole('checkbox', { name: 'Fixed-width font for plain text' }).uncheck();
    await settings().getByRole('button', { name: 'Done' }).click();
  });

  it('3. the search header says how many were found for the words, the ellipsis not inside the quotes', async () => {
    const box = page.getByRole('searchbox');
    await box.fill('lunch');
    await expect.poll(() => grid().getByRole('row').count()).toBe(2);
    const status = page.getByRole('status', { name: 'Search' });
    await status.getByText(/results? for/).waitFor().catch(() => {});
    await shot('3-search-header');
    await status.getByText(/^2 results for/).waitFor();
    expect(await status.locator('q').textContent()).toBe('lunch');
    // The quotes are the <q>'s own (“ ”), drawn around exactly the word: no "…" inside them.
    expect(await status.locator('q').evaluate(inPage('return getComputedStyle(el).quotes;'))).toBe('"“" "”"');
    await box.fill('');
  });

  it('1. Add account asks Your name, Email address and Password on its first page', async () => {
    await page.getByRole('button', { name: 'Account settings' }).click();
    await settings().getByRole('button', { name: 'Add account' }).click();
    const add = page.getByRole('region', { name: 'Add account' });
    await add.getByLabel('Email address').waitFor();
    await shot('1-add-account');
    const labels = await add.locator('form label').allTextContents();
    expect(labels.slice(0, 3).map((l) => l.trim())).toEqual(['Your name', 'Email address', 'Password']);
    expect(app.pageErrors).toEqual([]);
  });
});
