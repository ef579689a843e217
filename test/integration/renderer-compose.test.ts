/**
 * Writing mail in real Chromium (issue 15 §2), against the web host, a real Postfix and the
 * Dovecot behind it: a new message with a non-ASCII subject and an attachment is typed, saved
 * as a draft by itself, sent, and comes back by POP3 into Bob's account (Get Mail) with the
 * right headers, body and attachment; `r` on a stored message starts "Re: …" with the quote;
 * a draft closed with Escape is in Drafts and reopens with everything in it; Undo send brings
 * the message back into the compose panel and nothing reaches the server.
 */
import os from 'node:os';
import path from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { simpleParser } from 'mailparser';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { MailService } from '../../electron/core/mail-service.js';
import { messageRow, requireChromium } from '../support/browser.js';
import { postfixUnavailable, startPostfix, type PostfixServer } from '../support/postfix.js';
import { startWebApp, type WebApp } from '../support/webapp.js';

const unavailable = postfixUnavailable();
if (unavailable && process.env.CI) throw new Error(`Postfix is required in CI: ${unavailable}`);
if (unavailable) console.warn(`Skipping the compose browser suite: ${unavailable}`);
const suite = unavailable || !requireChromium('the compose browser suite') ? describe.skip : describe;

const USERS = [
  { name: 'alice', password: 'alice-pw' },
  { name: 'bob', password: 'bob-pw' },
];
const SUBJECT = 'Grüße aus Köln — 東京 ✓';
const BODY = 'Hallo Bob,\n\nder Plan ist angehängt. Ça va?\n';
// Bytes that are not text: a changed byte anywhere would show.
const ATTACHMENT = Buffer.from([...Array(3000).keys()].map((i) => (i * 37) % 256));

const ORIGINAL = Buffer.from(
  [
    'From: Carol Original <carol@example.org>',
    'To: alice@example.org',
    'Subject: Quarterly plans',
    'Date: Tue, 01 Dec 2026 10:00:00 +0000',
    'Message-ID: <q1@example.org>',
    'Content-Type: text/plain; charset=utf-8',
    '',
    'Shall we meet on Friday?',
    '',
  ].join('\r\n'),
);

