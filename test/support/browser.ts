/**
 * Real Chromium for the renderer's tests (DESIGN §6): Debian's `chromium` driven by
 * playwright-core, the renderer built once per run by vite, served by the web host.
 */
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Frame, type Page } from 'playwright-core';
import { pidAlive } from './servers.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CHROMIUM = process.env.POPBOX_CHROMIUM ?? '/usr/bin/chromium';

/** Why the browser tests cannot run here, or null. */
export function chromiumUnavailable(): string | null {
  return existsSync(CHROMIUM) ? null : `Chromium not found at ${CHROMIUM}: apt-get install chromium (or set POPBOX_CHROMIUM)`;
}

/** A suite that needs Chromium: skipped with the reason on a developer's machine, fails in CI. */
export function requireChromium(suiteName: string): boolean {
  const why = chromiumUnavailable();
  if (why && process.env.CI) throw new Error(`Chromium is required in CI: ${why}`);
  if (why) console.warn(`Skipping ${suiteName}: ${why}`);
  return why === null;
}

export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];

/** Set by the integration project's global setup (test/support/integration-global.ts). */
export const SHARED_CHROMIUM_ENV = 'POPBOX_TEST_CHROMIUM_WS';
export const RENDERER_BUILD_ENV = 'POPBOX_TEST_RENDERER_BUILD';

/**
 * A browser for one test file: the run's shared Chromium when the global setup started one (its
 * close() closes this file's contexts and disconnects), else one of its own.
 */
export async function launchChromium(): Promise<Browser> {
  const shared = process.env[SHARED_CHROMIUM_ENV];
  if (shared) {
    try {
      return await chromium.connect(shared, { timeout: 15_000 });
    } catch (e) {
      // A shared browser that went away costs this file its own launch, not its tests.
      console.warn(`shared Chromium unreachable (${(e as Error).message.split('\n')[0]}): launching one for this file`);
    }
  }
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
}

/**
 * Chromium with a profile on disk, as Electron runs the app: unlike the throwaway contexts of
 * launchChromium(), it keeps V8's code cache, so a later page start does not compile the bundle again.
 */
export function launchChromiumProfile(userDataDir: string, viewport: { width: number; height: number }): Promise<BrowserContext> {
  return chromium.launchPersistentContext(userDataDir, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, viewport });
}

let built: Promise<string> | null = null;
/** Whether `built` is this process's own build (removeBuild deletes only that one). */
let ownBuild = false;

/** The renderer built into test/.tmp: the run's shared build when the global setup made one, else once per process. */
export function buildRenderer(): Promise<string> {
  const shared = process.env[RENDERER_BUILD_ENV];
  if (shared && !built) built = Promise.resolve(shared);
  built ??= (async () => {
    ownBuild = true;
    const tmp = path.join(root, 'test', '.tmp');
    // Builds of test processes that are gone are litter.
    for (const name of await fs.readdir(tmp).catch(() => [] as string[])) {
      const pid = Number(/^renderer-(\d+)$/.exec(name)?.[1]);
      if (pid && pid !== process.pid && !pidAlive(pid)) await fs.rm(path.join(tmp, name), { recursive: true, force: true });
    }
    const outDir = path.join(tmp, `renderer-${process.pid}`);
    const { build } = await import('vite');
    await build({ configFile: path.join(root, 'vite.config.ts'), logLevel: 'warn', build: { outDir, emptyOutDir: true, sourcemap: false } });
    return outDir;
  })();
  return built;
}

export async function removeBuild(): Promise<void> {
  if (!built) return;
  const dir = await built.catch(() => null);
  const own = ownBuild;
  built = null;
  ownBuild = false;
  if (dir && own) await fs.rm(dir, { recursive: true, force: true });
}

/** A row of the message list, by (part of) its subject. */
export function messageRow(page: Page, subject: string) {
  return page.getByRole('grid', { name: 'Messages' }).getByRole('row', { name: new RegExp(subject) });
}

/** The sandboxed frame showing the open message's HTML body, once it is there. */
export async function messageFrame(page: Page): Promise<Frame> {
  await page.getByTitle('Message body').waitFor();
  for (let i = 0; i < 100; i++) {
    const frame = page.frames().find((f) => f.url() === 'about:srcdoc');
    if (frame) return frame;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('no message frame');
}
