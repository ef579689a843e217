/**
 * Content Security Policies, one place for both hosts (Electron's app:// scheme and the web
 * host). The message frame's policy is stricter still and also travels inside its srcdoc.
 */

/** The app's own pages: scripts and styles from our origin only, and nothing remote ever. */
export function appCsp(opts: { connectSrc?: readonly string[] } = {}): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    // Email HTML and React both set style attributes; no script can be injected through CSS.
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    `connect-src 'self'${opts.connectSrc?.length ? ' ' + opts.connectSrc.join(' ') : ''}`,
    "frame-src 'self' about:",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
    "object-src 'none'",
  ].join('; ');
}

/**
 * The message body's own policy. Remote content, once the user allows it, still comes from our
 * origin: the renderer rewrites remote URLs to the host's /remote proxy, so this never needs
 * https:.
 */
export function messageFrameCsp(opts: { remote: boolean }): string {
  const self = opts.remote ? " 'self'" : '';
  return [
    "default-src 'none'",
    `img-src data: blob:${self}`,
    `style-src 'unsafe-inline'${self}`,
    `font-src data:${self}`,
    "script-src 'none'",
    "form-action 'none'",
    "base-uri 'none'",
  ].join('; ');
}

/** The path on the app's own origin that fetches remote content the user allowed. */
export const REMOTE_PROXY_PATH = '/remote';
