/**
 * Junk / Not junk in real Chromium (issue 16 §2), against the web host and a real Dovecot: the
 * reading pane's Junk button files the open message in Junk and teaches the filter; the toast's
 * Undo brings it back to the Inbox and takes the lesson back; the ! key does the same, and in
 * Junk the button says Not junk and moves it back. Mail the trained filter files on arrival says
 * so above it, with its score.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { learn, loadWordList, saveWordList } from '../../electron/core/junk/index.js';
import type { MailService } from '../../electron/core/mail-service.js';
import { requireChromium } from '../support/browser.js';
import { dovecotUnavailable } from '../support/dovecot.js';
import { startWebApp, type WebApp } from '../support/webapp.js';

const unavailable = dovecotUnavailable();
if (unavailable && process.env.CI) throw new Error(`Dovecot is required in CI: ${unavailable}`);
if (unavailable) console.warn(`Skipping the junk browser suite: ${unavailable}`);
const suite = unavailable || !requireChromium('the junk browser suite') ? describe.skip : describe;

function mail(day: number, subject: string, from: string): Buffer {
  return Buffer.from(
    [`From: ${from}`, 'To: bob@popbox.test', `Subject: ${subject}`, `Date: ${String(day).padStart(2, '0')} Nov 2026 10:00:00 +0000`, `Message-ID: <j${day}@example.org>`, 'Content-Type: text/plain; charset=utf-8', '', `Body of ${subject}.`, ''].join('\n'),
  );
}

suite('Junk / Not junk in Chromium', () => {
  let app: WebApp;
  let service: MailService;
  let page: Page;

  const grid = () => page.getByRole('grid', { name: 'Messages' });
  const row = (subject: string) => grid().getByRole('row', { name: new RegExp(subject) });
  const reader = () => page.getByRole('region', { name: 'Message' });
  const toolbar = () => reader().getByRole('toolbar', { name: 'Message actions' });
  const toast = () => page.locator('.toast');
  const where = (subject: string) => service.messages().find((m) => m.summary.subject === subject)?.folder;
  const learned = async () => (await loadWordList(app.dataDir)).junkMessages;

  beforeAll(async () => {
    app = await startWebApp({
      user: { name: 'bob', password: 'bob-pw' },
      prepare: async (server, svc) => {
        await server.deliver('bob', [mail(1, 'Cheap pills discount', 'Deals <deals@bulk.example.biz>'), mail(2, 'Lunch on Friday', 'Ann <ann@example.org>')]);
        await svc.addAccount({ name: 'Bob', host: '127.0.0.1', port: server.tlsPort, security: 'tls', user: 'bob', tlsFingerprint: server.fingerprint256, password: { source: 'keychain' } }, 'bob-pw');
        expect((await svc.syncNow([svc.listAccounts()[0]!.id]))[0]?.ok).toBe(true);
      },
    });
    ({ service, page } = app);
    page.setDefaultTimeout(60_000);
    await page.goto(app.host.url);
    await row('Cheap pills').waitFor({ timeout: 30_000 });
  }, 120_000);

  afterAll(() => app?.close());

  it('the Junk button files the message in Junk, and Undo brings it back', async () => {
    await row('Cheap pills').click();
    await reader().getByRole('heading', { name: 'Cheap pills discount' }).waitFor();
    await toolbar().getByRole('button', { name: 'Junk', exact: true }).click();
    await expect.poll(() => where('Cheap pills discount')).toBe('Junk');
    await toast().getByText('Marked 1 message as junk.').waitFor();
    await expect.poll(() => row('Cheap pills').count()).toBe(0);
    expect(await learned()).toBe(1);

    await toast().getByRole('button', { name: 'Undo' }).click();
    await expect.poll(() => where('Cheap pills discount')).toBe('INBOX');
    await row('Cheap pills').waitFor();
    expect(await learned()).toBe(0);
  });

  it('! marks the open message as junk; in Junk, Not junk moves it back', async () => {
    await row('Cheap pills').click();
    await reader().getByRole('heading', { name: 'Cheap pills discount' }).waitFor();
    await grid().focus();
    await page.keyboard.press('!');
    await expect.poll(() => where('Cheap pills discount')).toBe('Junk');
    expect(where('Lunch on Friday')).toBe('INBOX');

    await page.getByRole('navigation', { name: 'Folders' }).locator('button.folder').filter({ has: page.locator('.folder-label', { hasText: /^Junk$/ }) }).click();
    await row('Cheap pills').click();
    await toolbar().getByRole('button', { name: 'Not junk' }).click();
    await expect.poll(() => where('Cheap pills discount')).toBe('INBOX');
    const list = await loadWordList(app.dataDir);
    expect([list.junkMessages, list.hamMessages]).toEqual([0, 1]);
  });

  it('a message the trained filter scores as junk lands in Junk from a real sync, and the bar says the filter moved it there', async () => {
    // Taught both kinds, as `popbox junk learn` would (the app reads the changed word list).
    const list = await loadWordList(app.dataDir);
    const spam = (i: number) => Buffer.from(`From: Deals <offers${i}@bulk.example.biz>\nSubject: Cheap pills discount ${i}\n\nBuy cheap pills, viagra discount, click http://bulk.example.biz/${i} winner prize\n`);
    const good = (i: number) => Buffer.from(`From: Colleague <c${i}@work.example.org>\nSubject: Meeting notes ${i}\n\nHi, the meeting notes for the project review. Regards, team ${i}\n`);
    for (let i = 0; i < 6; i++) {
      learn(spam(i), list, 'junk');
      learn(good(i), list, 'ham');
    }
    await saveWordList(app.dataDir, list);
    await app.dc.deliver('bob', [
      Buffer.from(['From: Deals <offers9@bulk.example.biz>', 'To: bob@popbox.test', 'Subject: Viagra winner prize', 'Date: 09 Nov 2026 10:00:00 +0000', 'Message-ID: <j9@bulk.example.biz>', '', 'Buy cheap pills, viagra discount, click http://bulk.example.biz/9 winner prize', ''].join('\n')),
    ]);
    // Get Mail, as the person would.
    await page.getByRole('button', { name: 'Get Mail' }).first().click();
    await expect.poll(() => where('Viagra winner prize'), { timeout: 60_000 }).toBe('Junk');
    const by = service.messages().find((m) => m.summary.subject === 'Viagra winner prize')?.junkedBy;
    expect(by).toMatchObject({ by: 'filter' });
    expect(by?.by === 'filter' && by.score).toBeGreaterThanOrEqual(0.999);

    await page.getByRole('navigation', { name: 'Folders' }).locator('button.folder').filter({ has: page.locator('.folder-label', { hasText: /^Junk$/ }) }).click();
    await row('Viagra winner prize').click();
    const bar = reader().getByRole('note', { name: 'Junk' });
    await bar.waitFor();
    expect(await bar.textContent()).toMatch(/^The junk filter moved this here \(score (0\.999|1\.000)\)\.Not junk$/);
  });
});
