/**
 * The check that finds nothing new, made cheap (issue 18 P0). Most checks for mail find nothing:
 * the full path opens the account's mailbox (every folder of the Maildir scanned, tmp/ cleaned,
 * the journal reconciled with the disk) before it even connects. Here only what the decision
 * needs is read: the ledger (the app's account session keeps it while its file is unchanged; the
 * CLI's check folds it only when it changed since a check that planned nothing, quick-check-digest.ts), the
 * server's UIDL list (LIST only when there is work), and the plan the full sync would make from them (planSync, the
 * same function). When that plan does nothing, neither does the full sync, and the check ends here
 * with QUIT; otherwise the caller runs the full sync, which decides again from scratch — over this
 * session and from its listing when it is handed over (the app; the CLI through hand-over.ts), so a
 * check logs in and lists once; the On the server hook, run here, is replayed there, not run
 * twice (nothing here writes mail state, so nothing here can break invariants 1–3).
 *
 * What the full path also does on every check is reconcile: take in what another tool changed in
 * the Maildir (a file deleted, flags renamed). The quick check runs only while the Maildir is as
 * the last full session left it, told by the modification times of its folder directories
 * (every add, remove or rename in a folder changes its directory's time), recorded at the end of
 * each full session in `<account>/quick-check.json`. A stamp whose times are close to or after
 * the start of the session that wrote it is not trusted (a change in the same clock tick would
 * not show): the next check is then a full one, which writes a new stamp.
 */
import path from 'node:path';
import type { Credentials } from '../pop3/auth.js';
import { parseUidl, Pop3Client, type Pop3ConnectOptions } from '../pop3/client.js';
import { isPop3Error } from '../pop3/errors.js';
import { acquireLock, releaseLock, type HeldLock } from '../store/lock.js';
import { Ledger } from '../store/ledger.js';
import type { KeptLedger } from '../session/kept-ledger.js';
import { certificateBlockSync, lastSeenCertificate, rememberCertificate } from './last-certificate.js';
import { type LedgerRead, listingDigest, mayPlanNothingAgain, plansNothingAgain, readLedgerFile, readPlanDigest, recordPlanDigest } from './quick-check-digest.js';
import { maildirUnchanged } from './quick-check-stamp.js';
import { hookChanges, planHasWork, planSync, serverListing, type HookChanges, type ServerMessage, type SyncPlan, type SyncPolicy } from './plan.js';
import type { AdjustContext, SyncResult } from './sync-engine.js';

export { recordQuickCheckStamp } from './quick-check-stamp.js';

export interface QuickCheckOptions {
  /** `<dataDir>/accounts/<id>`. */
  accountDir: string;
  /** Where to connect, given the certificate last seen there (as the full sync builds it). */
  connect: (lastSeenFingerprint256: string | undefined) => Pop3ConnectOptions;
  /** The server as settings name it (the certificate memory is kept per host and port). */
  server: { host: string; port: number };
  /**
   * Or how to get them: asked only once a login is sure to follow (the password command runs
   * once per login, not for a check that ends before connecting). A failure: null (the full
   * path reports it in its words).
   */
  credentials: Credentials | (() => Promise<Credentials>);
  policy: SyncPolicy;
  now: number;
  /**
   * When there is work: keep the connection (logged in) and the account's lock for the full sync,
   * instead of QUIT and a second login moments later (the app: the full sync runs in the same
   * process, in the same turn of the account's session).
   */
  handOver?: boolean;
  /**
   * The full sync's hook on its plan (the On the server view), applied here the same way; with
   * `changesNothing` answering true, a check that finds no new message neither runs it nor asks LIST.
   * Run only with `handOver` (the full sync then replays it): without, a check with work ends
   * here and the full sync runs the hook itself, once.
   */
  adjustPlan?: QuickCheckHook;
  /** The account session's kept ledger (the app); without one the ledger is read at every check. */
  keptLedger?: KeptLedger;
}

export type QuickCheckHook = ((plan: SyncPlan, ctx: Omit<AdjustContext, 'afterQuit'> & Required<Pick<AdjustContext, 'afterQuit'>>) => Promise<SyncPlan>) & {
  changesNothing?: () => Promise<boolean>;
};

/** What the hook did at the quick check, for the full sync it hands over to (applyHookChanges). */
export interface HandedHook {
  changes: HookChanges;
  /** What the hook asked to hear after QUIT +OK (the deletions it added, carried out). */
  afterQuit: ((deleted: readonly string[]) => void)[];
}

