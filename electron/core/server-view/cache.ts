/**
 * What the On the server view remembers of an account's mailbox between connections
 * (`<account dir>/server-headers.json`): the last UIDL/LIST/STAT and, per UIDL, the headers TOP
 * brought (the raw block capped, plus what the list shows), the junk filter's verdict on them and
 * whether the message is held on the server as suspected junk. Derived data, bounded: a header
 * block is kept up to HEADER_MAX bytes, all blocks together up to TOTAL_MAX (beyond that only the
 * shown fields are kept), and UIDLs the server no longer lists are dropped on every listing.
 * Written whole and durably (store/durable.ts), so a crash leaves the old or the new file.
 *
 * The parsed file is kept in memory (readCache): the view asks for the cached listing on every
 * serverChanged, and re-reading and parsing up to 32 MB of JSON each time would stall main. It
 * is dropped on every write here, and checked against the file's identity (inode, size, times)
 * on every read, so a write by another Popbox process (the CLI's sync) is seen too.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../store/durable.js';

/** The most of one message's header block kept (TOP n 0 of a hostile server may be huge). */
export const HEADER_MAX = 16 * 1024;
/** The most header bytes kept for one account (20,000 messages × 16 KB would be 320 MB). */
export const TOTAL_MAX = 32 * 1024 * 1024;

export interface ListedMessage {
  /** Message number in the session that listed it: shown, never used to act (UIDLs are). */
  num: number;
  uidl: string;
  size: number;
}

export type JunkVerdict = { verdict: 'junk' | 'unsure' | 'ham'; score: number };

export interface CachedHeaders {
  from: string;
  subject: string;
  date: string | null;
  /** The header block as TOP sent it (latin1, so bytes survive), at most HEADER_MAX; absent past TOTAL_MAX. */
  raw?: string;
  junk?: JunkVerdict | null;
  /** Left on the server because the junk filter called it junk before download (junkOnServer). */
  held?: boolean;
  /** The person downloaded it after it was held: the junk filter must not hold or file it again. */
  wanted?: boolean;
}

export interface ServerCache {
  /** When the server was last listed; null: never. */
  listedAt: number | null;
  /** STAT. */
  count: number;
  bytes: number;
  /** In the server's order (message number ascending). */
  messages: ListedMessage[];
  headers: Map<string, CachedHeaders>;
}

export const CACHE_FILE = 'server-headers.json';

export function emptyCache(): ServerCache {
  return { listedAt: null, count: 0, bytes: 0, messages: [], headers: new Map() };
}

export function cacheFile(accountDir: string): string {
  return path.join(accountDir, CACHE_FILE);
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown, max: number): string => (typeof v === 'string' ? v.slice(0, max) : '');

function readHeaders(v: unknown): CachedHeaders | null {
  if (!isObject(v)) return null;
  const h: CachedHeaders = { from: str(v.from, 1000), subject: str(v.subject, 2000), date: typeof v.date === 'string' ? v.date : null };
  if (typeof v.raw === 'string') h.raw = v.raw.slice(0, HEADER_MAX);
  if (isObject(v.junk) && (v.junk.verdict === 'junk' || v.junk.verdict === 'unsure' || v.junk.verdict === 'ham') && typeof v.junk.score === 'number') {
    h.junk = { verdict: v.junk.verdict, score: v.junk.score };
  }
  if (v.held === true) h.held = true;
  if (v.wanted === true) h.wanted = true;
  return h;
}

/** The parsed file per path, with the identity of the file it was parsed from. */
const parsed = new Map<string, { identity: string; cache: ServerCache }>();

/**
 * The cache as on disk, shared and read-only: callers must not change it (loadCache gives a copy
 * to change). An empty one when there is none or it cannot be read (it is derived data).
 */
