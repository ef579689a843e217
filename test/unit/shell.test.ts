/**
 * Every decision the Electron shell makes, as plain functions (the Electron binary is not on
 * build machines): the sender check, the URL allowlist, app:// path resolution, the CSP, the
 * notification text, the tray menu, window placement, the menu, where passwords go, the IPC
 * adapter, the preload's exact surface, and the packaging configuration.
 */
import { createRequire } from 'node:module';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { API_KEYS, IPC_CALL, IPC_EVENT } from '../../shared/api.js';
import type { MessageRecord } from '../../shared/changes.js';
import { resolveAppRequest } from '../../electron/main/app-protocol.js';
import { registerContract } from '../../electron/main/ipc.js';
import { appMenuTemplate } from '../../electron/main/menu.js';
import { badgeText, newMailNotification } from '../../electron/main/notifications.js';
import { chooseSecretStore, SafeStorageSecretStore, type SafeStorageLike } from '../../electron/main/secrets.js';
import { APP_URL, RENDERER_CSP, debugSwitchIn, isAllowedExternalUrl, isAllowedRendererRequest, isAppNavigation, isTrustedSender } from '../../electron/main/security.js';
import { trayMenuModel, trayTooltip } from '../../electron/main/tray-menu.js';
import { parseWindowState, restoreBounds } from '../../electron/main/window-state.js';
import { MemorySecretStore, type SecretStore } from '../../electron/core/secrets/index.js';

const root = path.resolve(import.meta.dirname, '..', '..');

describe('security decisions', () => {
  it('lets only http(s) and mailto links out, checked with a URL parser', () => {
    for (const ok of ['https://example.org/a?b#c', 'http://example.org', 'mailto:ann@example.org', 'mailto:ann@example.org?subject=Hi', 'HTTPS://EXAMPLE.ORG']) expect(isAllowedExternalUrl(ok), ok).toBe(true);
    for (const bad of ['javascript:alert(1)', ' javascript:alert(1)', 'file:///etc/passwd', 'app://popbox/index.html', 'data:text/html,<script>', 'vbscript:x', 'smb://host/share', 'ms-msdt:/id', 'https://user:pw@bank.example.evil/', 'https://', 'not a url', 'mailto:', 'ftp://example.org/x'])
      expect(isAllowedExternalUrl(bad), bad).toBe(false);
  });

  it('answers IPC only from our own top frame on our own origin', () => {
    expect(isTrustedSender({ url: APP_URL, top: true })).toBe(true);
    expect(isTrustedSender({ url: 'app://popbox/index.html#/settings', top: true })).toBe(true);
    expect(isTrustedSender({ url: APP_URL, top: false })).toBe(false); // the message frame
    expect(isTrustedSender({ url: 'about:srcdoc', top: false })).toBe(false);
    expect(isTrustedSender({ url: 'app://evil/index.html', top: true })).toBe(false);
    expect(isTrustedSender({ url: 'https://popbox/index.html', top: true })).toBe(false);
    expect(isTrustedSender({ url: 'file:///work/main/dist/renderer/index.html', top: true })).toBe(false);
    expect(isTrustedSender(null)).toBe(false);
    // Only the app's page itself: another file or a query on our origin gets no API.
    expect(isTrustedSender({ url: 'app://popbox/other.html', top: true })).toBe(false);
    expect(isTrustedSender({ url: 'app://popbox/assets/evil.svg', top: true })).toBe(false);
    expect(isTrustedSender({ url: 'app://popbox/index.html?x=1', top: true })).toBe(false);
  });

  it('a packaged app quits on switches that would let another program drive it', () => {
    for (const argv of [['--remote-debugging-port=9222'], ['--remote-debugging-pipe'], ['--inspect'], ['--inspect-brk=0.0.0.0:9229'], ['--REMOTE-DEBUGGING-PORT', '9222'], ['--remote-allow-origins=*'], ['-remote-debugging-port=9222'], ['/remote-debugging-port=9222']]) {
      expect(debugSwitchIn(['/opt/Popbox/popbox', ...argv]), argv.join(' ')).not.toBeNull();
    }
    expect(debugSwitchIn(['/opt/Popbox/popbox', '--enable-features=X', 'mailto:ann@example.org'])).toBeNull();
  });

  it('keeps navigation and network requests on the app scheme', () => {
    expect(isAppNavigation('app://popbox/index.html')).toBe(true);
    expect(isAppNavigation('https://example.org/')).toBe(false);
    expect(isAllowedRendererRequest('app://popbox/assets/index.js')).toBe(true);
    expect(isAllowedRendererRequest('app://popbox/remote?u=https%3A%2F%2Fexample.org%2Fa.png')).toBe(true);
    expect(isAllowedRendererRequest('data:image/png;base64,AAAA')).toBe(true);
    expect(isAllowedRendererRequest('https://tracker.example/pixel.gif')).toBe(false);
    expect(isAllowedRendererRequest('ws://127.0.0.1:1/')).toBe(false);
    expect(isAllowedRendererRequest('app://popboxevil/x')).toBe(false);
  });

  it('serves a CSP that never names a remote origin or allows inline script', () => {
    expect(RENDERER_CSP).toMatch(/default-src 'none'/);
    expect(RENDERER_CSP).toMatch(/script-src 'self'(;|$)/);
    expect(RENDERER_CSP).not.toMatch(/https?:|unsafe-eval|\*/);
    expect(RENDERER_CSP).toMatch(/frame-ancestors 'none'/);
    expect(RENDERER_CSP).toMatch(/object-src 'none'/);
  });
});

