/**
 * Syncing an account and downloading the rest of a message, each as a job on the account's
 * session (its one open mailbox): a download-the-rest asked for during a sync waits for it
 * instead of failing with in-use. A sync lets quick commands (mark read, Trash) in beside it.
 */
import type { AccountSettings } from '../../../shared/accounts.js';
import type { SyncOutcome } from '../../../shared/contract.js';
import type { AccountsService } from '../accounts/accounts-service.js';
import { toAppError } from '../errors.js';
import type { Ingest } from '../ingest/ingest.js';
import type { Credentials } from '../pop3/auth.js';
import type { Pop3Client } from '../pop3/client.js';
import { AccountMailbox } from '../store/mailbox.js';
import { isPop3Error } from '../pop3/errors.js';
import type { SessionManager } from '../session/session-manager.js';
import { lastSeenCertificate, recordCertificateBlock, rememberCertificate } from './last-certificate.js';
import type { HandOver } from './hand-over.js';
import { dropHandOver, quickCheck, recordQuickCheckStamp, type HandedHook } from './quick-check.js';
import { applyHookChanges, type ServerMessage } from './plan.js';
import { fetchFull, syncAccount, type SyncOptions, type SyncProgress, type SyncResult } from './sync-engine.js';

/** The full sync's plan as the hook left the quick check's: what it kept on the server, the deletions it added. */
function replayHook(hook: HandedHook): NonNullable<SyncOptions['adjustPlan']> {
  return async (plan, ctx) => {
    for (const fn of hook.afterQuit) ctx.afterQuit?.(fn);
    return applyHookChanges(plan, hook.changes);
  };
}

/**
 * The credentials of a sync that goes on over a handed-over session: it never logs in (syncAccount
 * logs in only without `loggedIn`), so the password command is not run for it. Reading the
 * password fails loudly rather than sending an empty one.
 */
const NO_LOGIN: Credentials = Object.freeze({
  user: '',
  get password(): string {
    throw new Error('a handed-over session does not log in again');
  },
});

export interface AccountSyncDeps {
  sessions: SessionManager;
  accounts: AccountsService;
  ingest: Ingest;
  now: () => number;
  /** Every account's progress (the service turns it into `syncProgress` events). */
  onProgress: (accountId: string, p: SyncProgress) => void;
  /** A hook on each ordinary sync's plan (the On the server view's chosen deletions and held junk). */
  planHook?: (account: AccountSettings) => NonNullable<SyncOptions['adjustPlan']> & { changesNothing?: () => Promise<boolean> };
  /** What the CLI's quick path found for each account in this process (hand-over.ts). */
  handOver?: HandOver;
}

export class AccountSync {
  /** Syncs in flight, by account: a second request joins the first (one session per account). */
  private readonly running = new Map<string, Promise<SyncOutcome>>();

  constructor(private readonly deps: AccountSyncDeps) {}

  /** Sync one account, or join the sync of it already under way; never rejects. */
  sync(account: AccountSettings, onProgress?: (accountId: string, p: SyncProgress) => void): Promise<SyncOutcome> {
    let run = this.running.get(account.id);
    if (!run) {
      run = this.checkThenSync(account, onProgress).then(
        ({ plan: _plan, ...result }): SyncOutcome => ({ accountId: account.id, ok: true, result }),
        (e: unknown): SyncOutcome => ({ accountId: account.id, ok: false, error: toAppError(e, e instanceof Error ? e.message : String(e)) }),
      );
      this.running.set(account.id, run);
      void run.finally(() => this.running.delete(account.id));
    }
    return run;
  }

  /** Resolves when no sync is under way. */
  async idle(): Promise<void> {
    await Promise.allSettled(this.running.values());
  }

  /** Download exactly what `adjustPlan` leaves of the plan (the On the server view's selection), in the account's turn. */
  downloadSelected(account: AccountSettings, adjustPlan: NonNullable<SyncOptions['adjustPlan']>): Promise<SyncResult> {
    return this.syncOne(account, undefined, adjustPlan);
  }

