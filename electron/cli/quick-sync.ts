/**
 * The CLI's quick paths (issue 18, P0 and P3): `account list` and a `sync` that finds nothing
 * new, answered without what the full path loads and reads first (zod, MIME, SMTP, the journal
 * replayed, every folder of every Maildir scanned). Each answers exactly as the full path would —
 * the same lines, the same exit code — or returns null, and the full path (run.ts) runs; for a
 * sync it takes over what was found here (each account checked, a session with new mail still
 * logged in) and the data directory's lock, through the command's hand-over (core/sync/hand-over.ts), rather
 * than logging in or locking again. Whenever a file looks other than Popbox itself writes it, or
 * anything is left to do that only the full path does (crash recovery, Trash or Junk to empty by
 * age and not purged within the hour, mail waiting to be sent, server deletions chosen in the
 * app, junk held on the server), it is null.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { toAppError } from '../core/errors.js';
import { purgeDue, readPurgeMarks } from '../core/folders/purge-mark.js';
import { resolvePassword } from '../core/secrets/resolve-password.js';
import { KeytarSecretStore } from '../core/secrets/keytar-secret-store.js';
import { acquireLock, releaseLock } from '../core/store/lock.js';
import type { HandOver } from '../core/sync/hand-over.js';
import { quickCheck, type QuickCheckOutcome } from '../core/sync/quick-check.js';
import { readAccounts, type QuickAccount, type QuickIo } from './quick-accounts.js';

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
 * Leave the rest to the full path (null), which takes what was found here for each account
 * checked (through `handOver`) instead of checking it again: one login per account.
 */
function fullPathAfter(handOver: HandOver, checked: [string, NonNullable<QuickCheckOutcome>][]): null {
  for (const [dir, outcome] of checked) handOver.parkOutcome(dir, outcome);
  return null;
}

/**
 * `sync [NAME...]` when every account named (or every account) has nothing new and nothing to be
 * deleted on the server: one quick check each (core/sync/quick-check.ts) under the data
 * directory's lock, then the lines the full path prints. null as soon as any account needs more.
 */
export async function quickSync(dataDir: string, names: string[], io: QuickIo, handOver: HandOver): Promise<number | null> {
  dataDir = path.resolve(dataDir);
  const all = await readAccounts(dataDir);
  if (!all) return null;
  // By id or exact name only (the full path also finds names in another case, and says which is unknown).
  const picked = names.length ? names.map((n) => all.find((a) => a.id === n || a.name === n)) : all;
  if (picked.some((a) => a === undefined) || new Set(picked).size !== picked.length) return null;
  const accounts = picked as QuickAccount[];
  const dirs = accounts.map((a) => path.join(dataDir, 'accounts', a.id));
  let lock;
  try {
    // Held as MailService holds it: no other Popbox process works on this data directory meanwhile.
    lock = await acquireLock(path.join(dataDir, 'popbox.lock'), () => 'in use');
  } catch {
    return null; // the full path says who holds it
  }
  let answered = false;
  try {
    // Only after a clean close (looked at under the lock): otherwise the full path's start
    // reconciles the journal with the disk first.
    if (!(await exists(path.join(dataDir, 'closed-cleanly')))) return null;
    if (!(await nothingToPurge(dataDir, dirs, Date.now()))) return null;
    for (const [i, account] of accounts.entries()) if (await accountHasOtherWork(dirs[i]!, account)) return null;
    const secrets = new KeytarSecretStore();
    const checked: [string, NonNullable<QuickCheckOutcome>][] = [];
    const lines: { out: boolean; text: string }[] = [];
    let failed = 0;
    for (const [i, account] of accounts.entries()) {
      // A session with work is handed to the full path (it goes on there without a second login).
      const outcome = await quickCheck({
        accountDir: dirs[i]!,
        connect: (lastSeenFingerprint256) => ({
          host: account.host,
          port: account.port,
          security: account.security,
          pipelining: account.pipelining,
          // As AccountsService.connectOptions builds it.
          tls: account.tlsFingerprint ? { pinnedFingerprint256: account.tlsFingerprint } : lastSeenFingerprint256 ? { lastSeenFingerprint256 } : {},
        }),
        server: account,
        // Run only when this check logs in (a password command failing: null, the full path says why).
        credentials: async () => ({
          user: account.user,
          password: await resolvePassword(account, secrets),
          ...(account.authMechanism ? { mechanism: account.authMechanism } : {}),
          allowInsecure: account.allowInsecureAuth,
        }),
        policy: account,
        now: Date.now(),
        handOver: true,
      });
      if (outcome === null) return fullPathAfter(handOver, checked);
      checked.push([dirs[i]!, outcome]);
      // Work to do: the full path runs, in this process, and goes on over this session (its
      // listing too). The accounts checked before it are answered there from what was found here.
      if (outcome.kind === 'work') return fullPathAfter(handOver, checked);
      // Connecting or logging in failed (refused, [IN-USE], unreachable): the full path would say
      // the same after a second attempt at once, which only counts against the account at the server.
      if (outcome.kind === 'failed') {
        failed++;
        const error = toAppError(outcome.error, String(outcome.error));
        lines.push({ out: false, text: `${account.name}: ${error.code}: ${error.message}` });
        continue;
      }
      lines.push({ out: true, text: `${account.name}: 0 new, 0 deleted on server` });
      for (const w of outcome.result.warnings) lines.push({ out: false, text: `${account.name}: warning: ${w}` });
    }
    for (const l of lines) (l.out ? io.out : io.err)(`${l.text}\n`);
    answered = true;
    return failed ? 1 : 0;
  } finally {
    // Left to the full path: it goes on under this lock, as under each account's.
    if (answered) await releaseLock(lock);
    else handOver.parkLock(dataDir, lock);
  }
}