describe('app:// path resolution', () => {
  const dir = '/opt/popbox/dist/renderer';
  it('serves files under the renderer folder', () => {
    expect(resolveAppRequest(dir, 'app://popbox/')).toEqual({ kind: 'file', file: `${dir}/index.html` });
    expect(resolveAppRequest(dir, 'app://popbox/assets/index-abc.js')).toEqual({ kind: 'file', file: `${dir}/assets/index-abc.js` });
    expect(resolveAppRequest(dir, 'app://popbox/remote?u=https%3A%2F%2Fexample.org%2Fa.png')).toEqual({ kind: 'remote', target: 'https://example.org/a.png' });
  });

  it('never escapes it', () => {
    for (const raw of ['app://popbox/../../etc/passwd', 'app://popbox/%2e%2e/%2e%2e/etc/passwd', 'app://popbox/assets/..%2f..%2f..%2fpackage.json', 'app://popbox/..%5c..%5cpackage.json', 'app://popbox/%2e%2e%5c%2e%2e%5cetc']) {
      const r = resolveAppRequest(dir, raw);
      if (r.kind === 'file') expect(r.file.startsWith(`${dir}/`), raw).toBe(true);
    }
    expect(resolveAppRequest(dir, 'app://popbox/a%00b')).toEqual({ kind: 'reject', status: 400 });
    expect(resolveAppRequest(dir, 'app://other/index.html')).toMatchObject({ kind: 'reject' });
    expect(resolveAppRequest(dir, 'app://popbox/%E0%A4%A')).toMatchObject({ kind: 'reject', status: 400 });
    expect(resolveAppRequest(dir, 'app://popbox/remote')).toMatchObject({ kind: 'reject', status: 400 });
  });
});