/**
 * `done`: the server has nothing for this account and nothing is to be deleted there (the
 * session ended with QUIT). `failed`: connecting or logging in failed (refused, [IN-USE],
 * [LOGIN-DELAY], [SYS/TEMP], the server unreachable): that is this check's outcome, as the full
 * sync would have had it, and a second attempt right away would only count against the account
 * at the server; the caller's backoff decides when to try again. `work` (with handOver): the full
 * sync must run, on this connection, under this account lock (both now the caller's: the lock
 * goes to AccountMailbox.open, the connection to the sync, and whichever is not used is
 * released). null: cannot tell here (a certificate to record, no UIDL, the Maildir changed):
 * the full sync must run.
 */
export type QuickCheckOutcome =
  | { kind: 'done'; result: SyncResult }
  | { kind: 'failed'; error: unknown }
  | {
      kind: 'work';
      loggedIn: Pop3Client;
      lock: HeldLock;
      /**
       * What this session's UIDL and LIST answered (absent when handed over before asking, as
       * under LOGIN-DELAY): the full sync plans from it instead of asking again. Valid only with
       * `loggedIn`, the session it was read in (the server numbers messages per session).
       */
      listing?: ServerMessage[];
      /** With `listing`, when the caller gave a hook: what it changed, run once here. */
      hook?: HandedHook;
    }
  | null;

/** A handed-over session nobody will use: closed without QUIT (nothing was asked), its lock released. */
export async function dropHandOver(work: Extract<QuickCheckOutcome, { kind: 'work' }>): Promise<void> {
  work.loggedIn.close();
  await releaseLock(work.lock).catch(() => {});
}

/**
 * Connecting and logging in fail as the full sync's would; a certificate problem is left to the
 * full path (it records the block with the account, DESIGN §3.8).
 */
const loginFailure = (e: unknown): QuickCheckOutcome => (isPop3Error(e) && e.code !== 'certificate' ? { kind: 'failed', error: e } : null);

/**
 * The quick check, for a caller that holds the account's turn in this process but not its open
 * mailbox: it takes the account's lock itself (another process's sync waits or is told in-use).
 */
