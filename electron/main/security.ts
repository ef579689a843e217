/**
 * The shell's security decisions as plain functions (Electron's security checklist), so each
 * one has a unit test. Nothing here imports electron.
 */
import { appCsp } from '../../shared/csp.js';
import { externalUrl } from '../../shared/links.js';

export { externalUrl };

/** The renderer's origin: a privileged custom scheme, never file://. */
export const APP_SCHEME = 'app';
export const APP_HOST = 'popbox';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_URL = `${APP_ORIGIN}/index.html`;

/** The renderer's Content-Security-Policy, sent with every app:// response. */
export const RENDERER_CSP = appCsp();

/** Links from mail and the UI may leave the app only as http(s) or mailto, parsed, not pattern-matched. */
export function isAllowedExternalUrl(raw: string): boolean {
  return externalUrl(raw) !== null;
}

export interface SenderFrame {
  url: string;
  /** The frame is the window's top frame (not an iframe, such as a message body). */
  top: boolean;
}

/**
 * IPC is answered only for our own top frame showing exactly the app's page (any other page a
 * bug could bring up on our origin gets no API; the hash is the app's own routing).
 */
export function isTrustedSender(frame: SenderFrame | null | undefined): boolean {
  if (!frame || !frame.top) return false;
  try {
    const url = new URL(frame.url);
    return `${url.protocol}//${url.host}${url.pathname}` === APP_URL && url.search === '';
  } catch {
    return false;
  }
}

/**
 * Switches that would let another process drive or read a packaged app (Chromium's remote
 * debugging, Node's inspector). The fuses already refuse Node's; Chromium's are not fuse-bound,
 * so a packaged Popbox started with one quits instead of exposing the window and its API.
 */
const DEBUG_SWITCHES = ['--remote-debugging-port', '--remote-debugging-pipe', '--remote-debugging-address', '--remote-allow-origins', '--inspect', '--inspect-brk', '--inspect-port', '--debug', '--debug-brk'];

export function debugSwitchIn(argv: readonly string[]): string | null {
  for (const arg of argv) {
    // Chromium also takes -switch and, on Windows, /switch.
    const name = `--${arg.split('=')[0]!.toLowerCase().replace(/^(--?|\/)/, '')}`;
    if (DEBUG_SWITCHES.includes(name)) return name;
  }
  return null;
}

/** Navigation away from the app is never allowed (links go to the system browser instead). */
export function isAppNavigation(raw: string): boolean {
  try {
    const url = new URL(raw);
    return `${url.protocol}//${url.host}` === APP_ORIGIN;
  } catch {
    return false;
  }
}

/** Requests the renderer may make: our scheme, data: and blob: (inline images), nothing else. */
export function isAllowedRendererRequest(raw: string): boolean {
  return raw.startsWith(`${APP_ORIGIN}/`) || raw.startsWith('data:') || raw.startsWith('blob:') || raw === 'about:blank' || raw === 'about:srcdoc';
}

/**
 * The one page the app's window may open a window for: its own page with a `#compose?…` hash
 * (a compose window). Everything else window.open asks for goes to the system browser or nowhere.
 */
export function isComposeWindowUrl(raw: string): boolean {
  try {
    const url = new URL(raw);
    return `${url.protocol}//${url.host}${url.pathname}` === APP_URL && url.search === '' && /^#compose(\?[^#]*)?$/.test(url.hash);
  } catch {
    return false;
  }
}
