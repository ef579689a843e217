/**
 * Conversations with two accounts on one machine, in real Chromium against the web host and a
 * real Dovecot (issue 17 §3). Alice writes to Bob, Bob answers: each message is stored twice
 * (the writer's Sent copy, the reader's Inbox copy, one Message-ID). Bob's conversation counts
 * and shows 2 messages, his own copies, not Alice's as well. With Conversations on, Delete on
 * the conversation's row moves all of its messages in Bob's Inbox to Trash (his Sent reply and
 * Alice's copies stay), and Undo brings them back; the reading pane's buttons act on the open
 * message alone.
 */
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MailService } from '../../electron/core/mail-service.js';
import { requireChromium } from '../support/browser.js';
import { dovecotUnavailable } from '../support/dovecot.js';
import { startWebApp, type WebApp } from '../support/webapp.js';

const unavailable = dovecotUnavailable();
if (unavailable && process.env.CI) throw new Error(`Dovecot is required in CI: ${unavailable}`);
if (unavailable) console.warn(`Skipping the conversation copies browser suite: ${unavailable}`);
const suite = unavailable || !requireChromium('the conversation copies browser suite') ? describe.skip : describe;

const USERS = [
  { name: 'alice', password: 'alice-pw' },
  { name: 'bob', password: 'bob-pw' },
];
const ALICE = 'From: Alice <alice@popbox.test>';
const BOB = 'From: Bob <bob@popbox.test>';

function mail(headers: string[], body: string): Buffer {
  return Buffer.from([...headers, 'Content-Type: text/plain; charset=utf-8', '', body, ''].join('\r\n'));
}

const ORIGINAL = mail([ALICE, 'To: bob@popbox.test', 'Subject: Boat trip on Sunday', 'Date: 01 Nov 2026 10:00:00 +0000', 'Message-ID: <boat@popbox.test>'], 'Shall we take the boat out on Sunday?');
const REPLY = mail(
  [BOB, 'To: alice@popbox.test', 'Subject: Re: Boat trip on Sunday', 'Date: 02 Nov 2026 09:00:00 +0000', 'Message-ID: <boat-re@popbox.test>', 'In-Reply-To: <boat@popbox.test>', 'References: <boat@popbox.test>'],
  'Yes, I will bring the oars.',
);
const FOLLOW_UP = mail(
  [ALICE, 'To: bob@popbox.test', 'Subject: Re: Boat trip on Sunday', 'Date: 03 Nov 2026 08:00:00 +0000', 'Message-ID: <boat-re2@popbox.test>', 'In-Reply-To: <boat-re@popbox.test>', 'References: <boat@popbox.test> <boat-re@popbox.test>'],
  'Great, see you at the jetty at nine.',
);

