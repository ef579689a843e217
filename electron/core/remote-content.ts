/**
 * Remote content the user allowed for a message (images, style sheets, fonts), fetched by the
 * host so that the page's CSP never has to name a remote origin (DESIGN §3.7). Only http(s),
 * only those content types, size- and time-capped, no cookies, no referrer, and by default
 * never an address on this machine, the local network or any special-purpose range.
 *
 * The address is checked where the connection is made (undici's connect-time lookup), not only
 * before: a name can resolve to a public address for the check and to 127.0.0.1 a moment later
 * (DNS rebinding). Every redirect hop goes through the same check.
 */
import dns from 'node:dns/promises';
import type { LookupAddress, LookupOptions } from 'node:dns';
import net from 'node:net';
import { Agent, fetch, type Dispatcher } from 'undici';
import { isPrivateAddress } from './net/special-addresses.js';

export { isPrivateAddress } from './net/special-addresses.js';

/** A resolver: the system's by default; tests hand in one of their own. */
export type Resolve = (hostname: string) => Promise<readonly LookupAddress[]>;

export interface RemoteFetchOptions {
  /** Tests and `--allow-private-remote` point "remote" mail at a server on 127.0.0.1. */
  allowPrivateAddresses?: boolean;
  /** Stands in for DNS (tests). */
  resolve?: Resolve;
  /** Which addresses count as private (tests); isPrivateAddress by default. */
  isBlocked?: (ip: string) => boolean;
  maxBytes?: number;
  timeoutMs?: number;
}

export type RemoteResult = { ok: true; contentType: string; body: Buffer } | { ok: false; status: number; reason: string };

/** Bytes as they arrive; false stops the download (a budget shared with other fetches ran out). */
export interface ByteBudget {
  take(bytes: number): boolean;
  /** Why take() said no, in plain words. */
  readonly refusal: RemoteResult & { ok: false };
}

const ALLOWED_TYPE = /^(image\/[a-z0-9.+-]+|text\/css|font\/[a-z0-9.+-]+|application\/(font-woff2?|x-font-[a-z0-9-]+|vnd\.ms-fontobject))$/;
const PRIVATE_REFUSAL = { ok: false as const, status: 403, reason: 'refused: the address is on this computer, the local network or a reserved range' };

class PrivateAddressError extends Error {
  readonly code = 'EPRIVATEADDRESS';
}

const systemResolve: Resolve = (hostname) => dns.lookup(hostname, { all: true, verbatim: true });

/**
 * The lookup net.connect uses for a name: the addresses it returns are the only ones the
 * socket may connect to. One private address among them refuses the name outright (a rebinding
 * server answers with both and lets the client pick).
 */
function guardedLookup(resolve: Resolve, isBlocked: (ip: string) => boolean) {
  return (hostname: string, options: LookupOptions, callback: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void) => {
    resolve(hostname).then(
      (found) => {
        const family = options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : options.family;
        const usable = found.filter((a) => !family || a.family === family);
        if (found.some((a) => isBlocked(a.address))) return callback(new PrivateAddressError(`${hostname} resolves to a private address`), '');
        if (usable.length === 0) return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), '');
        if (options.all) return callback(null, [...usable]);
        return callback(null, usable[0]!.address, usable[0]!.family);
      },
      (e: NodeJS.ErrnoException) => callback(e, ''),
    );
  };
}

function guardedAgent(resolve: Resolve, isBlocked: (ip: string) => boolean): Agent {
  return new Agent({ connect: { lookup: guardedLookup(resolve, isBlocked) } });
}

let sharedAgent: Agent | undefined;

