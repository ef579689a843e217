/**
 * Reading mail in real Chromium (issue 12 §3), against the web host and a private Dovecot:
 * a newsletter whose <noscript> holds an unclosed <p> still shows its headline and articles;
 * text in no declared charset or a misspelled one reads as Thunderbird shows it; a headers-only
 * message tells its size on the server and offers the rest; allowed remote images that fail
 * to load are named in words.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatBytes } from '../../renderer/src/app/format.js';
import { messageFrame, messageRow, requireChromium } from '../support/browser.js';
import { dovecotUnavailable } from '../support/dovecot.js';
import { startWebApp, type WebApp } from '../support/webapp.js';
import { corpusFile } from '../support/spam-corpus.js';

const unavailable = dovecotUnavailable();
if (unavailable && process.env.CI) throw new Error(`Dovecot is required in CI: ${unavailable}`);
if (unavailable) console.warn(`Skipping the reading browser suite: ${unavailable}`);
const suite = unavailable || !requireChromium('the reading browser suite') ? describe.skip : describe;

const GIF = Buffer.from('R0lGODlhAQABAIAAAAAAAP///ywAAAAAAQABAAACAUwAOw==', 'base64');

/** A message from header lines and a body given as a binary string (one char per byte). */
function message(headers: string[], body: string): Buffer {
  return Buffer.from(`${['From: News <news@example.org>', 'To: bob@popbox.test', 'Date: Thu, 26 Nov 2026 12:00:00 +0000', 'MIME-Version: 1.0', ...headers].join('\n')}\n\n${body}\n`, 'latin1');
}

const newsletter = message(
  ['Subject: Weekly newsletter', 'Content-Type: text/html; charset=utf-8'],
  '<html><body><noscript><p>Images not showing? <a href="https://news.example/view">View online</a></noscript>' +
    '<h1 id="headline">Headline of the week</h1><div><p>First article: the garden in spring.</p></div><ul><li>Second article: tomatoes.</li></ul></body></html>',
);

const unlabelled = message(['Subject: Cafe menu', 'Content-Type: text/plain', 'X-Kitchen: Ren\xe9 \x96 chef'], 'Caf\xe9 cr\xe8me, \x93fresh\x94 \x80 3');
const big5Html = message(['Subject: Big5 page', 'Content-Type: text/html'], '<html><head><meta http-equiv="Content-Type" content="text/html; charset=CHINESEBIG5"></head><body><p id="zh">\xa4\xa4\xa4\xe5</p></body></html>');

/** A real message from the SpamAssassin corpus: labelled us-ascii, holding windows-1252 quotes. */
const corpusMessage = (): Promise<Buffer> => corpusFile('easy-ham-1/00439.982a2ff6189badfe70c2fe3c972466a2.txt');

// Over the account's 100 KB limit, so only its headers come down. LF line ends here; the server
// counts CRLF, and that is the size it announces.
const bigText = `${'All the details of the annual report, line after line.\n'.repeat(8000)}The end.`;
const big = message(['Subject: Annual report', 'Content-Type: text/plain; charset=utf-8'], bigText);
const bigOnServer = big.length + big.toString('latin1').split('\n').length - 1;

