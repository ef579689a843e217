/**
 * Accounts, status and search in real Chromium against the web host and a real Dovecot (issue
 * 12 §5–6): what a new user trips over in the first hour. One app for the whole file, the
 * steps in order: a wrong password fixed in settings, a deletion preview, Get Mail's status
 * line, adding an account by hand with an ordinary name, mail arriving in an empty list, search.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MailService } from '../../electron/core/mail-service.js';
import { requireChromium } from '../support/browser.js';
import { dovecotUnavailable, type DovecotServer } from '../support/dovecot.js';
import { miniPop3, startFaultServer, type FaultServer } from '../support/fault-server.js';
import { startWebApp, type WebApp } from '../support/webapp.js';

const unavailable = dovecotUnavailable();
if (unavailable && process.env.CI) throw new Error(`Dovecot is required in CI: ${unavailable}`);
if (unavailable) console.warn(`Skipping the renderer accounts suite: ${unavailable}`);
const suite = unavailable || !requireChromium('the renderer accounts suite') ? describe.skip : describe;

function mail(n: number, subject: string, from: string, body = `Body of message ${n}.`): Buffer {
  return Buffer.from(
    [`From: ${from}`, 'To: alice@localhost', `Subject: ${subject}`, `Date: Tue, 0${n} Nov 2026 10:00:00 +0000`, `Message-ID: <a${n}@example.org>`, 'MIME-Version: 1.0', 'Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: 8bit', '', body, ''].join('\n'),
  );
}

function withAttachment(n: number): Buffer {
  return Buffer.from(
    [
      'From: Erin <erin@example.org>',
      'To: alice@localhost',
      'Subject: Report attached',
      `Date: Tue, 0${n} Nov 2026 10:00:00 +0000`,
      `Message-ID: <a${n}@example.org>`,
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="b1"',
      '',
      '--b1',
      'Content-Type: text/plain; charset=utf-8',
      '',
      'The report is attached.',
      '--b1',
      'Content-Type: text/plain; name="notes.txt"',
      'Content-Disposition: attachment; filename="notes.txt"',
      '',
      'Some notes.',
      '--b1--',
      '',
    ].join('\n'),
  );
}

const NAME = 'Alice at home';

/** A function of the element `el` that runs in the page (this file is type-checked without the DOM). */
function inPage(body: string): (el: unknown) => unknown {
  return new Function('el', body) as (el: unknown) => unknown;
}

