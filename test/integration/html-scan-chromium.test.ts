/**
 * Where a tag ends, checked against real Chromium (review L3): odd tag shapes from mail
 * (`<a ="x>`, `<a b=="x>`, a stray quote, a `>` inside a quoted value…) are parsed by the
 * browser's own HTML parser in a page, and the text a reader sees there must be the text
 * main's htmlToText (search, snippets; shared/html-scan.ts's tagEnd) finds in them. Before the
 * fix, a quote after `=`-as-a-name or a second `=` was taken for a value and the rest of the
 * mail vanished from search.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { htmlToText } from '../../electron/core/mime/text.js';
import { launchChromium, requireChromium } from '../support/browser.js';

const suite = requireChromium('the tag-end check in Chromium') ? describe : describe.skip;

const SHAPES = [
  '<a ="x>',
  '<a b=="x>',
  '<a b= ="x>',
  '<a b=x ="y>',
  '<a href="x"">',
  '<a b=x"y>',
  `<a b=x'y c="z>w">`,
  '<span title=a=b"c>',
  '<a"b="c>',
  '<a b="x>y">',
  `<a b='x>y'>`,
  '<a b = "x>y">',
  '<a b\n=\n"x>y">',
  '<a b="x"c="y>z">',
  '<a/b="x>y">',
  `<a b="x"/c='>'>`,
  `<a b='x"y>z'>`,
  '<a b=>',
  '<a =>',
  '<a b c"d="e>',
  '<a b="x>',
  '<b =\'x>',
  '<i a=\'\'\'>',
];

/** Spaces as a reader sees them: runs of white space as one, none at the ends. */
const squash = (s: string) => s.replace(/\s+/g, ' ').trim();

suite('tag ends as Chromium reads them', () => {
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    browser = await launchChromium();
    page = await browser.newPage();
    await page.setContent('<html><body></body></html>');
  });

  afterAll(() => browser?.close());

  it('the text a reader sees in each odd tag shape is the text search reads', async () => {
    const docs = SHAPES.map((shape) => `<p>one ${shape}two</a></b></i></span> three <b>four</b> five</p>`);
    // In the page, Chromium's HTML parser (no scripts run in a parsed document). A string: this project's types have no DOM.
    const seen = (await page.evaluate(`(${JSON.stringify(docs)}).map((html) => new DOMParser().parseFromString(html, 'text/html').body.textContent)`)) as string[];
    const rows = docs.map((html, i) => ({ shape: SHAPES[i], chromium: squash(seen[i]!), popbox: squash(htmlToText(html)) }));
    expect(rows.filter((r) => r.chromium !== r.popbox)).toEqual([]);
    // The shapes do what they are for: most keep the text after them, an unclosed quote hides it in both.
    expect(rows.filter((r) => r.chromium === 'one two three four five').length).toBeGreaterThan(15);
    expect(rows.find((r) => r.shape === '<a b="x>')?.chromium).toBe('one');
  });
});