export async function quickCheck(opts: QuickCheckOptions): Promise<QuickCheckOutcome> {
  const { accountDir } = opts;
  // A certificate block is the full path's business (a verified connection there ends it).
  if (certificateBlockSync(accountDir)) return null;
  let lock: HeldLock;
  try {
    lock = await acquireLock(path.join(accountDir, 'lock'), () => 'in use');
  } catch {
    return null; // the full path says in-use in its own words
  }
  let handedOver = false;
  try {
    if (!(await maildirUnchanged(accountDir))) return null;
    // From here a login follows (unless the server cannot be reached): the password command (a
    // process to start, tens of milliseconds) runs while the ledger is read and the connection
    // made, not before them. Its failure is the full path's to word (null below).
    let credentials: Promise<Credentials> | undefined;
    const askCredentials = () => (credentials ??= typeof opts.credentials === 'function' ? opts.credentials() : Promise.resolve(opts.credentials));
    let seen: string | undefined;
    const ledgerFile = path.join(accountDir, 'ledger.jsonl');
    let opening: Promise<Ledger> | undefined;
    // `read`: the file as read for its digest, folded rather than read a second time.
    const openLedger = (read?: LedgerRead) => (opening ??= opts.keptLedger ? opts.keptLedger.read(ledgerFile) : read ? Ledger.fromRead(read) : Ledger.open(ledgerFile));
    // Without a kept ledger or a hook (the CLI): what the last check that planned nothing planned
    // from (quick-check-digest.ts). The ledger is opened now only when its bytes changed since.
    // Else its bytes (~12 MB at 100,000 UIDLs) are kept in `unfolded` until the listing says
    // whether they must be folded; `known` keeps only their digest through the waits.
    let unfolded: LedgerRead | undefined;
    const knowing =
      opts.keptLedger || opts.adjustPlan
        ? undefined
        : Promise.all([readPlanDigest(accountDir), readLedgerFile(ledgerFile)]).then(async ([recorded, read]) => {
            if (mayPlanNothingAgain(recorded, read?.digest, opts.policy, opts.now)) unfolded = read;
            else await openLedger(read);
            return { recorded, ledger: read?.digest };
          });
    const connecting = lastSeenCertificate(accountDir, opts.server)
      .then((lastSeen) => {
        const connected = Pop3Client.connect(opts.connect((seen = lastSeen)));
        // Started once the connection is on its way (node connects on a tick queued just
        // before this one, or looks the host up on its thread pool), not before: starting a
        // process costs this thread ~10 ms (the CLI), which then overlaps the server's TLS
        // handshake and greeting instead of delaying the connection's first packet.
        process.nextTick(() => void askCredentials().catch(() => {}));
        return connected;
      })
      .catch((e: unknown) => ({ failed: e }));
    const [known, pop] = await Promise.all([
      (knowing ?? openLedger().then(() => undefined)).catch(async (e: unknown) => {
        // The ledger unreadable (a storage error): the connection made beside it is closed before
        // the lock is released, not left open (and the maildrop locked) until the server times it
        // out. No QUIT: nothing was asked of the server. The ledger's error is what goes on.
        const opened = await connecting;
        if (!('failed' in opened)) opened.close();
        throw e;
      }),
      connecting,
    ]);
    if ('failed' in pop) return loginFailure(pop.failed);
    try {
      // UIDL alone decides a check that finds nothing: sizes (LIST) matter only to new messages
      // (the full sync's business) and to the hook (its listing of the server), so they are
      // asked only when there is work or the hook may have some. UIDL goes out with the CAPA
      // after login where the server pipelines.
      let lines: string[];
      try {
        lines = await pop.loginThenUidlLines(await askCredentials());
      } catch (e) {
        // Refused or dropped at login: this check's outcome. After login (UIDL): the full path's.
        const atLogin = !pop.loggedIn;
        pop.close();
        return atLogin ? loginFailure(e) : null;
      }
      const handOver = (listing?: ServerMessage[], hook?: HandedHook): QuickCheckOutcome => {
        handedOver = true;
        return { kind: 'work', loggedIn: pop, lock, ...(listing ? { listing } : {}), ...(hook ? { hook } : {}) };
      };
      const caps = pop.capabilities;
      if (caps?.loginDelaySeconds) {
        // A second login soon after this one may be refused: hand this one over, or leave it all to the full sync.
        return opts.handOver ? handOver() : await quitThenFull(pop);
      }
      const hook = opts.adjustPlan;
      const listing = known && listingDigest(lines);
      // The same ledger, listing and policy as a check that planned nothing, and nothing due by age since: nothing to fold.
      const unchanged = known !== undefined && plansNothingAgain(known.recorded, known.ledger, listing!, opts.policy, opts.now);
      // A listing read (and found whole) before need not be again.
      const uidls = unchanged ? [] : parseUidl(lines);
      const ledger = unchanged ? NO_LEDGER : await openLedger(unfolded);
      unfolded = undefined; // folded or not needed: not held through what follows (LIST, the hook, QUIT)
      let plan = planSync(serverListing(uidls), ledger, opts.policy, opts.now);
      if (planHasWork(plan) || (hook && (await hook.changesNothing?.()) !== true)) {
        // Nothing to hand over to: the full sync lists and runs the hook itself (once).
        if (!opts.handOver) return await quitThenFull(pop);
        const server = serverListing(uidls, await pop.list());
        const planned = planSync(server, ledger, opts.policy, opts.now);
        plan = planned;
        let handedHook: HandedHook | undefined;
        if (hook) {
          // Run here, once per check: the full sync this hands over to replays what it changed
          // (applyHookChanges) rather than running it again (holding junk fetches headers).
          const afterQuit: ((deleted: readonly string[]) => void)[] = [];
          plan = await hook(planned, { pop, server, afterQuit: (fn) => afterQuit.push(fn) });
          handedHook = { changes: hookChanges(planned, plan), afterQuit };
        }
        if (planHasWork(plan)) return handOver(server, handedHook);
      }
      await pop.quit();
      // The certificate as last seen and no block when this check began (certificateBlockSync,
      // read just before the lock was taken): nothing to remember, and no need to read the file
      // again. A block another process recorded in between stays until the next full sync, which
      // this check's certificate does not change (the next check sees the block and goes full).
      const fingerprint = pop.fingerprint256;
      if (fingerprint && fingerprint !== seen) await rememberCertificate(accountDir, opts.server, fingerprint, opts.now).catch(() => {});
      // A cache: not written, the next check plans again.
      if (known?.ledger !== undefined && listing && !unchanged) {
        await recordPlanDigest(accountDir, known.ledger, ledger.all(), new Set(uidls.map((u) => u.uid)), listing, opts.policy).catch(() => {});
      }
      const warnings: string[] = [];
      // As the full sync words it (sync-engine.ts).
      if (opts.policy.leaveOnServer && caps?.expire === 0) {
        warnings.push('The server deletes messages once they are downloaded (EXPIRE 0): "leave messages on server" has no effect.');
      }
      return { kind: 'done', result: { downloaded: 0, headersOnly: 0, skipped: 0, deletedOnServer: 0, bytes: 0, warnings, plan } };
    } catch {
      if (!handedOver) pop.close(); // no QUIT: nothing was asked of the server anyway
      return null;
    }
  } catch {
    return null;
  } finally {
    // Handed over, the lock is the caller's (it goes on to the mailbox the full sync opens).
    if (!handedOver) await releaseLock(lock);
  }
}

/** The ledger of a check the digest answered: planSync with it and no listing plans nothing. */
const NO_LEDGER = { get: () => undefined, all: () => [] };

async function quitThenFull(pop: Pop3Client): Promise<null> {
  await pop.quit().catch(() => pop.close());
  return null;
}
