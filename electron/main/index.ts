/**
 * The Electron shell (DESIGN §1), kept thin: every decision it makes is a plain function in
 * this folder with a unit test (security.ts, app-protocol.ts, notifications.ts, tray-menu.ts,
 * window-state.ts, menu.ts, secrets.ts). This file wires them to Electron: one hardened window
 * on the app:// scheme, the contract over ipcMain, the keychain, the scheduler fed by
 * powerMonitor and online state, tray, badge and notifications.
 */
import { app, BrowserWindow, Menu, Notification, Tray, dialog, ipcMain, nativeImage, nativeTheme, net, powerMonitor, protocol, safeStorage, screen, session, shell } from 'electron';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MessageRecord } from '../../shared/changes.js';
import { INBOX } from '../../shared/folders.js';
import { createDispatcher, mailServiceHandlers } from '../core/contract-handler.js';
import { serveCli, type ControlServer } from '../cli/serve.js';
import { isAppFailure } from '../core/errors.js';
import { MailService } from '../core/mail-service.js';
import { RemoteContentProxy } from '../core/remote-proxy.js';
import { writeFileAtomic } from '../core/store/durable.js';
import { contentTypeOf, resolveAppRequest } from './app-protocol.js';
import { ComposeWindows } from './compose-windows.js';
import { COMPOSE_WINDOW_EVENTS, forwardEvents, registerContract } from './ipc.js';
import { JS_FLAGS_VALUE, loginItemArgs } from './js-flags.js';
import { appMenuTemplate } from './menu.js';
import { badgeText, newMailNotification } from './notifications.js';
import { chooseSecretStore } from './secrets.js';
import { APP_SCHEME, APP_URL, RENDERER_CSP, debugSwitchIn, externalUrl, isAllowedRendererRequest, isAppNavigation, isComposeWindowUrl } from './security.js';
import { trayMenuModel, trayTooltip } from './tray-menu.js';
import { parseWindowState, restoreBounds, type WindowState } from './window-state.js';

const appRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const rendererDir = path.join(appRoot, 'dist', 'renderer');
const preloadFile = path.join(appRoot, 'dist', 'preload', 'index.cjs');
const iconFile = path.join(appRoot, 'build', 'icons', '256x256.png');

// A packaged app started with a remote-debugging or inspector switch would hand its window and
// API to whoever connects: it says so and quits.
const debugSwitch = app.isPackaged ? debugSwitchIn(process.argv) : null;
if (debugSwitch) {
  console.error(`Popbox does not start with ${debugSwitch}: it would let other programs control it.`);
  app.exit(1);
}

// Our --js-flags sized this process's heap, where the sync runs (js-flags.ts). Renderers and
// helper processes are started with this command line: they keep V8's defaults instead.
if (app.commandLine.getSwitchValue('js-flags') === JS_FLAGS_VALUE) app.commandLine.removeSwitch('js-flags');

// Tests and people with several profiles choose the data directory (the CLI honours the same variable).
if (process.env.POPBOX_DATA_DIR) app.setPath('userData', path.resolve(process.env.POPBOX_DATA_DIR));

// Before ready: app:// is a standard, secure origin (so the CSP's 'self' and fetch work), and
// V8 keeps compiled code for its scripts across starts (a cold start skips compiling the bundle).
protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, stream: true, codeCache: true } }]);

let win: BrowserWindow | null = null;
let tray: Tray | null = null;
let service: MailService | null = null;
/** The CLI's way in while the app runs (`popbox sync` from cron runs here, not against the lock). */
let control: ControlServer | null = null;
let quitting = false;

function showWindow(): void {
  if (!win) win = createWindow();
  if (win.isMinimized()) win.restore();
  win.show();
  win.focus();
}

function command(name: 'get-mail' | 'open-settings' | 'open-message' | 'focus-search', id?: string): void {
  showWindow();
  service?.emit('command', { command: name, ...(id ? { id } : {}) });
}

