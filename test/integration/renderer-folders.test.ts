/**
 * Folders in real Chromium (issue 14 §2), against the web host and a real Dovecot: create a
 * folder, drag three messages into it, move one with `m`, archive one with `a`, undo both, rename
 * the folder and delete it (its mail goes to Trash), empty Trash; the sidebar's counts follow at
 * each step, and main's store says the same. A drop onto another account's folder is refused.
 */
import path from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MailService } from '../../electron/core/mail-service.js';
import { requireChromium } from '../support/browser.js';
import { dovecotUnavailable } from '../support/dovecot.js';
import { startWebApp, type WebApp } from '../support/webapp.js';

const unavailable = dovecotUnavailable();
if (unavailable && process.env.CI) throw new Error(`Dovecot is required in CI: ${unavailable}`);
if (unavailable) console.warn(`Skipping the folders browser suite: ${unavailable}`);
const suite = unavailable || !requireChromium('the folders browser suite') ? describe.skip : describe;

function mail(day: number, subject: string, from: string): Buffer {
  return Buffer.from(
    [
      `From: ${from}`,
      'To: bob@popbox.test',
      `Subject: ${subject}`,
      `Date: ${String(day).padStart(2, '0')} Nov 2026 10:00:00 +0000`,
      `Message-ID: <f${day}@example.org>`,
      'Content-Type: text/plain; charset=utf-8',
      '',
      `Body of ${subject}.`,
      '',
    ].join('\n'),
  );
}

const MAIL = [
  mail(1, 'Team offsite', 'Olga <olga@example.org>'),
  mail(2, 'Lunch on Friday', 'Ann <ann@example.org>'),
  mail(3, 'Quarterly report', 'Carol <carol@example.org>'),
  mail(4, 'Holiday photos', 'Dave <dave@example.org>'),
  mail(5, 'Garden club', 'Erin <erin@example.org>'),
  mail(6, 'Invoice 42', 'Shop <shop@example.org>'),
];

