/**
 * Session 13's walkthrough minors on the screens, in real Chromium against the web host and a
 * real Dovecot, each checked on the boxes Chromium lays out:
 * - m9: Settings' account list broke an address mid-word ("alice.longname@exam|ple.org"): a long
 *   name stays on one line, ends in "…", and its tooltip holds the whole of it; at 800×600 and wider.
 * - m10: at 800×600 the reading pane's buttons took several rows: they stay on one row inside the
 *   pane, what does not fit waits in More (least used first), reachable by keyboard; wider, the
 *   buttons come back.
 * - m11: Settings › General › Appearance › Theme: Dark or Light whatever the system says, at once
 *   and after a restart (a reload); System follows the system.
 * POPBOX_SCREENSHOTS=DIR keeps the screens (screens-*.png).
 */
import path from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireChromium } from '../support/browser.js';
import { dovecotUnavailable } from '../support/dovecot.js';
import { startWebApp, type WebApp } from '../support/webapp.js';

const unavailable = dovecotUnavailable();
if (unavailable && process.env.CI) throw new Error(`Dovecot is required in CI: ${unavailable}`);
if (unavailable) console.warn(`Skipping the screens browser suite: ${unavailable}`);
const suite = unavailable || !requireChromium('the screens browser suite') ? describe.skip : describe;

/** A function run in the page on an element `el` (this project's Node types have no DOM). */
function inPage(body: string): (el: unknown) => unknown {
  return new Function('el', body) as (el: unknown) => unknown;
}

/** The lines an element's text is laid out on (the tops of its text's boxes), and whether it is cut short. */
const LINES = inPage(`
  const range = document.createRange();
  range.selectNodeContents(el);
  const tops = new Set([...range.getClientRects()].map((r) => Math.round(r.top)));
  return { lines: tops.size, cut: el.scrollWidth > el.clientWidth, ellipsis: getComputedStyle(el).textOverflow };
`) as (el: unknown) => { lines: number; cut: boolean; ellipsis: string };

const LONG_ADDRESS = 'alice.longname@example-family-mail.org';

function mail(day: number, subject: string): Buffer {
  return Buffer.from(
    [
      'From: Ann <ann@example.org>',
      'To: bob@popbox.test',
      `Subject: ${subject}`,
      `Date: ${String(day).padStart(2, '0')} Nov 2026 10:00:00 +0000`,
      `Message-ID: <s${day}@example.org>`,
      'Content-Type: text/plain; charset=utf-8',
      '',
      `Body of ${subject}.`,
      '',
    ].join('\r\n'),
  );
}

/** The names of a toolbar's buttons, as a screen reader says them (an icon button's is its label). */
const NAMES = inPage(`return [...el.querySelectorAll('button')].map((b) => b.getAttribute('aria-label') ?? b.textContent)`) as (el: unknown) => string[];
const names = (bar: Locator) => bar.evaluate(NAMES);

/** Every action the pane offers for a read message in the Inbox, in its order. */
const INBOX_ACTIONS = ['Reply', 'Reply all', 'Forward', 'Mark as unread', 'Flag', 'Move to…', 'Archive', 'Junk', 'Move to Trash'];

