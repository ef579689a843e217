/**
 * The word list on disk: <dataDir>/junk/wordlist.json, replaced atomically (written beside,
 * fsynced, renamed) so a crash leaves the old list or the new one, never half of each.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { AppFailure, isAppFailure } from '../errors.js';
import { removeStrayTemps, storageError, writeFileAtomic } from '../store/durable.js';
import { acquireLock, releaseLock } from '../store/lock.js';
import { WordList } from './wordlist.js';

export function wordListPath(dataDir: string): string {
  return path.join(dataDir, 'junk', 'wordlist.json');
}

/** Beside the word list: held by whoever is changing it (learn, reset), in any process. */
export function wordListLockPath(dataDir: string): string {
  return path.join(dataDir, 'junk', 'wordlist.lock');
}

/** How long a change waits for another process's (a large folder being learned takes a while). */
const LOCK_WAIT_MS = 120_000;
const LOCK_RETRY_MS = 20;

/**
 * Runs `fn` holding the word list's lock, so two terminals (or a terminal and the app) learning
 * at once each load what the other saved instead of overwriting it, and a reset is not undone by
 * a save of what was read before it. Temporary files of an interrupted save are removed here,
 * under the lock, where no one else can be between writing one and renaming it.
 */
export async function withWordListLock<T>(dataDir: string, fn: () => Promise<T>): Promise<T> {
  const file = wordListPath(dataDir);
  const lockFile = wordListLockPath(dataDir);
  try {
    await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  } catch (e) {
    throw storageError(`cannot create ${path.dirname(file)}`, e);
  }
  const busy = (pid: number) => `the junk word list is being changed by another Popbox command${pid ? ` (process ${pid})` : ''}; try again when it has finished`;
  const deadline = Date.now() + LOCK_WAIT_MS;
  let lock;
  for (;;) {
    try {
      lock = await acquireLock(lockFile, busy);
      break;
    } catch (e) {
      if (!(isAppFailure(e) && e.code === 'in-use') || Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, LOCK_RETRY_MS));
    }
  }
  try {
    await removeStrayTemps(file);
    return await fn();
  } finally {
    await releaseLock(lock);
  }
}

/**
 * Load, change, save under the lock (withWordListLock): the way to learn without losing what
 * another process learned meanwhile. `change` returns whether there is anything to save.
 */
export function updateWordList<T>(dataDir: string, change: (list: WordList) => Promise<{ save: boolean; result: T }>): Promise<T> {
  return withWordListLock(dataDir, async () => {
    const list = await loadWordList(dataDir);
    const { save, result } = await change(list);
    if (save) await saveWordList(dataDir, list);
    return result;
  });
}

/** The saved word list; an empty one when nothing was learned yet. Reads only: never removes anything. */
export async function loadWordList(dataDir: string): Promise<WordList> {
  const file = wordListPath(dataDir);
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return new WordList();
    throw storageError(`cannot read the junk word list ${file}`, e);
  }
  try {
    return WordList.fromJSON(JSON.parse(text));
  } catch {
    throw new AppFailure('storage', `the junk word list ${file} is damaged; "popbox junk reset" starts a new one`);
  }
}

export async function saveWordList(dataDir: string, list: WordList): Promise<void> {
  const file = wordListPath(dataDir);
  try {
    await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    await writeFileAtomic(file, JSON.stringify(list.toJSON()));
  } catch (e) {
    throw storageError(`cannot save the junk word list ${file}`, e);
  }
}

/** Forgets everything learned (under the lock, so a learn in progress cannot undo it). */
export async function resetWordList(dataDir: string): Promise<void> {
  const file = wordListPath(dataDir);
  await withWordListLock(dataDir, async () => {
    try {
      await fs.rm(file, { force: true });
    } catch (e) {
      throw storageError(`cannot remove the junk word list ${file}`, e);
    }
  });
}
