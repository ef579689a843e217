/**
 * Search in real Chromium (issue 17 §2), against the web host and a real Dovecot holding
 * SpamAssassin corpus mail: after Get Mail, a word that is only in one message's body (far past
 * its first lines, so only main's full-text search can find it) lists that one message, with the
 * word marked in its snippet; opened, the word is marked in the reading pane: inside the
 * sandboxed frame for an HTML body (the rendered frame is checked, not a copy), in the page for
 * a plain-text one. The last word matches as a prefix while it is typed; Escape clears; a search
 * saved under a name comes back from the sidebar.
 */
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { messageFrame, requireChromium } from '../support/browser.js';
import { dovecotUnavailable } from '../support/dovecot.js';
import { openSearchPage, type SearchPage } from '../support/search-page.js';
import type { WebApp } from '../support/webapp.js';
import { corpusFileSync } from '../support/spam-corpus.js';

const unavailable = dovecotUnavailable();
if (unavailable && process.env.CI) throw new Error(`Dovecot is required in CI: ${unavailable}`);
if (unavailable) console.warn(`Skipping the search browser suite: ${unavailable}`);
const suite = unavailable || !requireChromium('the search browser suite') ? describe.skip : describe;

/** Real messages: three plain-text lists posts and two HTML newsletters. */
const FILES = [
  'easy-ham-1/00002.9c4069e25e1ef370c078db7ee85ff9ac.txt', // [zzzzteana] RE: Alexander
  'easy-ham-1/00003.860e3c3cee1b42ead714c5c874fe25f7.txt', // [zzzzteana] Moscow bomber (plain text)
  'easy-ham-1/00004.864220c5b6930b209cc287c361c99af1.txt', // [IRR] Klez: The Virus That Won't Die
  'hard-ham-1/00201.04e4c8ef93080eea4b11213262ece700.txt', // Ashfield Online (HTML)
  'hard-ham-1/00207.3220a87d3a67fa61c448256e39017ea5.txt', // BIG 12 OR BUST (HTML)
];
/** Each file as the message it holds (its mbox "From " line off, where it has one). */
const raw = FILES.map(corpusFileSync);
/** The body of a raw message (after the first blank line), as it is stored. */
const bodyOf = (b: Buffer) => b.toString('latin1').split(/\r?\n\r?\n/).slice(1).join('\n\n');

