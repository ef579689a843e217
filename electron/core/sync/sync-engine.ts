/**
 * One POP3 session for one account: connect, log in, UIDL, plan, download (pipelined RETR
 * streamed into the Maildir), DELE, QUIT. The invariants of DESIGN §3 live here:
 *  1. DELE only for messages whose file and ledger record are durable (group commit first);
 *  2. a UIDL in the ledger is never downloaded again, and a file name derived from the UIDL
 *     means a crash can never leave two copies;
 *  3. deletions are recorded as committed only after QUIT answers +OK.
 */
import { createHash } from 'node:crypto';
import type { Credentials } from '../pop3/auth.js';
import { Pop3Client, type Pop3ConnectOptions } from '../pop3/client.js';
import type { SyncPhase, SyncProgress } from '../../../shared/contract.js';
import { isPop3Error } from '../pop3/errors.js';
import { AppFailure } from '../errors.js';
import type { AccountMailbox } from '../store/mailbox.js';
import type { StagedMessage, StoredFile } from '../store/maildir.js';
import { messageIdFor } from '../store/ids.js';
import { planSync, serverListing, type ServerMessage, type SyncPlan, type SyncPolicy } from './plan.js';
import { tierUpLaterFor } from './tier-up.js';
import { ProgressReporter } from './progress.js';

export type { SyncPhase, SyncProgress };

export interface StoredEvent {
  id: string;
  uidl: string;
  file: StoredFile;
  path: string;
  partial: boolean;
}

export interface SyncOptions {
  connect: Pop3ConnectOptions;
  credentials: Credentials;
  policy: SyncPolicy;
  /** Injectable clock (ms since epoch) so tests can run "delete after N days" forward. */
  now?: () => number;
  /** A new phase at once, the count as it moves at most once per `progressEveryMs` (progress.ts). */
  onProgress?: (p: SyncProgress) => void;
  /** Default PROGRESS_EVERY_MS (tests make it long to see which counts are held back). */
  progressEveryMs?: number;
  /** The connection is up and its certificate verified (pin or CA chain), before anything is sent. */
  onConnected?: (info: { fingerprint256: string | undefined }) => void;
  /** Called for each message once it is durable (ledger committed): summaries hang off this. */
  onStored?: (e: StoredEvent) => void;
  /** The plan is made: this many messages are about to download (once per sync, before the first; ingest starts a parse worker for many). */
  onPlanned?: (count: number) => void;
  /** Messages per group commit (one directory fsync and one ledger fsync per group). */
  commitEvery?: number;
  /** Bytes a sync may take beyond twice what the server announced (LIST); see byteBudget(). */
  budgetSlack?: number;
  /** A connection already logged in (the quick check's, which found work): used instead of a new one. */
  loggedIn?: Pop3Client;
  /**
   * What `loggedIn` already answered to UIDL and LIST in this same session (the quick check's
   * listing): planned from instead of asking again. Ignored without `loggedIn` (message numbers
   * belong to one session).
   */
  listing?: readonly ServerMessage[];
  /**
   * Changes the plan before anything is downloaded (the On the server view: deletions the person
   * chose, junk held on the server, or exactly a selection to download). Absent: the plan as is.
   */
  adjustPlan?: (plan: SyncPlan, ctx: AdjustContext) => Promise<SyncPlan>;
}

export interface AdjustContext {
  pop: Pop3Client;
  server: readonly ServerMessage[];
  /** Called after QUIT +OK with the UIDLs the server deleted at this check (a DELE it refused is not among them). */
  afterQuit?(fn: (deleted: readonly string[]) => void): void;
}

export interface SyncResult {
  downloaded: number;
  headersOnly: number;
  /** Messages that vanished between UIDL and RETR (deleted by another client). */
  skipped: number;
  deletedOnServer: number;
  bytes: number;
  warnings: string[];
  /** The server's LOGIN-DELAY (seconds), for the scheduler. */
  loginDelaySeconds?: number;
  plan: SyncPlan;
}

/** A download of `count` messages is planned: V8's budget for a big one, and the caller told (both download paths). */
function downloadPlanned(opts: SyncOptions, count: number): void {
  tierUpLaterFor(count);
  opts.onPlanned?.(count);
}

/** Files finishing (fsync + rename) while the next message downloads. */
const MAX_FINISHING = 8;