suite('accounts, status and search in Chromium', () => {
  let app: WebApp;
  let dc: DovecotServer;
  let service: MailService;
  let page: Page;
  let stalled: FaultServer | undefined;
  let release!: () => void;

  const folders = () => page.getByRole('navigation', { name: 'Folders' });
  const messages = () => page.getByRole('grid', { name: 'Messages' }).getByRole('row');
  const status = () => page.getByRole('contentinfo', { name: 'Status' });
  const settings = () => page.getByRole('region', { name: 'Account settings' });
  /** Whether the element is on screen, inside every scrolling box around it (runs in the page). */
  const onScreen = (selector: string) =>
    page.locator(selector).evaluate(
      inPage(`
        const r = el.getBoundingClientRect();
        for (let box = el.parentElement; box; box = box.parentElement) {
          if (!/(auto|scroll|hidden)/.test(getComputedStyle(box).overflowY)) continue;
          const b = box.getBoundingClientRect();
          if (r.top < b.top - 1 || r.bottom > b.bottom + 1) return false;
        }
        return r.top >= 0 && r.bottom <= window.innerHeight;`),
    );

  beforeAll(async () => {
    app = await startWebApp({
      user: { name: 'alice', password: 'alice-pw' },
      scheduler: true,
      prepare: async (server, svc) => {
        await server.deliver('alice', [
          mail(1, 'Grüße aus Köln', 'Jürgen Müller <jm@example.de>'),
          mail(2, 'Invoice for März', 'Carol Example <carol@example.org>'),
          mail(3, 'Minutes: the exact phrase inside', 'Ann <ann@example.org>'),
          mail(4, 'Phrase, then the exact words apart', 'Dan <dan@example.org>'),
          withAttachment(5),
        ]);
        // The password is wrong: the first check at startup is refused.
        await svc.addAccount(
          { name: NAME, host: '127.0.0.1', port: server.tlsPort, security: 'tls', tlsFingerprint: server.fingerprint256, user: 'alice', leaveOnServer: true, deleteWhenDeletedLocally: true, password: { source: 'keychain' } },
          'wrong-pw',
        );
      },
    });
    ({ dc, service, page } = app);
  }, 120_000);

  afterAll(async () => {
    release?.();
    await app?.close();
    await stalled?.close();
  });

  it('keeps an account’s name whole beside "Needs password"', async () => {
    await page.goto(app.host.url);
    await expect.poll(() => status().getByText(/the server refused the user name or password/).count(), { timeout: 60_000 }).toBe(1);
    // The account's heading in the folders, with its sync state beside its name.
    const entry = folders().getByRole('region', { name: NAME }).locator('.account-folder');
    await entry.getByText('Needs password').waitFor();
    const label = entry.locator('.folder-label');
    expect(await label.evaluate((el) => el.scrollWidth <= el.clientWidth)).toBe(true);
  });

  it('shows a note (Undo\'s) above the status bar, never over it, when the bar has several lines', async () => {
    // Narrow: the password error wraps onto more lines than the 40 px the note used to leave.
    await page.setViewportSize({ width: 480, height: 700 });
    try {
      await page.getByRole('button', { name: 'Get Mail' }).focus();
      await page.keyboard.press('Control+z');
      const note = page.locator('.toast').getByText('Nothing to undo.');
      await note.waitFor();
      const bar = (await status().boundingBox())!;
      const toast = (await page.locator('.toast').boundingBox())!;
      expect(bar.height).toBeGreaterThan(40);
      expect(toast.y + toast.height).toBeLessThanOrEqual(bar.y);
      // Still on screen, centred over the list.
      expect(toast.y).toBeGreaterThan(0);
      expect(Math.abs(toast.x + toast.width / 2 - 240)).toBeLessThan(2);
    } finally {
      await page.setViewportSize({ width: 1280, height: 880 });
    }
  });

  it('warns when saving a password the test refused, and tries a fixed password at once', async () => {
    await status().getByRole('button', { name: 'Enter password' }).click();
    const form = settings();
    const password = form.getByLabel('Password', { exact: true });
    await expect.poll(() => password.evaluate(inPage('return el === document.activeElement;'))).toBe(true);

    await password.fill('still-wrong');
    await form.getByRole('button', { name: 'Test connection' }).click();
    await form.getByText('The server refused the user name or password.').waitFor({ timeout: 60_000 });
    await form.getByRole('button', { name: 'Save', exact: true }).click();
    await form.getByText(/Settings saved, but the server refused this password when you tested it/).waitFor();

    await password.fill('alice-pw');
    await form.getByRole('button', { name: 'Test connection' }).click();
    await form.getByText(/Connection works \(encrypted\): 5 messages/).waitFor({ timeout: 60_000 });
    await form.getByRole('button', { name: 'Save', exact: true }).click();
    // No Get Mail pressed: saving the credentials logs in, and the error goes.
    await form.getByText(/^Settings saved\. (?!Checking)/).waitFor({ timeout: 60_000 });
    expect(await form.getByText(/^Settings saved\. (?!Checking)/).textContent()).toBe('Settings saved. Popbox logged in and checked for mail.');
    await form.getByRole('button', { name: 'Done' }).click();
    await expect.poll(() => messages().count(), { timeout: 60_000 }).toBe(5);
    // The account's state reaches the page apart from its mail (main's hint, then the status read
    // back into the page's database): wait for what replaces the error (the bar says when mail was
    // last checked, only once every account's last check went well), then the error is gone. An
    // absence polled alone passed at the first moment it was absent, e.g. before the page had drawn.
    await status().getByText(/^Checked for mail (at|on) /).waitFor({ timeout: 60_000 });
    expect(await status().getByText(/refused/).count()).toBe(0);
    expect(await folders().getByText('Needs password').count()).toBe(0);
  });

  it('lists a message deleted here by its subject, sender and date among the server deletions to come', async () => {
    const invoice = service.messages().find((m) => m.summary.subject === 'Invoice for März')!;
    await service.moveToTrash(invoice.id);
    await service.deleteForGood([invoice.id]);
    await expect.poll(() => messages().count()).toBe(4);

    await page.getByRole('button', { name: 'Account settings' }).click();
    const preview = settings().getByRole('region', { name: 'Server deletions at the next check' });
    await preview.getByText('1 message will be deleted from the server:').waitFor();
    const item = preview.getByRole('listitem');
    await expect.poll(() => item.textContent()).toMatch(/^Invoice for März · Carol Example · .+ — deleted here$/);
    await settings().getByRole('button', { name: 'Done' }).click();
  });

  it('says what Get Mail deleted from the server, and the line goes after a while', async () => {
    // A page of its own, with a clock the test moves: nothing here waits for real time.
    const context = await app.browser.newContext({ viewport: { width: 1280, height: 880 } });
    try {
      await context.clock.install();
      const other = await context.newPage();
      await other.goto(app.host.url);
      const text = 'No new mail; 1 message deleted from the server.';
      // The page notes on its own clock when the line comes and goes: under load the test saw it
      // seconds after it came, and those seconds (the clock runs on) made a 9 s check fail.
      await other.evaluate(
        inPage(`
          const w = window;
          new MutationObserver(() => {
            const shown = document.querySelector('footer[aria-label="Status"]')?.textContent.includes(${JSON.stringify(text)});
            if (shown && w.shownAt === undefined) w.shownAt = Date.now();
            if (!shown && w.shownAt !== undefined && w.goneAt === undefined) w.goneAt = Date.now();
          }).observe(document.body, { subtree: true, childList: true, characterData: true });`),
      );
      await other.getByRole('button', { name: 'Get Mail' }).click();
      const line = other.getByRole('contentinfo', { name: 'Status' }).getByText(text);
      // That it came, from the page's own note, not the line: the installed clock runs on in real
      // time, and a test reaching here more than 10 s after the line came found it gone already.
      await expect.poll(() => other.evaluate(inPage('return window.shownAt !== undefined;')), { timeout: 60_000 }).toBe(true);
      expect((await dc.mailbox('alice')).length).toBe(4);
      await context.clock.fastForward('00:11');
      await expect.poll(() => line.count(), { timeout: 30_000 }).toBe(0);
      // Up for its 10 s, not cut short.
      const [shownAt, goneAt] = (await other.evaluate(inPage('return [window.shownAt, window.goneAt];'))) as [number, number];
      expect(goneAt - shownAt).toBeGreaterThanOrEqual(9_000);
    } finally {
      await context.close();
    }
  });

  it('adds an account the lookup cannot place, by hand, under an ordinary name, with the test result in view', async () => {
    await page.setViewportSize({ width: 1280, height: 600 });
    await page.getByRole('button', { name: 'Account settings' }).click();
    await settings().getByRole('button', { name: 'Add account' }).click();
    const add = page.getByRole('region', { name: 'Add account' });
    await add.getByRole('button', { name: 'Cancel' }).waitFor();
    await add.getByLabel('Email address').fill('alice@localhost');
    await add.getByLabel('Password').fill('alice-pw');
    await add.getByRole('button', { name: 'Continue' }).click();
    // No lookup for a domain without a dot: straight to the server's settings.
    await add.getByText('Enter your mail server’s settings below, then test the connection.').waitFor();
    await add.getByRole('button', { name: 'Cancel' }).waitFor();

    const name = add.getByLabel('Account name');
    await name.fill('ALICE AT HOME');
    await add.getByText(`There is already an account named “${NAME}”. Choose another name.`).waitFor();
    await name.fill('Bob (real mail)');
    await expect.poll(() => add.getByText(/already an account/).count()).toBe(0);

    await add.getByLabel('Server', { exact: true }).fill('127.0.0.1');
    await add.getByLabel('Security').selectOption('tls');
    await add.getByLabel('Port').fill(String(dc.tlsPort));
    await add.getByLabel('User name').fill('alice');
    await add.getByRole('button', { name: 'Test connection' }).click();
    await add.getByRole('button', { name: 'Trust this certificate' }).waitFor({ timeout: 60_000 });
    expect(await onScreen('.test-result')).toBe(true);
    await add.getByRole('button', { name: 'Trust this certificate' }).click();
    await add.getByText(/Connection works \(encrypted\)/).waitFor({ timeout: 60_000 });
    expect(await onScreen('.test-result')).toBe(true);
    await add.getByRole('button', { name: 'Save account' }).click();
    await expect.poll(() => service.listAccounts().map((a) => a.name)).toEqual([NAME, 'Bob (real mail)']);
    await page.setViewportSize({ width: 1280, height: 880 });
  });

  it('puts the accounts in the order the user chooses, in accounts.json and in the sidebar', async () => {
    const list = settings().getByRole('navigation', { name: 'Accounts' });
    await list.getByRole('button', { name: 'Move Bob (real mail) up' }).click();
    await expect.poll(() => service.listAccounts().map((a) => a.name)).toEqual(['Bob (real mail)', NAME]);
    const onDisk = JSON.parse(await readFile(path.join(app.dataDir, 'accounts.json'), 'utf8')) as { accounts: { name: string }[] };
    expect(onDisk.accounts.map((a) => a.name)).toEqual(['Bob (real mail)', NAME]);
    await expect.poll(() => list.getByRole('button', { name: /^Move .* up$/ }).first().getAttribute('aria-label')).toBe('Move Bob (real mail) up');
    await settings().getByRole('button', { name: 'Done' }).click();
    const names = await folders().locator('.account-folder .folder-label').allTextContents();
    expect(names).toEqual(['Bob (real mail)', NAME]);
  });

  it('makes switched-off settings look switched off', async () => {
    await page.getByRole('button', { name: 'Account settings' }).click();
    await settings().getByRole('button', { name: NAME, exact: true }).click();
    const days = settings().getByLabel('Days to keep on server');
    const every = settings().getByLabel('Check every (minutes)');
    expect(await days.isDisabled()).toBe(true);
    // Background, text colour, border and the label's colour (runs in the page).
    const look = inPage(`
      const s = getComputedStyle(el);
      const label = el.closest('.field')?.querySelector('label');
      return [s.backgroundColor, s.color, s.borderStyle, label ? getComputedStyle(label).color : ''].join('|');`);
    const [off, on] = [(await days.evaluate(look)) as string, (await every.evaluate(look)) as string];
    expect(off.split('|').filter((v, i) => v !== on.split('|')[i]).length).toBeGreaterThanOrEqual(3);
    await settings().getByRole('button', { name: 'Done' }).click();
  });

  it('says the download is under way in an empty list instead of "No messages yet"', async () => {
    const gate = new Promise<void>((resolve) => (release = resolve));
    const many = Array.from({ length: 5 }, (_, i) => Buffer.from(`From: f${i}@example.org\r\nSubject: Slow ${i}\r\n\r\nbody ${i}\r\n`));
    stalled = await startFaultServer((conn) =>
      miniPop3(conn, {
        messages: many,
        override: async (_c, verb, args) => {
          if (verb === 'RETR' && Number(args[0]) >= 3) await gate;
          return false;
        },
      }),
    );
    const slow = await service.addAccount(
      { name: 'Slow server', host: '127.0.0.1', port: stalled.port, security: 'plain', allowInsecureAuth: true, user: 'alice', pipelining: false, checkAtStartup: false, password: { source: 'keychain' } },
      'pw',
    );
    await page.reload();
    await folders().getByRole('region', { name: 'Slow server' }).getByRole('button', { name: /^Inbox/ }).click();
    const list = page.getByRole('grid', { name: 'Messages' });
    await list.getByText('No messages yet. Use Get Mail to check now.').waitFor();
    // Two messages in, the third held back by the server: the list is still empty.
    const syncing = service.syncNow([slow.id]);
    await expect.poll(() => list.getByText(/Downloading 2 of 5/).count(), { timeout: 60_000 }).toBe(1);
    expect(await list.getByText('No messages yet. Use Get Mail to check now.').count()).toBe(0);
    release();
    await syncing;
    await expect.poll(() => messages().count(), { timeout: 60_000 }).toBe(5);
    expect(service.messages({ accountId: slow.id })).toHaveLength(5);
    await folders().getByRole('button', { name: /^Unified Inbox/ }).click();
  });

  it('finds "Müller" by "muller", keeps quoted phrases whole, and says where it looked when nothing matches', async () => {
    const search = page.getByRole('searchbox');
    // Both accounts read the same mailbox: each subject once.
    const all = ['Grüße aus Köln', 'Minutes: the exact phrase inside', 'Phrase, then the exact words apart', 'Report attached', 'Invoice for März'];
    const subjects = async () => {
      const labels = await messages().evaluateAll((rows) => rows.map((r) => r.getAttribute('aria-label') ?? ''));
      return all.filter((s) => labels.some((l) => l.includes(s)));
    };
    // Main answers each search (under load, seconds later): each poll waits for it.
    const answered = { timeout: 30_000 };
    await search.fill('muller');
    await expect.poll(subjects, answered).toEqual(['Grüße aus Köln']);
    await search.fill('GRUSSE koln');
    await expect.poll(subjects, answered).toEqual(['Grüße aus Köln']);
    await search.fill('"the exact phrase"');
    await expect.poll(subjects, answered).toEqual(['Minutes: the exact phrase inside']);
    await search.fill('exact phrase');
    await expect.poll(async () => (await subjects()).sort(), answered).toEqual(['Minutes: the exact phrase inside', 'Phrase, then the exact words apart']);
    await search.fill('zebra');
    await page.getByText('No messages match “zebra” here. To look in every folder, use All folders.').waitFor();
    await search.fill('');
  });

  it('before removing an account that leaves nothing on the server, says its mail exists only here; Cancel keeps it', async () => {
    await page.getByRole('button', { name: 'Account settings' }).click();
    await settings().getByRole('button', { name: 'Slow server', exact: true }).click();
    await settings().getByRole('button', { name: 'Remove account' }).click();
    const ask = page.getByRole('dialog', { name: 'Remove the account “Slow server”?' });
    await ask.getByText(/exists only on this computer and will be gone for good/).waitFor();
    await ask.getByRole('button', { name: 'Cancel' }).click();
    await expect.poll(() => ask.count()).toBe(0);
    expect(service.listAccounts().map((a) => a.name)).toContain('Slow server');
    expect(await settings().getByRole('button', { name: 'Slow server', exact: true }).count()).toBe(1);
    await settings().getByRole('button', { name: 'Done' }).click();
  });

  it('says where a saved attachment went', async () => {
    await page.getByRole('grid', { name: 'Messages' }).getByRole('row', { name: /Report attached/ }).first().click();
    const reader = page.getByRole('region', { name: 'Message' });
    await reader.getByRole('button', { name: 'Save notes.txt' }).click();
    const where = path.join(app.dataDir, 'downloads', 'notes.txt');
    await reader.getByText(`Saved to ${where} (11 B).`).waitFor();
    expect(await readFile(where, 'utf8')).toBe('Some notes.');
    expect(app.pageErrors).toEqual([]);
  });
});
