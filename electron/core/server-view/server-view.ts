/**
 * The On the server view's core (issue 16 §3): list what an account's POP3 mailbox holds
 * without downloading it, delete chosen messages there, download chosen ones. Every connection
 * is a job on the account's session (DESIGN §3.4: never a second POP3 connection beside a sync),
 * and the cached listing is read without connecting.
 *
 * Deletions follow invariant 3: a UIDL is recorded deleted on the server only after QUIT +OK;
 * the person's choice itself is remembered durably before connecting (chosen.ts), so a dropped
 * connection deletes nothing and the next sync neither downloads those messages nor forgets them.
 *
 * The page decides when to refresh and download, so both are bounded here (review finding 5):
 * refreshes go through a RefreshGate (joined while one is under way, the cached listing within
 * 30 s or the server's LOGIN-DELAY), and at most DOWNLOADS_MAX downloads wait per account.
 */
import type { AccountSettings } from '../../../shared/accounts.js';
import type { PendingDeletion } from '../../../shared/contract.js';
import type { ServerDeleteResult, ServerDownloadResult, ServerListing } from '../../../shared/server-view.js';
import type { AccountsService } from '../accounts/accounts-service.js';
import { AppFailure, toAppError } from '../errors.js';
import { Pop3Client } from '../pop3/client.js';
import { isPop3Error } from '../pop3/errors.js';
import type { SessionManager } from '../session/session-manager.js';
import { AccountMailbox } from '../store/mailbox.js';
import { lastSeenCertificate } from '../sync/last-certificate.js';
import type { SyncPlan } from '../sync/plan.js';
import type { SyncResult } from '../sync/sync-engine.js';
import { applyListing, dropUidls, loadCache, putHeaders, rawBytes, readCache, saveCache, TOTAL_MAX, type JunkVerdict, type ListedMessage, type ServerCache } from './cache.js';
import { loadChosen, pruneChosen, saveChosen } from './chosen.js';
import { RefreshGate } from './refresh-gate.js';
import { buildListing } from './state.js';
import { syncHook, type PlanAdjuster } from './sync-hook.js';
import { fetchHeaders } from './top.js';

/** Headers fetched per refresh at most; the rest come with later refreshes (headersPending). */
export const HEADER_BATCH = 500;
/** Downloads from the view queued or running per account at most (the screen runs one at a time). */
export const DOWNLOADS_MAX = 3;

export interface ServerViewDeps {
  dataDir: string;
  sessions: SessionManager;
  accounts: AccountsService;
  account(idOrName: string): AccountSettings;
  now(): number;
  /** The junk filter's verdict on a header block for this account; null when it is off or untrained. */
  classify(raw: Buffer, accountId: string): Promise<JunkVerdict | null>;
  junkReady(): Promise<boolean>;
  /** Download exactly what the adjusted plan says, through the sync engine (exactly once by the ledger). */
  download(account: AccountSettings, adjust: PlanAdjuster): Promise<SyncResult>;
  /** serverChanged. */
  changed(accountId: string): void;
  /** The shortest time between two refreshes' logins (tests); REFRESH_MIN_INTERVAL_MS by default. */
  refreshIntervalMs?: number;
}

/** What a deletion on the server would take (see ServerView.deletionPreview). */
export interface DeletionPreview {
  count: number;
  notDownloaded: number;
  /** Those whose headers are cached, never-downloaded first; the rest were not listed with headers yet. */
  known: { from: string; subject: string; date: string | null; downloaded: boolean }[];
}

export class ServerView {
  /** Chosen deletions each account's running sync carries out. */
  private readonly deletingInSync = new Map<string, string[]>();
  /** How often the page may make Popbox log in to list a server. */
  private readonly gate: RefreshGate<ServerListing>;
  /** Downloads queued or running per account. */
  private readonly downloads = new Map<string, number>();

  constructor(private readonly deps: ServerViewDeps) {
    this.gate = new RefreshGate(deps.now, deps.refreshIntervalMs);
  }

  private dir(accountId: string): string {
    return AccountMailbox.dirFor(this.deps.dataDir, accountId);
  }

  /**
   * The cached listing (no connection), or a fresh one read from the server in the account's
   * turn, as the refresh gate allows: joined with one under way, or the cached one (listedAt
   * unchanged) when the last was too recent.
   */
  async listing(idOrName: string, opts: { refresh?: boolean } = {}): Promise<ServerListing> {
    const account = this.deps.account(idOrName);
    const session = this.deps.sessions.for(account.id);
    const cached = () => session.share(async (box) => this.build(account, box.ledger, await readCache(box.dir)));
    if (!opts.refresh) return cached();
    return this.gate.refresh(account.id, () => this.refresh(account), cached);
  }

