/**
 * What `popbox sync` must find on disk before its quick path may answer (quick-sync.ts): a clean
 * close, nothing to purge by age, no other work only the full path does. Read under the data
 * directory's lock.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { purgeDue, readPurgeMarks } from '../core/folders/purge-mark.js';
import type { QuickAccount } from './quick-accounts.js';

const exists = (file: string) => fs.stat(file).then((st) => st, () => null);

/** A Maildir folder with no message in it (cur/ and new/ empty); false when it cannot be told. */
async function folderEmpty(accountDir: string, folder: string): Promise<boolean> {
  try {
    for (const sub of ['cur', 'new']) if ((await fs.readdir(path.join(accountDir, 'Maildir', folder, sub))).length > 0) return false;
    return true;
  } catch {
    return false;
  }
}

/**
 * "Empty Trash / delete junk after N days": off, nothing there to age, or purged within the hour
 * (purge-mark.ts: the full path would skip it too, folder-service.ts purgeAged).
 */
async function nothingToPurge(dataDir: string, accountDirs: string[], now: number): Promise<boolean> {
  let prefs: Record<string, unknown> = {};
  const text = await fs.readFile(path.join(dataDir, 'preferences.json'), 'utf8').catch((e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? '{}' : null));
  if (text === null) return false;
  try {
    prefs = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return false;
  }
  // Maildir++ names of the special folders (store/maildir.ts, shared/folders.ts): a wrong name reads as "cannot tell".
  for (const [key, folder] of [['emptyTrashAfterDays', '.Trash'], ['deleteJunkAfterDays', '.Junk']] as const) {
    const days = prefs[key] ?? 0;
    if (typeof days !== 'number') return false;
    if (days > 0) {
      for (const dir of accountDirs) {
        if (await folderEmpty(dir, folder)) continue;
        if (purgeDue((await readPurgeMarks(dir))[folder.slice(1)], days, now)) return false;
      }
    }
  }
  return true;
}

/** What only the full path does after a check of this account: mail to send, deletions chosen in the app, junk to hold. */
async function accountHasOtherWork(accountDir: string, account: QuickAccount): Promise<boolean> {
  if (account.junkOnServer) return true;
  if (account.smtp !== null && ((await exists(path.join(accountDir, 'outbox.jsonl')))?.size ?? 0) > 0) return true;
  // The On the server view's chosen deletions (server-view/chosen.ts): anything there is the full path's.
  const chosen = await fs.readFile(path.join(accountDir, 'server-chosen.json'), 'utf8').catch((e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? '{"uidls":[]}' : ''));
  try {
    const uidls = (JSON.parse(chosen) as { uidls?: unknown }).uidls;
    return !Array.isArray(uidls) || uidls.length > 0;
  } catch {
    return true;
  }
}

/**
 * Nothing but the check itself to do for `accounts` (their directories `dirs`): the data directory
 * closed cleanly (otherwise the full path's start reconciles the journal with the disk first),
 * nothing to purge by age, and no account with work only the full path does.
 */
export async function nothingElseToDo(dataDir: string, accounts: QuickAccount[], dirs: string[], now: number): Promise<boolean> {
  if (!(await exists(path.join(dataDir, 'closed-cleanly')))) return false;
  if (!(await nothingToPurge(dataDir, dirs, now))) return false;
  for (const [i, account] of accounts.entries()) if (await accountHasOtherWork(dirs[i]!, account)) return false;
  return true;
}
