/**
 * Hostile conversations in real Chromium, against the web host and a real Dovecot (issue 17 §3,
 * review 8). Anyone who knows one Message-ID of yours can put mail into its conversation:
 * - 5,000 replies that all reference one message: opening the newest shows it with a bounded
 *   number of conversation rows (DOM rows counted, not time) and "Show 50 older" pages in more;
 * - a reply from another domain that joins a conversation by References carries "From outside
 *   this conversation: its address"; a genuine reply from the same domain does not.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireChromium } from '../support/browser.js';
import { dovecotUnavailable } from '../support/dovecot.js';
import { startWebApp, type WebApp } from '../support/webapp.js';

const unavailable = dovecotUnavailable();
if (unavailable && process.env.CI) throw new Error(`Dovecot is required in CI: ${unavailable}`);
if (unavailable) console.warn(`Skipping the hostile conversations browser suite: ${unavailable}`);
const suite = unavailable || !requireChromium('the hostile conversations browser suite') ? describe.skip : describe;

const FLOOD = 5_000;

function mail(headers: string[], body: string): Buffer {
  return Buffer.from([...headers, 'To: bob@popbox.test', 'Content-Type: text/plain; charset=utf-8', '', body, ''].join('\r\n'));
}

const day = (d: number, s = 0) => new Date(Date.UTC(2026, 10, d, 9, 0, s)).toUTCString().replace('GMT', '+0000');

const FIGURES = mail(['From: Ann <ann@acme.test>', 'Subject: Quarterly figures', `Date: ${day(1)}`, 'Message-ID: <figures@acme.test>'], 'The figures are attached.');
const flood = Array.from({ length: FLOOD }, (_, i) =>
  mail([`From: Spam ${i} <spam${i}@flood.test>`, 'Subject: Re: Quarterly figures', `Date: ${day(2, i)}`, `Message-ID: <flood${i}@flood.test>`, 'References: <figures@acme.test>'], `Flood message number ${i}.`),
);
const INVOICE = mail(['From: Ann <ann@acme.test>', 'Subject: Invoice 42', `Date: ${day(20)}`, 'Message-ID: <invoice@acme.test>'], 'Invoice 42 is due on Friday.');
const GENUINE = mail(
  ['From: Carl <carl@acme.test>', 'Subject: Re: Invoice 42', `Date: ${day(21)}`, 'Message-ID: <invoice-re@acme.test>', 'In-Reply-To: <invoice@acme.test>', 'References: <invoice@acme.test>'],
  'Paid this morning.',
);
const INJECTED = mail(
  ['From: Ann <billing@acme-invoices.test>', 'Subject: Re: Invoice 42', `Date: ${day(22)}`, 'Message-ID: <phish@acme-invoices.test>', 'In-Reply-To: <invoice@acme.test>', 'References: <invoice@acme.test>'],
  'Our bank details changed: please pay to the new account.',
);

suite('hostile conversations in Chromium', () => {
  let app: WebApp;
  let page: Page;

  const grid = () => page.getByRole('grid', { name: 'Messages' });
  const conversation = () => page.getByRole('region', { name: 'Conversation' });
  const reader = () => page.getByRole('region', { name: 'Message' }).locator('.reader-body');

  beforeAll(async () => {
    app = await startWebApp({
      user: { name: 'bob', password: 'bob-pw' },
      prepare: async (server, svc) => {
        await server.deliver('bob', [FIGURES, ...flood, INVOICE, GENUINE, INJECTED]);
        const account = await svc.addAccount({ name: 'Bob', host: '127.0.0.1', port: server.plainPort, security: 'plain', allowInsecureAuth: true, user: 'bob', password: { source: 'keychain' } }, 'bob-pw');
        expect((await svc.syncNow([account.id]))[0]?.ok).toBe(true);
      },
    });
    ({ page } = app);
    page.setDefaultTimeout(60_000);
    await page.goto(app.host.url);
    await grid().getByRole('row', { name: /Invoice 42/ }).first().waitFor({ timeout: 60_000 });
  }, 300_000);

  afterAll(() => app?.close());

  it('5,000 replies to one message: the newest opens with a bounded number of conversation rows; Show 50 older brings 50 more', async () => {
    await grid().getByRole('row', { name: new RegExp(`Spam ${FLOOD - 1},`) }).click();
    await reader().getByText(`Flood message number ${FLOOD - 1}.`).waitFor();
    await conversation().locator('[aria-current="true"]').waitFor();
    const rows = conversation().locator('.conversation-item');
    expect(await rows.count()).toBe(20);
    await conversation().getByText(`${(FLOOD + 1).toLocaleString('en-US')} messages in this conversation`).waitFor();
    expect(await conversation().locator('[aria-current="true"]').textContent()).toContain(`Spam ${FLOOD - 1}`);
    await conversation().getByText(`${(FLOOD + 1 - 20).toLocaleString('en-US')} older messages not shown`).waitFor();
    await conversation().getByRole('button', { name: 'Show 50 older' }).click();
    await expect.poll(() => rows.count()).toBe(70);
    // The flood's senders are strangers to the conversation Ann started.
    expect(await conversation().getByRole('note').first().textContent()).toMatch(/^From outside this conversation: spam\d+@flood\.test$/);
    // The list stays virtualised too.
    expect(await grid().locator('[role="row"][data-id]').count()).toBeLessThan(100);
    expect(app.pageErrors).toEqual([]);
  });

  it('a reply that joins from another domain carries the note; the genuine reply from the conversation\u2019s domain does not', async () => {
    await grid().getByRole('row', { name: /^Ann, Re: Invoice 42/ }).first().click();
    await reader().getByText('Our bank details changed').waitFor();
    const note = conversation().getByRole('note');
    await note.waitFor();
    expect(await note.textContent()).toBe('From outside this conversation: billing@acme-invoices.test');
    expect(await conversation().locator('[aria-current="true"]').getByRole('note').count()).toBe(1);

    await grid().getByRole('row', { name: /Carl/ }).click();
    await reader().getByText('Paid this morning.').waitFor();
    await conversation().getByText('3 messages in this conversation').waitFor();
    // Only the injected message's row has it: not Carl's (open), not Ann's original.
    expect(await conversation().getByRole('note').count()).toBe(1);
    expect(await conversation().locator('[aria-current="true"]').getByRole('note').count()).toBe(0);
    expect(await conversation().locator('li', { has: page.getByRole('note') }).textContent()).toContain('billing@acme-invoices.test');
    expect(app.pageErrors).toEqual([]);
  });
});