export async function readCache(accountDir: string): Promise<Readonly<ServerCache>> {
  const file = cacheFile(accountDir);
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, 'r');
  } catch {
    parsed.delete(file);
    return emptyCache();
  }
  try {
    // The identity of exactly the file read below (one handle), so a replaced file never passes for the old one.
    const st = await handle.stat({ bigint: true });
    const identity = `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
    const known = parsed.get(file);
    if (known?.identity === identity) return known.cache;
    const cache = parseCache(await handle.readFile('utf8'));
    parsed.set(file, { identity, cache });
    return cache;
  } catch {
    return emptyCache();
  } finally {
    await handle.close().catch(() => {});
  }
}

/** The cache as on disk, a copy of the caller's own to change and save. */
export async function loadCache(accountDir: string): Promise<ServerCache> {
  return copyCache(await readCache(accountDir));
}

function copyCache(c: Readonly<ServerCache>): ServerCache {
  const headers = new Map<string, CachedHeaders>();
  for (const [uidl, h] of c.headers) headers.set(uidl, { ...h, ...(h.junk ? { junk: { ...h.junk } } : {}) });
  return { listedAt: c.listedAt, count: c.count, bytes: c.bytes, messages: c.messages.map((m) => ({ ...m })), headers };
}

function parseCache(text: string): ServerCache {
  try {
    const v = JSON.parse(text) as unknown;
    if (!isObject(v) || v.version !== 1) return emptyCache();
    const cache = emptyCache();
    cache.listedAt = typeof v.listedAt === 'number' ? v.listedAt : null;
    cache.count = typeof v.count === 'number' ? v.count : 0;
    cache.bytes = typeof v.bytes === 'number' ? v.bytes : 0;
    for (const m of Array.isArray(v.messages) ? v.messages : []) {
      if (isObject(m) && typeof m.num === 'number' && typeof m.uidl === 'string' && typeof m.size === 'number') cache.messages.push({ num: m.num, uidl: m.uidl, size: m.size });
    }
    for (const pair of Array.isArray(v.headers) ? v.headers : []) {
      if (!Array.isArray(pair) || typeof pair[0] !== 'string') continue;
      const h = readHeaders(pair[1]);
      if (h) cache.headers.set(pair[0], h);
    }
    return cache;
  } catch {
    return emptyCache();
  }
}

export async function saveCache(accountDir: string, cache: ServerCache): Promise<void> {
  const text = JSON.stringify({
    version: 1,
    listedAt: cache.listedAt,
    count: cache.count,
    bytes: cache.bytes,
    messages: cache.messages,
    // Pairs, not an object: a UIDL is the server's string ("__proto__" included).
    headers: [...cache.headers],
  });
  parsed.delete(cacheFile(accountDir));
  try {
    await writeFileAtomic(cacheFile(accountDir), text);
  } finally {
    // Also after: a read while the file was being replaced may have kept the old one.
    parsed.delete(cacheFile(accountDir));
  }
}

/**
 * A new listing replaces the old one: headers of UIDLs no longer on the server are dropped
 * (nothing else ever would), the rest kept.
 */
export function applyListing(cache: ServerCache, listing: { messages: ListedMessage[]; count: number; bytes: number; at: number }): void {
  cache.messages = listing.messages;
  cache.count = listing.count;
  cache.bytes = listing.bytes;
  cache.listedAt = listing.at;
  const present = new Set(listing.messages.map((m) => m.uidl));
  for (const uidl of cache.headers.keys()) if (!present.has(uidl)) cache.headers.delete(uidl);
}

/** Header bytes held now (for the TOTAL_MAX bound). */
export function rawBytes(cache: ServerCache): number {
  let n = 0;
  for (const h of cache.headers.values()) n += h.raw?.length ?? 0;
  return n;
}

/**
 * Stores one message's headers, its raw block cut to HEADER_MAX and kept only while the
 * account's total stays under TOTAL_MAX (`budget` is what is left, updated here).
 */
export function putHeaders(cache: ServerCache, uidl: string, fields: Omit<CachedHeaders, 'raw'>, raw: Buffer, budget: { left: number }): void {
  const kept = raw.subarray(0, HEADER_MAX).toString('latin1');
  const prev = cache.headers.get(uidl);
  const h: CachedHeaders = { ...prev, ...fields };
  delete h.raw;
  if (kept.length <= budget.left) {
    h.raw = kept;
    budget.left -= kept.length;
  }
  cache.headers.set(uidl, h);
}

/** Forget these UIDLs (deleted on the server); STAT's totals follow. */
export function dropUidls(cache: ServerCache, uidls: Iterable<string>): void {
  const gone = new Set(uidls);
  if (gone.size === 0) return;
  for (const m of cache.messages) {
    if (!gone.has(m.uidl)) continue;
    cache.count = Math.max(0, cache.count - 1);
    cache.bytes = Math.max(0, cache.bytes - m.size);
  }
  cache.messages = cache.messages.filter((m) => !gone.has(m.uidl));
  for (const u of gone) cache.headers.delete(u);
}
