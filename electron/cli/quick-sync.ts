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
import path from 'node:path';
import { toAppError } from '../core/errors.js';
import { accountConnectOptions } from '../core/pop3/connect-options.js';
import { resolvePassword } from '../core/secrets/resolve-password.js';
import { KeytarSecretStore } from '../core/secrets/keytar-secret-store.js';
import { acquireLock, releaseLock } from '../core/store/lock.js';
import type { HandOver } from '../core/sync/hand-over.js';
import { quickCheck, type QuickCheckOutcome } from '../core/sync/quick-check.js';
import { pickAccounts, readAccounts, type QuickIo } from './quick-accounts.js';
import { nothingElseToDo } from './quick-sync-gate.js';

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
  const accounts = pickAccounts(await readAccounts(dataDir), names);
  if (!accounts) return null;
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
    // Looked at under the lock.
    if (!(await nothingElseToDo(dataDir, accounts, dirs, Date.now()))) return null;
    const secrets = new KeytarSecretStore();
    const checked: [string, NonNullable<QuickCheckOutcome>][] = [];
    const lines: { out: boolean; text: string }[] = [];
    let failed = 0;
    for (const [i, account] of accounts.entries()) {
      // A session with work is handed to the full path (it goes on there without a second login).
      const outcome = await quickCheck({
        accountDir: dirs[i]!,
        connect: (lastSeenFingerprint256) => accountConnectOptions(account, lastSeenFingerprint256),
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

// The CLI's CommonJS entry (front.ts) makes the command's hand-over from the script's own copy
// (its lock and session modules are the script's too), so that nothing else needs loading first.
export { HandOver } from '../core/sync/hand-over.js';