  /** UIDL, LIST, STAT and a batch of TOP, in the account's turn; the cache rewritten once. */
  private refresh(account: AccountSettings): Promise<ServerListing> {
    return this.deps.sessions.for(account.id).run(
      async (box) => {
        const cache = await loadCache(box.dir);
        await this.withPop(account, box.dir, async (pop) => {
          const uidls = await pop.uidl().catch((e: unknown) => {
            if (isPop3Error(e) && e.code === 'command') throw new AppFailure('unsupported', 'This server does not support UIDL, so Popbox cannot tell its messages apart: the On the server view needs it.');
            throw e;
          });
          const sizes = new Map((await pop.list()).map((m) => [m.id, m.size]));
          const stat = await pop.stat();
          const seen = new Set<string>();
          const messages: ListedMessage[] = [];
          for (const u of uidls) {
            if (seen.has(u.uid)) continue; // a server listing one UIDL twice: the first counts (as in sync)
            seen.add(u.uid);
            messages.push({ num: u.id, uidl: u.uid, size: sizes.get(u.id) ?? 0 });
          }
          applyListing(cache, { messages, count: stat.count, bytes: stat.size, at: this.deps.now() });
          // Newest first, a bounded batch: a 20,000-message mailbox fills in over a few refreshes.
          const missing = messages.filter((m) => !cache.headers.has(m.uidl)).reverse().slice(0, HEADER_BATCH);
          const budget = { left: TOTAL_MAX - rawBytes(cache) };
          for (const f of await fetchHeaders(pop, missing)) putHeaders(cache, f.uidl, { from: f.from, subject: f.subject, date: f.date }, f.raw, budget);
          // Nothing was changed on the server: a QUIT that does not answer costs nothing.
          await pop.quit().catch(() => {});
        });
        await this.classifyCached(cache, account.id);
        const chosen = await loadChosen(box.dir);
        if (pruneChosen(chosen, new Set(cache.messages.map((m) => m.uidl)))) await saveChosen(box.dir, chosen);
        await saveCache(box.dir, cache);
        this.deps.changed(account.id);
        return this.build(account, box.ledger, cache);
      },
      { letQuickWorkIn: true },
    );
  }

  private async build(account: AccountSettings, ledger: AccountMailbox['ledger'], cache: Readonly<ServerCache>): Promise<ServerListing> {
    return buildListing({ accountId: account.id, cache, ledger, policy: account, chosen: await loadChosen(this.dir(account.id)), now: this.deps.now() });
  }

  /** Verdicts for cached headers not judged yet, once the filter is ready (it may learn after they were fetched). */
  private async classifyCached(cache: ServerCache, accountId: string): Promise<void> {
    if (!(await this.deps.junkReady())) return;
    let n = 0;
    for (const h of cache.headers.values()) {
      if (h.junk || h.raw === undefined) continue;
      h.junk = await this.deps.classify(Buffer.from(h.raw, 'latin1'), accountId);
      if (++n % 200 === 0) await new Promise((r) => setImmediate(r)); // the event loop breathes
    }
  }

  /**
   * What deleting these would take, for the confirmation: how many were never downloaded here,
   * and the cached From, Subject and Date of each (the never-downloaded ones first: they are
   * gone for good). Read from main's own cache, never from the page that asks.
   */
  async deletionPreview(idOrName: string, uidls: readonly string[]): Promise<DeletionPreview> {
    const account = this.deps.account(idOrName);
    return this.deps.sessions.for(account.id).share(async (box) => {
      const cache = await loadCache(box.dir);
      const unique = [...new Set(uidls)];
      const known: DeletionPreview['known'] = [];
      for (const u of unique) {
        const h = cache.headers.get(u);
        if (h) known.push({ from: h.from, subject: h.subject, date: h.date, downloaded: box.ledger.get(u) !== undefined });
      }
      known.sort((a, b) => Number(a.downloaded) - Number(b.downloaded));
      return { count: unique.length, notDownloaded: unique.filter((u) => !box.ledger.get(u)).length, known };
    });
  }