describe('notifications, badge and tray', () => {
  const msg = (i: number, from: string, subject: string, seen = false): MessageRecord => ({
    id: `m${i}`,
    accountId: 'a',
    uidl: `u${i}`,
    receivedAt: 0,
    partial: false,
    flags: { seen, flagged: false },
    folder: 'INBOX',
    summary: { subject, from: [{ name: from, address: `${from.toLowerCase()}@example.org` }], to: [], cc: [], date: null, messageId: null, inReplyTo: null, references: [], size: 1, hasAttachments: false, snippet: '' },
  });

  it('names sender and subject for one message, and summarizes many', () => {
    expect(newMailNotification([msg(1, 'Ann', 'Lunch?')])).toEqual({ title: 'Ann', body: 'Lunch?', openId: 'm1' });
    expect(newMailNotification([msg(1, 'Ann', 'a'), msg(2, 'Bob', 'b'), msg(3, 'Ann', 'c')])).toEqual({ title: '3 new messages', body: 'From Ann, Bob', openId: null });
    const five = newMailNotification(['A', 'B', 'C', 'D', 'E'].map((n, i) => msg(i, n, 's')));
    expect(five?.body).toBe('From A, B, C and 2 more');
    expect(newMailNotification([msg(1, 'Ann', 'read already', true)])).toBeNull();
    expect(newMailNotification([])).toBeNull();
    expect(newMailNotification([msg(1, 'Ann', 'x'.repeat(500))])!.body.length).toBeLessThanOrEqual(180);
    // Linux daemons may read markup: a sender's text stays text there.
    const hostile = newMailNotification([msg(1, '<b>Bank</b>', 'Click <a href="https://evil.example">here</a> & <img src=x>')], { markup: true })!;
    expect(hostile.title).toBe('&lt;b&gt;Bank&lt;/b&gt;');
    expect(hostile.body).toBe('Click &lt;a href=&quot;https://evil.example&quot;&gt;here&lt;/a&gt; &amp; &lt;img src=x&gt;');
    expect(newMailNotification([msg(1, 'A & B', 'x < y')])).toMatchObject({ title: 'A & B', body: 'x < y' });
  });

  it('counts on the badge and in the tray', () => {
    expect(badgeText(0)).toBe('');
    expect(badgeText(7)).toBe('7');
    expect(badgeText(12_345)).toBe('999+');
    expect(trayMenuModel({ unread: 3, syncing: false })).toEqual([
      { kind: 'item', action: 'open', label: 'Open Popbox (3 unread)', enabled: true },
      { kind: 'item', action: 'get-mail', label: 'Get Mail', enabled: true },
      { kind: 'separator' },
      { kind: 'item', action: 'quit', label: 'Quit Popbox', enabled: true },
    ]);
    expect(trayMenuModel({ unread: 0, syncing: true })[1]).toMatchObject({ label: 'Getting Mail…', enabled: false });
    expect(trayTooltip({ unread: 1, syncing: false })).toBe('Popbox — 1 unread message');
  });
});

describe('window placement', () => {
  const screenA = { x: 0, y: 0, width: 1920, height: 1080 };
  it('restores a window that is still on a screen, and re-centres one that is not', () => {
    const saved = parseWindowState({ bounds: { x: 100, y: 100, width: 1000, height: 700 }, maximized: true });
    expect(restoreBounds(saved, [screenA])).toEqual({ bounds: { x: 100, y: 100, width: 1000, height: 700 }, maximized: true });
    const offscreen = parseWindowState({ bounds: { x: 3000, y: 100, width: 1000, height: 700 }, maximized: false });
    expect(restoreBounds(offscreen, [screenA])).toEqual({ bounds: { width: 1000, height: 700 }, maximized: false });
    expect(restoreBounds(null, [screenA]).bounds).toEqual({ width: 1200, height: 800 });
    expect(parseWindowState({ bounds: { x: 'a' } })).toBeNull();
    expect(parseWindowState(null)).toBeNull();
    expect(parseWindowState({ bounds: { x: 0, y: 0, width: 10, height: 10 } })?.bounds).toEqual({ x: 0, y: 0, width: 640, height: 420 });
  });
});

describe('application menu', () => {
  it('has Get Mail, Preferences and Quit with their shortcuts, on every platform', () => {
    for (const platform of ['linux', 'win32', 'darwin'] as const) {
      const calls: string[] = [];
      const template = appMenuTemplate(platform, { getMail: () => calls.push('get'), preferences: () => calls.push('prefs'), search: () => calls.push('search'), quit: () => calls.push('quit') });
      const items = template.flatMap((m) => (Array.isArray(m.submenu) ? m.submenu : []));
      const byLabel = (l: RegExp) => items.find((i) => typeof i.label === 'string' && l.test(i.label));
      expect(byLabel(/^Get Mail$/)?.accelerator).toBe('CmdOrCtrl+Shift+T');
      expect(byLabel(/^(Preferences|Settings)…$/)?.accelerator).toBe('CmdOrCtrl+,');
      expect(byLabel(/^Quit/)?.accelerator).toBe('CmdOrCtrl+Q');
      for (const l of [/^Get Mail$/, /^(Preferences|Settings)…$/, /^Quit/]) (byLabel(l)!.click as () => void)();
      expect(calls).toEqual(['get', 'prefs', 'quit']);
      expect(template.map((m) => m.label)).toContain('&Edit');
      // Off macOS the page keeps Ctrl+A (select all messages) and Ctrl +/-/0 (its remembered zoom).
      const roles = items.map((i) => i.role);
      if (platform !== 'darwin') for (const r of ['selectAll', 'zoomIn', 'zoomOut', 'resetZoom']) expect(roles, `${platform} ${r}`).not.toContain(r);
    }
  });
});

