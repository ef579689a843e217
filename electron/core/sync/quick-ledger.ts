/**
 * The ledger as the CLI's empty check needs it, without folding it (issue 18 P0). Reading and
 * folding a 2,000-line ledger cost `popbox sync` ~25–35 ms CPU at every check (an object per
 * line, two more per entry, young-generation collections with popbox's 2 MB semi-space), though
 * a check that finds nothing only asks: is every UIDL the server lists known and left there by
 * this account's policy, and is every UIDL not yet gone from the server still listed?
 *
 * So the answer's inputs are kept beside the ledger (`<account>/ledger-uidls.cache`): each
 * UIDL with one letter for what deletionReason would look at, and whether it still counts as on
 * the server. The cache names the ledger bytes it was made from (their size and SHA-1): it is
 * used only while the ledger file holds exactly those bytes — whatever changed it (a sync, the
 * app, another tool, a restore from backup), whatever its times say (no clock is trusted) — and
 * its own body carries a SHA-1 too, so a torn or damaged cache is never read as a shorter one.
 *
 * The cache can only say "nothing to do" (`nothingToDo`); anything else — a UIDL not in it, one
 * that a policy would delete, one gone from the server, an expiry it cannot rule out, no cache at
 * all — and the check reads the ledger and plans as before (planSync). It is written by the check
 * that read the ledger in full and found nothing to do, under the account's lock, and only when
 * the file still holds the bytes it hashed first.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Ledger, type LedgerEntry } from '../store/ledger.js';
import { deletionReason, type SyncPolicy } from './plan.js';

const CACHE_FILE = 'ledger-uidls.cache';
const MAGIC = 'popbox-ledger-uidls 1';

/**
 * What deletionReason decides on, in its order: deleted here (d), headers only (p), a filter's
 * "delete from the server" (f), kept (k: by policy, or by its age). Upper case: the server still
 * had it at the last look (neither gone nor deleted there), so a listing without it has work.
 */
type Kind = 'd' | 'p' | 'f' | 'k';

function kindOf(e: LedgerEntry): Kind {
  if (e.deletedLocallyAt !== undefined) return 'd';
  if (e.partial) return 'p';
  if (e.serverDeleteAskedAt !== undefined) return 'f';
  return 'k';
}

/** One entry of each kind, for deletionReason (a kept one with the oldest download time of all). */
function sampleEntry(kind: Kind, oldestKept: number): LedgerEntry {
  const base: LedgerEntry = { uidl: '', id: '', downloadedAt: oldestKept, size: 0, partial: false };
  if (kind === 'd') return { ...base, deletedLocallyAt: 0 };
  if (kind === 'p') return { ...base, partial: true };
  if (kind === 'f') return { ...base, serverDeleteAskedAt: 0 };
  return base;
}

const sha1 = (data: string | Uint8Array) => createHash('sha1').update(data).digest('hex');

/** UIDLs a cache line can hold byte for byte (the POP3 reader's latin1; RFC 1939: 0x21–0x7E). */
const STORABLE = /^[\x21-\xff]+$/;

export class LedgerSummary {
  constructor(
    /** UIDL → the char code of its kind letter (upper case: still on the server). */
    private readonly kinds: Map<string, number>,
    /** How many entries are still on the server. */
    private readonly live: number,
    /** The earliest download time of a kept entry (null: none). */
    private readonly oldestKept: number | null,
  ) {}

  /**
   * True only when planSync over this ledger and listing would find nothing to do (planHasWork
   * false); false when it would, or when this cannot tell (an expiry policy that may have come
   * due for some kept message): the caller then plans from the ledger itself.
   */
  nothingToDo(server: readonly { uid: string }[], policy: SyncPolicy, now: number): boolean {
    const deletes = new Set<number>();
    for (const kind of ['d', 'p', 'f', 'k'] as const) {
      if (deletionReason(sampleEntry(kind, this.oldestKept ?? now), policy, now) !== null) deletes.add(kind.charCodeAt(0));
    }
    const seen = new Set<string>();
    let live = 0;
    for (const { uid } of server) {
      if (seen.has(uid)) continue; // planSync takes a UIDL listed twice once
      seen.add(uid);
      const code = this.kinds.get(uid);
      if (code === undefined || deletes.has(code | 0x20)) return false;
      if (code < 0x61) live++;
    }
    // Every entry the server had at the last look is listed again: nothing gone.
    return live === this.live;
  }