export async function syncAccount(box: AccountMailbox, opts: SyncOptions): Promise<SyncResult> {
  const now = opts.now ?? Date.now;
  const progress: SyncProgress = { phase: 'connecting', done: 0, total: 0, bytes: 0, totalBytes: 0 };
  const reporter = new ProgressReporter(progress, opts.onProgress, opts.progressEveryMs);
  const report = (phase: SyncPhase) => reporter.phase(phase);
  const warnings: string[] = [];

  report('connecting');
  const pop = opts.loggedIn ?? (await Pop3Client.connect(opts.connect));
  opts.onConnected?.({ fingerprint256: pop.fingerprint256 });
  try {
    report('authenticating');
    if (!opts.loggedIn) await pop.login(opts.credentials);
    report('listing');
    const caps = pop.capabilities;
    if (opts.policy.leaveOnServer && caps?.expire === 0) {
      warnings.push('The server deletes messages once they are downloaded (EXPIRE 0): "leave messages on server" has no effect.');
    }
    const handed = opts.loggedIn && opts.listing;
    const listed = handed ? handed.map((m) => ({ id: m.num, size: m.size })) : await pop.list();
    const sizes = new Map(listed.map((m) => [m.id, m.size]));
    const uidls = handed ? handed.map((m) => ({ id: m.num, uid: m.uidl })) : await listUidls(pop);

    if (uidls === null) {
      if (opts.policy.leaveOnServer) {
        throw new AppFailure(
          'unsupported',
          'This server does not support UIDL, so Popbox cannot tell which messages it already has: turn off "leave messages on server" for this account.',
        );
      }
      return await downloadAndDeleteWithoutUidl(pop, box, opts, sizes, progress, reporter, warnings);
    }

    const server = handed ? [...handed] : serverListing(uidls, listed);
    const planned = planSync(server, box.ledger, opts.policy, now());
    const afterQuit: ((deleted: readonly string[]) => void)[] = [];
    const plan = opts.adjustPlan ? await opts.adjustPlan(planned, { pop, server, afterQuit: (fn) => afterQuit.push(fn) }) : planned;
    box.ledger.gone(plan.gone, now());

    progress.total = plan.download.length + plan.headersOnly.length;
    progress.totalBytes = [...plan.download, ...plan.headersOnly].reduce((s, m) => s + m.size, 0);
    downloadPlanned(opts, progress.total);
    report('downloading');
    const budget = byteBudget(progress.totalBytes, opts.budgetSlack);

    const committer = new GroupCommitter(box, opts, now);
    const oversized: { num: number; size: number }[] = [];
    let skipped = 0;
    const fetched: ServerMessage[] = [];
    box.maildir.openAhead(plan.download.length + plan.headersOnly.length);
    try {
      for (const [batch, top] of [
        [plan.download, undefined],
        [plan.headersOnly, 0],
      ] as const) {
        const byNum = new Map(batch.map((m) => [m.num, m]));
        for await (const item of pop.retrieveMany(
          batch.map((m) => m.num),
          top === undefined ? {} : { top },
        )) {
          const m = byNum.get(item.id)!;
          if (item.error) {
            skipped++;
            continue;
          }
          let size = 0;
          const staged = await box.maildir.write(messageIdFor(box.accountId, m.uidl), item.body, (c) => {
            size += c.length;
            progress.bytes += c.length;
            if (progress.bytes > budget) throw overBudget(progress.totalBytes, budget);
          });
          if (top === undefined && outOfStep(size, m.size)) oversized.push({ ...m, size });
          await committer.add(staged, m, top !== undefined);
          fetched.push(m);
          progress.done++;
          reporter.moved();
        }
      }
    } finally {
      reporter.flush();
      // Whatever happened, what is on disk gets its ledger record: it must not come twice.
      try {
        await committer.flush();
      } finally {
        await box.maildir.closeAhead();
      }
    }

    if (oversized.length) warnings.push(outOfStepWarning(oversized, sizes));

    // Invariant 1: from here on every downloaded message is durable (flush above).
    report('deleting');
    const toDelete = [...plan.delete];
    if (plan.deleteNewDownloads) {
      for (const m of fetched) if (!committer.isPartial(m.uidl)) toDelete.push({ ...m, reason: 'downloaded' });
    }
    const result = toDelete.length ? await pop.deleteMany(toDelete.map((m) => m.num)) : { deleted: [], failed: [] };

    report('finishing');
    await pop.quit();
    // Invariant 3: only now did the server really delete them.
    const deletedNums = new Set(result.deleted);
    const deletedUidls = toDelete.filter((m) => deletedNums.has(m.num)).map((m) => m.uidl);
    box.ledger.serverDeleted(deletedUidls, now());
    await box.ledger.commit();
    for (const fn of afterQuit) fn(deletedUidls);

    return {
      ...(caps?.loginDelaySeconds !== undefined ? { loginDelaySeconds: caps.loginDelaySeconds } : {}),
      downloaded: committer.fullCount,
      headersOnly: committer.partialCount,
      skipped,
      deletedOnServer: deletedNums.size,
      bytes: progress.bytes,
      warnings,
      plan,
    };
  } catch (e) {
    pop.close(); // no QUIT: the server rolls back every DELE of this session
    throw e;
  }
}