  /**
   * Delete on the server: chosen (durably) first, then in the account's turn UIDL, DELE of the
   * numbers whose UIDL matches now (never a number from an older listing), QUIT. Only after its
   * +OK are the deletions recorded; UIDLs no longer there count as gone.
   */
  async delete(idOrName: string, uidlList: readonly string[]): Promise<ServerDeleteResult> {
    const account = this.deps.account(idOrName);
    const uidls = [...new Set(uidlList)];
    return this.deps.sessions.for(account.id).run(async (box) => {
      const chosen = await loadChosen(box.dir);
      for (const u of uidls) if (!chosen.has(u)) chosen.set(u, this.deps.now());
      await saveChosen(box.dir, chosen);
      this.deps.changed(account.id);
      let deleted: string[] = [];
      let gone: string[] = [];
      try {
        // Whatever it answers, the server may have changed: the next refresh looks again.
        this.gate.changed(account.id);
        await this.withPop(account, box.dir, async (pop) => {
          const numOf = new Map<string, number>();
          for (const u of await pop.uidl()) if (!numOf.has(u.uid)) numOf.set(u.uid, u.id);
          const targets = uidls.filter((u) => numOf.has(u));
          gone = uidls.filter((u) => !numOf.has(u));
          const result = await pop.deleteMany(targets.map((u) => numOf.get(u)!));
          await pop.quit();
          const done = new Set(result.deleted);
          deleted = targets.filter((u) => done.has(numOf.get(u)!));
        });
      } catch (e) {
        const error = toAppError(e, 'the server could not be reached');
        throw new AppFailure(
          error.code,
          `${error.message.replace(/[.\s]+$/, '')}. Nothing was deleted on the server (it did not confirm). ${uidls.length === 1 ? 'The message stays' : `The ${uidls.length} messages stay`} marked and ${uidls.length === 1 ? 'is' : 'are'} deleted at the next check, never downloaded.`,
          { cause: e },
        );
      }
      // Invariant 3: the server confirmed (QUIT +OK). Downloaded ones keep their copy here; the
      // ledger says they are deleted there, so no sync asks again.
      box.ledger.serverDeleted(deleted.filter((u) => box.ledger.get(u) !== undefined), this.deps.now());
      await box.ledger.commit();
      for (const u of [...deleted, ...gone]) chosen.delete(u);
      await saveChosen(box.dir, chosen);
      const cache = await loadCache(box.dir);
      dropUidls(cache, [...deleted, ...gone]);
      await saveCache(box.dir, cache);
      this.deps.changed(account.id);
      return { deleted: deleted.length, gone: gone.length };
    });
  }

  /**
   * Download exactly these, whole or headers only, through the sync engine (a UIDL in the
   * ledger is never downloaded twice). A held one the person downloads is marked wanted first,
   * so neither a later sync nor the arrival's junk step holds or files it as junk again.
   */
  async download(idOrName: string, uidlList: readonly string[], opts: { headersOnly?: boolean } = {}): Promise<ServerDownloadResult> {
    const account = this.deps.account(idOrName);
    // Each download is a login: a page in a loop gets "in use" instead of a queue of logins ahead of the syncs.
    const queued = this.downloads.get(account.id) ?? 0;
    if (queued >= DOWNLOADS_MAX) throw new AppFailure('in-use', 'Popbox is still downloading from this server; try again when that is done.');
    this.downloads.set(account.id, queued + 1);
    try {
      return await this.downloadNow(account, uidlList, opts);
    } finally {
      const left = (this.downloads.get(account.id) ?? 1) - 1;
      if (left > 0) this.downloads.set(account.id, left);
      else this.downloads.delete(account.id);
    }
  }

  private async downloadNow(account: AccountSettings, uidlList: readonly string[], opts: { headersOnly?: boolean }): Promise<ServerDownloadResult> {
    const selected = new Set(uidlList);
    await this.deps.sessions.for(account.id).run(async (box) => {
      const cache = await loadCache(box.dir);
      let marked = false;
      for (const u of selected) {
        const h = cache.headers.get(u);
        if (h?.held && !h.wanted && !box.ledger.get(u)) {
          h.wanted = true;
          marked = true;
        }
      }
      if (marked) await saveCache(box.dir, cache);
    });
    let alreadyHere = 0;
    let gone = 0;
    const result = await this.deps.download(account, async (plan: SyncPlan, { server }) => {
      const onServer = new Set(server.map((m) => m.uidl));
      const fresh = [...plan.download, ...plan.headersOnly].filter((m) => selected.has(m.uidl));
      const freshIds = new Set(fresh.map((m) => m.uidl));
      for (const u of selected) {
        if (!onServer.has(u)) gone++;
        else if (!freshIds.has(u)) alreadyHere++;
      }
      // Exactly the selection: no deletions, nothing else downloaded, size limit by the person's choice.
      return { ...plan, download: opts.headersOnly ? [] : fresh, headersOnly: opts.headersOnly ? fresh : [], delete: [], deleteNewDownloads: false };
    });
    this.gate.loggedIn(account.id, result.loginDelaySeconds);
    this.deps.changed(account.id);
    return { downloaded: result.downloaded + result.headersOnly, alreadyHere, gone };
  }

