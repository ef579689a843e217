/**
 * Chinese and Japanese search in real Chromium, against the web host and a real Dovecot: a word
 * typed into the box is found inside the sentence it stands in (no spaces around it), deep in a
 * GB2312 plain-text body, a UTF-8 HTML body and an ISO-2022-JP body; the list's snippet marks just
 * that word, and so does the reading pane (in the page for plain text, inside the sandboxed frame
 * for HTML), not the whole sentence.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { messageFrame, requireChromium } from '../support/browser.js';
import { dovecotUnavailable } from '../support/dovecot.js';
import { openSearchPage, type SearchPage } from '../support/search-page.js';
import type { WebApp } from '../support/webapp.js';

const unavailable = dovecotUnavailable();
if (unavailable && process.env.CI) throw new Error(`Dovecot is required in CI: ${unavailable}`);
if (unavailable) console.warn(`Skipping the Chinese/Japanese search browser suite: ${unavailable}`);
const suite = unavailable || !requireChromium('the Chinese/Japanese search browser suite') ? describe.skip : describe;

const head = (from: string, subject: string, day: number, type: string, cte: string): string =>
  `From: ${from}\r\nTo: bob@example.net\r\nSubject: ${subject}\r\nDate: Mon, ${String(day).padStart(2, '0')} Jun 2026 10:00:00 +0800\r\n` +
  `Message-ID: <rcjk${day}@example.cn>\r\nMIME-Version: 1.0\r\nContent-Type: ${type}\r\nContent-Transfer-Encoding: ${cte}\r\n\r\n`;

/** Text before the match, so the list's stored first lines do not hold it: main's snippet must. */
const PREFACE_ZH = '本周的工作总结如下，请大家查收并提出意见。'.repeat(12);

/** GB2312, 8-bit: the preface, then "明天的会议改到三点，地点不变。" (the meeting tomorrow moves to three). */
const GB2312_PLAIN = Buffer.concat([
  Buffer.from(head('Li Na <li@example.cn>', 'Weekly notes', 2, 'text/plain; charset=gb2312', '8bit')),
  // "本周的工作总结如下，请大家查收并提出意见。" × 12 and the sentence, encoded by Python's gb2312 codec.
  Buffer.from(`${'b1bed6dcb5c4b9a4d7f7d7dcbde1c8e7cfc2a3acc7ebb4f3bcd2b2e9cad5b2a2cce1b3f6d2e2bcfba1a3'.repeat(12)}0d0ac3f7ccecb5c4bbe1d2e9b8c4b5bdc8fdb5e3a3acb5d8b5e3b2bbb1e4a1a30d0a`, 'hex'),
]);

/** UTF-8 HTML: the preface, then the meeting in a table cell. */
const UTF8_HTML = Buffer.from(
  head('Wang Wei <wang@example.cn>', 'Project status', 3, 'text/html; charset=utf-8', '8bit') +
    `<html><body><p>${PREFACE_ZH}</p><table><tr><td>下周一的项目会议取消了。</td></tr></table></body></html>\r\n`,
);

/** ISO-2022-JP, 7-bit: "皆様\n明日の会議は三時に変更します。コーヒーを用意します。\nよろしくお願いします。" */
const ISO2022_JA = Buffer.from(
  head('Tanaka <tanaka@example.jp>', 'Schedule', 4, 'text/plain; charset=ISO-2022-JP', '7bit') +
    "\x1b$B3'MM\x1b(B\r\n\x1b$BL@F|$N2q5D$O;0;~$KJQ99$7$^$9!#%3!<%R!<$rMQ0U$7$^$9!#\x1b(B\r\n\x1b$B$h$m$7$/$*4j$$$7$^$9!#\x1b(B\r\n",
  'latin1',
);

/** 会 but not 会议: must not be listed for 会议. */
const KAIHUI = Buffer.from(head('Zhao <zhao@example.cn>', 'Beijing trip', 5, 'text/plain; charset=utf-8', '8bit') + '我们下周在北京开会，请订机票。\r\n');

suite('Chinese and Japanese search in Chromium', () => {
  let app: WebApp;
  let page: Page;
  let at: SearchPage;
  const messages = () => at.messages();
  const row = (subject: string) => at.row(subject);
  const reader = () => at.reader();
  const box = () => at.box();

  beforeAll(async () => {
    at = await openSearchPage([GB2312_PLAIN, UTF8_HTML, ISO2022_JA, KAIHUI]);
    ({ app, page } = at);
  }, 120_000);

  afterAll(() => app?.close());

  it('Get Mail brings the four messages', async () => {
    await at.getMail(4);
  });

  it('会议 lists the two messages that have it inside a sentence, with just the word marked in each snippet', async () => {
    await box().fill('会议');
    await expect.poll(() => messages().count()).toBe(2);
    await row('Weekly notes').waitFor();
    await row('Project status').waitFor();
    for (const subject of ['Weekly notes', 'Project status']) {
      await expect.poll(() => row(subject).locator('.snippet mark').allTextContents()).toEqual(['会议']);
    }
  });

  it('opened, the GB2312 plain-text body has 会议 marked in the reading pane', async () => {
    await row('Weekly notes').click();
    await reader().getByRole('heading', { name: /Weekly notes/ }).waitFor();
    const hit = reader().locator('.plain-body mark');
    await expect.poll(() => hit.allTextContents()).toEqual(['会议']);
    // The sentence around it is shown whole, unmarked.
    expect(await reader().locator('.plain-body').textContent()).toContain('明天的会议改到三点');
  });

  it('opened, the HTML body has 会议 marked inside the sandboxed frame', async () => {
    await row('Project status').click();
    await reader().getByRole('heading', { name: /Project status/ }).waitFor();
    const frame = await messageFrame(page);
    const hit = frame.locator('mark[data-popbox-hit]');
    await expect.poll(() => hit.allTextContents()).toEqual(['会议']);
    expect(await hit.first().isVisible()).toBe(true);
  });

  it('三時 finds the ISO-2022-JP message and marks the word, and 開会 finds nothing', async () => {
    await box().fill('三時');
    await expect.poll(() => messages().count()).toBe(1);
    await row('Schedule').click();
    await reader().getByRole('heading', { name: /Schedule/ }).waitFor();
    await expect.poll(() => reader().locator('.plain-body mark').allTextContents()).toEqual(['三時']);
    await box().fill('開会');
    await page.getByText(/No messages match/).first().waitFor();
    expect(await messages().count()).toBe(0);
    expect(app.pageErrors).toEqual([]);
  });
});