suite('folders in Chromium', () => {
  let app: WebApp;
  let service: MailService;
  let page: Page;

  const grid = () => page.getByRole('grid', { name: 'Messages' });
  const messages = () => grid().getByRole('row');
  const row = (subject: string) => grid().getByRole('row', { name: new RegExp(subject) });
  const sidebar = () => page.getByRole('navigation', { name: 'Folders' });
  const account = (name: string) => sidebar().getByRole('region', { name });
  /** A folder of an account by its name as shown (the name, then its count if any). */
  const folder = (name: string, of = 'Bob') => account(of).locator('button.folder').filter({ has: page.locator('.folder-label', { hasText: new RegExp(`^${name}$`) }) });
  /** The folder's badge as the sidebar shows it (0 when there is none). */
  const badge = async (f: Locator) => {
    const b = f.locator('.badge');
    return (await b.count()) === 0 ? 0 : Number(await b.textContent());
  };
  const stored = (subject: string) => service.messages().find((m) => m.summary.subject === subject);
  const where = (subject: string) => stored(subject)?.folder;
  const toast = () => page.locator('.toast');
  /** POPBOX_SCREENSHOTS=DIR keeps pictures of the screens for people to look at. */
  const shot = async (name: string) => {
    if (process.env.POPBOX_SCREENSHOTS) await page.screenshot({ path: path.join(process.env.POPBOX_SCREENSHOTS, `folders-${name}.png`) });
  };
  const reader = () => page.getByRole('region', { name: 'Message' });
  const unified = () => sidebar().getByRole('button', { name: /^Unified Inbox/ });
  /** Drag with the mouse, so the drop target can be seen highlighted while the pointer is over it. */
  const drag = async (from: Locator, to: Locator, whileOver?: () => Promise<void>) => {
    await from.hover();
    await page.mouse.down();
    const b = (await to.boundingBox())!;
    await page.mouse.move(b.x + b.width / 2, b.y + b.height / 2, { steps: 8 });
    await page.mouse.move(b.x + b.width / 2 + 2, b.y + b.height / 2, { steps: 2 });
    await whileOver?.();
    await page.mouse.up();
  };

  beforeAll(async () => {
    app = await startWebApp({
      user: { name: 'bob', password: 'bob-pw' },
      prepare: async (server, svc) => {
        await server.deliver('bob', MAIL);
        await svc.addAccount(
          { name: 'Bob', host: '127.0.0.1', port: server.tlsPort, security: 'tls', user: 'bob', tlsFingerprint: server.fingerprint256, password: { source: 'keychain' } },
          'bob-pw',
        );
        // A second account that never checks: its folders are there to refuse Bob's mail.
        await svc.addAccount({ name: 'Carol', host: '127.0.0.1', port: 9, security: 'tls', user: 'carol', checkAtStartup: false, password: { source: 'keychain' } }, 'carol-pw');
        const outcomes = await svc.syncNow([svc.listAccounts()[0]!.id]);
        expect(outcomes[0]?.ok).toBe(true);
      },
    });
    ({ service, page } = app);
    page.setDefaultTimeout(60_000);
    await page.goto(app.host.url);
    await row('Team offsite').waitFor({ timeout: 30_000 });
  }, 120_000);

  afterAll(() => app?.close());

  it('refuses a drop onto another account’s folder, and nothing moves', async () => {
    await folder('Inbox').click();
    await expect.poll(() => messages().count()).toBe(6);
    const target = folder('Inbox', 'Carol');
    await drag(row('Team offsite'), target, async () => {
      await expect.poll(() => target.getAttribute('class')).toMatch(/drop-refused/);
    });
    await expect.poll(() => target.getAttribute('class')).not.toMatch(/drop-/);
    expect(where('Team offsite')).toBe('INBOX');
    expect(await messages().count()).toBe(6);
  });

  it('create, drag three in, m, a, undo twice, rename, delete, empty Trash: the counts follow', async () => {
    await folder('Inbox').click();
    await expect.poll(() => badge(folder('Inbox'))).toBe(6);
    expect(await page.title()).toBe('Inbox — Bob — Popbox');

    // A new folder: a name the store refuses is explained in plain words first.
    // The account's "+" shows while the pointer is on the account.
    await account('Bob').locator('.account-head').hover();
    await page.getByRole('button', { name: 'New folder in Bob' }).click();
    const create = page.getByRole('dialog', { name: 'New folder' });
    await create.getByLabel('Folder name').fill('Inbox');
    await create.getByRole('alert').getByText(/“Inbox” is taken by the inbox itself/).waitFor();
    await create.getByLabel('Folder name').fill(' Projects');
    await create.getByRole('alert').getByText(/cannot begin or end with a space/).waitFor();
    await create.getByLabel('Folder name').fill('Projects');
    await create.getByLabel('Folder name').press('Enter');
    await expect.poll(() => create.count()).toBe(0);
    await folder('Projects').waitFor();
    expect(service.snapshot().folders.find((f) => f.folders.some((x) => x.key === 'Projects'))).toBeDefined();

    // Three selected (Ctrl+click selects without opening, so they stay unread), dragged by one of them.
    for (const s of ['Invoice 42', 'Garden club', 'Holiday photos']) await row(s).click({ modifiers: ['Control'] });
    await page.getByRole('heading', { name: '3 messages selected' }).waitFor();
    await drag(row('Garden club'), folder('Projects'), async () => {
      await expect.poll(() => folder('Projects').getAttribute('class')).toMatch(/drop-target/);
    });
    await expect.poll(() => messages().count()).toBe(3);
    await expect.poll(() => badge(folder('Projects'))).toBe(3);
    expect(['Invoice 42', 'Garden club', 'Holiday photos'].map(where)).toEqual(['Projects', 'Projects', 'Projects']);
    await toast().getByText('Moved 3 messages to Projects.').waitFor();
    await shot('moved');
    // As after a delete, the next message opens (and is read): the Inbox counts 2 unread, not 3.
    await reader().getByRole('heading', { name: 'Quarterly report' }).waitFor();
    await expect.poll(() => badge(folder('Inbox'))).toBe(2);
    await expect.poll(() => badge(unified())).toBe(2);

    // A search of all folders finds them there, and says where each one is.
    await page.getByRole('searchbox').fill('Garden');
    await grid().getByText(/No messages match/).waitFor();
    await page.getByRole('button', { name: 'All folders' }).click();
    await expect.poll(() => row('Garden club').getAttribute('aria-label')).toMatch(/, in Bob › Projects$/);
    await page.getByRole('heading', { name: 'Search of all folders' }).waitFor();
    await shot('search-all');
    await page.getByRole('searchbox').fill('');

    // In Projects: m moves one back to the Inbox through the picker, typed and chosen by keyboard.
    await folder('Projects').click();
    await page.getByRole('heading', { name: 'Projects — Bob' }).waitFor();
    expect(await page.title()).toBe('Projects — Bob — Popbox');
    await expect.poll(() => messages().count()).toBe(3);
    await row('Garden club').click({ modifiers: ['Control'] });
    await page.keyboard.press('m');
    const picker = page.getByRole('dialog', { name: 'Move 1 message to…' });
    // Escape closes it and the list has the focus again, as before m (walkthrough m8: it was
    // left on the page's body, so the next key reached no list): m opens it again.
    await picker.getByRole('combobox', { name: 'Folder' }).waitFor();
    await page.keyboard.press('Escape');
    await expect.poll(() => picker.count()).toBe(0);
    expect(await page.evaluate(`document.activeElement?.getAttribute('role')`)).toBe('grid');
    await page.keyboard.press('m');
    await picker.getByRole('combobox', { name: 'Folder' }).fill('inb');
    await expect.poll(() => picker.getByRole('option').allTextContents()).toEqual(['Inbox']);
    await shot('picker');
    await page.keyboard.press('Enter');
    await expect.poll(() => picker.count()).toBe(0);
    await expect.poll(() => where('Garden club')).toBe('INBOX');
    await expect.poll(() => messages().count()).toBe(2);
    // Holiday photos, the next one, is open and read; Invoice 42 is the one unread left.
    await reader().getByRole('heading', { name: 'Holiday photos' }).waitFor();
    await expect.poll(() => badge(folder('Projects'))).toBe(1);
    await expect.poll(() => badge(folder('Inbox'))).toBe(3);

    // a archives the open message into Archive/2026 (its year), which appears under Archive.
    await page.keyboard.press('a');
    await expect.poll(() => where('Holiday photos')).toBe('Archive.2026');
    await folder('2026').waitFor();
    await shot('archived');
    await expect.poll(() => messages().count()).toBe(1);
    await toast().getByText('Archived 1 message.').waitFor();
    // Invoice 42 opened in its place: nothing unread is left in Projects.
    await expect.poll(() => badge(folder('Projects'))).toBe(0);

    // Ctrl+Z takes back the archive (the note then has no Undo button: it would take back a step it
    // does not name); Ctrl+Z again takes back the move.
    await grid().focus();
    await page.keyboard.press('Control+z');
    await expect.poll(() => where('Holiday photos')).toBe('Projects');
    await toast().getByText('Undone: archived 1 message.').waitFor();
    expect(await toast().getByRole('button', { name: 'Undo' }).count()).toBe(0);
    await expect.poll(() => messages().count()).toBe(2);
    await page.keyboard.press('Control+z');
    await expect.poll(() => where('Garden club')).toBe('Projects');
    await toast().getByText('Undone: moved 1 message to Inbox.').waitFor();
    await expect.poll(() => messages().count()).toBe(3);
    await expect.poll(() => badge(folder('Projects'))).toBe(1);
    await expect.poll(() => badge(folder('Inbox'))).toBe(2);

    // Rename: the list follows the folder it shows.
    await folder('Projects').click({ button: 'right' });
    await page.getByRole('menu', { name: 'Projects' }).getByRole('menuitem', { name: 'Rename…' }).click();
    const rename = page.getByRole('dialog', { name: 'Rename “Projects”' });
    await rename.getByLabel('Folder name').fill('Clients');
    await rename.getByRole('button', { name: 'Rename' }).click();
    await expect.poll(() => rename.count()).toBe(0);
    await folder('Clients').waitFor();
    expect(await folder('Projects').count()).toBe(0);
    await expect.poll(() => badge(folder('Clients'))).toBe(1);
    await expect.poll(() => messages().count()).toBe(3);
    await page.getByRole('heading', { name: 'Clients — Bob' }).waitFor();
    expect(['Invoice 42', 'Garden club', 'Holiday photos'].map(where)).toEqual(['Clients', 'Clients', 'Clients']);

    // Delete asks first, saying how many messages go to Trash; Cancel keeps it.
    await folder('Clients').click({ button: 'right' });
    await page.getByRole('menu', { name: 'Clients' }).getByRole('menuitem', { name: 'Delete…' }).click();
    let ask = page.getByRole('dialog', { name: 'Delete the folder “Clients”?' });
    await ask.getByText('The 3 messages in “Clients” go to Trash, where you can still restore them.').waitFor();
    await shot('delete-folder');
    await ask.getByRole('button', { name: 'Cancel' }).click();
    await expect.poll(() => ask.count()).toBe(0);
    expect(where('Invoice 42')).toBe('Clients');
    await folder('Clients').click({ button: 'right' });
    await page.getByRole('menu', { name: 'Clients' }).getByRole('menuitem', { name: 'Delete…' }).click();
    ask = page.getByRole('dialog', { name: 'Delete the folder “Clients”?' });
    await ask.getByRole('button', { name: 'Delete folder' }).click();
    await expect.poll(() => folder('Clients').count()).toBe(0);
    await expect.poll(() => ['Invoice 42', 'Garden club', 'Holiday photos'].map(where)).toEqual(['Trash', 'Trash', 'Trash']);
    await page.getByRole('heading', { name: 'Inbox — Bob' }).waitFor();
    await folder('Trash').click();
    await expect.poll(() => messages().count()).toBe(3);

    // Empty Trash says how many go for good and what happens on the server.
    await folder('Trash').click({ button: 'right' });
    await page.getByRole('menu', { name: 'Trash' }).getByRole('menuitem', { name: 'Empty Trash…' }).click();
    const empty = page.getByRole('dialog', { name: 'Empty Trash?' });
    await empty.getByText('All 3 messages in Bob’s Trash will be deleted for good. This cannot be undone.').waitFor();
    await empty.getByText(/does not keep mail on the server/).waitFor();
    await shot('empty-trash');
    await empty.getByRole('button', { name: 'Empty Trash' }).click();
    await expect.poll(() => service.messages({ accountId: service.listAccounts()[0]!.id }).length).toBe(3);
    await grid().getByText('Trash is empty.').waitFor();
    await expect.poll(() => badge(folder('Inbox'))).toBe(2);
    expect(app.pageErrors).toEqual([]);
  });

  it('Alt+drag copies into a folder; Ctrl+Z deletes the copy and leaves the original', async () => {
    const bob = service.listAccounts()[0]!.id;
    const count = (subject: string) => service.messages({ accountId: bob }).filter((m) => m.summary.subject === subject).length;
    await account('Bob').locator('.account-folder').click({ button: 'right' });
    await page.getByRole('menu', { name: 'Bob' }).getByRole('menuitem', { name: 'New folder…' }).click();
    const create = page.getByRole('dialog', { name: 'New folder' });
    // Opened from the menu, the dialog is ready to type in (walkthrough M3: focus was on Close, and a
    // space typed closed it, the rest of the keys reaching the app as shortcuts).
    await create.waitFor();
    await expect.poll(() => page.evaluate(`document.activeElement?.closest('label')?.textContent ?? document.activeElement?.textContent`)).toBe('Folder name');
    await page.keyboard.type('Keep it');
    expect(await create.getByLabel('Folder name').inputValue()).toBe('Keep it');
    await create.getByLabel('Folder name').fill('Keep');
    await create.getByRole('button', { name: 'Create' }).click();
    await folder('Keep').waitFor();
    await folder('Inbox').click();
    await expect.poll(() => messages().count()).toBe(3);
    await page.keyboard.down('Alt');
    await drag(row('Lunch on Friday'), folder('Keep'));
    await page.keyboard.up('Alt');
    await expect.poll(() => count('Lunch on Friday')).toBe(2);
    expect(
      service
        .messages({ accountId: bob })
        .filter((m) => m.summary.subject === 'Lunch on Friday')
        .map((m) => m.folder)
        .sort(),
    ).toEqual(['INBOX', 'Keep']);
    await toast().getByText('Copied 1 message to Keep.').waitFor();
    // The original stays in the list.
    expect(await messages().count()).toBe(3);
    await grid().focus();
    await page.keyboard.press('Control+z');
    await expect.poll(() => count('Lunch on Friday')).toBe(1);
    expect(where('Lunch on Friday')).toBe('INBOX');
    await toast().getByText('Undone: copied 1 message to Keep.').waitFor();
    expect(app.pageErrors).toEqual([]);
  });
});