suite('the walkthrough’s screens in Chromium', () => {
  let app: WebApp;
  let page: Page;
  const grid = () => page.getByRole('grid', { name: 'Messages' });
  const row = (subject: string) => grid().getByRole('row', { name: new RegExp(subject) });
  const reader = () => page.getByRole('region', { name: 'Message' });
  const box = async (l: Locator) => (await l.boundingBox())!;
  const shot = async (name: string) => {
    if (process.env.POPBOX_SCREENSHOTS) await page.screenshot({ path: path.join(process.env.POPBOX_SCREENSHOTS, `screens-${name}.png`) });
  };
  const openSettings = async () => {
    await page.getByRole('button', { name: 'Account settings' }).click();
    return page.getByRole('navigation', { name: 'Accounts' });
  };
  const closeSettings = () => page.getByRole('button', { name: 'Done' }).click();

  beforeAll(async () => {
    app = await startWebApp({
      user: { name: 'bob', password: 'bob-pw' },
      prepare: async (server, svc) => {
        await server.deliver('bob', [mail(1, 'Garden club'), mail(2, 'Lunch on Friday')]);
        await svc.addAccount(
          { name: 'Bob', host: '127.0.0.1', port: server.tlsPort, security: 'tls', user: 'bob', tlsFingerprint: server.fingerprint256, password: { source: 'keychain' } },
          'bob-pw',
        );
        const [outcome] = await svc.sync();
        expect(outcome?.ok).toBe(true);
        // An account named by its address, as the setup names one: too long for the list's column (never checked).
        await svc.addAccount({ name: LONG_ADDRESS, email: LONG_ADDRESS, host: '127.0.0.1', port: server.tlsPort, security: 'tls', user: 'alice', tlsFingerprint: server.fingerprint256, checkAtStartup: false, password: { source: 'keychain' } }, 'pw');
      },
    });
    page = app.page;
    page.setDefaultTimeout(60_000);
    await page.goto(app.host.url);
    await row('Garden club').waitFor({ timeout: 30_000 });
  }, 120_000);
  afterAll(() => app?.close());

  for (const size of [
    { width: 800, height: 600 },
    { width: 1280, height: 880 },
  ]) {
    it(`m9: at ${size.width}×${size.height} Settings’ account list keeps a long address on one line, cut with “…”, whole in its tooltip`, async () => {
      await page.setViewportSize(size);
      const nav = await openSettings();
      try {
        const entry = nav.getByRole('button', { name: LONG_ADDRESS, exact: true });
        await entry.waitFor();
        await shot(`settings-${size.width}`);
        const laidOut = await entry.evaluate(LINES);
        // It was two lines, broken inside "example".
        expect(laidOut.lines).toBe(1);
        expect(laidOut.cut).toBe(true);
        expect(laidOut.ellipsis).toBe('ellipsis');
        expect(await entry.getAttribute('title')).toBe(LONG_ADDRESS);
        // Inside the list, beside its move buttons.
        const list = await box(nav);
        const b = await box(entry);
        expect(b.x + b.width).toBeLessThanOrEqual(list.x + list.width);
        expect((await box(nav.getByRole('button', { name: `Move ${LONG_ADDRESS} up` }))).x).toBeGreaterThanOrEqual(b.x + b.width - 1);
        // A short name is whole: not cut, no tooltip beyond its name.
        expect(await nav.getByRole('button', { name: 'Bob', exact: true }).evaluate(LINES)).toMatchObject({ lines: 1, cut: false });
      } finally {
        // The next test starts from the mail, whatever this one found.
        await closeSettings();
      }
    });
  }

  it('m10: at 800×600 the reading pane’s buttons stay on one row inside the pane; the rest wait in More, reachable by keyboard; wider, they come back', async () => {
    await page.setViewportSize({ width: 800, height: 600 });
    await row('Garden club').click();
    await reader().getByRole('heading', { name: 'Garden club' }).waitFor();
    const bar = reader().getByRole('toolbar', { name: 'Message actions' });
    await bar.getByRole('button', { name: 'More ▾' }).waitFor();
    await shot('reader-800');
    const pane = await box(reader());
    const buttons = bar.getByRole('button');
    const tops = new Set<number>();
    for (let i = 0; i < (await buttons.count()); i++) {
      const b = await box(buttons.nth(i));
      // Inside the pane: nothing past its right edge, nothing clipped.
      expect(b.x).toBeGreaterThanOrEqual(pane.x);
      expect(b.x + b.width).toBeLessThanOrEqual(pane.x + pane.width);
      tops.add(Math.round(b.y));
    }
    const shown = await names(bar);
    // One row (it was three).
    expect(tops.size).toBe(1);
    expect(shown.at(-1)).toBe('More ▾');
    const onRow = shown.slice(0, -1);
    // The most used stay: Reply and Move to Trash; something had to go at this width.
    expect(onRow).toEqual(expect.arrayContaining(['Reply', 'Move to Trash']));
    expect(onRow.length).toBeLessThan(INBOX_ACTIONS.length);

    // By keyboard: Tab to More, Enter opens it, the arrows reach the rest; every action is on the row or in More.
    await bar.getByRole('button', { name: 'More ▾' }).focus();
    await page.keyboard.press('Enter');
    const more = page.getByRole('menu', { name: 'More actions' });
    await more.waitFor();
    await shot('reader-800-more');
    const inMenu = await more.locator('.menu-label').allTextContents();
    expect([...onRow, ...inMenu.slice(0, -4)].sort()).toEqual([...INBOX_ACTIONS].sort());
    expect(inMenu.slice(-4)).toEqual(['All headers', 'View source', 'Print', 'Save as .eml']);
    // Flag is among the least used: in More here, and it works from the keyboard.
    expect(inMenu).toContain('Flag');
    const focused = () => page.evaluate<string>(`document.activeElement?.querySelector('.menu-label')?.textContent ?? ''`);
    for (let i = 0; i < 20 && (await focused()) !== 'Flag'; i++) await page.keyboard.press('ArrowDown');
    expect(await focused()).toBe('Flag');
    await page.keyboard.press('Enter');
    await more.waitFor({ state: 'detached' });
    await expect.poll(() => row('Garden club').getAttribute('aria-label')).toMatch(/flagged/);
    await reader().getByRole('toolbar', { name: 'Message actions' }).getByRole('button', { name: 'More ▾' }).click();
    expect(await more.getByRole('menuitem', { name: /^Unflag/ }).count()).toBe(1);
    await page.keyboard.press('Escape');
    await more.waitFor({ state: 'detached' });

    // At 1280×880 every action is on the row again (the filing and marking ones as icons named by their tooltips), inside the pane.
    await page.setViewportSize({ width: 1280, height: 880 });
    const every = [...INBOX_ACTIONS.map((a) => (a === 'Flag' ? 'Unflag' : a)), 'More ▾'];
    await expect.poll(() => names(bar)).toEqual(every);
    await shot('reader-1280');
    const wide = await box(reader());
    const last = await box(bar.getByRole('button', { name: 'More ▾' }));
    expect(last.x + last.width).toBeLessThanOrEqual(wide.x + wide.width);
    expect(await bar.getByRole('button', { name: 'Archive' }).getAttribute('title')).toBe('Archive (A)');
    expect(app.pageErrors).toEqual([]);
  });

  it('m11: Theme Dark holds whatever the system says, at once and after a restart; Light likewise; System follows the system', async () => {
    await page.setViewportSize({ width: 1280, height: 880 });
    const background = () => page.evaluate<string>(`getComputedStyle(document.documentElement).backgroundColor`);
    const WHITE = 'rgb(255, 255, 255)';
    const DARK = 'rgb(28, 29, 33)';
    await page.emulateMedia({ colorScheme: 'light' });
    try {
      expect(await background()).toBe(WHITE);
      const nav = await openSettings();
      await nav.getByRole('button', { name: 'General' }).click();
      const theme = page.getByRole('combobox', { name: 'Theme' });
      expect(await theme.inputValue()).toBe('system');
      await theme.selectOption('dark');
      // At once.
      expect(await background()).toBe(DARK);
      await shot('theme-dark');
      await expect.poll(() => app.service.preferences().theme).toBe('dark');
      // A restart: the page asks main again, and the system still says light.
      await page.reload();
      await row('Garden club').waitFor();
      await expect.poll(background).toBe(DARK);
      // Light while the system says dark.
      await page.emulateMedia({ colorScheme: 'dark' });
      const nav2 = await openSettings();
      await nav2.getByRole('button', { name: 'General' }).click();
      await page.getByRole('combobox', { name: 'Theme' }).selectOption('light');
      expect(await background()).toBe(WHITE);
      // System: follows the system again, both ways.
      await page.getByRole('combobox', { name: 'Theme' }).selectOption('system');
      expect(await background()).toBe(DARK);
      await page.emulateMedia({ colorScheme: 'light' });
      expect(await background()).toBe(WHITE);
      await expect.poll(() => app.service.preferences().theme).toBe('system');
      await closeSettings();
    } finally {
      await page.emulateMedia({ colorScheme: null });
      await app.service.updatePreferences({ theme: 'system' });
    }
    expect(app.pageErrors).toEqual([]);
  });
});
