/**
 * The page the search browser suites (renderer-search, renderer-search-cjk) start from: the web
 * host over a real Dovecot where bob holds the given messages, an account "Bob" on it over TLS,
 * the message list drawn in Chromium, and the locators those suites read the screen with.
 */
import type { Locator, Page } from 'playwright-core';
import { expect } from 'vitest';
import { messageRow } from './browser.js';
import { startWebApp, type WebApp } from './webapp.js';

export interface SearchPage {
  app: WebApp;
  page: Page;
  grid(): Locator;
  /** The listed messages (not the row that says none match). */
  messages(): Locator;
  row(subject: string): Locator;
  reader(): Locator;
  box(): Locator;
  /** Get Mail, then wait until the list shows `count` messages. */
  getMail(count: number): Promise<void>;
}

export async function openSearchPage(bobHolds: Buffer[]): Promise<SearchPage> {
  const app = await startWebApp({
    user: { name: 'bob', password: 'bob-pw' },
    prepare: async (server, svc) => {
      await server.deliver('bob', bobHolds);
      await svc.addAccount({ name: 'Bob', host: '127.0.0.1', port: server.tlsPort, security: 'tls', user: 'bob', tlsFingerprint: server.fingerprint256, password: { source: 'keychain' } }, 'bob-pw');
    },
  });
  const page = app.page;
  page.setDefaultTimeout(60_000);
  const grid = () => page.getByRole('grid', { name: 'Messages' });
  const messages = () => grid().locator('[role="row"][data-id]');
  try {
    await page.goto(app.host.url);
    await grid().waitFor({ timeout: 30_000 });
  } catch (e) {
    await app.close();
    throw e;
  }
  return {
    app,
    page,
    grid,
    messages,
    row: (subject) => messageRow(page, subject),
    reader: () => page.getByRole('region', { name: 'Message' }),
    box: () => page.getByRole('searchbox'),
    getMail: async (count) => {
      await page.getByRole('button', { name: 'Get Mail' }).click();
      await expect.poll(() => messages().count(), { timeout: 30_000 }).toBe(count);
    },
  };
}