suite('reading mail in Chromium', () => {
  let app: WebApp;
  let page: Page;
  let images: http.Server;
  let imagesOrigin: string;

  const row = (subject: string) => messageRow(page, subject);
  const bodyFrame = () => messageFrame(page);
  const reader = () => page.getByRole('region', { name: 'Message' });
  const frameText = async () => (await bodyFrame()).evaluate<string>('document.body.innerText');

  beforeAll(async () => {
    images = http.createServer((req, res) => {
      if (req.url?.startsWith('/ok.gif')) res.writeHead(200, { 'content-type': 'image/gif' }).end(GIF);
      else res.writeHead(404, { 'content-type': 'text/plain' }).end('gone');
    });
    await new Promise<void>((r) => images.listen(0, '127.0.0.1', r));
    imagesOrigin = `http://127.0.0.1:${(images.address() as AddressInfo).port}`;
    const pictures = message(
      ['Subject: Holiday pictures', 'Content-Type: text/html; charset=utf-8'],
      `<p id="intro">Our holiday:</p><img src="${imagesOrigin}/ok.gif" alt="beach"><img src="${imagesOrigin}/missing-1.jpg" alt="hotel"><img src="${imagesOrigin}/missing-2.jpg" alt="pool">`,
    );

    app = await startWebApp({
      user: { name: 'bob', password: 'bob-pw' },
      remote: { allowPrivateAddresses: true },
      prepare: async (server, svc) => {
        await server.deliver('bob', [newsletter, unlabelled, big5Html, await corpusMessage(), big, pictures]);
        await svc.addAccount(
          {
            name: 'bob',
            host: '127.0.0.1',
            port: server.tlsPort,
            security: 'tls',
            user: 'bob',
            tlsFingerprint: server.fingerprint256,
            password: { source: 'keychain' },
            maxMessageSizeKB: 100,
          },
          'bob-pw',
        );
        const [outcome] = await svc.sync();
        expect(outcome?.ok).toBe(true);
      },
    });
    page = app.page;
    await page.goto(app.host.url);
  }, 120_000);

  afterAll(async () => {
    await app?.close();
    await new Promise((r) => images?.close(r));
  });

  it('shows the headline and articles after a <noscript> holding an unclosed <p>, and says what was removed', async () => {
    await row('Weekly newsletter').click();
    const frame = await bodyFrame();
    await frame.waitForSelector('#headline');
    const text = await frameText();
    expect(text).toContain('Headline of the week');
    expect(text).toContain('First article: the garden in spring.');
    expect(text).toContain('Second article: tomatoes.');
    expect(text).not.toContain('Images not showing');
    expect(await row('Weekly newsletter').textContent()).toContain('Headline of the week First article');
    await reader().getByRole('note').getByText('Removed for your safety: text for mail programs without scripts.').waitFor();
  });

  it('reads text without a usable charset as Thunderbird does, in the pane and the list alike', async () => {
    await row('Cafe menu').click();
    await reader().getByText('Café crème, “fresh” € 3').waitFor();
    expect(await row('Cafe menu').textContent()).toContain('Café crème, “fresh” € 3');
    // The source and the header view read the raw 8-bit bytes by the same rule.
    // Seldom-used actions are in the pane's More menu.
    await reader().getByRole('button', { name: 'More ▾' }).click();
    await page.getByRole('menu', { name: 'More actions' }).getByRole('menuitem', { name: 'View source' }).click();
    const source = page.getByRole('dialog', { name: 'Message source' });
    await source.getByText(/X-Kitchen: René – chef/).waitFor();
    expect(await source.textContent()).not.toContain('\ufffd');
    await page.keyboard.press('Escape');
    await source.waitFor({ state: 'detached' });

    await row('Big5 page').click();
    await (await bodyFrame()).waitForSelector('#zh');
    expect((await frameText()).trim()).toBe('中文');

    await row('Java is for kiddies').click();
    await reader().getByText(/What does this “C” statement do\?/).waitFor();
    expect(await reader().textContent()).not.toContain('\ufffd');
  });

  it("tells a headers-only message's size on the server and offers the rest", async () => {
    await row('Annual report').click();
    const size = formatBytes(bigOnServer);
    await reader().getByText(`Only the headers of this message were downloaded (${size} on the server).`).waitFor();
    expect(await reader().getByText('(This message has no text.)').count()).toBe(0);
    // One way to get the rest, with its size, not a second button in the banner.
    expect(await reader().getByRole('button', { name: /^Download the rest/ }).count()).toBe(1);
    await page.getByRole('button', { name: `Download the rest (${size})`, exact: true }).click();
    await reader().getByText('The end.').waitFor();
    expect(await reader().getByText('Only the headers of this message were downloaded').count()).toBe(0);
  });

  it('names allowed remote images that could not be loaded', async () => {
    await row('Holiday pictures').click();
    await (await bodyFrame()).waitForSelector('#intro');
    await page.getByRole('button', { name: 'Show remote content' }).click();
    await reader().getByText('2 remote images could not be loaded.').waitFor();
    // The one that did load is shown.
    const frame = await bodyFrame();
    await expect.poll(() => frame.evaluate<number>(`[...document.images].filter((i) => i.complete && i.naturalWidth > 0).length`)).toBe(1);
    expect(app.pageErrors).toEqual([]);
  });
});