  static fromLedger(ledger: Ledger): { summary: LedgerSummary; body: string } | null {
    const kinds = new Map<string, number>();
    const lines: string[] = [];
    let live = 0;
    let oldestKept: number | null = null;
    for (const e of ledger.all()) {
      if (!STORABLE.test(e.uidl)) return null;
      const kind = kindOf(e);
      const onServer = e.goneAt === undefined && e.serverDeletedAt === undefined;
      const letter = onServer ? kind.toUpperCase() : kind;
      if (onServer) live++;
      if (kind === 'k' && (oldestKept === null || e.downloadedAt < oldestKept)) oldestKept = e.downloadedAt;
      kinds.set(e.uidl, letter.charCodeAt(0));
      lines.push(`${letter}${e.uidl}\n`);
    }
    return { summary: new LedgerSummary(kinds, live, oldestKept), body: lines.join('') };
  }

  /** The cache's summary when it was made from exactly these ledger bytes; null otherwise (or damaged). */
  static parse(text: string, ledgerBytes: Uint8Array, ledgerSha1: string): LedgerSummary | null {
    const nl = text.indexOf('\n');
    if (nl < 0) return null;
    const [magic, version, size, hash, live, oldest, bodySha1, ...more] = text.slice(0, nl).split(' ');
    if (`${magic} ${version}` !== MAGIC || more.length > 0) return null;
    if (Number(size) !== ledgerBytes.length || hash !== ledgerSha1) return null;
    const body = text.slice(nl + 1);
    if (sha1(body) !== bodySha1) return null;
    const liveCount = Number(live);
    const oldestKept = oldest === '-' ? null : Number(oldest);
    if (!Number.isSafeInteger(liveCount) || (oldestKept !== null && !Number.isFinite(oldestKept))) return null;
    const kinds = new Map<string, number>();
    for (let at = 0; at < body.length; ) {
      const end = body.indexOf('\n', at);
      if (end < 0) return null;
      kinds.set(body.slice(at + 1, end), body.charCodeAt(at));
      at = end + 1;
    }
    return new LedgerSummary(kinds, liveCount, oldestKept);
  }

  static header(ledgerBytes: Uint8Array, ledgerSha1: string, s: LedgerSummary, body: string): string {
    return `${MAGIC} ${ledgerBytes.length} ${ledgerSha1} ${s.live} ${s.oldestKept ?? '-'} ${sha1(body)}\n`;
  }
}

/** The ledger for one quick check (no kept ledger: the CLI), read under the account's lock. */
export interface CheckLedger {
  /** From the cache, when it matches the ledger's bytes. */
  readonly summary: LedgerSummary | null;
  /** The ledger itself, opened once (Ledger.open: strays removed, a torn last line dropped). */
  ledger(): Promise<Ledger>;
  /**
   * The check found nothing to do from the ledger itself: keep its summary for the next check,
   * if the file still holds the bytes read first (a best effort: a cache, never state).
   */
  remember(): Promise<void>;
}

const readBytes = (file: string) =>
  fs.readFile(file).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return Buffer.alloc(0); // as Ledger.open: no file, no entries
    throw e;
  });

export async function openCheckLedger(accountDir: string): Promise<CheckLedger> {
  const file = path.join(accountDir, 'ledger.jsonl');
  const cacheFile = path.join(accountDir, CACHE_FILE);
  const [bytes, cached] = await Promise.all([readBytes(file), fs.readFile(cacheFile, 'latin1').catch(() => null)]);
  const hash = sha1(bytes);
  const summary = cached === null ? null : LedgerSummary.parse(cached, bytes, hash);
  let opened: Promise<Ledger> | undefined;
  return {
    summary,
    ledger: () => (opened ??= Ledger.open(file)),
    remember: async () => {
      if (summary || !opened) return;
      const made = LedgerSummary.fromLedger(await opened);
      if (!made) return;
      const now = await readBytes(file).catch(() => null);
      if (!now || !now.equals(bytes)) return; // changed (a torn line dropped): made from other bytes
      const text = LedgerSummary.header(bytes, hash, made.summary, made.body) + made.body;
      // One temp name (the account's lock keeps writers apart), so a killed write leaves no litter.
      const tmp = `${cacheFile}.tmp`;
      await fs
        .writeFile(tmp, text, { encoding: 'latin1', mode: 0o600 })
        .then(() => fs.rename(tmp, cacheFile))
        .catch(() => {});
    },
  };
}
