/**
 * The CLI while Popbox runs (issue 14 §1): the web host holds the data directory, and `popbox`
 * (the built bundle, a child process, as cron runs it) runs its commands inside the host
 * through `<dataDir>/popbox.sock` instead of failing on the lock. What the command changes
 * reaches the host's MailService (and the open page, without a reload); what it prints and its
 * exit code are those of a run on its own; a bad client gets an error and the host serves on;
 * once the host closes, the CLI runs by itself again.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MailService } from '../../electron/core/mail-service.js';
import { MemorySecretStore } from '../../electron/core/secrets/index.js';
import { startWebHost, type WebHost } from '../../electron/webhost/server.js';
import { buildRenderer, launchChromium, requireChromium } from '../support/browser.js';
import { bundleCli } from '../support/cli-bundle.js';
import { dovecotUnavailable, startDovecot, type DovecotServer } from '../support/dovecot.js';
import { generateMessages } from '../support/mailgen.js';

const unavailable = dovecotUnavailable();
if (unavailable && process.env.CI) throw new Error(`Dovecot is required in CI: ${unavailable}`);
if (unavailable) console.warn(`Skipping the CLI-with-the-app suite: ${unavailable}`);
const suite = unavailable ? describe.skip : describe;
const withChromium = !unavailable && requireChromium('the page checks of the CLI-with-the-app suite');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

suite('popbox while the app runs', () => {
  let dc: DovecotServer;
  let base: string;
  let dataDir: string;
  let cliPath: string;
  let service: MailService;
  let secrets: MemorySecretStore;
  let host: WebHost | null = null;
  let browser: Browser | null = null;
  let page: Page | null = null;
  const events: string[] = [];
  /** What the CLI printed while the host ran, to compare with a run on its own afterwards. */
  const whileRunning: Record<string, Run> = {};

  /** `node <bundle> --data-dir DIR ARGS…`, with `input` on its standard input. */
  async function cli(args: string[], input?: string): Promise<Run> {
    const child = spawn(process.execPath, [cliPath, '--data-dir', dataDir, ...args], {
      env: { ...process.env, POPBOX_DATA_DIR: '', COLUMNS: '100' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (t: string) => (stdout += t));
    child.stderr.setEncoding('utf8').on('data', (t: string) => (stderr += t));
    child.stdin.end(input ?? '');
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    return { code, stdout, stderr };
  }

  /** Raw bytes to the control socket; what comes back before the host closes the connection. */
  function talk(data: string | Buffer): Promise<string> {
    return new Promise((resolve, reject) => {
      const socket = net.createConnection(path.join(dataDir, 'popbox.sock'));
      let got = '';
      socket.setEncoding('utf8').on('data', (t: string) => (got += t));
      socket.on('error', reject);
      socket.on('close', () => resolve(got));
      socket.end(data);
    });
  }

  const sidebar = () => page!.getByRole('navigation', { name: 'Folders' });

  beforeAll(async () => {
    [dc, cliPath] = await Promise.all([startDovecot({ users: [{ name: 'alice', password: 'alice-pw' }] }), bundleCli()]);
    await dc.deliver('alice', generateMessages({ seed: 14, count: 4, mix: 'small' }));
    base = await fs.mkdtemp(path.join(os.tmpdir(), 'popbox-cli-app-'));
    dataDir = path.join(base, 'data');
    const staticDir = withChromium ? await buildRenderer() : base;
    // As the web host does: the service first, then the host on it (and its control socket).
    secrets = new MemorySecretStore();
    service = await MailService.open({ dataDir, secrets });
    service.on('accountsChanged', () => events.push('accountsChanged'));
    host = await startWebHost({ service, staticDir, downloadsDir: path.join(base, 'downloads') });
    if (withChromium) {
      browser = await launchChromium();
      page = await browser.newPage({ viewport: { width: 1280, height: 880 } });
      await page.goto(host.url);
      // No account yet: the page offers to add one.
      await page.getByRole('heading', { name: 'Welcome to Popbox' }).waitFor();
    }
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await host?.close();
    await service?.close();
    await dc?.stop();
    if (base) await fs.rm(base, { recursive: true, force: true });
  });

  it('listens on popbox.sock in the data directory, for its owner only', async () => {
    const st = await fs.lstat(path.join(dataDir, 'popbox.sock'));
    expect(st.isSocket()).toBe(true);
    expect(st.mode & 0o777).toBe(0o600);
    // Nothing else is left beside it (the socket is bound under a temporary name first).
    expect((await fs.readdir(dataDir)).filter((n) => n.startsWith('popbox.sock'))).toEqual(['popbox.sock']);
  });

  it('account add runs inside the app: its service hears of it, and the open page shows it without a reload', async () => {
    const fingerprint = dc.fingerprint256.replace(/:/g, '').toLowerCase();
    const add = await cli(['account', 'add', 'Home', '--host', '127.0.0.1', '--port', String(dc.tlsPort), '--security', 'tls', '--user', 'alice', '--password-command', 'echo alice-pw', '--tls-fingerprint', fingerprint, '--leave-on-server']);
    expect(add.stderr).toBe('');
    expect(add.code).toBe(0);
    expect(add.stdout).toMatch(/^added Home\talice@127\.0\.0\.1:\d+\ttls\tleave on server\n$/);
    expect(events).toContain('accountsChanged');
    expect(service.listAccounts().map((a) => a.name)).toEqual(['Home']);
    // The welcome page gives way to the mail view with the new account, no reload.
    if (page) await sidebar().getByRole('region', { name: 'Home' }).waitFor({ timeout: 15_000 });
  });

  it('--password-stdin sends the password to the app, which keeps it in its own secret store', async () => {
    const set = await cli(['account', 'set', 'Home', '--password-stdin'], 'alice-pw\n');
    expect(set).toMatchObject({ code: 0, stderr: '' });
    expect(set.stdout).toMatch(/^updated Home/);
    const [account] = service.listAccounts();
    expect(account!.password.source).toBe('keychain');
    expect(await secrets.get(account!.id)).toBe('alice-pw');
  });

  it('sync, folder add, move and folders run inside the app, and the page follows', async () => {
    const sync = await cli(['sync']);
    expect(sync).toMatchObject({ code: 0, stderr: '' });
    expect(sync.stdout).toMatch(/^Home: 4 new, 0 deleted on server\n$/);
    expect(service.messages()).toHaveLength(4);

    expect(await cli(['folder', 'add', 'Projects'])).toEqual({ code: 0, stdout: 'made folder Projects\n', stderr: '' });
    const id = service.messages()[0]!.id;
    expect(await cli(['move', id, 'projects'])).toEqual({ code: 0, stdout: 'moved 1 message to Projects\n', stderr: '' });
    expect(service.messages().find((m) => m.id === id)!.folder).toBe('Projects');

    const folders = await cli(['folders', '--json']);
    expect(folders.code).toBe(0);
    const rows = JSON.parse(folders.stdout) as { account: string; name: string; total: number }[];
    expect(rows.find((r) => r.name === 'Projects')).toMatchObject({ account: 'Home', total: 1 });
    expect(rows.find((r) => r.name === 'Inbox')).toMatchObject({ total: 3 });
    if (page) {
      const home = sidebar().getByRole('region', { name: 'Home' });
      await home.getByRole('button', { name: /^Projects/ }).waitFor({ timeout: 15_000 });
    }
  });

  it('prints what a run on its own prints (kept to compare once the app has closed)', async () => {
    // Two clients at once, each gets its own output.
    const [json, table, folders] = await Promise.all([cli(['messages', '--json']), cli(['messages']), cli(['folders'])]);
    for (const r of [json, table, folders]) expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(json.stdout)).toHaveLength(4);
    // The table is cut to the client's $COLUMNS, not the app's terminal.
    expect(Math.max(...table.stdout.trimEnd().split('\n').map((l) => l.length))).toBeLessThanOrEqual(100);
    Object.assign(whileRunning, { json, table, folders });
  });

  it('bad input: the same message and exit code 2 as on its own', async () => {
    const extra = await cli(['messages', 'extra']);
    expect(extra).toEqual({ code: 2, stdout: '', stderr: 'popbox: messages takes no arguments (use --account NAME, --folder NAME)\n(see "popbox help")\n' });
    const unknown = await cli(['account', 'remove', 'Nobody']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^popbox: not-found: /);
    const noStdin = await cli(['account', 'set', 'Home', '--password-stdin'], '');
    expect(noStdin).toMatchObject({ code: 2, stderr: 'popbox: --password-stdin: the password read from standard input is empty\n(see "popbox help")\n' });
    Object.assign(whileRunning, { extra, unknown });
  });

  it('a huge or malformed request gets an error line, and the app serves on', async () => {
    const huge = await talk(Buffer.alloc(2 * 1024 * 1024, 'a'));
    expect(huge).toContain('refused the request: more than 1048576 bytes');
    expect(huge.trimEnd().split('\n').pop()).toBe('{"exit":2}');
    expect(await talk('not json\n')).toContain('refused the request: the request is not JSON');
    expect(await talk('{"argv":"sync","columns":80}\n')).toContain('argv must be a list of strings');
    expect(await talk('[1,2]\n')).toContain('the request is not an object');
    // A client that connects and goes away at once.
    await new Promise<void>((resolve) => net.createConnection(path.join(dataDir, 'popbox.sock')).on('connect', function (this: net.Socket) {
      this.destroy();
      resolve();
    }));
    const list = await cli(['account', 'list']);
    expect(list).toMatchObject({ code: 0, stderr: '' });
    expect(list.stdout).toMatch(/^Home\t/);
    expect(service.listAccounts()).toHaveLength(1);
  });

  it('after the app closes, the CLI runs on its own again, with the same output', async () => {
    await browser?.close();
    browser = null;
    await host!.close();
    host = null;
    await service.close();
    await expect(fs.lstat(path.join(dataDir, 'popbox.sock'))).rejects.toMatchObject({ code: 'ENOENT' });
    // One after another: runs on their own each take the lock.
    for (const [name, args] of [
      ['json', ['messages', '--json']],
      ['table', ['messages']],
      ['folders', ['folders']],
      ['extra', ['messages', 'extra']],
      ['unknown', ['account', 'remove', 'Nobody']],
    ] as const) {
      expect(await cli([...args]), name).toEqual(whileRunning[name]);
    }
    // And it holds the data directory itself, as before (the password the app kept in memory is gone with it).
    expect((await cli(['account', 'set', 'Home', '--password-command', 'echo alice-pw'])).code).toBe(0);
    const sync = await cli(['sync']);
    expect(sync).toMatchObject({ code: 0, stderr: '' });
    expect(sync.stdout).toMatch(/^Home: 0 new/);
  });
});