async function loadWindowState(file: string): Promise<WindowState | null> {
  try {
    return parseWindowState(JSON.parse(await fs.readFile(file, 'utf8')));
  } catch {
    return null;
  }
}

function openOutside(raw: string): void {
  const url = externalUrl(raw);
  if (url) void shell.openExternal(url);
}

/** Every window's settings (the mail window's and each compose window's): the same preload and the same locks. */
function secureWebPreferences(): Electron.WebPreferences {
  return {
    preload: preloadFile,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false,
    navigateOnDragDrop: false,
    spellcheck: false,
    // Developer tools only where Popbox runs from source.
    devTools: !app.isPackaged,
  };
}

/** A window's page stays the app's: no navigation elsewhere, no webviews. */
function keepOnApp(contents: Electron.WebContents): void {
  contents.on('will-navigate', (event, url) => {
    if (!isAppNavigation(url)) event.preventDefault();
  });
  contents.on('will-frame-navigate', (event) => {
    // The message frame is srcdoc and never navigates; the top frame stays on the app.
    if (!isAppNavigation(event.url) && event.url !== 'about:srcdoc') event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
}

/** The compose windows open now: at most ten, one per draft (compose-windows.ts decides). */
const composeWindows = new ComposeWindows<BrowserWindow>();

function createWindow(saved: WindowState | null = null): BrowserWindow {
  const place = restoreBounds(saved, screen.getAllDisplays().map((d) => d.workArea));
  const w = new BrowserWindow({
    ...place.bounds,
    minWidth: 640,
    minHeight: 420,
    title: 'Popbox',
    show: false,
    icon: iconFile,
    webPreferences: secureWebPreferences(),
  });
  if (place.maximized) w.maximize();
  w.once('ready-to-show', () => w.show());
  // Links never open inside the app: http(s) and mailto go to the system, the rest nowhere. The
  // system gets the URL as parsed and serialized again, a mailto rebuilt without attach= or headers.
  // The one window the page may open is a compose window on the app's own page (#compose?…).
  w.webContents.setWindowOpenHandler(({ url }) => {
    if (isComposeWindowUrl(url)) {
      const decision = composeWindows.decide(url);
      if (decision.action === 'focus') {
        if (decision.window.isMinimized()) decision.window.restore();
        decision.window.focus();
      }
      // Refused or focused: window.open gives the page null, and the page says why.
      if (decision.action !== 'open') return { action: 'deny' };
      return { action: 'allow', outlivesOpener: true, overrideBrowserWindowOptions: { width: 780, height: 680, minWidth: 480, minHeight: 360, title: 'Write — Popbox', icon: iconFile, autoHideMenuBar: true, webPreferences: secureWebPreferences() } };
    }
    openOutside(url);
    return { action: 'deny' };
  });
  w.webContents.on('did-create-window', (child, details) => {
    composeWindows.created(child, details.url);
    child.once('closed', () => composeWindows.closed(child));
    keepOnApp(child.webContents);
    child.webContents.setWindowOpenHandler(({ url }) => {
      openOutside(url);
      return { action: 'deny' };
    });
  });
  keepOnApp(w.webContents);
  const stateFile = path.join(app.getPath('userData'), 'window-state.json');
  const save = () => {
    if (w.isDestroyed()) return;
    const state: WindowState = { bounds: w.getNormalBounds(), maximized: w.isMaximized() };
    void writeFileAtomic(stateFile, JSON.stringify(state)).catch(() => {});
  };
  w.on('resized', save);
  w.on('moved', save);
  w.on('close', (event) => {
    save();
    if (!quitting && service?.preferences().runInBackground && tray) {
      event.preventDefault();
      w.hide();
    }
  });
  w.on('closed', () => {
    if (win === w) win = null;
  });
  void w.loadURL(APP_URL);
  return w;
}

/** Remote content for all windows: one set of limits on fetches and bytes (DESIGN §3.7). */
const remoteProxy = new RemoteContentProxy();

function hardenSession(): void {
  const ses = session.defaultSession;
  ses.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  ses.setPermissionCheckHandler(() => false);
  ses.setDevicePermissionHandler(() => false);
  // The renderer talks only to app://: remote content comes through /remote, fetched here.
  ses.webRequest.onBeforeRequest((details, callback) => callback({ cancel: !isAllowedRendererRequest(details.url) }));
  protocol.handle(APP_SCHEME, async (request) => {
    const target = resolveAppRequest(rendererDir, request.url);
    const headers = { 'content-security-policy': RENDERER_CSP, 'x-content-type-options': 'nosniff' };
    if (target.kind === 'reject') return new Response(null, { status: target.status });
    if (target.kind === 'remote') {
      const got = await remoteProxy.fetch(target.target, target.message, request.signal);
      if (!got.ok) return new Response(got.reason, { status: got.status, headers });
      return new Response(new Uint8Array(got.body), { headers: { ...headers, 'content-type': got.contentType } });
    }
    try {
      return new Response(new Uint8Array(await fs.readFile(target.file)), { headers: { ...headers, 'content-type': contentTypeOf(target.file) } });
    } catch {
      return new Response(null, { status: 404 });
    }
  });
}

function unreadCount(): number {
  if (!service) return 0;
  let n = 0;
  for (const m of service.journal.all()) if (!m.flags.seen && m.folder === INBOX) n++;
  return n;
}

function refreshIndicators(): void {
  const unread = unreadCount();
  // Any account, not the one whose status just changed: with two, one may still be syncing.
  const syncing = service?.syncStatus().some((s) => s.state === 'syncing') ?? false;
  app.setBadgeCount(unread);
  if (tray) {
    tray.setToolTip(trayTooltip({ unread, syncing }));
    if (process.platform === 'darwin') tray.setTitle(badgeText(unread));
    tray.setContextMenu(
      Menu.buildFromTemplate(
        trayMenuModel({ unread, syncing }).map((item) =>
          item.kind === 'separator'
            ? { type: 'separator' as const }
            : {
                label: item.label,
                enabled: item.enabled,
                click: () => (item.action === 'open' ? showWindow() : item.action === 'get-mail' ? void service?.syncNow().catch(() => {}) : app.quit()),
              },
        ),
      ),
    );
  }
}

/** New mail → one notification (sender and subject) or a summary; click opens it. */
function watchNewMail(svc: MailService): void {
  let seen = svc.journal.state;
  let timer: NodeJS.Timeout | null = null;
  svc.on('stateChanged', () => {
    if (timer) return;
    // Let a sync's batches land first: one notification per burst, not per batch.
    timer = setTimeout(() => {
      refreshIndicators();
      // After the filters (issue 16): what a rule filed elsewhere or marked read is not announced.
      void svc.arrivalsSettled().then(announce);
    }, 1_500);
  });
  function announce(): void {
    timer = null;
    const changes = svc.changesSince(seen);
    seen = changes.state;
    refreshIndicators();
    if ('cannotCalculate' in changes || !svc.preferences().notifyNewMail || win?.isFocused() || !Notification.isSupported()) return;
    // Each as it is now, not as it arrived.
    const added: MessageRecord[] = changes.changes.flatMap((c) => {
      const now = c.t === 'add' ? svc.journal.get(c.m.id) : undefined;
      return now ? [now] : [];
    });
    const note = newMailNotification(added, { markup: process.platform === 'linux' });
    if (!note) return;
    const n = new Notification({ title: note.title, body: note.body, silent: false });
    n.on('click', () => (note.openId ? command('open-message', note.openId) : showWindow()));
    n.show();
  }
}

async function start(): Promise<void> {
  hardenSession();
  const dataDir = app.getPath('userData');
  const secrets = await chooseSecretStore({ dataDir, safeStorage });
  try {
    service = await MailService.open({ dataDir, secrets: secrets.store });
  } catch (e) {
    dialog.showErrorBox('Popbox cannot start', isAppFailure(e) ? e.message : String(e));
    app.exit(1);
    return;
  }
  const svc = service;
  control = await serveCli(svc);
  const dispatch = createDispatcher(
    mailServiceHandlers(svc, {
      chooseSaveDestination: async (name) => {
        const options = { defaultPath: path.join(app.getPath('downloads'), path.basename(name)) };
        const r = win ? await dialog.showSaveDialog(win, options) : await dialog.showSaveDialog(options);
        return r.canceled || !r.filePath ? null : r.filePath;
      },
      // A native question (the page cannot answer it for the user): the confirming button only on a click.
      confirm: async (q) => {
        const options = { type: 'warning' as const, title: q.title, message: q.message, detail: q.detail, buttons: [q.confirmLabel, q.cancelLabel], defaultId: 1, cancelId: 1, noLink: true };
        const r = win ? await dialog.showMessageBox(win, options) : await dialog.showMessageBox(options);
        return r.response === 0;
      },
    }),
  );
  registerContract(ipcMain, dispatch);
  forwardEvents(svc, () => (win ? [win.webContents] : []));
  forwardEvents(svc, () => composeWindows.windows().map((w) => w.webContents), COMPOSE_WINDOW_EVENTS);

  Menu.setApplicationMenu(
    Menu.buildFromTemplate(
      appMenuTemplate(process.platform, {
        getMail: () => command('get-mail'),
        preferences: () => command('open-settings'),
        search: () => command('focus-search'),
        quit: () => app.quit(),
      }),
    ),
  );

  tray = new Tray(nativeImage.createFromPath(iconFile).resize({ width: 22, height: 22 }));
  tray.on('click', showWindow);
  refreshIndicators();
  svc.on('accountStatus', () => refreshIndicators());
  watchNewMail(svc);

  const applyPrefs = (p: ReturnType<MailService['preferences']>) => {
    app.setLoginItemSettings({ openAtLogin: p.startAtLogin, args: loginItemArgs() });
    // Before the window exists: its pages start in the chosen theme (prefers-color-scheme follows
    // themeSource), with no flash of the system's; the page sets its own from the same preference.
    nativeTheme.themeSource = p.theme;
  };
  applyPrefs(svc.preferences());
  svc.onPreferences(applyPrefs);

  const scheduler = svc.startScheduler();
  scheduler.setOnline(net.isOnline());
  powerMonitor.on('resume', () => scheduler.resume());
  powerMonitor.on('unlock-screen', () => scheduler.setOnline(net.isOnline()));
  // Electron has no online/offline event in main: ask every 30 s (cheap) and on resume.
  setInterval(() => scheduler.setOnline(net.isOnline()), 30_000).unref();

  const hidden = process.argv.includes('--hidden') || app.getLoginItemSettings().wasOpenedAtLogin;
  win = createWindow(await loadWindowState(path.join(dataDir, 'window-state.json')));
  if (hidden) win.once('ready-to-show', () => win?.hide());
  if (secrets.warning) win.webContents.once('did-finish-load', () => svc.emit('notice', { level: 'warning', message: secrets.warning! }));
}

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', showWindow);
  app.on('web-contents-created', (_e, contents) => {
    contents.on('will-attach-webview', (event) => event.preventDefault());
    contents.setWindowOpenHandler(({ url }) => {
      openOutside(url);
      return { action: 'deny' };
    });
  });
  void app.whenReady().then(start);
  app.on('activate', showWindow);
  app.on('before-quit', () => {
    quitting = true;
  });
  app.on('window-all-closed', () => {
    if (!tray || !service?.preferences().runInBackground) app.quit();
  });
  app.on('will-quit', (event) => {
    if (!service) return;
    event.preventDefault();
    const svc = service;
    service = null;
    void Promise.resolve(control?.close())
      .then(() => svc.close())
      .finally(() => app.quit());
  });
}
