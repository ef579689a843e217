/**
 * Filters that act beyond this computer, saved from the Filters screen in real Chromium (DESIGN
 * §3.8: the renderer is untrusted): saving a filter that deletes on the server, or one that
 * forwards, asks the person natively in main (the web host's `confirm`, answered here as they
 * would), never in the page; Cancel saves nothing, and the screen says so.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConfirmQuestion } from '../../electron/core/contract-handler.js';
import { RulesFile } from '../../shared/rules.js';
import { requireChromium } from '../support/browser.js';
import { dovecotUnavailable } from '../support/dovecot.js';
import { startWebApp, type WebApp } from '../support/webapp.js';

const unavailable = dovecotUnavailable();
if (unavailable && process.env.CI) throw new Error(`Dovecot is required in CI: ${unavailable}`);
if (unavailable) console.warn(`Skipping the filter-confirmation browser suite: ${unavailable}`);
const suite = unavailable || !requireChromium('the filter-confirmation browser suite') ? describe.skip : describe;

suite('filters that reach beyond this computer ask natively (Chromium)', () => {
  let app: WebApp;
  let page: Page;
  const asked: ConfirmQuestion[] = [];
  let answer = false;

  const filters = () => page.getByRole('region', { name: 'Filters' });
  const editor = () => filters().getByRole('form');
  const rulesFile = () => path.join(app.dataDir, 'rules.json');
  const saved = async () => RulesFile.parse(JSON.parse(await fs.readFile(rulesFile(), 'utf8'))).rules;

  beforeAll(async () => {
    app = await startWebApp({
      user: { name: 'bob', password: 'bob-pw' },
      confirm: async (q) => {
        asked.push(q);
        return answer;
      },
      prepare: async (server, svc) => {
        await svc.addAccount(
          {
            name: 'Bob',
            email: 'bob@example.org',
            host: '127.0.0.1',
            port: server.tlsPort,
            security: 'tls',
            user: 'bob',
            tlsFingerprint: server.fingerprint256,
            leaveOnServer: true,
            password: { source: 'keychain' },
            // Never reached here: nothing arrives while the test runs.
            smtp: { host: '127.0.0.1', port: 9, security: 'tls', user: 'bob', password: { source: 'incoming' } },
            identities: [{ id: 'bob', name: 'Bob', address: 'bob@example.org' }],
          },
          'bob-pw',
        );
      },
    });
    ({ page } = app);
    page.setDefaultTimeout(60_000);
    await page.goto(app.host.url);
    await page.getByRole('button', { name: 'Account settings' }).waitFor({ timeout: 30_000 });
  }, 120_000);

  afterAll(() => app?.close());

  async function newFilter(name: string, subject: string) {
    await filters().getByRole('button', { name: 'New filter' }).click();
    await editor().getByLabel('Filter name').fill(name);
    await editor().getByLabel('Condition 1: value').fill(subject);
  }

  it('saving a delete-on-server filter asks natively: Cancel saves nothing, yes saves it', async () => {
    await page.getByRole('button', { name: 'Account settings' }).click();
    await page.getByRole('navigation', { name: 'Accounts' }).getByRole('button', { name: 'Filters' }).click();
    await filters().getByText('No filters yet.').waitFor();
    await newFilter('Purge newsletters', 'newsletter');
    await editor().getByLabel('Action 1: what to do').selectOption({ label: 'Delete from the server' });

    answer = false;
    await editor().getByRole('button', { name: 'Save' }).click();
    await filters().getByText('Filters not saved.').waitFor();
    expect(asked).toHaveLength(1);
    expect(asked[0]).toMatchObject({ title: 'Delete mail on the server?', message: expect.stringContaining('“Purge newsletters”') });
    await expect(fs.access(rulesFile())).rejects.toThrow();
    await filters().getByText('No filters yet.').waitFor();

    answer = true;
    await editor().getByRole('button', { name: 'Save' }).click();
    await filters().getByText('Saved the filter “Purge newsletters”.').waitFor();
    expect(asked).toHaveLength(2);
    expect((await saved()).map((r) => [r.name, r.actions])).toEqual([['Purge newsletters', [{ t: 'delete-on-server' }]]]);
  });

  it('saving a forward asks natively with the address: Cancel saves nothing; an address that is not one is marked before main is asked', async () => {
    asked.length = 0;
    await newFilter('Boss to phone', 'urgent');
    await editor().getByLabel('Action 1: what to do').selectOption({ label: 'Forward to' });
    await editor().getByLabel('Action 1: address').fill('me@phone.example, eve@evil.example');
    await editor().getByRole('button', { name: 'Save' }).click();
    await editor().getByRole('alert').getByText(/is not an email address: type one address/).waitFor();
    expect(asked).toEqual([]);

    await editor().getByLabel('Action 1: address').fill('me@phone.example');
    answer = false;
    await editor().getByRole('button', { name: 'Save' }).click();
    await filters().getByText('Filters not saved.').waitFor();
    expect(asked).toHaveLength(1);
    expect(asked[0]).toMatchObject({ title: 'Forward mail automatically?', message: expect.stringContaining('me@phone.example') });
    expect((await saved()).map((r) => r.name)).toEqual(['Purge newsletters']);
    expect(app.pageErrors).toEqual([]);
  });
});