suite('writing mail in Chromium', () => {
  let app: WebApp;
  let pf: PostfixServer;
  let service: MailService;
  let page: Page;
  let aliceId: string;
  let bobId: string;

  const sidebar = () => page.getByRole('navigation', { name: 'Folders' });
  const folder = (name: string, of: string) =>
    sidebar()
      .getByRole('region', { name: of })
      .locator('button.folder')
      .filter({ has: page.locator('.folder-label', { hasText: new RegExp(`^${name}$`) }) });
  const panel = () => page.locator('.compose-panel');
  const to = () => panel().getByRole('combobox', { name: 'To' });
  const subject = () => panel().getByLabel('Subject');
  const body = () => panel().getByLabel('Message text');
  const chips = (p: Locator) => p.locator('.chip');
  const drafts = (accountId: string) => service.messages({ accountId }).filter((m) => m.folder === 'Drafts');
  /** POPBOX_SCREENSHOTS=DIR keeps pictures of the screens for people to look at. */
  const shot = async (name: string) => {
    if (process.env.POPBOX_SCREENSHOTS) await page.screenshot({ path: path.join(process.env.POPBOX_SCREENSHOTS, `${name}.png`) });
  };
  const openNew = async () => {
    await folder('Inbox', 'Alice').click();
    await page.keyboard.press('c');
    await to().waitFor();
  };

  beforeAll(async () => {
    app = await startWebApp({
      user: USERS[0]!,
      dovecot: { lmtp: true, users: USERS },
      prepare: async (dc, svc) => {
        pf = await startPostfix({ dovecot: dc });
        await dc.deliver('alice', [ORIGINAL]);
        const pop = (user: string) => ({ host: '127.0.0.1', port: dc.tlsPort, security: 'tls' as const, tlsFingerprint: dc.fingerprint256, user, password: { source: 'keychain' as const } });
        const alice = await svc.addAccount(
          {
            ...pop('alice'),
            name: 'Alice',
            smtp: { host: '127.0.0.1', port: pf.submissionsPort, security: 'tls', user: 'alice', tlsFingerprint: pf.fingerprint256, password: { source: 'incoming' } },
            identities: [{ id: 'alice', name: 'Alice Ämber', address: 'alice@example.org' }],
          },
          'alice-pw',
        );
        const bob = await svc.addAccount({ ...pop('bob'), name: 'Bob' }, 'bob-pw');
        aliceId = alice.id;
        bobId = bob.id;
        const outcomes = await svc.syncNow([alice.id, bob.id]);
        expect(outcomes.every((o) => o.ok)).toBe(true);
      },
    });
    ({ service, page } = app);
    page.setDefaultTimeout(60_000);
    await page.goto(app.host.url);
    await messageRow(page, 'Quarterly plans').waitFor({ timeout: 30_000 });
  }, 180_000);

  // One test's leftover panel or question must not make the next fail: each starts on the mail.
  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail') await page.screenshot({ path: path.join(os.tmpdir(), `popbox-compose-failed-${ctx.task.name.slice(0, 40).replace(/\W+/g, '-')}.png`) }).catch(() => {});
    for (let i = 0; i < 3 && (await page.locator('.compose-panel, [role="dialog"], [role="menu"]').count()) > 0; i++) {
      await page.keyboard.press('Escape');
      await page.waitForTimeout(300);
    }
  });

  afterAll(async () => {
    await app?.close();
    await pf?.stop();
  });

  it('a new message with a non-ASCII subject and an attachment: saved as a draft, sent, and back by POP3 in Bob’s account', async () => {
    await openNew();
    // One identity: From is shown, not a choice.
    expect(await panel().locator('#compose-from').textContent()).toBe('Alice Ämber <alice@example.org>');
    await to().fill('bob@example.org');
    await to().press('Enter');
    expect(await chips(panel()).allTextContents()).toEqual(['bob@example.org×']);
    await subject().fill(SUBJECT);
    await body().fill(BODY);
    // "angehängt" with nothing attached: Send asks first.
    await panel().getByRole('button', { name: 'Send', exact: true }).click();
    await panel().getByText('You wrote “angehängt”, but nothing is attached.').waitFor();
    await panel().getByLabel('Attach files').setInputFiles({ name: 'plan-ü.bin', mimeType: 'application/octet-stream', buffer: ATTACHMENT });
    await panel().locator('.compose-attachment', { hasText: 'plan-ü.bin' }).getByText('2.9 KB').waitFor();
    expect(await panel().getByText(/but nothing is attached/).count()).toBe(0);
    // Saved by itself a few seconds after the typing, into Alice's Drafts.
    await panel().getByText(/^Draft saved/).waitFor({ timeout: 15_000 });
    await expect.poll(() => drafts(aliceId).map((m) => m.summary.subject)).toEqual([SUBJECT]);

    await panel().getByRole('button', { name: 'Send', exact: true }).click();
    await panel().waitFor({ state: 'detached' });
    await page.locator('.sending-toast').getByText('Sending…').waitFor();
    expect(await page.locator('.sending-toast').getByRole('button', { name: 'Undo' }).count()).toBe(1);
    // Send took the draft's place: Drafts is empty.
    await expect.poll(() => drafts(aliceId).length).toBe(0);

    // At the server: once, with the headers, text and attachment as typed.
    await expect.poll(async () => (await app.dc.mailbox('bob')).length, { timeout: 40_000 }).toBe(1);
    const [delivered] = await app.dc.mailbox('bob');
    const raw = delivered!.bytes.toString('latin1');
    // Non-ASCII subject and name as RFC 2047 words, never raw 8-bit bytes in the header.
    expect(raw).toMatch(/^Subject: =\?UTF-8\?/im);
    const mail = await simpleParser(delivered!.bytes);
    expect(mail.subject).toBe(SUBJECT);
    expect(mail.from?.value).toEqual([{ name: 'Alice Ämber', address: 'alice@example.org' }]);
    expect((Array.isArray(mail.to) ? mail.to[0] : mail.to)?.value.map((a) => a.address)).toEqual(['bob@example.org']);
    expect(mail.text?.replace(/\r\n/g, '\n').trim()).toBe(BODY.trim());
    expect(mail.attachments.map((a) => a.filename)).toEqual(['plan-ü.bin']);
    expect(Buffer.compare(mail.attachments[0]!.content, ATTACHMENT)).toBe(0);

    // Get Mail: Bob's account brings it back by POP3, and the screen shows it with its attachment.
    await page.getByRole('button', { name: 'Get Mail' }).click();
    await folder('Inbox', 'Bob').click();
    await messageRow(page, SUBJECT).waitFor({ timeout: 30_000 });
    await messageRow(page, SUBJECT).click();
    const reader = page.getByRole('region', { name: 'Message' });
    await reader.getByRole('heading', { name: SUBJECT }).waitFor();
    await reader.getByText('Alice Ämber <alice@example.org>').waitFor();
    // Strict: once in the pane (Alice's copy in Sent has the same Message-ID and is the same
    // message, not a second one in a conversation listed above with the same first words).
    await reader.getByText('der Plan ist angehängt.', { exact: false }).waitFor();
    await reader.getByRole('list', { name: 'Attachments' }).getByText('plan-ü.bin').waitFor();
    const got = service.messages({ accountId: bobId }).find((m) => m.summary.subject === SUBJECT);
    expect(got?.folder).toBe('INBOX');
    // And a copy of exactly what was sent is in Alice's Sent.
    await expect.poll(() => service.messages({ accountId: aliceId }).filter((m) => m.folder === 'Sent').map((m) => m.summary.subject)).toEqual([SUBJECT]);
  });

  it('r on a stored message starts a reply: "Re: …", to the sender, the original quoted below', async () => {
    await folder('Inbox', 'Alice').click();
    await messageRow(page, 'Quarterly plans').click();
    await page.getByRole('region', { name: 'Message' }).getByRole('heading', { name: 'Quarterly plans' }).waitFor();
    await page.getByRole('grid', { name: 'Messages' }).focus();
    await page.keyboard.press('r');
    await subject().waitFor();
    await expect.poll(() => subject().inputValue()).toBe('Re: Quarterly plans');
    expect(await chips(panel()).first().getAttribute('title')).toMatch(/carol@example\.org/);
    const text = await body().inputValue();
    expect(text).toMatch(/Carol Original <carol@example\.org> wrote:\n> Shall we meet on Friday\?/);
    await shot('compose-reply');
    // The reply starts above the quote.
    expect(
      await body().evaluate((t) => {
        const area = t as unknown as { selectionStart: number; ownerDocument: { activeElement: unknown } };
        return [area.ownerDocument.activeElement === t, area.selectionStart];
      }),
    ).toEqual([true, 0]);
    // The reading pane's button does the same.
    await page.keyboard.press('Escape');
    await panel().waitFor({ state: 'detached' });
    await page.getByRole('region', { name: 'Message' }).getByRole('button', { name: 'Reply all' }).click();
    await expect.poll(() => subject().inputValue()).toBe('Re: Quarterly plans');
    await page.keyboard.press('Escape');
    await panel().waitFor({ state: 'detached' });
    // Opened and closed without a change: no draft is left behind.
    expect(drafts(aliceId)).toEqual([]);
  });

  it('a draft survives closing the panel and reopens from Drafts with everything in it; Discard removes it', async () => {
    await openNew();
    await to().fill('bob@example.org, "Doe, Jane" <jane@example.org>; not-an-address');
    await to().press('Enter');
    // Pasted/typed lists become chips; the mistyped one is marked before sending.
    expect(await chips(panel()).count()).toBe(3);
    await panel().getByText('Not a valid address: not-an-address').waitFor();
    await panel().getByRole('button', { name: 'Remove not-an-address' }).click();
    await subject().fill('Unfinished thoughts');
    await body().fill('Half a sentence, to be continued');
    // Escape at once (before the autosave): closing saves.
    await page.keyboard.press('Escape');
    await panel().waitFor({ state: 'detached' });
    await expect.poll(() => drafts(aliceId).map((m) => m.summary.subject)).toEqual(['Unfinished thoughts']);

    await folder('Drafts', 'Alice').click();
    await messageRow(page, 'Unfinished thoughts').dblclick();
    await expect.poll(() => subject().inputValue()).toBe('Unfinished thoughts');
    expect(await body().inputValue()).toMatch(/^Half a sentence, to be continued/);
    expect(await chips(panel()).evaluateAll((els) => els.map((e) => e.getAttribute('title')))).toEqual(['bob@example.org', '"Doe, Jane" <jane@example.org>']);

    await panel().getByRole('button', { name: 'Discard draft' }).click();
    const confirm = page.getByRole('dialog', { name: 'Discard this draft?' });
    await confirm.getByRole('button', { name: 'Discard' }).click();
    await panel().waitFor({ state: 'detached' });
    await expect.poll(() => drafts(aliceId).length).toBe(0);
  });

  it('Undo send brings the message back into the panel, and nothing reaches the server', async () => {
    const before = (await app.dc.mailbox('bob')).length;
    await openNew();
    await to().fill('bob@example.org');
    await to().press('Enter');
    await subject().fill('Second thoughts');
    await body().fill('Maybe not.');
    await body().press('Control+Enter');
    await panel().waitFor({ state: 'detached' });
    await page.locator('.sending-toast').getByRole('button', { name: 'Undo' }).click();
    await expect.poll(() => subject().inputValue()).toBe('Second thoughts');
    expect(await body().inputValue()).toMatch(/^Maybe not\./);
    expect(await chips(panel()).allTextContents()).toEqual(['bob@example.org×']);
    await expect.poll(async () => (await service.outboxStatus(aliceId)).length).toBe(0);
    // Past the undo window: still nothing delivered.
    await new Promise((r) => setTimeout(r, 7_000));
    expect((await app.dc.mailbox('bob')).length).toBe(before);
    await page.keyboard.press('Escape');
    await panel().waitFor({ state: 'detached' });
    expect(drafts(aliceId).map((m) => m.summary.subject)).toEqual(['Second thoughts']);
    expect(app.pageErrors).toEqual([]);
  });

  it('Write in the toolbar; addresses from stored mail are suggested as the user types; Send later waits in the Outbox', async () => {
    await page.getByRole('button', { name: 'Write' }).click();
    await to().waitFor();
    await to().pressSequentially('car');
    const list = panel().getByRole('listbox', { name: 'Suggestions for To' });
    await list.waitFor();
    // Asked a moment after each pause in the typing: the list may first be an answer for "c" or "ca".
    await expect.poll(() => list.getByRole('option').allTextContents()).toEqual(['Carol Original carol@example.org']);
    await to().press('Enter');
    expect(await chips(panel()).evaluateAll((els) => els.map((e) => e.getAttribute('title')))).toEqual(['Carol Original <carol@example.org>']);
    // Bob was written to: he is suggested too.
    await to().pressSequentially('bo');
    await list.getByRole('option', { name: /bob@example\.org/ }).waitFor();
    await to().press('Tab');
    expect(await chips(panel()).count()).toBe(2);
    // A file dropped onto the panel is attached.
    await panel().locator('form.compose').evaluate((form) => {
      const { DataTransfer, DragEvent, File } = globalThis as unknown as {
        DataTransfer: new () => { items: { add(f: unknown): void } };
        DragEvent: new (type: string, init: object) => Event;
        File: new (bits: string[], name: string, opts: object) => unknown;
      };
      const data = new DataTransfer();
      data.items.add(new File(['dropped bytes'], 'dropped.txt', { type: 'text/plain' }));
      form.dispatchEvent(new DragEvent('dragover', { dataTransfer: data, bubbles: true, cancelable: true }));
      form.dispatchEvent(new DragEvent('drop', { dataTransfer: data, bubbles: true, cancelable: true }));
    });
    await panel().locator('.compose-attachment', { hasText: 'dropped.txt' }).getByText('13 B').waitFor();
    await shot('compose-panel');
    await subject().fill('Tomorrow');
    await body().fill('See you.');
    const sendLater = Date.now();
    await panel().getByRole('button', { name: 'Send later' }).click();
    await page.getByRole('menuitem', { name: /^In 1 hour/ }).click();
    await panel().waitFor({ state: 'detached' });
    await page.locator('.sending-toast').getByText(/^Will be sent /).waitFor();
    await expect.poll(async () => (await service.outboxStatus(aliceId)).length).toBe(1);
    const [waiting] = await service.outboxStatus(aliceId);
    expect(waiting!.state).toBe('waiting');
    expect(waiting!.nextAttemptAt! - sendLater).toBeGreaterThan(59 * 60_000);
    expect(waiting!.nextAttemptAt! - sendLater).toBeLessThan(61 * 60_000);
    await service.discardQueued(waiting!.id);
    expect(app.pageErrors).toEqual([]);
  });

  it('rich text: bold and a pasted page (cleaned) go out as HTML beside a faithful text part', async () => {
    const before = (await app.dc.mailbox('bob')).length;
    await openNew();
    await to().fill('bob@example.org');
    await to().press('Enter');
    await subject().fill('Formatted');
    await panel().getByRole('button', { name: 'Rich text' }).click();
    const editor = panel().getByRole('textbox', { name: 'Message text' });
    await editor.click();
    await page.keyboard.type('Hello ');
    await page.keyboard.press('Control+b');
    await page.keyboard.type('world');
    await page.keyboard.press('Control+b');
    await page.keyboard.press('Enter');
    // A paste from a web page: its script, handler and tracking image must not survive.
    await editor.evaluate((el) => {
      // In the page (this file is type-checked without the DOM's names).
      const { DataTransfer, ClipboardEvent } = globalThis as unknown as {
        DataTransfer: new () => { setData(type: string, value: string): void };
        ClipboardEvent: new (type: string, init: object) => Event;
      };
      const data = new DataTransfer();
      data.setData('text/html', '<p onclick="steal()">Pasted <i>text</i><script>steal()</script><img src="https://tracker.example/p.gif"></p>');
      data.setData('text/plain', 'Pasted text');
      el.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
    });
    expect(await editor.innerHTML()).not.toMatch(/script|onclick|img/);
    await body().press('Control+Enter');
    await panel().waitFor({ state: 'detached' });
    await expect.poll(async () => (await app.dc.mailbox('bob')).length, { timeout: 40_000 }).toBe(before + 1);
    const mail = await simpleParser((await app.dc.mailbox('bob')).at(-1)!.bytes);
    expect(mail.subject).toBe('Formatted');
    expect(mail.html).toMatch(/Hello <b>world<\/b>/);
    expect(mail.html).toMatch(/Pasted <i>text<\/i>/);
    expect(mail.html).not.toMatch(/script|onclick|tracker/);
    expect(mail.text).toMatch(/Hello world\s+Pasted text/);
  });

  it('f forwards the open message with its attachment listed (kept in main, not in the page)', async () => {
    await folder('Inbox', 'Bob').click();
    await messageRow(page, SUBJECT).click();
    await page.getByRole('region', { name: 'Message' }).getByRole('heading', { name: SUBJECT }).waitFor();
    await page.getByRole('grid', { name: 'Messages' }).focus();
    await page.keyboard.press('f');
    await expect.poll(() => subject().inputValue()).toBe(`Fwd: ${SUBJECT}`);
    await panel().locator('.compose-attachment', { hasText: 'plan-ü.bin' }).getByText('2.9 KB').waitFor();
    expect(await body().inputValue()).toMatch(/der Plan ist angehängt\./);
    expect(await chips(panel()).count()).toBe(0);
    await page.keyboard.press('Escape');
    await panel().waitFor({ state: 'detached' });
    expect(drafts(bobId)).toEqual([]);
  });

  it('the compose page of a window of its own (what Electron opens): no mailbox behind it, Send, Sending… Undo, then it closes', async () => {
    const before = (await app.dc.mailbox('bob')).length;
    // Opened as the app opens it in Electron: window.open on the same page with a #compose hash.
    const [popup] = await Promise.all([
      page.waitForEvent('popup'),
      page.evaluate((hash) => void (globalThis as unknown as { open(u: string, t: string, f: string): unknown }).open(hash, '_blank', 'popup'), `#compose?mode=new&accountId=${aliceId}`),
    ]);
    const pto = popup.getByRole('combobox', { name: 'To' });
    await pto.waitFor({ timeout: 30_000 });
    expect(await popup.title()).toBe('Write — Popbox');
    expect(await popup.getByRole('grid', { name: 'Messages' }).count()).toBe(0);
    expect(await popup.locator('#compose-from').textContent()).toBe('Alice Ämber <alice@example.org>');
    await pto.fill('bob@example.org');
    await pto.press('Enter');
    await popup.getByLabel('Subject').fill('From a window of its own');
    await popup.getByLabel('Message text').fill('Sent from the compose window.');
    const closed = popup.waitForEvent('close', { timeout: 20_000 });
    await popup.getByLabel('Message text').press('Control+Enter');
    await popup.locator('.sending-toast').getByText('Sending…').waitFor();
    // After the undo window the window closes by itself, and the message goes.
    await closed;
    await expect.poll(async () => (await app.dc.mailbox('bob')).length, { timeout: 40_000 }).toBe(before + 1);
    const mail = await simpleParser((await app.dc.mailbox('bob')).at(-1)!.bytes);
    expect(mail.subject).toBe('From a window of its own');
  });

  it('a refusal from main is said next to the field it concerns (an account that cannot send: under From)', async () => {
    await folder('Inbox', 'Bob').click();
    await page.keyboard.press('n');
    await to().waitFor();
    expect(await panel().locator('#compose-from').textContent()).toMatch(/^Bob \(no address to send from yet/);
    await to().fill('alice@example.org');
    await to().press('Enter');
    await subject().fill('From Bob');
    await panel().getByRole('button', { name: 'Send', exact: true }).click();
    const fromRow = panel().locator('.compose-row', { has: page.locator('#compose-from') });
    await fromRow.getByRole('alert').getByText(/no outgoing server/).waitFor();
    // Nothing was sent; the panel stays with what was typed.
    expect(await subject().inputValue()).toBe('From Bob');
    await panel().getByRole('button', { name: 'Discard draft' }).click();
    await page.getByRole('dialog', { name: 'Discard this draft?' }).getByRole('button', { name: 'Discard' }).click();
    await panel().waitFor({ state: 'detached' });
    expect(app.pageErrors).toEqual([]);
  });
});