/**
 * A sync takes at most twice what LIST announced plus a slack (256 MB): LIST sizes are hints
 * (servers count LF, or are a little off), but a server that sends far more than it announced,
 * without end or at length, is cut off instead of using the user's bandwidth and time; what
 * was stored stays, and without QUIT nothing is deleted on the server.
 */
function byteBudget(announced: number, slack = 256 * 1024 * 1024): number {
  return 2 * announced + slack;
}

function overBudget(announced: number, budget: number): AppFailure {
  return new AppFailure(
    'protocol',
    `The server sent far more than it announced (over ${formatBytes(budget)} for ${formatBytes(announced)} of mail), so Popbox stopped this check. Nothing was deleted on the server.`,
  );
}

/**
 * LIST sizes are hints, never framing (DESIGN §4): a server may count LF line ends or be a little
 * off. A message hundreds of times its announced size, though, is what a server whose replies
 * are out of step produces (a listing or the next message read as this one's body). No client can
 * frame it otherwise, so it is kept, and the user is told which one to look at.
 */
function outOfStep(stored: number, announced: number): boolean {
  return announced > 0 && stored > 64 * announced && stored - announced > 1024 * 1024;
}

function outOfStepWarning(oversized: { num: number; size: number }[], announced: Map<number, number>): string {
  const first = oversized[0]!;
  const more = oversized.length > 1 ? ` (and ${oversized.length - 1} more)` : '';
  return `Message ${first.num}${more} arrived far larger than the server announced (${formatBytes(first.size)} instead of ${formatBytes(announced.get(first.num) ?? 0)}): the server's replies may be out of step. Check that message; it may hold other mail or a server listing.`;
}

