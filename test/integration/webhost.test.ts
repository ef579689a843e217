/**
 * The web host as `npm run web` starts it: the URL on the first line, loopback only, nothing
 * without the token (page, assets, WebSocket), no path escapes, no foreign Origin or Host, the
 * contract over the socket, the remote-content proxy's refusals, and a clean stop on SIGTERM.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { MailService } from '../../electron/core/mail-service.js';
import { MemorySecretStore } from '../../electron/core/secrets/index.js';
import { freeName } from '../../electron/webhost/server.js';
import { fetchRemote, isPrivateAddress } from '../../electron/core/remote-content.js';
import { buildRenderer } from '../support/browser.js';

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

function openSocket(url: string, headers: Record<string, string>): Promise<WebSocket | number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers });
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.once('error', () => resolve(-1));
  });
}

describe('npm run web', () => {
  let child: ChildProcess;
  let dataDir: string;
  let url: URL;
  let cookie: string;

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
  }, 120_000);

  afterAll(async () => {
    if (child.exitCode === null) child.kill('SIGKILL');
    await fs.rm(dataDir, { recursive: true, force: true });
  });

  it('prints a loopback URL with a token as its first line', () => {
    expect(url.hostname).toBe('127.0.0.1');
    expect(url.searchParams.get('token')).toMatch(/^[A-Za-z0-9_-]{32}$/);
  });

  it('answers nothing without the token, and sets an HttpOnly cookie with it', async () => {
    expect((await get(`${url.origin}/`)).status).toBe(403);
    expect((await get(`${url.origin}/?token=wrong`)).status).toBe(403);
    const ok = await get(url.href);
    expect(ok.status).toBe(200);
    expect(ok.body).toContain('<div id="root">');
    expect(ok.headers['content-security-policy']).toMatch(/default-src 'none'; script-src 'self'/);
    const set = String(ok.headers['set-cookie']);
    expect(set).toMatch(/HttpOnly/);
    expect(set).toMatch(/SameSite=Strict/);
    cookie = set.split(';')[0]!;
    const asset = ok.body.match(/src="\.\/(assets\/[^"]+\.js)"/)![1]!;
    expect((await get(`${url.origin}/${asset}`)).status).toBe(403);
    expect((await get(`${url.origin}/${asset}`, { cookie })).status).toBe(200);
  });

  it('refuses a foreign Host header and paths outside the renderer', async () => {
    expect((await get(url.href, { host: `evil.example:${url.port}` })).status).toBe(403);
    expect((await get(`${url.origin}/..%2fpackage.json`, { cookie })).status).toBe(404);
    expect((await get(`${url.origin}/assets/..%2f..%2f..%2fpackage.json`, { cookie })).status).toBe(404);
  });

  it('speaks the contract over the WebSocket only to its own origin with the token', async () => {
    const wsUrl = `ws://${url.host}/ws`;
    expect(await openSocket(wsUrl, { origin: url.origin })).toBe(403);
    expect(await openSocket(wsUrl, { origin: 'http://evil.example', cookie })).toBe(403);
    const ws = (await openSocket(wsUrl, { origin: url.origin, cookie })) as WebSocket;
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
    const viaHost = await get(`${url.origin}/remote?u=${encodeURIComponent(`${url.origin}/`)}`, { cookie });
    expect(viaHost.status).toBe(403);
    // The IPv4-mapped IPv6 form of this host, as a mail could write it.
    const mapped = await get(`${url.origin}/remote?u=${encodeURIComponent(`http://[::ffff:127.0.0.1]:${url.port}/`)}`, { cookie });
    expect(mapped.status).toBe(403);
    expect(await fetchRemote(`http://[::ffff:7f00:1]:${url.port}/x.png`)).toMatchObject({ ok: false, status: 403 });
    expect((await fetchRemote('file:///etc/passwd')).ok).toBe(false);
    expect(await fetchRemote('ftp://example.org/x')).toMatchObject({ ok: false, status: 400 });
    expect(['127.0.0.1', '10.1.2.3', '192.168.0.1', '172.20.0.1', '169.254.1.1', '::1', 'fd00::1', '::ffff:127.0.0.1', '::ffff:7f00:1', '::ffff:c0a8:1'].every(isPrivateAddress)).toBe(true);
    expect(['93.184.216.34', '2606:2800:220:1::1'].some(isPrivateAddress)).toBe(false);
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
