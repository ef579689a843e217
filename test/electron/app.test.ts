/**
 * The packaged shell end to end with Playwright's _electron: launch, add an account against a
 * real Dovecot, Get Mail, open a message, and check the security settings at runtime. Needs the
 * Electron binary, which build machines without internet do not have: run `npm run
 * test:electron` where it exists (it skips here, saying why). Not part of `npm test`.
 */
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { _electron, type ElectronApplication, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JS_FLAGS_SWITCH } from '../../electron/main/js-flags.js';
import { dovecotUnavailable, startDovecot, type DovecotServer } from '../support/dovecot.js';

const root = path.resolve(import.meta.dirname, '..', '..');
const electronDist = process.env.ELECTRON_DIST ?? path.join(root, 'node_modules', 'electron', 'dist');
const binary = path.join(electronDist, process.platform === 'win32' ? 'electron.exe' : process.platform === 'darwin' ? 'Electron.app/Contents/MacOS/Electron' : 'electron');
const why = !existsSync(binary)
  ? `no Electron binary at ${binary}: install without ELECTRON_SKIP_BINARY_DOWNLOAD (or set ELECTRON_DIST), then npm run build`
  : !existsSync(path.join(root, 'dist', 'preload', 'index.cjs'))
    ? 'the app is not built: run npm run build first'
    : dovecotUnavailable();
if (why) console.warn(`Skipping the Electron end-to-end suite: ${why}`);
const suite = why ? describe.skip : describe;

suite('Popbox in Electron', () => {
  let dc: DovecotServer;
  let dataDir: string;
  let app: ElectronApplication;
  let page: Page;

  beforeAll(async () => {
    dc = await startDovecot({ users: [{ name: 'bob', password: 'bob-pw' }] });
    await dc.deliver('bob', [Buffer.from('From: Ann <ann@example.org>\nTo: bob@example.org\nSubject: Hello from Dovecot\nDate: Fri, 27 Nov 2026 10:00:00 +0000\n\nHi Bob.\n')]);
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'popbox-electron-'));
    // As npm start and the desktop entries start it: V8's flags for the main process first.
    app = await _electron.launch({ executablePath: binary, args: [JS_FLAGS_SWITCH, root, '--no-sandbox'], env: { ...process.env, POPBOX_DATA_DIR: dataDir } });
    page = await app.firstWindow();
  }, 120_000);

  afterAll(async () => {
    await app?.close();
    await dc?.stop();
    if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
  });

  it('runs hardened: app:// origin, isolated sandboxed renderer, only window.popbox exposed', async () => {
    expect(await page.evaluate('location.origin')).toBe('app://popbox');
    expect(await page.evaluate('typeof process === "undefined" && typeof require === "undefined"')).toBe(true);
    const keys = (await page.evaluate('Object.keys(window.popbox).sort()')) as string[];
    expect(keys).toContain('listAccounts');
    expect(keys).not.toContain('invoke');
    // Internal but long-standing: the preferences the window's renderer actually got.
    const prefs = await app.evaluate(({ BrowserWindow }) => (BrowserWindow.getAllWindows()[0]!.webContents as unknown as { getLastWebPreferences(): Record<string, unknown> }).getLastWebPreferences());
    expect(prefs).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true });
    // Remote requests from the page are cancelled.
    expect(await page.evaluate('fetch("https://example.org/").then(() => "loaded", () => "blocked")')).toBe('blocked');
  });

  it('adds an account, gets mail and opens a message', async () => {
    await page.getByLabel('Email address').fill('bob@popbox.test');
    await page.getByLabel('Password').fill('bob-pw');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByLabel('Server', { exact: true }).fill('127.0.0.1');
    await page.getByLabel('Port').fill(String(dc.tlsPort));
    await page.getByLabel('User name').fill('bob');
    await page.getByRole('button', { name: 'Test connection' }).click();
    await page.getByRole('button', { name: 'Trust this certificate' }).click();
    await page.getByText(/Connection works/).waitFor();
    await page.getByRole('button', { name: 'Save account' }).click();
    const row = page.getByRole('grid', { name: 'Messages' }).getByRole('row', { name: /Hello from Dovecot/ });
    await row.waitFor({ timeout: 30_000 });
    await row.click();
    await page.getByRole('region', { name: 'Message' }).getByText('Hi Bob.').waitFor();
  });

  it('r opens a compose window of its own, as hardened as the main one; Escape closes it', async () => {
    await page.getByRole('grid', { name: 'Messages' }).focus();
    const [compose] = await Promise.all([app.waitForEvent('window'), page.keyboard.press('r')]);
    expect(compose.url()).toMatch(/^app:\/\/popbox\/index\.html#compose\?mode=reply&id=/);
    await expect.poll(() => compose.getByLabel('Subject').inputValue().catch(() => ''), { timeout: 15_000 }).toBe('Re: Hello from Dovecot');
    expect(await compose.evaluate('typeof process === "undefined" && typeof window.popbox.send === "function"')).toBe(true);
    const prefs = await app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows().map((w) => (w.webContents as unknown as { getLastWebPreferences(): Record<string, unknown> }).getLastWebPreferences()));
    expect(prefs).toHaveLength(2);
    for (const p of prefs) expect(p).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true });
    // No mail list behind it: the compose screen only.
    expect(await compose.getByRole('grid', { name: 'Messages' }).count()).toBe(0);
    await compose.keyboard.press('Escape');
    await compose.waitForEvent('close');
  });
});
