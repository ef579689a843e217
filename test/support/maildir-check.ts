/** What is really on disk in a data directory's Maildirs (read from the files, not from Popbox). */
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';

export const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

export interface LocalFile {
  file: string;
  sha: string;
}

async function accountDirs(dataDir: string): Promise<string[]> {
  const dir = path.join(dataDir, 'accounts');
  return (await fs.readdir(dir).catch(() => [] as string[])).map((n) => path.join(dir, n));
}

/** Every message file in cur/ and new/ of every account. */
export async function storedFiles(dataDir: string): Promise<LocalFile[]> {
  const out: LocalFile[] = [];
  for (const acct of await accountDirs(dataDir)) {
    for (const sub of ['cur', 'new']) {
      const dir = path.join(acct, 'Maildir', sub);
      for (const name of await fs.readdir(dir).catch(() => [] as string[])) out.push({ file: path.join(dir, name), sha: sha256(await fs.readFile(path.join(dir, name))) });
    }
  }
  return out;
}

/** Files left in tmp/ (a write that never finished). */
export async function tmpFiles(dataDir: string): Promise<string[]> {
  const out: string[] = [];
  for (const acct of await accountDirs(dataDir)) {
    const dir = path.join(acct, 'Maildir', 'tmp');
    for (const name of await fs.readdir(dir).catch(() => [] as string[])) out.push(path.join(dir, name));
  }
  return out;
}

/** value → how many times, for "exactly once" comparisons. */
export function multiset(values: Iterable<string>): Map<string, number> {
  const m = new Map<string, number>();
  for (const v of values) m.set(v, (m.get(v) ?? 0) + 1);
  return new Map([...m].sort(([a], [b]) => a.localeCompare(b)));
}
