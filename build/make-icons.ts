/**
 * `npx tsx build/make-icons.ts`: every icon size from build/icon.svg, drawn by Chromium
 * (Debian's, through playwright-core). electron-builder makes .ico and .icns from these PNGs.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium } from '../test/support/browser.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const svg = await fs.readFile(path.join(here, 'icon.svg'), 'utf8');
const browser = await launchChromium();
try {
  for (const size of [16, 24, 32, 48, 64, 128, 256, 512, 1024]) {
    const page = await browser.newPage({ viewport: { width: size, height: size } });
    await page.setContent(`<html><body style="margin:0;background:transparent">${svg.replace('<svg ', `<svg width="${size}" height="${size}" `)}</body></html>`);
    await page.screenshot({ path: path.join(here, 'icons', `${size}x${size}.png`), omitBackground: true });
    await page.close();
  }
} finally {
  await browser.close();
}
console.log('icons written to build/icons/');
