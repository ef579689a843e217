/**
 * The word list on disk: <dataDir>/junk/wordlist.json, replaced atomically (written beside,
 * fsynced, renamed) so a crash leaves the old list or the new one, never half of each.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { AppFailure } from '../errors.js';
import { removeStrayTemps, storageError, writeFileAtomic } from '../store/durable.js';
import { WordList } from './wordlist.js';

export function wordListPath(dataDir: string): string {
  return path.join(dataDir, 'junk', 'wordlist.json');
}

/** The saved word list; an empty one when nothing was learned yet. */
export async function loadWordList(dataDir: string): Promise<WordList> {
  const file = wordListPath(dataDir);
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return new WordList();
    throw storageError(`cannot read the junk word list ${file}`, e);
  }
  await removeStrayTemps(file);
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

/** Forgets everything learned. */
export async function resetWordList(dataDir: string): Promise<void> {
  const file = wordListPath(dataDir);
  try {
    await fs.rm(file, { force: true });
    await removeStrayTemps(file);
  } catch (e) {
    throw storageError(`cannot remove the junk word list ${file}`, e);
  }
}
