/**
 * The web host as `npm run web` starts it: the URL on the first line, loopback only, an API that
 * answers nothing without the token, no cookie (cookies ignore ports: another server on
 * 127.0.0.1 would receive it — checked in Chromium), no path escapes, no foreign Origin or Host,
 * the contract over the socket, the remote-content proxy's refusals, and a clean stop on SIGTERM.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { MailService } from '../../electron/core/mail-service.js';
import { MemorySecretStore } from '../../electron/core/secrets/index.js';
import { freeName } from '../../electron/webhost/server.js';
import { fetchRemote, isPrivateAddress } from '../../electron/core/remote-content.js';
import { buildRenderer, launchChromium, requireChromium } from '../support/browser.js';

function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      })
      .on('error', reject);
  });
}

function openSocket(url: string, headers: Record<string, string>, protocols: string[] = []): Promise<WebSocket | number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, protocols, { headers });
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.once('error', () => resolve(-1));
  });
}

describe('npm run web', () => {
  let child: ChildProcess;
  let dataDir: string;
  let url: URL;
  let token: string;

  beforeAll(async () => {
    const staticDir = await buildRenderer();
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'popbox-web-'));
    child = spawn(process.execPath, ['--import', 'tsx', 'electron/webhost/index.ts', '--data-dir', dataDir, '--static', staticDir, '--secrets', 'memory', '--no-scheduler'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const first = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (c: Buffer) => {
        out += c.toString();
        if (out.includes('\n')) resolve(out.split('\n')[0]!);
      });
      child.once('exit', (code) => reject(new Error(`web host exited ${code}`)));
    });
    url = new URL(first);
    token = url.searchParams.get('token') ?? '';
  }, 120_000);

  afterAll(async () => {
    if (child.exitCode === null) child.kill('SIGKILL');
    await fs.rm(dataDir, { recursive: true, force: true });
  });

  it('prints a loopback URL with a token as its first line', () => {
    expect(url.hostname).toBe('127.0.0.1');
    expect(url.searchParams.get('token')).toMatch(/^[A-Za-z0-9_-]{32}$/);
  });

  it('serves the public page without setting a cookie: the token never rides in one', async () => {
    const ok = await get(url.href);
    expect(ok.status).toBe(200);
    expect(ok.body).toContain('<div id="root">');
    expect(ok.headers['content-security-policy']).toMatch(/default-src 'none'; script-src 'self'/);
    expect(ok.headers['set-cookie']).toBeUndefined();
    const asset = ok.body.match(/src="\.\/(assets\/[^"]+\.js)"/)![1]!;
    const script = await get(`${url.origin}/${asset}`);
    expect(script.status).toBe(200);
    expect(script.headers['set-cookie']).toBeUndefined();
  });

  it('refuses a foreign Host header and paths outside the renderer', async () => {
    expect((await get(url.href, { host: `evil.example:${url.port}` })).status).toBe(403);
    expect((await get(`${url.origin}/..%2fpackage.json`)).status).toBe(404);
    expect((await get(`${url.origin}/assets/..%2f..%2f..%2fpackage.json`)).status).toBe(404);
  });

  it('answers nothing over the WebSocket without the token in the handshake, nor to another origin', async () => {
    const wsUrl = `ws://${url.host}/ws`;
    const withToken = ['popbox', `popbox.token.${token}`];
    expect(await openSocket(wsUrl, { origin: url.origin })).toBe(403);
    expect(await openSocket(wsUrl, { origin: url.origin }, ['popbox'])).toBe(403);
    expect(await openSocket(wsUrl, { origin: url.origin }, ['popbox', 'popbox.token.wrong'])).toBe(403);
    // A token in the URL (where logs and history keep it) is not accepted.
    expect(await openSocket(`${wsUrl}?token=${token}`, { origin: url.origin })).toBe(403);
    expect(await openSocket(wsUrl, { origin: 'http://evil.example' }, withToken)).toBe(403);
    expect(await openSocket(`ws://127.0.0.1:${url.port}/ws`, { origin: url.origin, host: `evil.example:${url.port}` }, withToken)).toBe(403);
    const ws = (await openSocket(wsUrl, { origin: url.origin }, withToken)) as WebSocket;
    expect(ws).toBeInstanceOf(WebSocket);
    // The host picks the plain protocol: the token is not sent back.
    expect(ws.protocol).toBe('popbox');
    ws.close();
  });

  it('speaks the contract over the WebSocket', async () => {
    const ws = (await openSocket(`ws://${url.host}/ws`, { origin: url.origin }, ['popbox', `popbox.token.${token}`])) as WebSocket;
    expect(ws).toBeInstanceOf(WebSocket);
    const ask = (frame: unknown) =>
      new Promise<unknown>((resolve) => {
        ws.once('message', (d) => resolve(JSON.parse(d.toString())));
        ws.send(JSON.stringify(frame));
      });
    expect(await ask({ id: 1, method: 'listAccounts', input: {} })).toEqual({ id: 1, result: { ok: true, value: [] } });
    expect(await ask({ id: 2, method: 'addAccount', input: { account: { name: 'x' } } })).toMatchObject({ id: 2, result: { ok: false, error: { code: 'invalid' } } });
    expect(await ask({ id: 3, method: 'eval', input: {} })).toMatchObject({ id: 3, result: { ok: false, error: { code: 'invalid' } } });
    const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)));
    ws.send('not json');
    expect(await closed).toBe(1003);
  });

  it('refuses remote fetches to private addresses and other schemes', async () => {
    const viaHost = await get(`${url.origin}/remote?u=${encodeURIComponent(`${url.origin}/`)}`);
    expect(viaHost.status).toBe(403);
    // The IPv4-mapped IPv6 form of this host, as a mail could write it.
    const mapped = await get(`${url.origin}/remote?u=${encodeURIComponent(`http://[::ffff:127.0.0.1]:${url.port}/`)}`);
    expect(mapped.status).toBe(403);
    expect(await fetchRemote(`http://[::ffff:7f00:1]:${url.port}/x.png`)).toMatchObject({ ok: false, status: 403 });
    // Pages elsewhere (other sites, other local ports) may not use the proxy.
    for (const from of ['cross-site', 'same-site']) {
      const foreign = await get(`${url.origin}/remote?u=${encodeURIComponent('https://example.org/a.png')}`, { 'sec-fetch-site': from });
      expect(foreign.status).toBe(403);
      expect(foreign.body).toMatch(/for Popbox pages only/);
    }
    expect((await fetchRemote('file:///etc/passwd')).ok).toBe(false);
    expect(await fetchRemote('ftp://example.org/x')).toMatchObject({ ok: false, status: 400 });
    expect(['127.0.0.1', '10.1.2.3', '192.168.0.1', '172.20.0.1', '169.254.1.1', '::1', 'fd00::1', '::ffff:127.0.0.1', '::ffff:7f00:1', '::ffff:c0a8:1'].every(isPrivateAddress)).toBe(true);
    expect(['93.184.216.34', '2606:2800:220:1::1'].some(isPrivateAddress)).toBe(false);
  });

  it.runIf(requireChromium('the web host in Chromium'))('sends the token to no other server on 127.0.0.1 the browser visits, keeps it out of the address bar, and a reload still connects', async () => {
    const seen: string[] = [];
    const other = http.createServer((req, res) => {
      seen.push(JSON.stringify([req.url, req.headers]));
      res.writeHead(200, { 'content-type': 'text/html' }).end('<p>another local server</p>');
    });
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    const otherPort = (other.address() as AddressInfo).port;
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      await page.goto(url.href);
      await page.getByRole('heading', { name: 'Welcome to Popbox' }).waitFor();
      expect(page.url()).toBe(`${url.origin}/`);
      for (const target of [`http://127.0.0.1:${otherPort}/`, `http://localhost:${otherPort}/`, `http://127.0.0.1:${otherPort}/ws`]) await page.goto(target);
      // Back through history to the app: its entry holds no token, and the page connects again.
      for (let i = 0; i < 3; i++) await page.goBack();
      expect(page.url()).toBe(`${url.origin}/`);
      await page.reload();
      await page.getByRole('heading', { name: 'Welcome to Popbox' }).waitFor();
      expect(seen.length).toBeGreaterThanOrEqual(3);
      expect(seen.filter((r) => r.includes(token) || /cookie/i.test(r))).toEqual([]);
      expect((await page.context().cookies()).filter((c) => c.value.includes(token))).toEqual([]);
      // A tab of its own has no key: the page says where to find it instead of an empty mailbox.
      const fresh = await browser.newPage();
      await fresh.goto(`${url.origin}/`);
      await fresh.getByText('Popbox could not start: open the address the Popbox web host printed; it carries the key this page needs.').waitFor();
    } finally {
      await browser.close();
      other.closeAllConnections();
      await new Promise<void>((resolve) => other.close(() => resolve()));
    }
  });

  it('stops on SIGTERM and releases the data directory', async () => {
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    const again = await MailService.open({ dataDir, secrets: new MemorySecretStore() });
    await again.close();
  });
});

describe('freeName', () => {
  it('never overwrites and never leaves the folder', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'popbox-free-'));
    await fs.writeFile(path.join(dir, 'a.pdf'), '');
    expect(await freeName(dir, 'a.pdf')).toBe(path.join(dir, 'a (1).pdf'));
    expect(await freeName(dir, '../../etc/passwd')).toBe(path.join(dir, '_.._etc_passwd'));
    expect(await freeName(dir, '..')).toBe(path.join(dir, 'attachment'));
    await fs.rm(dir, { recursive: true });
  });
});
