/**
 * The whole app for a browser test: a private Dovecot with one user, MailService on a temp data
 * directory, the web host serving the built renderer, and a Chromium page. One close() stops
 * all of it.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { MailService } from '../../electron/core/mail-service.js';
import { MemorySecretStore } from '../../electron/core/secrets/index.js';
import { startWebHost, type WebHost, type WebHostOptions } from '../../electron/webhost/server.js';
import { buildRenderer, launchChromium } from './browser.js';
import { startDovecot, type DovecotOptions, type DovecotServer } from './dovecot.js';

export interface WebApp {
  dc: DovecotServer;
  dataDir: string;
  service: MailService;
  host: WebHost;
  browser: Browser;
  page: Page;
  /** Uncaught errors in the page. */
  pageErrors: string[];
  close(): Promise<void>;
}

export interface WebAppOptions {
  user: { name: string; password: string };
  /** Before the host starts: deliver mail, add accounts, sync. */
  prepare?: (dc: DovecotServer, service: MailService) => Promise<void>;
  remote?: WebHostOptions['remote'];
  scheduler?: boolean;
  /** More Dovecot settings (e.g. `lmtp` and more users, for a Postfix in front of it). */
  dovecot?: DovecotOptions;
  /** Answers main's native questions (delete on the server, send again), as the person would. */
  confirm?: WebHostOptions['confirm'];
  /** The pause after Cancel before the same question is asked again: 0 here (tests answer at once), unless a test sets it. */
  pauseAfterCancelMs?: number;
  /** Main's clock (a test moves it past a time window); Date.now by default. */
  now?: () => number;
}

export async function startWebApp(opts: WebAppOptions): Promise<WebApp> {
  const [staticDir, dc] = await Promise.all([buildRenderer(), startDovecot({ users: [opts.user], ...opts.dovecot })]);
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'popbox-webapp-'));
  const service = await MailService.open({ dataDir, secrets: new MemorySecretStore(), ...(opts.now ? { now: opts.now } : {}) });
  await opts.prepare?.(dc, service);
  if (opts.scheduler) service.startScheduler();
  const host = await startWebHost({ service, staticDir, downloadsDir: path.join(dataDir, 'downloads'), ...(opts.remote ? { remote: opts.remote } : {}), ...(opts.confirm ? { confirm: opts.confirm } : {}), pauseAfterCancelMs: opts.pauseAfterCancelMs ?? 0 });
  const browser = await launchChromium();
  const page = await browser.newPage({ viewport: { width: 1280, height: 880 } });
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  return {
    dc,
    dataDir,
    service,
    host,
    browser,
    page,
    pageErrors,
    async close() {
      await browser.close();
      await host.close();
      await service.close();
      await dc.stop();
      await fs.rm(dataDir, { recursive: true, force: true });
    },
  };
}
