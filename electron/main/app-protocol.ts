/**
 * What app://popbox/… serves: the built renderer's files (never a path outside it), and
 * /remote?u=… — remote content the user allowed, fetched here so the page's CSP stays closed.
 */
import path from 'node:path';
import { REMOTE_PROXY_PATH } from '../../shared/csp.js';
import { APP_HOST, APP_SCHEME } from './security.js';

export { contentTypeOf } from '../core/static-files.js';

export type AppRequest = { kind: 'file'; file: string } | { kind: 'remote'; target: string; message?: string } | { kind: 'reject'; status: number };

/** Resolves a request under `rendererDir`; anything that would leave it is rejected. */
export function resolveAppRequest(rendererDir: string, raw: string): AppRequest {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { kind: 'reject', status: 400 };
  }
  if (url.protocol !== `${APP_SCHEME}:` || url.host !== APP_HOST) return { kind: 'reject', status: 404 };
  if (url.pathname === REMOTE_PROXY_PATH) {
    const target = url.searchParams.get('u');
    const message = url.searchParams.get('m');
    return target ? { kind: 'remote', target, ...(message ? { message } : {}) } : { kind: 'reject', status: 400 };
  }
  let rel: string;
  try {
    rel = decodeURIComponent(url.pathname);
  } catch {
    return { kind: 'reject', status: 400 };
  }
  if (rel.includes('\0')) return { kind: 'reject', status: 400 };
  if (rel === '/' || rel === '') rel = '/index.html';
  const root = path.resolve(rendererDir);
  const file = path.resolve(root, '.' + path.posix.normalize(rel.replace(/\\/g, '/')));
  if (!file.startsWith(root + path.sep)) return { kind: 'reject', status: 404 };
  return { kind: 'file', file };
}