/** The reason a fetch failed, from undici's `fetch failed` wrapper. */
function failure(e: unknown, timedOut: boolean, cancelled: boolean): RemoteResult & { ok: false } {
  if (timedOut) return { ok: false, status: 504, reason: 'the server took too long to answer' };
  if (cancelled) return { ok: false, status: 499, reason: 'cancelled' };
  let cause: unknown = e;
  while (cause instanceof Error) {
    if (cause instanceof PrivateAddressError) return PRIVATE_REFUSAL;
    if ((cause as NodeJS.ErrnoException).code === 'ENOTFOUND') return { ok: false, status: 502, reason: 'no such server' };
    if (!cause.cause) break;
    cause = cause.cause;
  }
  return { ok: false, status: 502, reason: `cannot fetch: ${cause instanceof Error ? cause.message : String(cause)}` };
}

export async function fetchRemote(target: string, opts: RemoteFetchOptions = {}, budget?: ByteBudget, cancel?: AbortSignal): Promise<RemoteResult> {
  const maxBytes = opts.maxBytes ?? 10 * 1024 * 1024;
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    return { ok: false, status: 400, reason: 'not a web address' };
  }
  const isBlocked = opts.allowPrivateAddresses ? () => false : (opts.isBlocked ?? isPrivateAddress);
  const resolve = opts.resolve ?? systemResolve;
  const custom = opts.allowPrivateAddresses || opts.resolve || opts.isBlocked;
  const dispatcher: Dispatcher = custom ? guardedAgent(resolve, isBlocked) : (sharedAgent ??= guardedAgent(systemResolve, isPrivateAddress));
  const timeout = AbortSignal.timeout(opts.timeoutMs ?? 15_000);
  const signal = cancel ? AbortSignal.any([timeout, cancel]) : timeout;
  try {
    for (let hop = 0; hop < 5; hop++) {
      if (url.protocol !== 'http:' && url.protocol !== 'https:') return { ok: false, status: 400, reason: 'only http and https addresses are fetched' };
      const host = url.hostname.replace(/^\[|\]$/g, '');
      if (net.isIP(host)) {
        // An address literal never reaches the lookup: judge it here.
        if (isBlocked(host)) return PRIVATE_REFUSAL;
      } else {
        // An early answer in plain words; the connect-time lookup is what holds.
        const found = await resolve(host).catch(() => []);
        if (found.length === 0) return { ok: false, status: 502, reason: 'no such server' };
        if (found.some((a) => isBlocked(a.address))) return PRIVATE_REFUSAL;
      }
      const res = await fetch(url, { redirect: 'manual', signal, dispatcher, headers: { accept: 'image/*,text/css,font/*;q=0.9' }, referrerPolicy: 'no-referrer' });
      if (res.status >= 300 && res.status < 400 && res.headers.get('location')) {
        url = new URL(res.headers.get('location')!, url);
        await res.body?.cancel();
        continue;
      }
      if (!res.ok) {
        await res.body?.cancel();
        return { ok: false, status: 502, reason: `the server answered ${res.status}` };
      }
      const contentType = (res.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
      if (!ALLOWED_TYPE.test(contentType)) {
        await res.body?.cancel();
        return { ok: false, status: 415, reason: `not an image, style sheet or font (${contentType || 'no type'})` };
      }
      const declared = Number(res.headers.get('content-length') ?? NaN);
      if (declared > maxBytes) {
        await res.body?.cancel();
        return { ok: false, status: 413, reason: 'too big' };
      }
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of res.body ?? []) {
        size += (chunk as Uint8Array).length;
        // Leaving the loop cancels the stream.
        if (size > maxBytes) return { ok: false, status: 413, reason: 'too big' };
        if (budget && !budget.take((chunk as Uint8Array).length)) return budget.refusal;
        chunks.push(Buffer.from(chunk as Uint8Array));
      }
      return { ok: true, contentType, body: Buffer.concat(chunks) };
    }
    return { ok: false, status: 508, reason: 'too many redirects' };
  } catch (e) {
    return failure(e, timeout.aborted, cancel?.aborted ?? false);
  } finally {
    if (dispatcher !== sharedAgent) void (dispatcher as Agent).close().catch(() => {});
  }
}
