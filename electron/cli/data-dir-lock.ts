/**
 * The data directory's lock (popbox.lock), handed from the CLI's quick path to its full path in
 * the same process, as each account's session is (quick-check.ts parkOutcome): released and taken
 * again, it was free for a moment, and a second Popbox starting then held it, so this command's
 * full path stopped with "already using this data directory" after its own quick check.
 */
import path from 'node:path';
import type { HeldLock } from '../core/store/lock.js';

const parked = new Map<string, HeldLock>();

/** Keep `lock` (held on `dataDir`) for the full path of this command. */
export function parkDataDirLock(dataDir: string, lock: HeldLock): void {
  parked.set(path.resolve(dataDir), lock);
}

/** The lock parked for `dataDir`, at most once; undefined when none is. */
export function takeDataDirLock(dataDir: string): HeldLock | undefined {
  const key = path.resolve(dataDir);
  const lock = parked.get(key);
  parked.delete(key);
  return lock;
}

/** Every lock never taken (the full path ended before opening the data directory), released. */
export async function releaseParkedLocks(): Promise<void> {
  const { releaseLock } = await import('../core/store/lock.js');
  const all = [...parked.values()];
  parked.clear();
  await Promise.all(all.map((l) => releaseLock(l).catch(() => {})));
}