suite('search in Chromium', () => {
  let app: WebApp;
  let page: Page;
  let at: SearchPage;
  const grid = () => at.grid();
  /** The listed messages (not the row that says none match). */
  const messages = () => at.messages();
  const row = (subject: string) => at.row(subject);
  const reader = () => at.reader();
  const box = () => at.box();
  /** POPBOX_SCREENSHOTS=DIR keeps pictures of the screens for people to look at. */
  const shot = async (name: string) => {
    if (process.env.POPBOX_SCREENSHOTS) await page.screenshot({ path: path.join(process.env.POPBOX_SCREENSHOTS, `search-${name}.png`) });
  };

  beforeAll(async () => {
    at = await openSearchPage(raw);
    ({ app, page } = at);
  }, 120_000);

  afterAll(() => app?.close());

  it('Get Mail brings the five messages', async () => {
    await at.getMail(FILES.length);
  });

  it('the fixture: each word is in exactly one message, and only deep in its body', () => {
    for (const [word, file] of [
      ['undeliverable', 3],
      ['bolshoi', 1],
    ] as const) {
      expect(raw.map((b) => b.toString('latin1').toLowerCase().includes(word))).toEqual(raw.map((_, i) => i === file));
      expect(bodyOf(raw[file]!).toLowerCase().indexOf(word)).toBeGreaterThan(400);
    }
  });

  it('a word only in an HTML body: one message listed, the word marked in its snippet and in the rendered frame', async () => {
    await box().fill('undeliverable');
    await expect.poll(() => messages().count()).toBe(1);
    await row('Ashfield Online').waitFor();
    const status = page.getByRole('status', { name: 'Search' });
    await status.getByText(/^1 result for/).waitFor();
    expect(await status.textContent()).toMatch(/undeliverable/);
    await page.getByText('1 match', { exact: true }).waitFor();
    // main's text around the match replaces the stored first lines, with the word marked.
    await expect.poll(() => row('Ashfield Online').locator('.snippet mark').first().textContent()).toMatch(/^undeliverable$/i);
    // A query main half understands is answered with what it understood, and what it left out said in words.
    await box().fill('undeliverable larger:lots');
    await status.getByText('Left out: larger:lots (a size is a number with K or M, like 10K or 2M).').waitFor();
    await expect.poll(() => messages().count()).toBe(1);
    expect(await page.getByRole('alert').count()).toBe(0);
    await box().fill('undeliverable');

    await row('Ashfield Online').click();
    await reader().getByRole('heading', { name: /Ashfield Online/ }).waitFor();
    const frame = await messageFrame(page);
    const hit = frame.locator('mark[data-popbox-hit]');
    await expect.poll(() => hit.count()).toBeGreaterThan(0);
    expect((await hit.first().textContent())?.toLowerCase()).toBe('undeliverable');
    // Really painted, and in view: the frame scrolled to it.
    expect(await hit.first().isVisible()).toBe(true);
    const shown = await hit.first().evaluate((m) => {
      const r = m.getBoundingClientRect();
      const bg = m.ownerDocument.defaultView?.getComputedStyle(m).backgroundColor;
      return { inView: r.top >= 0 && r.bottom <= (m.ownerDocument.defaultView?.innerHeight ?? 0), bg };
    });
    expect(shown.inView).toBe(true);
    expect(shown.bg).toBeTruthy();
    expect(shown.bg).not.toBe('rgba(0, 0, 0, 0)');
    // The frame is still the sandboxed, script-less one with its own CSP.
    const iframe = page.getByTitle('Message body');
    expect(await iframe.getAttribute('sandbox')).toBe('allow-same-origin');
    expect(await frame.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content')).toContain("script-src 'none'");
    await shot('html');
  });

  it('a word only in a plain-text body, typed as a prefix: Enter gives the list the keys on it, Enter there opens it, marked in the reading pane; Escape clears', async () => {
    await box().fill('bolsh');
    await expect.poll(() => messages().count()).toBe(1);
    await row('Moscow bomber').waitFor();
    const seen = () => app.service.messages().find((m) => m.summary.subject.includes('Moscow bomber'))!.flags.seen;
    expect(seen()).toBe(false);
    // Enter in the box keeps the results and gives the list the keys, on the first result
    // (highlighted), without opening it or marking it read (walkthrough m2: it opened the first
    // result and marked it read; once the pane showed a message the list did not highlight).
    await box().press('Enter');
    await expect.poll(() => page.evaluate(`document.activeElement?.getAttribute('role')`)).toBe('grid');
    expect(await row('Moscow bomber').getAttribute('aria-selected')).toBe('true');
    await reader().getByText('Select a message to read it.').waitFor();
    expect(seen()).toBe(false);
    // Enter in the list opens the highlighted one: the pane and the list agree.
    await page.keyboard.press('Enter');
    await reader().getByRole('heading', { name: /Moscow bomber/ }).waitFor();
    await expect.poll(seen).toBe(true);
    const hit = reader().locator('.plain-body mark');
    await expect.poll(() => hit.count()).toBeGreaterThan(0);
    // The word the prefix begins is marked whole.
    expect(await hit.first().textContent()).toBe('Bolshoi');
    await shot('plain');

    expect(await page.evaluate(`document.activeElement?.getAttribute('role')`)).toBe('grid');
    await box().press('Escape');
    await expect.poll(() => messages().count()).toBe(FILES.length);
    await expect.poll(() => reader().locator('.plain-body mark').count()).toBe(0);
    expect(await page.getByRole('status', { name: 'Search' }).count()).toBe(0);
  });

  it('/ focuses the box; a saved search is a folder in the sidebar that runs it', async () => {
    await grid().focus();
    await page.keyboard.press('/');
    expect(await page.evaluate(`document.activeElement?.getAttribute('role')`)).toBe('searchbox');
    await page.keyboard.type('undeliverable');
    await expect.poll(() => messages().count()).toBe(1);
    await page.getByRole('button', { name: 'Save search' }).click();
    const dialog = page.getByRole('dialog', { name: 'Save search' });
    await dialog.getByLabel('Name').fill('Bounces');
    await dialog.getByRole('button', { name: 'Save' }).click();
    const saved = page.getByRole('region', { name: 'Saved searches' });
    await saved.getByRole('button', { name: /Bounces/ }).waitFor();
    expect(app.service.preferences().savedSearches.map((s) => [s.name, s.query])).toEqual([['Bounces', 'undeliverable']]);

    await page.getByRole('navigation', { name: 'Folders' }).getByRole('button', { name: /^Unified Inbox/ }).click();
    await expect.poll(() => messages().count()).toBe(FILES.length);
    await saved.getByRole('button', { name: /Bounces/ }).click();
    await page.getByRole('heading', { name: 'Saved search: Bounces' }).waitFor();
    await expect.poll(() => messages().count()).toBe(1);
    await row('Ashfield Online').waitFor();
    expect(app.pageErrors).toEqual([]);
  });
});
