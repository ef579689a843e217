/**
 * Conversations in real Chromium (issue 17 §3), against the web host and a real Dovecot: with
 * Conversations on, a reply that arrives joins its original in one row (2 messages, 1 unread);
 * opening it shows the conversation with the older message collapsed; e opens it in place.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MailService } from '../../electron/core/mail-service.js';
import { requireChromium } from '../support/browser.js';
import { dovecotUnavailable } from '../support/dovecot.js';
import { startWebApp, type WebApp } from '../support/webapp.js';

const unavailable = dovecotUnavailable();
if (unavailable && process.env.CI) throw new Error(`Dovecot is required in CI: ${unavailable}`);
if (unavailable) console.warn(`Skipping the conversations browser suite: ${unavailable}`);
const suite = unavailable || !requireChromium('the conversations browser suite') ? describe.skip : describe;

function mail(headers: string[], body: string): Buffer {
  return Buffer.from([...headers, 'To: bob@popbox.test', 'Content-Type: text/plain; charset=utf-8', '', body, ''].join('\n'));
}

const ORIGINAL = mail(['From: Ann <ann@example.org>', 'Subject: Trip to the lake', 'Date: 02 Nov 2026 10:00:00 +0000', 'Message-ID: <trip@example.org>'], 'Shall we go to the lake on Saturday?');
const REPLY = mail(
  ['From: Carl <carl@example.org>', 'Subject: Re: Trip to the lake', 'Date: 03 Nov 2026 09:00:00 +0000', 'Message-ID: <trip-reply@example.org>', 'In-Reply-To: <trip@example.org>', 'References: <trip@example.org>'],
  'Count me in, I will bring the boat.',
);

suite('conversations in Chromium', () => {
  let app: WebApp;
  let service: MailService;
  let page: Page;
  let accountId: string;

  const grid = () => page.getByRole('grid', { name: 'Messages' });
  const messages = () => grid().getByRole('row');
  const conversation = () => page.getByRole('region', { name: 'Conversation' });

  beforeAll(async () => {
    app = await startWebApp({
      user: { name: 'bob', password: 'bob-pw' },
      prepare: async (server, svc) => {
        await server.deliver('bob', [ORIGINAL]);
        const account = await svc.addAccount(
          { name: 'Bob', host: '127.0.0.1', port: server.tlsPort, security: 'tls', user: 'bob', tlsFingerprint: server.fingerprint256, password: { source: 'keychain' } },
          'bob-pw',
        );
        accountId = account.id;
        expect((await svc.syncNow([account.id]))[0]?.ok).toBe(true);
      },
    });
    ({ service, page } = app);
    page.setDefaultTimeout(60_000);
    await page.goto(app.host.url);
    await grid().getByRole('row', { name: /Trip to the lake/ }).waitFor({ timeout: 30_000 });
  }, 120_000);

  afterAll(() => app?.close());

  it('a reply arrives: one row for the conversation; opened, the older message is collapsed and e opens it', async () => {
    const toggle = page.getByRole('button', { name: 'Conversations' });
    await toggle.click();
    expect(await toggle.getAttribute('aria-pressed')).toBe('true');
    await expect.poll(() => messages().count()).toBe(1);

    await app.dc.deliver('bob', [REPLY]);
    expect((await service.syncNow([accountId]))[0]?.ok).toBe(true);
    // Still one row: the reply, standing for the conversation of two (both unread).
    const row = grid().getByRole('row', { name: /conversation of 2, 2 unread/ });
    await row.waitFor();
    await expect.poll(() => messages().count()).toBe(1);
    expect(await row.getAttribute('aria-label')).toMatch(/Carl/);
    expect(await page.locator('.list-header .count').textContent()).toBe('1 conversation');

    await row.click();
    await conversation().getByText('2 messages in this conversation').waitFor();
    const older = conversation().getByRole('button', { name: /Ann/ });
    expect(await older.getAttribute('aria-expanded')).toBe('false');
    // The open message (the reply) in full below; of the original only a line (sender, date, first words), no body.
    await page.getByRole('region', { name: 'Message' }).locator('.reader-body').getByText('Count me in, I will bring the boat.').waitFor();
    expect(await conversation().locator('.conversation-body').count()).toBe(0);

    await page.keyboard.press('e');
    await conversation().locator('.conversation-body').getByText('Shall we go to the lake on Saturday?').waitFor();
    expect(await older.getAttribute('aria-expanded')).toBe('true');
    // Reading the reply marked it read: the row says 1 unread now (the original is still unread).
    await grid().getByRole('row', { name: /conversation of 2, 1 unread/ }).waitFor();
    expect(app.pageErrors).toEqual([]);
  });
});