function formatBytes(n: number): string {
  return n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1)} MB` : n >= 1024 ? `${Math.round(n / 1024)} KB` : `${n} B`;
}

/** UIDL, or null for a server without it (asked even when CAPA omits it: servers under-report). */
async function listUidls(pop: Pop3Client) {
  try {
    return await pop.uidl();
  } catch (e) {
    if (isPop3Error(e) && e.code === 'command') return null;
    throw e;
  }
}

/**
 * Group commit: files finish (fsync, rename) in the background while the next message
 * downloads; every `commitEvery` messages, and before any DELE, the directory is fsynced and
 * the ledger records for all finished files are written in one append.
 */
class GroupCommitter {
  private finishing: Promise<void>[] = [];
  private sinceCommit = 0;
  private readonly partial = new Set<string>();
  private failure: unknown = null;
  fullCount = 0;
  partialCount = 0;

  constructor(
    private readonly box: AccountMailbox,
    private readonly opts: SyncOptions,
    private readonly now: () => number,
  ) {}

  isPartial(uidl: string): boolean {
    return this.partial.has(uidl);
  }

  async add(staged: StagedMessage, m: ServerMessage, partial: boolean): Promise<void> {
    if (this.failure) {
      await this.box.maildir.discard(staged);
      throw this.failure;
    }
    const done = this.box.maildir.finish(staged).then(
      (file) => {
        // A headers-only message is remembered at its size on the server (LIST): what the
        // reader offers to download, and what "Download the rest" will bring.
        this.box.ledger.downloaded(m.uidl, staged.id, this.now(), partial ? m.size : staged.size, partial);
        if (partial) {
          this.partial.add(m.uidl);
          this.partialCount++;
        } else this.fullCount++;
        this.pendingEvents.push({ id: staged.id, uidl: m.uidl, file, path: this.box.maildir.pathOf(staged.id)!, partial });
      },
      (e: unknown) => {
        this.failure ??= e;
      },
    );
    this.finishing.push(done);
    this.sinceCommit++;
    if (this.finishing.length >= MAX_FINISHING) await this.finishing.shift();
    if (this.sinceCommit >= (this.opts.commitEvery ?? 200)) await this.flush();
    if (this.failure) throw this.failure;
  }

  private pendingEvents: StoredEvent[] = [];

  async flush(): Promise<void> {
    await Promise.all(this.finishing);
    this.finishing = [];
    this.sinceCommit = 0;
    if (this.box.ledger.hasStaged) {
      await this.box.maildir.syncDirs();
      await this.box.ledger.commit();
    }
    const events = this.pendingEvents;
    this.pendingEvents = [];
    for (const e of events) this.opts.onStored?.(e);
    if (this.failure) throw this.failure;
  }
}

/**
 * Servers without UIDL: download everything, delete it all, and name each message by the hash
 * of its content so that a session cut short before QUIT cannot produce a second copy.
 */
async function downloadAndDeleteWithoutUidl(
  pop: Pop3Client,
  box: AccountMailbox,
  opts: SyncOptions,
  sizes: Map<number, number>,
  progress: SyncProgress,
  reporter: ProgressReporter,
  warnings: string[],
): Promise<SyncResult> {
  const now = opts.now ?? Date.now;
  const nums = [...sizes.keys()];
  progress.total = nums.length;
  progress.totalBytes = [...sizes.values()].reduce((s, n) => s + n, 0);
  downloadPlanned(opts, progress.total);
  reporter.phase('downloading');
  const budget = byteBudget(progress.totalBytes, opts.budgetSlack);
  const stored: { num: number; uidl: string }[] = [];
  // New files are announced once their ledger records are durable, as on the UIDL path: this
  // is what puts them in the journal, so the user sees them when the sync ends.
  const fresh: StoredEvent[] = [];
  let skipped = 0;
  // No early parse of the bytes as they are written (ingest.ts): they go under a provisional id
  // and are recorded under another, so it would never be used (each message parsed twice, its
  // early text held in the text cache until the sync ends). Each file is parsed once, from disk.
  const handOff = box.maildir.onWholeBody;
  box.maildir.onWholeBody = null;
  try {
    for await (const item of pop.retrieveMany(nums)) {
      if (item.error) {
        skipped++;
        continue;
      }
      const hash = createHash('sha256');
      // The id is only known at the end: write under a provisional one, then rename.
      const provisional = messageIdFor(box.accountId, `nouidl-tmp:${item.id}:${now()}`);
      const staged = await box.maildir.write(provisional, item.body, (c) => {
        hash.update(c);
        progress.bytes += c.length;
        if (progress.bytes > budget) throw overBudget(progress.totalBytes, budget);
      });
      const uidl = `nouidl:${hash.digest('hex')}`;
      const id = messageIdFor(box.accountId, uidl);
      if (box.ledger.get(uidl)) {
        await box.maildir.discard(staged); // a copy from a session that ended before QUIT
      } else {
        const file = await box.maildir.finish({ ...staged, id });
        box.ledger.downloaded(uidl, id, now(), staged.size, false);
        fresh.push({ id, uidl, file, path: box.maildir.pathOf(id)!, partial: false });
      }
      stored.push({ num: item.id, uidl });
      progress.done++;
      reporter.moved();
    }
  } finally {
    reporter.flush();
    box.maildir.onWholeBody = handOff;
    if (box.ledger.hasStaged) {
      await box.maildir.syncDirs();
      await box.ledger.commit();
    }
    for (const e of fresh) opts.onStored?.(e);
  }
  reporter.phase('deleting');
  const result = await pop.deleteMany(stored.map((s) => s.num));
  reporter.phase('finishing');
  await pop.quit();
  const deleted = new Set(result.deleted);
  box.ledger.serverDeleted(stored.filter((s) => deleted.has(s.num)).map((s) => s.uidl), now());
  await box.ledger.commit();
  warnings.push('This server does not support UIDL: messages are always deleted from it after download.');
  return {
    downloaded: fresh.length, // a copy kept from a session cut before QUIT is not new
    headersOnly: 0,
    skipped,
    deletedOnServer: deleted.size,
    bytes: progress.bytes,
    warnings,
    plan: { download: [], headersOnly: [], delete: [], gone: [], deleteNewDownloads: true },
  };
}


export interface FetchFullOptions {
  connect: Pop3ConnectOptions;
  credentials: Credentials;
  now?: () => number;
}

/**
 * Download the whole of a message that was stored headers-only. The full file replaces the
 * partial one under the same name (flags kept), so there is never a second copy.
 */
export async function fetchFull(box: AccountMailbox, id: string, opts: FetchFullOptions): Promise<StoredFile> {
  const entry = box.ledger.getById(id);
  if (!entry) throw new AppFailure('not-found', `no message ${id} in this account`);
  if (!entry.partial) return box.maildir.get(id)!;
  const pop = await Pop3Client.connect(opts.connect);
  try {
    await pop.login(opts.credentials);
    const onServer = (await pop.uidl()).find((u) => u.uid === entry.uidl);
    if (!onServer) throw new AppFailure('not-found', 'the rest of this message is no longer on the server');
    const staged = await box.maildir.write(id, await pop.retr(onServer.id));
    const file = await box.maildir.finish(staged);
    await box.maildir.syncDirs();
    box.ledger.completed(entry.uidl, staged.size);
    await box.ledger.commit();
    await pop.quit();
    return file;
  } catch (e) {
    pop.close();
    throw e;
  }
}
