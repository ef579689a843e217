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
import { quickCheck, recordQuickCheckStamp } from './quick-check.js';
import { fetchFull, syncAccount, type SyncOptions, type SyncProgress, type SyncResult } from './sync-engine.js';

export interface AccountSyncDeps {
  sessions: SessionManager;
  accounts: AccountsService;
  ingest: Ingest;
  now: () => number;
  /** Every account's progress (the service turns it into `syncProgress` events). */
  onProgress: (accountId: string, p: SyncProgress) => void;
  /** A hook on each ordinary sync's plan (the On the server view's chosen deletions and held junk). */
  planHook?: (account: AccountSettings) => NonNullable<SyncOptions['adjustPlan']>;
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
   * opening its mailbox; only when it finds something to do (or cannot tell) the full sync.
   */
  private async checkThenSync(account: AccountSettings, onProgress?: (accountId: string, p: SyncProgress) => void): Promise<SyncResult> {
    const { sessions, accounts, now } = this.deps;
    const credentials = await accounts.credentialsFor(account);
    const adjustPlan = this.deps.planHook?.(account);
    const quick = await sessions.for(account.id).peek((box) =>
      box
        ? Promise.resolve(null) // open for other work: the full sync uses it as it is
        : quickCheck({
            accountDir: AccountMailbox.dirFor(sessions.dataDir, account.id),
            connect: (lastSeen) => accounts.connectOptions(account, lastSeen),
            server: account,
            credentials,
            policy: account,
            now: now(),
            handOver: true,
            ...(adjustPlan ? { adjustPlan } : {}),
          }),
    );
    if (quick?.kind === 'failed') throw quick.error;
    if (quick?.kind === 'done') return quick.result;
    if (quick?.kind !== 'work') return this.syncOne(account, onProgress, adjustPlan, credentials);
    // Work found: the full sync goes on over the quick check's connection (one login per check).
    const handed = { pop: quick.loggedIn as typeof quick.loggedIn | null };
    try {
      return await this.syncOne(account, onProgress, adjustPlan, credentials, () => {
        const pop = handed.pop;
        handed.pop = null;
        return pop ?? undefined;
      });
    } finally {
      handed.pop?.close(); // the mailbox could not be opened: the connection was never used
    }
  }

  private async syncOne(
    account: AccountSettings,
    onProgress?: (accountId: string, p: SyncProgress) => void,
    adjustPlan = this.deps.planHook?.(account),
    knownCredentials?: Credentials,
    /** The quick check's connection, taken once (a second call gets none). */
    takeLoggedIn?: () => Pop3Client | undefined,
  ): Promise<SyncResult> {
    const { sessions, accounts, ingest, now } = this.deps;
    const credentials = knownCredentials ?? (await accounts.credentialsFor(account));
    return sessions.for(account.id).run(
      async (box) => {
        const stored = ingest.begin(box);
        let finished: SyncResult | undefined;
        let verified: string | undefined;
        try {
          await ingest.reconcile(box);
          finished = await syncAccount(box, {
            connect: accounts.connectOptions(account, await lastSeenCertificate(box.dir, account)),
            onConnected: ({ fingerprint256 }) => {
              verified = fingerprint256;
            },
            credentials,
            policy: account,
            now,
            onProgress: (p) => {
              this.deps.onProgress(account.id, p);
              onProgress?.(account.id, p);
            },
            // Parsing runs beside the download, never in its way; what it produces is journaled.
            onStored: (e) => stored.stored(e),
            ...(adjustPlan ? { adjustPlan } : {}),
            ...((loggedIn) => (loggedIn ? { loggedIn } : {}))(takeLoggedIn?.()),
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
          try {
            await stored.finish();
          } finally {
            // Only a name in a later warning depends on it: a failed write must not fail the sync.
            if (verified) await rememberCertificate(box.dir, account, verified, now()).catch(() => {});
            // The Maildir as this session leaves it: the next check may then be a quick one.
            if (finished) await recordQuickCheckStamp(box.dir, box.openedAt, (finished.loginDelaySeconds ?? 0) > 0).catch(() => {});
          }
        }
      },
      { letQuickWorkIn: true },
    );
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