describe('where passwords go', () => {
  // A reversible stand-in for the OS encryption (what matters here is what is stored where).
  type Backend = ReturnType<NonNullable<SafeStorageLike['getSelectedStorageBackend']>>;
  const fakeSafe = (backend: Backend = 'gnome_libsecret', available = true): SafeStorageLike => ({
    isEncryptionAvailable: () => available,
    encryptString: (s) => Buffer.from([...Buffer.from(s)].map((b) => b ^ 0x5a)),
    decryptString: (b) => Buffer.from([...b].map((x) => x ^ 0x5a)).toString(),
    getSelectedStorageBackend: () => backend,
  });
  const failing: SecretStore = { kind: 'keychain', get: async () => Promise.reject(new Error('no D-Bus')), set: async () => {}, delete: async () => {} };
  const hanging: SecretStore = { kind: 'keychain', get: () => new Promise(() => {}), set: async () => {}, delete: async () => {} };

  it('uses the keychain when it answers', async () => {
    const keychain = new MemorySecretStore();
    expect(await chooseSecretStore({ dataDir: os.tmpdir(), safeStorage: fakeSafe(), keychain })).toMatchObject({ store: keychain, warning: null });
  });

  it('falls back to safeStorage, warning about basic_text; to memory when nothing encrypts', async () => {
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'popbox-safe-'));
    const good = await chooseSecretStore({ dataDir, safeStorage: fakeSafe(), keychain: failing });
    expect(good.store).toBeInstanceOf(SafeStorageSecretStore);
    expect(good).toMatchObject({ store: { kind: 'encrypted-file' }, warning: null });
    // Linux without a keyring: safeStorage's fixed key; the screens must not call that "encrypted".
    const weak = await chooseSecretStore({ dataDir, safeStorage: fakeSafe('basic_text'), keychain: hanging, probeTimeoutMs: 50 });
    expect(weak.store).toBeInstanceOf(SafeStorageSecretStore);
    expect(weak.store.kind).toBe('fixed-key-file');
    expect(weak.warning).toMatch(/fixed key/);
    // Any other answer (a keyring backend; 'unknown' off Linux) is real encryption.
    expect((await chooseSecretStore({ dataDir, safeStorage: fakeSafe('unknown'), keychain: failing })).store.kind).toBe('encrypted-file');
    const none = await chooseSecretStore({ dataDir, safeStorage: fakeSafe('unknown', false), keychain: failing });
    expect(none.store.kind).toBe('memory');
    expect(none.warning).toMatch(/until Popbox quits/);
    await fs.rm(dataDir, { recursive: true });
  });

  it('keeps safeStorage secrets encrypted in one file, by account id', async () => {
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'popbox-safe-'));
    const file = path.join(dataDir, 'secrets.json');
    const store = new SafeStorageSecretStore(fakeSafe(), file);
    expect(await store.get('acc1')).toBeNull();
    await store.set('acc1', 'hunter2');
    await store.set('acc2', 'other');
    expect(await store.get('acc1')).toBe('hunter2');
    expect(await fs.readFile(file, 'utf8')).not.toContain('hunter2');
    await store.delete('acc1');
    expect(await store.get('acc1')).toBeNull();
    expect(await store.get('acc2')).toBe('other');
    await fs.writeFile(file, '{not json');
    await expect(store.get('acc2')).rejects.toMatchObject({ code: 'secret' });
    await fs.rm(dataDir, { recursive: true });
  });
});

describe('the IPC adapter', () => {
  it('refuses calls from anything but our top frame, and passes the rest to the dispatcher', async () => {
    let handler: ((event: unknown, ...args: unknown[]) => Promise<unknown>) | undefined;
    const ipcMain = { handle: (channel: string, fn: typeof handler) => channel === IPC_CALL && (handler = fn), removeHandler: () => {} };
    const calls: unknown[] = [];
    registerContract(ipcMain as never, async (method, input) => (calls.push([method, input]), { ok: true, value: 'done' }));
    const mainFrame = { url: APP_URL };
    const event = (frame: { url: string } | null, top = true) => ({ senderFrame: frame, sender: { mainFrame: top ? frame : { url: 'x' } } });
    expect(await handler!(event(mainFrame), 'listAccounts', {})).toEqual({ ok: true, value: 'done' });
    expect(await handler!(event({ url: 'about:srcdoc' }, false), 'listAccounts', {})).toMatchObject({ ok: false, error: { code: 'invalid' } });
    expect(await handler!(event({ url: 'https://evil.example/' }), 'listAccounts', {})).toMatchObject({ ok: false });
    expect(await handler!(event(null), 'listAccounts', {})).toMatchObject({ ok: false });
    expect(await handler!(event(mainFrame), 42, {})).toMatchObject({ ok: false, error: { code: 'invalid' } });
    expect(calls).toEqual([['listAccounts', {}]]);
  });
});

