/**
 * Remote content the user allowed for a message (images, style sheets, fonts), fetched by the
 * host so that the page's CSP never has to name a remote origin (DESIGN §3.7). Only http(s),
 * only those content types, size- and time-capped, no cookies, no referrer, and by default
 * never an address on this machine or the local network.
 */
import dns from 'node:dns/promises';
import net from 'node:net';

export interface RemoteFetchOptions {
  /** Tests point "remote" mail at a server on 127.0.0.1. */
  allowPrivateAddresses?: boolean;
  maxBytes?: number;
  timeoutMs?: number;
}

export type RemoteResult = { ok: true; contentType: string; body: Buffer } | { ok: false; status: number; reason: string };

const ALLOWED_TYPE = /^(image\/[a-z0-9.+-]+|text\/css|font\/[a-z0-9.+-]+|application\/(font-woff2?|x-font-[a-z0-9-]+|vnd\.ms-fontobject))$/;

/**
 * This machine, the local network and the special ranges. Node's BlockList also matches
 * IPv4-mapped IPv6 forms (`[::ffff:7f00:1]` is 127.0.0.1), which hand-written prefix tests missed.
 */
const PRIVATE = new net.BlockList();
for (const [address, prefix] of [['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12], ['192.168.0.0', 16], ['224.0.0.0', 3]] as const) {
  PRIVATE.addSubnet(address, prefix, 'ipv4');
}
for (const [address, prefix] of [['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8]] as const) PRIVATE.addSubnet(address, prefix, 'ipv6');

export function isPrivateAddress(ip: string): boolean {
  const family = net.isIPv4(ip) ? 'ipv4' : net.isIPv6(ip) ? 'ipv6' : null;
  return family === null || PRIVATE.check(ip, family);
}

async function hostIsPrivate(hostname: string): Promise<boolean> {
  const bare = hostname.replace(/^\[|\]$/g, '');
  if (net.isIP(bare)) return isPrivateAddress(bare);
  const found = await dns.lookup(bare, { all: true }).catch(() => []);
  return found.length === 0 || found.some((a) => isPrivateAddress(a.address));
}

export async function fetchRemote(target: string, opts: RemoteFetchOptions = {}): Promise<RemoteResult> {
  const maxBytes = opts.maxBytes ?? 10 * 1024 * 1024;
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    return { ok: false, status: 400, reason: 'not a URL' };
  }
  const signal = AbortSignal.timeout(opts.timeoutMs ?? 15_000);
  try {
    for (let hop = 0; hop < 5; hop++) {
      if (url.protocol !== 'http:' && url.protocol !== 'https:') return { ok: false, status: 400, reason: 'only http and https' };
      if (!opts.allowPrivateAddresses && (await hostIsPrivate(url.hostname))) return { ok: false, status: 403, reason: 'private address' };
      const res = await fetch(url, { redirect: 'manual', signal, headers: { accept: 'image/*,text/css,font/*;q=0.9' }, referrerPolicy: 'no-referrer' });
      if (res.status >= 300 && res.status < 400 && res.headers.get('location')) {
        url = new URL(res.headers.get('location')!, url);
        await res.body?.cancel();
        continue;
      }
      if (!res.ok) return { ok: false, status: 502, reason: `remote answered ${res.status}` };
      const contentType = (res.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
      if (!ALLOWED_TYPE.test(contentType)) {
        await res.body?.cancel();
        return { ok: false, status: 415, reason: `not an image, style sheet or font (${contentType || 'no type'})` };
      }
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of res.body ?? []) {
        size += chunk.length;
        if (size > maxBytes) return { ok: false, status: 413, reason: 'too big' };
        chunks.push(Buffer.from(chunk));
      }
      return { ok: true, contentType, body: Buffer.concat(chunks) };
    }
    return { ok: false, status: 508, reason: 'too many redirects' };
  } catch (e) {
    return { ok: false, status: 504, reason: signal.aborted ? 'timed out' : `cannot fetch: ${(e as Error).message}` };
  }
}
