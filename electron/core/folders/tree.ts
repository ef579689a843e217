/** An account's folder tree as the journal and the change feed carry it. */
import { SPECIAL_FOLDERS, pathOf, roleOf, type FolderInfo } from '../../../shared/folders.js';
import type { Journal } from '../store/journal.js';
import type { AccountMailbox } from '../store/mailbox.js';

/** An account's tree as the change feed carries it: special folders first, then by name. */
export function folderInfos(keys: Iterable<string>): FolderInfo[] {
  const order = (k: string) => {
    const i = SPECIAL_FOLDERS.findIndex((f) => f.key === k.split('.')[0]);
    return i === -1 ? SPECIAL_FOLDERS.length : i;
  };
  return [...keys]
    .map((key) => ({ key, path: pathOf(key), role: roleOf(key) }))
    .sort((a, b) => order(a.key) - order(b.key) || comparePaths(a.path, b.path));
}

function comparePaths(a: string[], b: string[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const c = a[i]!.localeCompare(b[i]!, undefined, { sensitivity: 'base', numeric: true });
    if (c !== 0) return c;
  }
  return a.length - b.length;
}

function sameTree(a: FolderInfo[], b: FolderInfo[]): boolean {
  return a.length === b.length && a.every((f, i) => f.key === b[i]!.key);
}

/** Journal the account's tree if it differs from what the journal holds (after any folder change, or another tool's). */
export async function journalTree(journal: Journal, box: AccountMailbox): Promise<FolderInfo[]> {
  const tree = folderInfos(box.maildir.folders());
  if (!sameTree(tree, journal.foldersOf(box.accountId))) await journal.append([{ t: 'folders', accountId: box.accountId, folders: tree }]);
  return tree;
}