  /**
   * A check for mail: first the quick check (quick-check.ts) in the account's turn, without
   * opening its mailbox; only when it finds something to do (or cannot tell) the full sync, in
   * the same turn: no other job of the account (download the rest, On the server's Refresh or
   * Delete, each of which logs in) can come between the quick check's login and the end of the
   * sync (DESIGN §3.4, one session per account).
   */
  private async checkThenSync(account: AccountSettings, onProgress?: (accountId: string, p: SyncProgress) => void): Promise<SyncResult> {
    const { sessions, accounts, now } = this.deps;
    // Resolved only when a login needs it (the password command runs once per login, and not at
    // all when the CLI's quick path already logged in and handed its session over).
    let resolving: Promise<Credentials> | undefined;
    const credentials = () => (resolving ??= accounts.credentialsFor(account));
    const adjustPlan = this.deps.planHook?.(account);
    return sessions.for(account.id).lazily(
      async (box, open) => {
        const accountDir = AccountMailbox.dirFor(sessions.dataDir, account.id);
        // The CLI's quick path checked this account already in this process (quick-sync.ts).
        const parked = this.deps.handOver?.takeOutcome(accountDir);
        // Open for other work already: the full sync uses it as it is.
        if (box) {
          if (parked?.kind === 'work') await dropHandOver(parked);
          return this.fullSync(box, account, await credentials(), onProgress, adjustPlan);
        }
        const quick =
          parked ??
          (await quickCheck({
            accountDir,
            connect: (lastSeen) => accounts.connectOptions(account, lastSeen),
            server: account,
            credentials,
            policy: account,
            now: now(),
            handOver: true,
            keptLedger: sessions.for(account.id).keptLedger,
            ...(adjustPlan ? { adjustPlan } : {}),
          }));
        // A refused login or an unreachable server is this check's outcome (backoff, not a second login now).
        if (quick?.kind === 'failed') throw quick.error;
        if (quick?.kind === 'done') return quick.result;
        if (quick?.kind !== 'work') return this.fullSync(await open(), account, await credentials(), onProgress, adjustPlan);
        // Work found: the full sync goes on over the quick check's connection (one login per
        // check) and its listing (UIDL and LIST asked once), in the mailbox opened under the
        // lock the quick check took.
        let opened: AccountMailbox;
        try {
          opened = await open(() => AccountMailbox.open(sessions.dataDir, account.id, quick.lock));
        } catch (e) {
          quick.loggedIn.close(); // never used: no QUIT, nothing was asked of the server
          throw e;
        }
        const handed = { pop: quick.loggedIn, ...(quick.listing ? { listing: quick.listing } : {}) };
        // The hook ran at the quick check, on this session's listing: the full sync applies what
        // it changed to its own plan rather than running it a second time.
        const hooked = quick.listing && quick.hook ? replayHook(quick.hook) : adjustPlan;
        // A handed-over session never logs in again: no credentials needed (a fallback would be a bug).
        return this.fullSync(opened, account, undefined, onProgress, hooked, handed);
      },
      { letQuickWorkIn: true },
    );
  }

  /** The full sync (download-the-selection included) as a job of its own in the account's turn. */
  private async syncOne(
    account: AccountSettings,
    onProgress?: (accountId: string, p: SyncProgress) => void,
    adjustPlan = this.deps.planHook?.(account),
  ): Promise<SyncResult> {
    const credentials = await this.deps.accounts.credentialsFor(account);
    return this.deps.sessions.for(account.id).run((box) => this.fullSync(box, account, credentials, onProgress, adjustPlan), { letQuickWorkIn: true });
  }

  /**
   * Reconcile, then sync, in the account's turn with its mailbox open. `loggedIn`: the quick
   * check's connection and what it listed, which this takes over (closed here if the sync never
   * gets to use it); `credentials` are then not needed.
   */
  private async fullSync(
    box: AccountMailbox,
    account: AccountSettings,
    credentials: Credentials | undefined,
    onProgress: ((accountId: string, p: SyncProgress) => void) | undefined,
    adjustPlan: SyncOptions['adjustPlan'] | undefined,
    loggedIn?: { pop: Pop3Client; listing?: readonly ServerMessage[] },
  ): Promise<SyncResult> {
    const { accounts, ingest, now } = this.deps;
    let handed = loggedIn;
    const stored = ingest.begin(box);
    let finished: SyncResult | undefined;
    let verified: string | undefined;
    try {
      await ingest.reconcile(box);
      const connect = accounts.connectOptions(account, await lastSeenCertificate(box.dir, account));
      const taken = handed;
      handed = undefined; // syncAccount owns it from here (it closes it on any failure)
      finished = await syncAccount(box, {
        connect,
        onConnected: ({ fingerprint256 }) => {
          verified = fingerprint256;
        },
        credentials: credentials ?? NO_LOGIN,
        policy: account,
        now,
        onProgress: (p) => {
          this.deps.onProgress(account.id, p);
          onProgress?.(account.id, p);
        },
        // Parsing runs beside the download, never in its way; what it produces is journaled.
        onStored: (e) => stored.stored(e),
        // The plan is made: a sync of many has its parse worker start before the first message.
        onPlanned: (count) => stored.coming(count),
        ...(adjustPlan ? { adjustPlan } : {}),
        ...(taken ? { loggedIn: taken.pop, ...(taken.listing ? { listing: taken.listing } : {}) } : {}),
      });
      return finished;
    } catch (e) {
      // Kept with the account so that a restart does not connect again by itself (DESIGN §3.8).
      if (isPop3Error(e) && e.code === 'certificate') {
        const { fingerprint256, expectedFingerprint256 } = e;
        const block = { message: e.message, ...(fingerprint256 ? { fingerprint256 } : {}), ...(expectedFingerprint256 ? { expectedFingerprint256 } : {}) };
        await recordCertificateBlock(box.dir, block, now()).catch(() => {});
      }
      throw e;
    } finally {
      handed?.pop.close(); // the sync never got to it (reconcile failed): no QUIT, nothing was asked
      try {
        await stored.finish();
      } finally {
        // Only a name in a later warning depends on it: a failed write must not fail the sync.
        if (verified) await rememberCertificate(box.dir, account, verified, now()).catch(() => {});
        // The Maildir as this session leaves it: the next check may then be a quick one.
        if (finished) await recordQuickCheckStamp(box.dir, box.openedAt, (finished.loginDelaySeconds ?? 0) > 0).catch(() => {});
      }
    }
  }

  /** Download the rest of a headers-only message; returns the path of its full file. */
  async fetchFull(account: AccountSettings, id: string): Promise<string> {
    const { sessions, accounts, ingest } = this.deps;
    const credentials = await accounts.credentialsFor(account);
    return sessions.for(account.id).run(async (box) => {
      await fetchFull(box, id, { connect: accounts.connectOptions(account), credentials });
      const file = box.maildir.pathOf(id)!;
      await ingest.completed(id, file);
      return file;
    });
  }
}