describe('the preload', () => {
  it('exposes exactly the contract: a function per method and on(), nothing else', async () => {
    const out = path.join(root, 'test', '.tmp', `preload-${process.pid}.cjs`);
    const { bundlePreload } = (await import(path.join(root, 'build', 'bundle-preload.mjs'))) as { bundlePreload: (o: string) => Promise<unknown> };
    await bundlePreload(out);
    const exposed: Record<string, Record<string, unknown>> = {};
    const invoked: unknown[][] = [];
    const listeners = new Map<string, (...a: unknown[]) => void>();
    const electron = {
      contextBridge: { exposeInMainWorld: (name: string, api: Record<string, unknown>) => (exposed[name] = api) },
      ipcRenderer: {
        invoke: async (...args: unknown[]) => (invoked.push(args), { ok: true, value: null }),
        on: (channel: string, fn: (...a: unknown[]) => void) => listeners.set(channel, fn),
        removeListener: (channel: string) => listeners.delete(channel),
      },
    };
    const code = await fs.readFile(out, 'utf8');
    const module = { exports: {} };
    vm.runInNewContext(code, { require: (id: string) => (id === 'electron' ? electron : createRequire(out)(id)), module, exports: module.exports });
    await fs.rm(out);

    expect(Object.keys(exposed)).toEqual(['popbox']);
    const api = exposed.popbox!;
    expect(Object.keys(api).sort()).toEqual([...API_KEYS].sort());
    expect(Object.values(api).every((v) => typeof v === 'function')).toBe(true);
    await (api.listAccounts as (i: unknown) => Promise<unknown>)({});
    expect(invoked).toEqual([[IPC_CALL, 'listAccounts', {}]]);
    const got: unknown[] = [];
    const off = (api.on as (e: string, l: (p: unknown) => void) => () => void)('stateChanged', (p) => got.push(p));
    listeners.get(IPC_EVENT)!({}, 'syncProgress', { ignored: true });
    listeners.get(IPC_EVENT)!({}, 'stateChanged', { state: 5 });
    expect(got).toEqual([{ state: 5 }]);
    off();
    expect(listeners.has(IPC_EVENT)).toBe(false);
    expect(() => (api.on as (e: string, l: unknown) => void)('anything', () => {})).toThrow();
  });
});

describe('packaging', () => {
  it('is a valid electron-builder configuration with the fuses and unpacked native modules', async () => {
    const require = createRequire(import.meta.url);
    const { getConfig, validateConfiguration } = require('app-builder-lib/out/util/config/config.js') as {
      getConfig: (dir: string, file: string, extra: null) => Promise<Record<string, unknown>>;
      validateConfiguration: (c: unknown, logger: unknown) => Promise<void>;
    };
    const { DebugLogger } = require('builder-util/out/DebugLogger.js') as { DebugLogger: new (enabled: boolean) => unknown };
    const config = await getConfig(root, 'build/electron-builder.yml', null);
    await validateConfiguration(config, new DebugLogger(false));
    expect(config).toMatchObject({
      appId: 'org.popbox.desktop',
      productName: 'Popbox',
      asar: true,
      electronFuses: {
        runAsNode: false,
        enableNodeOptionsEnvironmentVariable: false,
        enableNodeCliInspectArguments: false,
        onlyLoadAppFromAsar: true,
        enableEmbeddedAsarIntegrityValidation: true,
        enableCookieEncryption: true,
      },
      linux: { target: ['AppImage', 'deb'] },
      win: { target: ['nsis'] },
      mac: { target: ['dmg'] },
    });
    expect(config.asarUnpack).toContain('**/node_modules/keytar/**');
    for (const size of [16, 32, 256, 512, 1024]) await fs.access(path.join(root, 'build', 'icons', `${size}x${size}.png`));
  });
});
