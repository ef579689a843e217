/**
 * Directory listings kept between lookups of messages by id (AccountMailbox.findMessage). A
 * reader whose expected path misses (a move or a flag change renamed the file before the journal
 * said so) used to read the whole folder again for each message: a move of 10,000 messages read
 * the 10,000-entry cur/ 10,000 times. A listing is re-read only when its directory changed (its
 * mtime or inode), and the caller never trusts it alone: a name found here is checked on disk
 * before it is returned, and "not found" is only said after a fresh read of every directory.
 * So a stale listing can cost a read, never give a wrong path.
 */
import fs from 'node:fs/promises';

export interface Listing {
  readonly names: readonly string[];
  /** Message id (the name before ":2,", or the whole name in new/) → the first file name with it. */
  readonly byId: ReadonlyMap<string, string>;
}

interface Kept extends Listing {
  mtimeNs: bigint;
  ino: bigint;
}

/** Enough for every folder of a few accounts; the oldest is dropped beyond it. */
const MAX_DIRS = 512;
const kept = new Map<string, Kept>();

const EMPTY: Listing = { names: [], byId: new Map() };

/**
 * The directory's entries: the kept listing while the directory's mtime and inode are unchanged,
 * else (or with `fresh`) read now. A directory that cannot be read lists nothing.
 */
export async function listing(dir: string, fresh = false): Promise<Listing> {
  // Stat before reading: a rename between the two leaves a stamp older than the names, which
  // only makes the next lookup read again.
  const st = await fs.stat(dir, { bigint: true }).catch(() => null);
  if (!st) {
    kept.delete(dir);
    return EMPTY;
  }
  const old = kept.get(dir);
  if (!fresh && old && old.mtimeNs === st.mtimeNs && old.ino === st.ino) return old;
  const names = await fs.readdir(dir).catch(() => null);
  kept.delete(dir);
  if (!names) return EMPTY;
  const byId = new Map<string, string>();
  for (const name of names) {
    const colon = name.indexOf(':2,');
    const id = colon === -1 ? name : name.slice(0, colon);
    if (!byId.has(id)) byId.set(id, name);
  }
  const made: Kept = { names, byId, mtimeNs: st.mtimeNs, ino: st.ino };
  kept.set(dir, made);
  if (kept.size > MAX_DIRS) kept.delete(kept.keys().next().value!);
  return made;
}

/** Forget every kept listing (tests; a data directory removed under the process). */
export function forgetListings(): void {
  kept.clear();
}