suite('conversations with copies in two accounts, in Chromium', () => {
  let app: WebApp;
  let service: MailService;
  let page: Page;
  let aliceId: string;
  let bobId: string;

  const grid = () => page.getByRole('grid', { name: 'Messages' });
  /** The message rows (an empty list shows one row with a note). */
  const rows = () => grid().locator('[role="row"][data-id]');
  const conversation = () => page.getByRole('region', { name: 'Conversation' });
  const folder = (name: string, of: string) =>
    page
      .getByRole('navigation', { name: 'Folders' })
      .getByRole('region', { name: of })
      .locator('button.folder')
      .filter({ has: page.locator('.folder-label', { hasText: new RegExp(`^${name}$`) }) });
  const toast = () => page.locator('.toast');
  /** Drag with the mouse, as a person does (renderer-folders.test.ts). */
  const drag = async (from: Locator, to: Locator) => {
    await from.hover();
    await page.mouse.down();
    const b = (await to.boundingBox())!;
    await page.mouse.move(b.x + b.width / 2, b.y + b.height / 2, { steps: 8 });
    await page.mouse.move(b.x + b.width / 2 + 2, b.y + b.height / 2, { steps: 2 });
    await page.mouse.up();
  };
  /** Where each of an account's messages is, by subject and folder (what is on disk in main). */
  const places = (accountId: string) =>
    service
      .messages({ accountId })
      .map((m) => `${m.folder}: ${m.summary.subject}`)
      .sort();
  /** What sending leaves behind: the writer's copy filed in Sent, read. */
  const fileAsSent = async (accountId: string, messageId: string) => {
    const ids = service
      .messages({ accountId })
      .filter((m) => m.summary.messageId === messageId)
      .map((m) => m.id);
    expect(ids).toHaveLength(1);
    await service.moveMessages(ids, 'Sent');
    await service.setFlags(ids, { seen: true });
  };

  beforeAll(async () => {
    app = await startWebApp({
      user: USERS[0]!,
      dovecot: { users: USERS },
      prepare: async (dc, svc) => {
        // Alice's message reached Bob; Bob's answer reached Alice. Each writer also has the copy
        // sending files in Sent: the same bytes, so the same Message-ID.
        await dc.deliver('alice', [ORIGINAL, REPLY]);
        await dc.deliver('bob', [ORIGINAL, REPLY]);
        const pop = (name: string, user: string) => ({ name, host: '127.0.0.1', port: dc.tlsPort, security: 'tls' as const, tlsFingerprint: dc.fingerprint256, user, password: { source: 'keychain' as const } });
        aliceId = (await svc.addAccount(pop('Alice', 'alice'), 'alice-pw')).id;
        bobId = (await svc.addAccount(pop('Bob', 'bob'), 'bob-pw')).id;
        expect((await svc.syncNow([aliceId, bobId])).every((o) => o.ok)).toBe(true);
      },
    });
    ({ service, page } = app);
    await fileAsSent(aliceId, '<boat@popbox.test>');
    await fileAsSent(bobId, '<boat-re@popbox.test>');
    page.setDefaultTimeout(60_000);
    await page.goto(app.host.url);
    await folder('Inbox', 'Bob').click();
    await grid().getByRole('row', { name: /Boat trip on Sunday/ }).waitFor({ timeout: 30_000 });
  }, 180_000);

  afterAll(() => app?.close());

  it("Bob's conversation is 2 messages (his Inbox copy and his Sent reply), not Alice's copies as well", async () => {
    const toggle = page.getByRole('button', { name: 'Conversations' });
    if ((await toggle.getAttribute('aria-pressed')) !== 'true') await toggle.click();
    expect(await toggle.getAttribute('aria-pressed')).toBe('true');
    // One row in Bob's Inbox: the original, standing for a conversation of 2 with 1 unread (his
    // copy; his reply in Sent is read). Counting Alice's copies made it 4 with 2 unread.
    const row = grid().getByRole('row', { name: /Boat trip on Sunday.*conversation of 2, 1 unread$/ });
    await row.waitFor();
    expect(await rows().count()).toBe(1);

    await row.click();
    await conversation().getByText('2 messages in this conversation').waitFor();
    const items = conversation().locator('[data-conversation-id]');
    expect(await items.count()).toBe(2);
    const bobsCopies = service.messages({ accountId: bobId });
    const shownIds = await items.evaluateAll((els) => els.map((e) => e.getAttribute('data-conversation-id')));
    expect(shownIds).toEqual([bobsCopies.find((m) => m.folder === 'INBOX')!.id, bobsCopies.find((m) => m.folder === 'Sent')!.id]);
    // The open message's first line once in the pane (Alice's Sent copy listed it a second time),
    // counted once the body is there (count() does not wait for it).
    const firstLine = page.getByRole('region', { name: 'Message' }).getByText('Shall we take the boat out on Sunday?');
    await firstLine.first().waitFor();
    expect(await firstLine.count()).toBe(1);
    expect(app.pageErrors).toEqual([]);
  });

  it("Delete on the conversation's row moves its messages in Bob's Inbox to Trash; Undo brings them back; the pane's Move to Trash moves only the open one", async () => {
    await app.dc.deliver('bob', [FOLLOW_UP]);
    expect((await service.syncNow([bobId]))[0]?.ok).toBe(true);
    // Still one row: the follow-up, for a conversation of 3 (the original, Bob's reply, the follow-up).
    const row = grid().getByRole('row', { name: /Alice.*conversation of 3, 1 unread$/ });
    await row.waitFor();
    expect(await rows().count()).toBe(1);
    const aliceBefore = places(aliceId);

    await row.click();
    await page.keyboard.press('Delete');
    await toast().getByText('Moved 2 messages to Trash.').waitFor();
    await expect.poll(() => places(bobId)).toEqual(['Sent: Re: Boat trip on Sunday', 'Trash: Boat trip on Sunday', 'Trash: Re: Boat trip on Sunday']);
    await expect.poll(() => rows().count()).toBe(0);
    expect(places(aliceId)).toEqual(aliceBefore);

    await toast().getByRole('button', { name: 'Undo' }).click();
    await toast().getByText('Undone: moved 2 messages to Trash.').waitFor();
    await expect.poll(() => places(bobId)).toEqual(['INBOX: Boat trip on Sunday', 'INBOX: Re: Boat trip on Sunday', 'Sent: Re: Boat trip on Sunday']);
    await grid().getByRole('row', { name: /conversation of 3/ }).waitFor();
    expect(await rows().count()).toBe(1);

    // The reading pane's buttons act on the message open there alone.
    await grid().getByRole('row', { name: /conversation of 3/ }).click();
    const reader = page.getByRole('region', { name: 'Message' });
    await reader.getByRole('heading', { name: 'Re: Boat trip on Sunday' }).waitFor();
    await reader.getByRole('toolbar', { name: 'Message actions' }).getByRole('button', { name: 'Move to Trash' }).click();
    await toast().getByText('Moved 1 message to Trash.').waitFor();
    await expect.poll(() => places(bobId)).toEqual(['INBOX: Boat trip on Sunday', 'Sent: Re: Boat trip on Sunday', 'Trash: Re: Boat trip on Sunday']);
    // The conversation's row stays for what is left of it here (the original; Trash is not counted).
    await grid().getByRole('row', { name: /Boat trip on Sunday.*conversation of 2/ }).waitFor();
    expect(app.pageErrors).toEqual([]);
  });

  it('u marks the whole conversation here unread; the selection counts its messages; dragging its row onto Archive moves its Inbox messages there', async () => {
    await page.keyboard.press('Control+z');
    await toast().getByText('Undone: moved 1 message to Trash.').waitFor();
    const row = () => grid().getByRole('row', { name: /conversation of 3/ });
    await row().click();
    await page.keyboard.press('u');
    // Both of its Inbox messages (opened, so read); Bob's reply in Sent is not in this folder.
    await toast().getByText('Marked 2 messages as unread.').waitFor();
    await grid().getByRole('row', { name: /conversation of 3, 2 unread$/ }).waitFor();

    // Two rows selected, a conversation and a message of its own: the summary counts the 3 messages its buttons act on.
    await app.dc.deliver('bob', [mail([ALICE, 'To: bob@popbox.test', 'Subject: Garden party', 'Date: 04 Nov 2026 08:00:00 +0000', 'Message-ID: <garden@popbox.test>'], 'Bring a chair.')]);
    expect((await service.syncNow([bobId]))[0]?.ok).toBe(true);
    await grid().getByRole('row', { name: /Garden party/ }).waitFor();
    await row().click();
    await page.keyboard.press('Control+a');
    await page.getByRole('heading', { name: '3 messages selected' }).waitFor();
    await page.keyboard.press('Escape');

    await drag(row(), folder('Archive', 'Bob'));
    await toast().getByText('Moved 2 messages to Archive.').waitFor();
    await expect.poll(() => places(bobId)).toEqual(['Archive: Boat trip on Sunday', 'Archive: Re: Boat trip on Sunday', 'INBOX: Garden party', 'Sent: Re: Boat trip on Sunday']);
    await expect.poll(() => rows().count()).toBe(1);
    expect(app.pageErrors).toEqual([]);
  });
});