  /** The hook an ordinary sync of this account runs on its plan. */
  syncHook(account: AccountSettings): PlanAdjuster {
    return syncHook({
      accountDir: this.dir(account.id),
      account,
      now: this.deps.now,
      classify: (raw) => this.deps.classify(raw, account.id),
      junkReady: this.deps.junkReady,
      changed: () => this.deps.changed(account.id),
      deleting: (uidls) => this.deletingInSync.set(account.id, uidls),
    });
  }

  /**
   * After a sync: chosen deletions it carried out (QUIT +OK) leave the cached listing; the view
   * looks again, and its next refresh may connect (LOGIN-DELAY, as the sync heard it, permitting).
   */
  async syncDone(accountId: string, ok: boolean, loggedIn?: { loginDelaySeconds?: number }): Promise<void> {
    this.gate.changed(accountId);
    if (loggedIn) this.gate.loggedIn(accountId, loggedIn.loginDelaySeconds);
    const deleted = this.deletingInSync.get(accountId);
    this.deletingInSync.delete(accountId);
    if (ok && deleted && deleted.length > 0) {
      await this.deps.sessions.for(accountId).run(async (box) => {
        const cache = await loadCache(box.dir);
        dropUidls(cache, deleted);
        await saveCache(box.dir, cache);
        // Deleted there (QUIT +OK): no longer chosen, as after a Delete from the view.
        const chosen = await loadChosen(box.dir);
        if (deleted.filter((u) => chosen.delete(u)).length > 0) await saveChosen(box.dir, chosen);
      });
    }
    this.deps.changed(accountId);
  }

  /**
   * The deletions the person chose here that the next check makes, for `pendingDeletions` and
   * `popbox pending` (reason 'chosen'), described from the cached headers; id '' for a message
   * never downloaded.
   */
  async chosenPending(accountId: string): Promise<PendingDeletion[]> {
    return this.deps.sessions.for(accountId).share(async (box) => {
      const chosen = await loadChosen(box.dir);
      if (chosen.size === 0) return [];
      const cache = await readCache(box.dir);
      const out: PendingDeletion[] = [];
      for (const uidl of chosen.keys()) {
        const entry = box.ledger.get(uidl);
        if (entry?.serverDeletedAt !== undefined) continue; // deleted there already (QUIT +OK)
        const h = cache.headers.get(uidl);
        const shown = { subject: h?.subject ?? entry?.preview?.subject ?? '', from: h?.from ?? entry?.preview?.from ?? '', date: h?.date ?? entry?.preview?.date ?? null };
        out.push({ id: entry?.id ?? '', accountId, uidl, ...shown, reason: 'chosen' });
      }
      return out;
    });
  }

  /** Each listed UIDL's message number at the last listing (what `popbox server` shows; never used to act). */
  async numbers(idOrName: string): Promise<Map<string, number>> {
    const cache = await readCache(this.dir(this.deps.account(idOrName).id));
    return new Map(cache.messages.map((m) => [m.uidl, m.num]));
  }

  /** Stored ids of messages downloaded after they were held as junk: the arrival's junk step leaves them alone. */
  async wantedIds(accountId: string, idOf: (uidl: string) => string): Promise<Set<string>> {
    const cache = await readCache(this.dir(accountId));
    const out = new Set<string>();
    for (const [uidl, h] of cache.headers) if (h.wanted) out.add(idOf(uidl));
    return out;
  }

  /** Connect and log in as a sync does (same options, same certificate rules); `fn` QUITs. */
  private async withPop<T>(account: AccountSettings, accountDir: string, fn: (pop: Pop3Client) => Promise<T>): Promise<T> {
    const credentials = await this.deps.accounts.credentialsFor(account);
    const pop = await Pop3Client.connect(this.deps.accounts.connectOptions(account, await lastSeenCertificate(accountDir, account)));
    try {
      await pop.login(credentials);
      // CAPA after login: no LOGIN-DELAY there means none.
      this.gate.loggedIn(account.id, pop.capabilities ? (pop.capabilities.loginDelaySeconds ?? 0) : undefined);
      return await fn(pop);
    } catch (e) {
      pop.close(); // no QUIT: the server rolls back every DELE of this session
      throw e;
    }
  }
}
