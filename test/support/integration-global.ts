/**
 * The integration project's global setup (vitest.config.ts). Each test file runs in a process of
 * its own, so every browser file used to build the renderer (about a second of vite) and launch a
 * Chromium (about a second, half a second more to close) again. Both are made once per run here
 * and handed to the files through the environment their processes inherit: buildRenderer()
 * returns the shared build, launchChromium() connects to the shared browser and gets a new,
 * isolated context per page as before. A file run outside vitest (the benchmarks) makes its own.
 */
import type { BrowserServer } from 'playwright-core';
import { chromium } from 'playwright-core';
import { buildRenderer, CHROMIUM, CHROMIUM_ARGS, chromiumUnavailable, removeBuild, RENDERER_BUILD_ENV, SHARED_CHROMIUM_ENV } from './browser.js';

let server: BrowserServer | null = null;

export async function setup(): Promise<void> {
  // No Chromium here: the browser files skip (or fail under CI) by themselves, as before.
  if (chromiumUnavailable()) return;
  // Both integration lanes (vitest.config.ts) name this setup, and vitest runs each project's in the
  // same process one after the other: the second finds the first's build and browser and uses them.
  if (process.env[SHARED_CHROMIUM_ENV]) return;
  const [dir, launched] = await Promise.all([buildRenderer(), chromium.launchServer({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS })]);
  server = launched;
  process.env[RENDERER_BUILD_ENV] = dir;
  process.env[SHARED_CHROMIUM_ENV] = server.wsEndpoint();
}

export async function teardown(): Promise<void> {
  delete process.env[SHARED_CHROMIUM_ENV];
  delete process.env[RENDERER_BUILD_ENV];
  await server?.close();
  server = null;
  await removeBuild();
}
