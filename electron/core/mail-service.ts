/**
 * MailService: the one object the CLI, the Electron shell and the web host drive (DESIGN §1).
 * It owns the data directory: accounts, each account's Maildir and ledger, and the journal
 * that feeds the renderer's read model. Commands come in (sync, delete, flags), the truth on
 * disk changes, and the change is journaled for everyone reading.
 *
 * One process at a time holds a data directory (a lock file): the journal's state numbers
 * must come from one writer.
 *
 * The work itself is done by services with one job each, and this class delegates to them:
 * accounts/ (settings, secrets, credentials), session/ (each account's one open mailbox and
 * the work on it in turn), sync/ (sync and download-the-rest as session jobs), ingest/ (stored
 * files into journal records, reconcile), folders/ (filing: moves, Trash, Archive, the tree)
 * and messages/ (reading stored messages), outbox/ (the durable queue that sends). What stays
 * here: the data-directory lock, recovery after a crash, the scheduler and the events.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { AccountInput, AccountPatch, AccountSettings, DeletionPolicy, Identity, PasswordStore, SmtpConnectionTest } from '../../shared/accounts.js';
import type { AccountFolders, ChangesResult, JunkedBy, MessageFlags, MessageRecord } from '../../shared/changes.js';
import type { FolderInfo } from '../../shared/folders.js';
import type { AccountStatus, ConnectionReport, ConnectionTest, Discovery, EventName, EventPayload, PendingDeletion, SyncOutcome } from '../../shared/contract.js';
import type { Preferences, PreferencesPatch } from '../../shared/preferences.js';
import type { AddressSuggestion, ComposeMode, Draft, SaveDraft, StageAttachment } from '../../shared/compose.js';
import { AccountStore } from './accounts/account-store.js';
import { AccountsService, type PasswordChange } from './accounts/accounts-service.js';
import type { ProbeResult, SmtpSettings } from './smtp/index.js';
import { AppFailure } from './errors.js';
import { discoverServer } from './accounts/discover.js';
import { ArrivalFilter } from './ingest/arrival-filter.js';
import { Ingest } from './ingest/ingest.js';
import { TextCache } from './ingest/text-cache.js';
import { PreferencesStore } from './preferences.js';
import type { Pop3ConnectOptions } from './pop3/client.js';
import type { SecretStore } from './secrets/index.js';
import { SessionManager } from './session/session-manager.js';
import { StoreCommands } from './session/store-commands.js';
import { fsyncDir, storageError, writeFileAtomic } from './store/durable.js';
import { Journal } from './store/journal.js';
import { acquireLock, releaseLock, type HeldLock } from './store/lock.js';
import { AccountMailbox } from './store/mailbox.js';
import { MessageFiles } from './messages/message-files.js';
import { buildMessageToFile, pickIdentity, type ComposeInput } from './compose/build-message.js';
import { ComposeService, type ComposeExtras } from './compose/compose-service.js';
import { Outbox, type EnqueueInput, type OutboxEvent, type OutboxItem } from './outbox/index.js';
import { FolderService } from './folders/folder-service.js';
import { RuleStore } from './rules/rule-store.js';
import { ForwardLog, refuseUnsendableForwards } from './rules/forward.js';
import { buildForward } from './rules/forward-message.js';
import { JunkService } from './junk/junk-service.js';
import { previewRule, runRules, type RuleRun, type RuleRunDeps, type RunOptions } from './rules/run-rules.js';
import type { Rule, RuleInput, RuleOutcome } from '../../shared/rules.js';
import type { ServerDeleteResult, ServerDownloadResult, ServerListing } from '../../shared/server-view.js';
import { ServerView, type DeletionPreview } from './server-view/server-view.js';
import { messageIdFor } from './store/ids.js';
import type { SearchInput, SearchResult } from '../../shared/search.js';
import { SearchIndex } from './search/search-index.js';
import { indexFailureReason } from './search/index-db.js';
import type { ThreadCursor, ThreadsResult } from '../../shared/threads.js';
import { JournalThreads } from './threads/journal-threads.js';
import type { ThreadIndex } from './threads/thread-index.js';
import { AccountSync } from './sync/account-sync.js';
import type { HandOver } from './sync/hand-over.js';
import { certificateBlockSync } from './sync/last-certificate.js';
import { Scheduler, type RunOutcome } from './sync/scheduler.js';
import type { SyncProgress } from './sync/sync-engine.js';

/** How long closing waits for the filters of mail just downloaded (forwards among them). */
const CLOSE_WAIT_FOR_FILTERS_MS = 30_000;

export interface MailServiceOptions {
  dataDir: string;
  secrets: SecretStore;
  /** Injectable clock (tests run "delete after N days" forward). */
  now?: () => number;
  /** Extra connection options (tests: a CA for a private server). */
  connectExtras?: (account: AccountSettings) => Partial<Pop3ConnectOptions>;
  /** The same for outgoing servers (tests: a CA for a private Postfix). */
  smtpExtras?: (account: AccountSettings) => Partial<SmtpSettings>;
  /**
   * Start sending what waits in the Outbox at open (default). The CLI turns it off for commands
   * that are not about sending; `send` and `outbox` keep it.
   */
  sendQueued?: boolean;
  /**
   * What the CLI's quick path holds for its full path (sync/hand-over.ts): the data directory's
   * lock, taken over instead of acquired, so no other Popbox gets it in between; and each checked
   * account's outcome, which the sync takes instead of checking again.
   */
  handOver?: HandOver;
}

export interface StoredMessage extends MessageRecord {
  /** Absolute path of the stored file. */
  path: string;
}

export type { PendingDeletion, SyncOutcome };

/** What Send takes: the account, which of its identities writes, and the message. */
export interface SendInput extends ComposeInput, ComposeExtras {
  accountId: string;
  /** One of the account's identities (default: its default identity). */
  identityId?: string | undefined;
  /** Send later: not before this time (ms since epoch). */
  sendAt?: number | undefined;
  /** No undo window: the sender takes it at once. */
  now?: boolean | undefined;
}
export { defaultDataDir } from './data-dir.js';

type Listener<E extends EventName> = (payload: EventPayload<E>) => void;

export class MailService {
  private readonly listeners: { [E in EventName]: Set<Listener<E>> } = {
    stateChanged: new Set(),
    syncProgress: new Set(),
    accountStatus: new Set(),
    command: new Set(),
    notice: new Set(),
    accountsChanged: new Set(),
    preferencesChanged: new Set(),
    outboxChanged: new Set(),
    serverChanged: new Set(),
    threadsChanged: new Set(),
  };
  private scheduler: Scheduler | null = null;
  /** Conversations, derived from the journal (threads/). */
  private readonly threadFeed: JournalThreads;
  /** Finding and reading stored messages. */
  private readonly files: MessageFiles;
  /** Settings, secrets and credentials of the accounts. */
  private readonly accountsService: AccountsService;
  /** Each account's one open mailbox and the work on it, one job after another. */
  private readonly sessions: SessionManager;
  /** Stored files into what the user sees (summaries in the journal). */
  private readonly ingest: Ingest;
  private readonly syncs: AccountSync;
  private readonly commands: StoreCommands;
  /** Filing: folders, moves, copies, Trash, Archive. */
  readonly folders: FolderService;
  /** The durable queue of messages to send and its sender (DESIGN §3 invariant 9). */
  private readonly outbox: Outbox;
  /** Writing: compose screens' starting points, drafts, stored attachments, address suggestions. */
  private readonly compose: ComposeService;
  /** The full-text index (search/); null only where SQLite could not be opened. */
  private searchIndex: SearchIndex | null = null;
  /** Why it could not be opened, in words. */
  private searchIndexError = '';
  private readonly texts = new TextCache();

  private constructor(
    private readonly opts: MailServiceOptions,
    readonly accounts: AccountStore,
    readonly journal: Journal,
    private readonly prefs: PreferencesStore,
    private readonly lock: HeldLock,
  ) {
    journal.onChange((state) => this.emit('stateChanged', { state }));
    // Readers ask the account's session for its open mailbox (it knows where its renames put each file).
    this.files = new MessageFiles(opts.dataDir, journal, (accountId) => this.sessions.openMailbox(accountId));
    // Conversations follow the journal (built when first asked for, so `popbox sync` pays nothing).
    this.threadFeed = new JournalThreads(journal, (version) => this.emit('threadsChanged', { version }));
    this.forwardLog = new ForwardLog(opts.dataDir);
    const now = () => this.now();
    this.accountsService = new AccountsService(accounts, {
      dataDir: opts.dataDir,
      secrets: opts.secrets,
      ...(opts.connectExtras ? { connectExtras: opts.connectExtras } : {}),
      ...(opts.smtpExtras ? { smtpExtras: opts.smtpExtras } : {}),
      onChange: (list) => {
        this.scheduler?.setAccounts(list);
        this.emit('accountsChanged', {});
      },
    });
    this.sessions = new SessionManager(opts.dataDir);
    // New files are parsed once, off main's thread; their search text waits here for the index.
    this.ingest = new Ingest(journal, now, { texts: this.texts });
    this.syncs = new AccountSync({
      sessions: this.sessions,
      accounts: this.accountsService,
      ingest: this.ingest,
      now,
      onProgress: (accountId, progress) => this.emit('syncProgress', { accountId, progress }),
      planHook: (account) => this.serverView.syncHook(account),
      ...(opts.handOver ? { handOver: opts.handOver } : {}),
    });
    this.commands = new StoreCommands({ sessions: this.sessions, journal, record: (id) => this.requireMessage(id), now });
    this.folders = new FolderService({
      journal,
      // Moves are renames: quick work that may run beside a sync, like a flag change.
      withBox: (accountId, fn) => this.sessions.for(accountId).share(fn),
      now,
      deleteForGood: (ids, opts) => this.commands.deleteForGood(ids, opts),
      accountDir: (accountId) => AccountMailbox.dirFor(path.resolve(opts.dataDir), accountId),
    });
    this.compose = new ComposeService({
      accounts,
      journal,
      files: this.files,
      // Drafts are quick local writes: beside a sync, like a move.
      withBox: (accountId, fn) => this.sessions.for(accountId).share(fn),
      now,
      // Staged uploads beside the Maildir (opening it cleans tmp/), where Send builds its files.
      stagingDir: (accountId) => path.join(AccountMailbox.dirFor(path.resolve(opts.dataDir), accountId), 'sending'),
    });
    this.outbox = new Outbox({
      dataDir: opts.dataDir,
      sessions: this.sessions,
      journal,
      resolveTransport: (id) => this.smtpSettingsFor(id),
      now,
      // Only the account's id goes out: the renderer asks outboxStatus for the rest.
      onEvent: (e) => {
        // Each send learns the server's SIZE anew: the compose screen warns before it.
        if (e.kind === 'sent' && e.sizeLimit !== undefined) this.compose.rememberSizeLimit(e.accountId, e.sizeLimit);
        for (const l of this.outboxListeners) l(e);
        this.emit('outboxChanged', { accountId: e.kind === 'changed' ? e.item.accountId : e.accountId });
      },
    });
  }

  on<E extends EventName>(event: E, listener: Listener<E>): () => void {
    this.listeners[event].add(listener);
    return () => this.listeners[event].delete(listener);
  }

  /** Hosts (the shell) push their own events to the renderer through the same channel. */
  emit<E extends EventName>(event: E, payload: EventPayload<E>): void {
    for (const l of this.listeners[event]) l(payload);
  }

  static async open(opts: MailServiceOptions): Promise<MailService> {
    const dataDir = path.resolve(opts.dataDir);
    try {
      await fs.mkdir(dataDir, { recursive: true, mode: 0o700 });
      await fs.access(dataDir, fs.constants.R_OK | fs.constants.W_OK);
    } catch (e) {
      throw new AppFailure('storage', `cannot use the data directory ${dataDir}: ${(e as NodeJS.ErrnoException).code ?? e}`);
    }
    const lockFile = path.join(dataDir, 'popbox.lock');
    const held = opts.handOver?.takeLock(dataDir);
    const lock =
      held?.file === lockFile ? held : await acquireLock(lockFile, (pid) => `Popbox${pid ? ` (pid ${pid})` : ''} is already using this data directory`);
    try {
      const accounts = await AccountStore.open(dataDir);
      const journal = await Journal.open(path.join(dataDir, 'journal.jsonl'));
      const prefs = await PreferencesStore.open(dataDir);
      const service = new MailService({ ...opts, dataDir }, accounts, journal, prefs, lock);
      await service.recoverAfterCrash();
      await service.journalFolderTrees();
      service.openSearchIndex();
      // After recovery, so the sender sees the folders as reconciled. A CLI command that is not
      // about sending (messages, folders, sync) does not send queued mail behind the user's back.
      if (opts.sendQueued !== false) await service.outbox.start();
      return service;
    } catch (e) {
      await releaseLock(lock);
      throw e;
    }
  }

  get dataDir(): string {
    return this.opts.dataDir;
  }

  private now(): number {
    return (this.opts.now ?? Date.now)();
  }

  async close(): Promise<void> {
    this.scheduler?.stop();
    // An attempt under way ends (sent or failed) before its session closes; no new one starts.
    await this.outbox.stop();
    await this.syncs.idle();
    // The filters of mail just downloaded finish too (a forward between its record and the
    // Outbox would be lost); bounded, so a stuck one cannot keep the app from quitting.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.arrivalsSettled(), new Promise((r) => (timer = setTimeout(r, CLOSE_WAIT_FOR_FILTERS_MS)))]).finally(() => clearTimeout(timer));
    // Commands still at work (a Delete, a mark-read) finish before the close counts as clean.
    await this.sessions.closeAll();
    await this.searchIndex?.close().catch(() => {});
    await writeFileAtomic(this.cleanMark, '').catch(() => {}); // without it, the next start reconciles
    await releaseLock(this.lock);
  }

  /** Present only while no Popbox process runs on the data directory after a clean close. */
  private get cleanMark(): string {
    return path.join(this.opts.dataDir, 'closed-cleanly');
  }

  /**
   * A process killed between a message's rename into the Maildir and its journal record leaves
   * the journal behind the disk: the user would miss mail that is there until the next sync.
   * After anything but a clean close, every account is reconciled before the service answers.
   * The mark is removed (durably) first, so a crash from here on is seen by the next start.
   */
  private async recoverAfterCrash(): Promise<void> {
    try {
      await fs.unlink(this.cleanMark);
      await fsyncDir(this.opts.dataDir);
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw storageError('cannot use the data directory', e);
    }
    for (const account of this.accounts.list()) {
      // An account that cannot be opened now still lets the others start; its next sync
      // reconciles it and reports what is wrong.
      await this.sessions
        .for(account.id)
        .run((box) => this.ingest.reconcile(box))
        .catch(() => {});
    }
  }

  /**
   * Accounts whose folder tree the journal does not hold yet (new, or from before folders) are
   * opened once and reconciled: that makes their special folders, files what was trashed in
   * Trash, and journals the tree, so the read model has every account's folders from the start.
   */
  private async journalFolderTrees(): Promise<void> {
    for (const account of this.accounts.list()) {
      if (this.journal.foldersOf(account.id).length > 0) continue;
      await this.sessions
        .for(account.id)
        .run((box) => this.ingest.reconcile(box))
        .catch(() => {});
    }
  }

  // ---- background sync (the desktop app; the CLI syncs on demand) ----

  /** Start syncing every account on its own schedule; status changes arrive as `accountStatus` events. */
  startScheduler(opts: { maxConcurrent?: number } = {}): Scheduler {
    if (this.scheduler) return this.scheduler;
    this.scheduler = new Scheduler({
      maxConcurrent: opts.maxConcurrent ?? 2,
      now: () => this.now(),
      onStatus: (status) => this.emit('accountStatus', status),
      run: async (accountId): Promise<RunOutcome> => {
        const [outcome] = await this.sync([accountId]);
        if (!outcome) return { ok: false, code: 'not-found', message: 'no such account' };
        if (outcome.ok) return { ok: true, ...(outcome.result.loginDelaySeconds !== undefined ? { loginDelaySeconds: outcome.result.loginDelaySeconds } : {}) };
        return { ok: false, ...outcome.error };
      },
    });
    this.scheduler.setAccounts(this.accounts.list());
    for (const account of this.accounts.list()) {
      const blocked = certificateBlockSync(AccountMailbox.dirFor(this.opts.dataDir, account.id));
      if (blocked) {
        const { at: _at, ...outcome } = blocked;
        this.scheduler.restoreBlock(account.id, { ok: false, ...outcome });
      }
    }
    this.scheduler.start();
    return this.scheduler;
  }

  syncStatus(): AccountStatus[] {
    return this.scheduler?.statuses() ?? [];
  }

  /** "Get Mail": through the scheduler when it runs (so its state and backoff stay right). */
  async syncNow(accountIds?: string[]): Promise<SyncOutcome[]> {
    if (!this.scheduler) return this.sync(accountIds ?? []);
    const ids = (accountIds ?? this.accounts.list().map((a) => a.id)).map((n) => this.accounts.get(n).id);
    const runs = await this.scheduler.syncNow(ids);
    return ids.map((id, i): SyncOutcome => {
      const known = this.lastOutcome.get(id);
      if (known) return known;
      // Answered without a run in this process (a certificate block kept from before a restart).
      const run = runs[i];
      if (run && !run.ok) {
        const { ok: _ok, ...error } = run;
        return { accountId: id, ok: false, error };
      }
      return { accountId: id, ok: false, error: { code: 'cancelled', message: 'the sync did not run' } };
    });
  }

  private readonly lastOutcome = new Map<string, SyncOutcome>();

  // ---- accounts ----

  listAccounts(): AccountSettings[] {
    return this.accountsService.list();
  }

  /** Add an account; a keychain password is stored first, so a failed save leaves no account without one. */
  async addAccount(input: AccountInput, password?: string, opts: Pick<PasswordChange, 'smtpPassword'> = {}): Promise<AccountSettings> {
    const account = await this.accountsService.add(input, password, opts);
    // Its Maildir++ tree is made and journaled at once, so the new account shows its folders.
    await this.sessions
      .for(account.id)
      .run((box) => this.folders.journalTree(box))
      .catch(() => {});
    return account;
  }

  /** See AccountsService.update: a change that would send the stored password elsewhere forgets it first. */
  async updateAccount(idOrName: string, patch: AccountPatch, password?: string, opts: PasswordChange = {}): Promise<AccountSettings> {
    const account = await this.accountsService.update(idOrName, patch, password, opts);
    this.scheduler?.settingsChanged(account.id);
    return account;
  }

  /** The order the user wants the accounts in (every id once); the file keeps it. */
  reorderAccounts(ids: string[]): Promise<AccountSettings[]> {
    return this.accountsService.reorder(ids);
  }

  async removeAccount(idOrName: string): Promise<void> {
    const account = await this.accountsService.remove(idOrName);
    await this.journal.append([
      ...[...this.journal.all()].filter((m) => m.accountId === account.id).map((m) => ({ t: 'remove' as const, id: m.id })),
      { t: 'folders' as const, accountId: account.id, folders: [] },
    ]);
  }

  // ---- rules (rules/) ----

  /** The ordered filter list in <dataDir>/rules.json. */
  get rules(): RuleStore {
    // A new or changed forward through an account that cannot send is refused when saved.
    return (this.ruleStore ??= new RuleStore(this.opts.dataDir, (next, before) => refuseUnsendableForwards(next, before, this.accounts.list())));
  }
  private ruleStore: RuleStore | undefined;
  private readonly forwardLog: ForwardLog;

  private get ruleDeps(): RuleRunDeps {
    return {
      get: (id) => this.journal.get(id),
      folders: this.folders,
      setFlags: (ids, flags) => this.commands.setFlags(ids, flags),
      deleteOnServer: (ids) => this.markServerDeletion(ids),
      locate: (id) => this.files.locate(id),
      inFolder: (accountId, folder) => [...this.journal.all()].filter((m) => m.accountId === accountId && m.folder === folder),
      onFailure: (message) => this.emit('notice', { level: 'warning', message }),
      accountName: (id) => this.accounts.list().find((a) => a.id === id)?.name ?? '',
      now: () => this.now(),
      forwarder: { log: this.forwardLog, send: (m, to, rule, outboxId) => this.forwardByRule(m, to, rule, outboxId), stored: (id) => this.journal.get(id) !== undefined },
    };
  }

  /** A filter's forward: built from the stored file and queued in the account's Outbox to go now. */
  private async forwardByRule(m: MessageRecord, to: string, rule: string, outboxId: string): Promise<void> {
    const account = this.accounts.get(m.accountId);
    const built = await buildForward(account, m, await this.files.locate(m.id), to, rule, new Date(this.now()));
    await this.outbox.enqueue(account.id, { raw: built.raw, envelope: built.envelope, sendAt: this.now(), id: outboxId });
  }

  /** Done once per process (two checks starting at once share it); forgotten when it failed. */
  private forwardsSettled: Promise<void> | null = null;

  /**
   * Once per process, before the first check for mail or forwarding run: a forward an earlier
   * process recorded but may not have queued (it stopped in between) is never sent again; the
   * person is told. One whose Outbox cannot be read now is left for the next time.
   */
  private settleForwards(): Promise<void> {
    this.forwardsSettled ??= this.settleForwardsNow().catch(() => {
      this.forwardsSettled = null;
    });
    return this.forwardsSettled;
  }

  private async settleForwardsNow(): Promise<void> {
    const done = [];
    let failed = false;
    for (const p of await this.forwardLog.unsettled()) {
      // Asking the Outbox for its items reads and recovers its state (a queued file journaled).
      const items = await this.outbox.status(p.accountId).catch(() => null);
      if (!items) {
        failed = true;
        continue;
      }
      done.push(p);
      if (this.journal.get(p.outbox) || items.some((i) => i.id === p.outbox)) continue;
      this.emit('notice', { level: 'warning', message: `A filter may not have forwarded “${p.subject || '(no subject)'}” to ${p.to}: Popbox stopped before it was queued, and does not forward it again. Forward it yourself if it is needed.` });
    }
    await this.forwardLog.settled(done);
    if (failed) throw new Error('an Outbox could not be read');
  }

  /**
   * A filter's "delete from the server": recorded in each account's ledger (durable) in the
   * account's own turn, never beside a sync (a ledger commit there would make the sync's staged
   * downloads durable before their directory is fsynced). The next sync deletes them there.
   */
  private async markServerDeletion(ids: readonly string[]): Promise<void> {
    const byAccount = new Map<string, string[]>();
    for (const id of ids) {
      const m = this.journal.get(id);
      if (m?.uidl) byAccount.set(m.accountId, [...(byAccount.get(m.accountId) ?? []), m.uidl]);
    }
    for (const [accountId, uidls] of byAccount) {
      await this.sessions.for(accountId).run(async (box) => {
        box.ledger.deleteOnServer(uidls, this.now());
        await box.ledger.commit();
      });
    }
  }

  listRules(): Promise<Rule[]> {
    return this.rules.list();
  }

  saveRules(rules: readonly RuleInput[]): Promise<Rule[]> {
    return this.rules.save(rules);
  }

  /** Run the rules now over these messages (a folder, a selection); what each did. */
  async runRules(ids: readonly string[], opts: RunOptions = {}): Promise<RuleOutcome[]> {
    return (await this.runRulesOver(ids, opts)).outcomes;
  }

  private async runRulesOver(ids: readonly string[], opts: RunOptions): Promise<RuleRun> {
    if (opts.forward) await this.settleForwards();
    // A run that forwards asks the junk filter first, by hand (`rules run --forward`) as on
    // arrival (ingest/arrival-filter.ts): spam that matches a forward is never sent on.
    if (opts.forward && !opts.judgedJunk && this.prefs.get().junkFilter) opts = { ...opts, judgedJunk: (some) => this.judgedJunkByHand(some) };
    return runRules(this.ruleDeps, await this.rules.list(), ids, opts);
  }

  /** Among `ids`, what the junk filter judges junk (nothing filed); mail downloaded from On the server after the filter held it there is wanted. */
  private async judgedJunkByHand(ids: readonly string[]): Promise<Set<string>> {
    const wanted = new Set<string>();
    for (const accountId of new Set(ids.map((id) => this.journal.get(id)?.accountId ?? ''))) {
      if (accountId === '') continue;
      for (const id of await this.serverView.wantedIds(accountId, (uidl) => messageIdFor(accountId, uidl)).catch(() => new Set<string>())) wanted.add(id);
    }
    return new Set((await this.junk.classifyArrivals(ids.filter((id) => !wanted.has(id)), { file: false })).junk);
  }

  /** The ids among `ids` the rule would act on; nothing changes. */
  async previewRule(rule: Rule, ids: readonly string[]): Promise<string[]> {
    return (await previewRule(this.ruleDeps, rule, ids)).ids;
  }

  /** The preview the settings screen asks for: newest first, at most 5,000 messages looked at. */
  previewRuleOver(rule: Rule, where: { accountId?: string; folder?: string; max: number }): Promise<{ ids: string[]; truncated: boolean }> {
    const ids = this.messages(where.accountId !== undefined ? { accountId: this.accounts.get(where.accountId).id } : {})
      .filter((m) => where.folder === undefined || m.folder === where.folder)
      .map((m) => m.id);
    // Latest wins: a new preview (the user typed on) stops the one still running.
    const mine = ++this.previewGeneration;
    return previewRule(this.ruleDeps, rule, ids, { max: where.max, scan: 5_000, cancelled: () => this.previewGeneration !== mine });
  }
  private previewGeneration = 0;

  /** Filtering on arrival: the rules and the junk filter over what the account downloaded (ingest/arrival-filter.ts). */
  private get arrivalFilter(): ArrivalFilter {
    return (this.arrivalFilterService ??= new ArrivalFilter({
      dataDir: this.opts.dataDir,
      journal: this.journal,
      runRules: (ids, opts) => this.runRulesOver(ids, opts),
      junkOn: () => this.prefs.get().junkFilter,
      wanted: (accountId) => this.serverView.wantedIds(accountId, (uidl) => messageIdFor(accountId, uidl)),
      classifyArrivals: (ids, opts) => this.junk.classifyArrivals(ids, opts),
      notice: (message) => this.emit('notice', { level: 'warning', message }),
    }));
  }
  private arrivalFilterService: ArrivalFilter | undefined;

  private filterArrivals(accountId: string, startedAt: number): Promise<void> {
    return this.arrivalFilter.filter(accountId, startedAt);
  }

  // ---- On the server (server-view/) ----

  /** What accounts' mailboxes hold on the server, without downloading (server-view/). */
  get serverView(): ServerView {
    return (this.serverViewService ??= new ServerView({
      dataDir: this.opts.dataDir,
      sessions: this.sessions,
      accounts: this.accountsService,
      account: (idOrName) => this.accounts.get(idOrName),
      now: () => this.now(),
      classify: async (raw, accountId) => (this.prefs.get().junkFilter ? this.junk.classifyRaw(raw, accountId) : null),
      junkReady: async () => this.prefs.get().junkFilter && (await this.junk.trained()),
      download: (account, adjust) => this.syncs.downloadSelected(account, adjust),
      changed: (accountId) => this.emit('serverChanged', { accountId }),
    }));
  }
  private serverViewService: ServerView | undefined;

  /** What the account's mailbox holds (cached; `refresh` connects in the account's turn). */
  serverListing(idOrName: string, opts: { refresh?: boolean } = {}): Promise<ServerListing> {
    return this.serverView.listing(idOrName, opts);
  }

  /**
   * Delete these on the server without downloading them; recorded after QUIT +OK. `confirm`
   * (the renderer's native question) hears how many, how many were never downloaded here and
   * which ones (their cached headers) before anything is sent; it throws or answers false to stop.
   */
  async deleteOnServer(idOrName: string, uidls: readonly string[], opts: { confirm?: (q: DeletionPreview) => Promise<boolean> } = {}): Promise<ServerDeleteResult> {
    if (opts.confirm) {
      if (!(await opts.confirm(await this.serverView.deletionPreview(idOrName, uidls)))) throw new AppFailure('cancelled', 'Nothing was deleted on the server.');
    }
    return this.serverView.delete(idOrName, uidls);
  }

  /** Download exactly these (whole or headers only), each at most once (the ledger); new mail goes through arrival as a sync's does. */
  async downloadFromServer(idOrName: string, uidls: readonly string[], opts: { headersOnly?: boolean } = {}): Promise<ServerDownloadResult> {
    const accountId = this.accounts.get(idOrName).id;
    const startedAt = this.now();
    const filtered = this.serverView.download(accountId, uidls, opts).then(async (result) => {
      await this.filterArrivals(accountId, startedAt);
      return result;
    });
    this.arriving.add(filtered);
    void filtered.finally(() => this.arriving.delete(filtered)).catch(() => {});
    return filtered;
  }

  // ---- junk (junk/) ----

  /** The junk filter: arrivals, Junk / Not junk, training; its word list in <dataDir>/junk/. */
  get junk(): JunkService {
    return (this.junkService ??= new JunkService({
      dataDir: this.opts.dataDir,
      get: (id) => this.journal.get(id),
      locate: (id) => this.files.locate(id),
      move: (ids, folder, junkedBy) => this.folders.move(ids, folder, junkedBy ? { junkedBy } : {}),
      folderKeys: (accountId) => new Set(this.journal.foldersOf(accountId).map((f) => f.key)),
      hasWrittenTo: (address) => this.compose.hasWrittenTo(address),
      trustServerVerdict: (accountId) => this.accounts.list().find((a) => a.id === accountId)?.trustServerVerdict ?? false,
    }));
  }
  private junkService: JunkService | undefined;

  /** Junk: learned as junk (a "not junk" lesson taken back) and moved to Junk. */
  markJunk(ids: readonly string[], opts: { undo?: boolean } = {}): Promise<void> {
    return this.junk.mark(ids, 'junk', opts);
  }

  /** Not junk: learned as good mail (a "junk" lesson taken back) and moved back out of Junk. */
  markNotJunk(ids: readonly string[], opts: { undo?: boolean } = {}): Promise<void> {
    return this.junk.mark(ids, 'ham', opts);
  }

  /** "Train from existing mail": Junk folders as junk, Inbox/Archive/Sent as good mail. */
  trainJunk(opts: { max?: number } = {}): Promise<{ junk: number; ham: number }> {
    return this.junk.train([...this.journal.all()], opts);
  }

  /** Syncs whose new mail is not filtered yet. */
  private readonly arriving = new Set<Promise<unknown>>();

  /**
   * Resolves once no sync is running and every message it brought has been through the rules:
   * a new-mail notification waits for it, so it announces only what is still unread in the inbox.
   */
  async arrivalsSettled(): Promise<void> {
    while (this.arriving.size > 0) await Promise.allSettled([...this.arriving]);
  }

  // ---- sync ----

  /** Sync the given accounts (all when empty), one session each, and report each outcome. */
  async sync(idsOrNames: string[] = [], onProgress?: (accountId: string, p: SyncProgress) => void): Promise<SyncOutcome[]> {
    await this.settleForwards();
    const accounts = idsOrNames.length ? idsOrNames.map((n) => this.accounts.get(n)) : this.accounts.list();
    const outcomes: SyncOutcome[] = [];
    for (const account of accounts) {
      const startedAt = this.now();
      const filtered = this.syncs.sync(account, onProgress).then(async (outcome) => {
        await this.filterArrivals(account.id, startedAt);
        return outcome;
      });
      this.arriving.add(filtered);
      void filtered.finally(() => this.arriving.delete(filtered));
      const outcome = await filtered;
      this.lastOutcome.set(account.id, outcome);
      await this.serverView.syncDone(account.id, outcome.ok, outcome.ok ? { ...(outcome.result.loginDelaySeconds !== undefined ? { loginDelaySeconds: outcome.result.loginDelaySeconds } : {}) } : undefined).catch(() => {});
      outcomes.push(outcome);
      // "Empty Trash after N days" runs with the checks for mail (scheduled or asked for).
      await this.folders.purgeTrash(account.id, this.prefs.get().emptyTrashAfterDays).catch(() => {});
      // "Delete junk after N days" likewise (deleteForGood: the server copy follows the account).
      await this.folders.purgeJunk(account.id, this.prefs.get().deleteJunkAfterDays).catch(() => {});
      if (outcome.ok && account.smtp !== null) this.retryUnreachedSends(account.id);
    }
    return outcomes;
  }

  /**
   * The account's server answered: the network is back. What waits in its Outbox only because
   * the outgoing server could not be reached goes now instead of at its backoff (up to an hour
   * later). Never a message that may have been sent or that a server refused.
   */
  private retryUnreachedSends(accountId: string): void {
    void this.outbox
      .status(accountId)
      .then(async (items) => {
        for (const item of items) {
          if (item.state === 'retrying' && (item.lastError?.code === 'network' || item.lastError?.code === 'timeout')) {
            await this.outbox.resend(item.id).catch(() => {});
          }
        }
      })
      .catch(() => {});
  }

  /** Download the rest of a headers-only message (after a sync of its account, if one runs). */
  async fetchFull(id: string): Promise<StoredMessage> {
    const m = this.requireMessage(id);
    const file = await this.syncs.fetchFull(this.accounts.get(m.accountId), id);
    return { ...this.journal.get(id)!, path: file };
  }

  // ---- messages ----

  messages(filter: { accountId?: string } = {}): StoredMessage[] {
    const out: StoredMessage[] = [];
    for (const m of this.journal.all()) {
      if (filter.accountId && m.accountId !== filter.accountId) continue;
      out.push({ ...m, path: this.files.pathOf(m) });
    }
    return out.sort((a, b) => (b.summary.date ?? '').localeCompare(a.summary.date ?? '') || b.receivedAt - a.receivedAt);
  }

  private requireMessage(id: string): MessageRecord {
    return this.files.record(id);
  }

  /** Change flags of one message or many (see StoreCommands.setFlags). */
  setFlags(idOrIds: string | readonly string[], flags: Partial<MessageFlags>): Promise<void> {
    return this.commands.setFlags(idOrIds, flags);
  }

  moveToTrash(idOrIds: string | readonly string[]): Promise<void> {
    return this.folders.moveToTrash(typeof idOrIds === 'string' ? [idOrIds] : idOrIds);
  }

  restore(idOrIds: string | readonly string[]): Promise<void> {
    return this.folders.restore(typeof idOrIds === 'string' ? [idOrIds] : idOrIds);
  }

  // ---- folders (folders/folder-service.ts) ----

  /**
   * The person's move (the screens, `popbox move`): into Junk, the Junk bar says they put it there.
   * An Undo of a move out of Junk passes the cause they had there (null: none recorded), said again.
   */
  moveMessages(ids: readonly string[], folder: string, junkedBy?: JunkedBy | null): Promise<void> {
    const by: JunkedBy | undefined = junkedBy === undefined ? { by: 'you', moved: true } : (junkedBy ?? undefined);
    return this.folders.move(ids, folder, { junkedBy: () => by });
  }

  copyMessages(ids: readonly string[], folder: string): Promise<string[]> {
    return this.folders.copy(ids, folder);
  }

  archive(ids: readonly string[]): Promise<void> {
    return this.folders.archive(ids);
  }

  emptyTrash(accountId?: string): Promise<void> {
    return this.folders.emptyTrash(accountId === undefined ? undefined : this.accounts.get(accountId).id);
  }

  createFolder(account: string, path: readonly string[]): Promise<FolderInfo> {
    return this.folders.create(this.accounts.get(account).id, path);
  }

  renameFolder(account: string, folder: string, path: readonly string[]): Promise<FolderInfo> {
    return this.folders.rename(this.accounts.get(account).id, folder, path);
  }

  async deleteFolder(account: string, folder: string): Promise<void> {
    await this.folders.remove(this.accounts.get(account).id, folder);
  }

  /**
   * Delete messages here for good (what emptying Trash does). The server copy follows at the
   * next sync if the account says so. All ids are checked before anything is deleted.
   */
  deleteForGood(ids: string[]): Promise<void> {
    return this.commands.deleteForGood(ids);
  }

  /** The server deletions the next sync will make, from the ledger and each account's settings. */
  /** `policy`: the deletion settings being edited, in place of the saved ones (the settings form's preview). */
  async pending(filter: { accountId?: string; policy?: DeletionPolicy } = {}): Promise<PendingDeletion[]> {
    const { policy } = filter;
    const accounts = this.accounts
      .list()
      .filter((a) => !filter.accountId || a.id === filter.accountId)
      .map((a) => (policy ? { ...a, ...policy } : a));
    // Those chosen in On the server too (the next check deletes them), listed once, as chosen.
    const chosen = (await Promise.all(accounts.map((a) => this.serverView.chosenPending(a.id)))).flat();
    const key = (p: PendingDeletion) => `${p.accountId}\n${p.uidl}`;
    const keys = new Set(chosen.map(key));
    return [...(await this.commands.pending(accounts)).filter((p) => !keys.has(key(p))), ...chosen];
  }

  changesSince(state: number, max?: number): ChangesResult {
    return this.journal.changesSince(state, max);
  }

  snapshot(): { state: number; messages: MessageRecord[]; folders: AccountFolders[] } {
    return this.journal.snapshot();
  }

  messageBody(id: string) {
    return this.files.body(id);
  }

  /** The stored bytes for "View source" and the header view, capped. */
  rawSource(id: string): Promise<{ text: string; truncated: boolean }> {
    return this.files.rawSource(id);
  }

  saveAttachment(id: string, attachmentId: string, dest: string): Promise<{ size: number }> {
    return this.files.saveAttachment(id, attachmentId, dest);
  }

  saveMessage(id: string, dest: string): Promise<{ size: number }> {
    return this.files.saveMessage(id, dest);
  }

  messageFileName(id: string): string {
    return this.files.fileName(id);
  }

  /** The stored file of a message as it is now (junk training reads its bytes). */
  messageFile(id: string): Promise<string> {
    return this.files.locate(id);
  }

  inlinePart(id: string, attachmentId: string): Promise<{ contentType: string; base64: string }> {
    return this.files.inlinePart(id, attachmentId);
  }

  preferences(): Preferences {
    return this.prefs.get();
  }

  async updatePreferences(patch: PreferencesPatch): Promise<Preferences> {
    const next = await this.prefs.update(patch);
    for (const l of this.prefsListeners) l(next);
    this.emit('preferencesChanged', next);
    return next;
  }

  private readonly prefsListeners = new Set<(p: Preferences) => void>();
  /** The shell follows preferences it acts on (start at login, background). */
  onPreferences(listener: (p: Preferences) => void): () => void {
    this.prefsListeners.add(listener);
    return () => this.prefsListeners.delete(listener);
  }

  /** Where the passwords are kept (the secret store's kind), never a password. */
  get passwordStore(): PasswordStore {
    return this.opts.secrets.kind;
  }

  /** Server settings for an email address: a known provider's, or what answers on its domain. */
  discoverServer(email: string): Promise<Discovery> {
    return discoverServer(email);
  }

  /** Connect and log in without saving anything: what the add-account flow shows before saving. */
  testConnection(test: ConnectionTest): Promise<ConnectionReport> {
    return this.accountsService.testConnection(test);
  }

  /** The same for an outgoing server: connect, log in, read what it offers (SIZE, 8BITMIME, SMTPUTF8). */
  async testSmtp(test: SmtpConnectionTest): Promise<ProbeResult> {
    const result = await this.accountsService.testSmtp(test);
    // The compose screen warns before an attachment passes the server's SIZE: remember it.
    if (test.accountId !== undefined) {
      const account = this.accounts.list().find((a) => a.id === test.accountId);
      if (account?.smtp && account.smtp.host.toLowerCase() === test.host.toLowerCase() && account.smtp.port === test.port) this.compose.rememberSizeLimit(account.id, result.sizeLimit);
    }
    return result;
  }

  /** The account's outgoing server with its login resolved (the outbox's resolveTransport). */
  smtpSettingsFor(accountId: string): Promise<SmtpSettings> {
    return this.accountsService.smtpSettingsFor(accountId);
  }

  // ---- sending (compose/, outbox/) ----

  /**
   * Send: the message is built as one of the account's identities (compose/build-message.ts)
   * and filed in its Outbox before this returns; it goes out after the undo window, at
   * `sendAt` (send later), or at once with `now`.
   */
  async send(input: SendInput): Promise<{ id: string; messageId: string }> {
    const account = this.accounts.get(input.accountId);
    if (account.smtp === null) {
      throw new AppFailure('invalid', `account "${account.name}" has no outgoing server: set one up in its settings (or "popbox account set --smtp-host …")`);
    }
    const identity = pickIdentity(account, input.identityId);
    const release = this.compose.claimDraft(input.draftId);
    try {
      return await this.sendClaimed(account, identity, input);
    } finally {
      release();
    }
  }

  private async sendClaimed(account: AccountSettings, identity: Identity, input: SendInput): Promise<{ id: string; messageId: string }> {
    // Stored attachments read from the store (same account only), the draft checked.
    const message = await this.compose.prepare(account, input, 'send');
    // Streamed to a file beside the account's Maildir and renamed into the Outbox: a 25 MB
    // attachment is never held whole (issue 15 §5). What enqueue did not take is removed.
    const staging = path.join(AccountMailbox.dirFor(path.resolve(this.opts.dataDir), account.id), 'sending');
    let built: Awaited<ReturnType<typeof buildMessageToFile>>;
    let id: string;
    try {
      built = await buildMessageToFile(identity, message, staging, { now: new Date(this.now()) });
      const sendAt = input.now ? this.now() : input.sendAt;
      try {
        id = await this.outbox.enqueue(account.id, { file: built.file, envelope: built.envelope, ...(sendAt !== undefined ? { sendAt } : {}) });
      } finally {
        await fs.rm(built.file, { force: true }).catch(() => {});
      }
    } catch (e) {
      await this.compose.settle(message, false); // staged files stay for another try
      throw e;
    }
    await this.compose.settle(message, true);
    // Queued (on disk in the Outbox): the draft it was written in is no longer needed.
    await this.compose.queued(account.id, input.draftId);
    return { id, messageId: built.messageId };
  }

  /**
   * Queue a message built with its envelope (compose/build-message.ts): it is in the account's
   * Outbox on disk when this returns, and goes out after the undo window (or at `sendAt`).
   */
  enqueueMessage(idOrName: string, input: EnqueueInput): Promise<string> {
    return this.outbox.enqueue(this.accounts.get(idOrName).id, input);
  }

  // ---- writing (compose/) ----

  /** One chunk of a new file for Send or Save draft (compose/staging.ts). */
  stageAttachment(input: StageAttachment): Promise<{ uploadId: string; size: number }> {
    return this.compose.staging.stage({ ...input, accountId: this.accounts.get(input.accountId).id });
  }

  /** Start writing: new, reply, reply all, forward, forward as attachment (compose/compose-from.ts). */
  composeFrom(mode: ComposeMode, from: { id?: string | undefined; accountId?: string | undefined }): Promise<Draft> {
    return this.compose.composeFrom(mode, from);
  }

  /** Save a draft into Drafts durably, then remove the version it replaces (`draftId`). */
  saveDraft(draft: SaveDraft): Promise<{ id: string; storedAttachments: Draft['storedAttachments'] }> {
    return this.compose.saveDraft({ ...draft, to: draft.to ?? [], cc: draft.cc ?? [], bcc: draft.bcc ?? [] });
  }

  /** A stored draft back into its fields. */
  openDraft(id: string): Promise<Draft> {
    return this.compose.openDraft(id);
  }

  // ---- search (search/) ----

  /**
   * The index follows the journal from here on (after recovery, so it starts from the
   * reconciled journal); what it lacks is indexed in the background. A machine where SQLite
   * cannot be loaded still starts: search then says it cannot search by words.
   */
  private openSearchIndex(): void {
    try {
      this.searchIndex = SearchIndex.open({
        journal: this.journal,
        dataDir: this.opts.dataDir,
        locate: (id) => this.files.locate(id),
        accounts: () => this.accounts.list(),
        texts: this.texts,
      });
    } catch (e) {
      this.searchIndex = null;
      this.searchIndexError = indexFailureReason(e);
    }
  }

  /** Full-text search: ranked ids, what was understood and ignored, snippets (search/). */
  async search(input: SearchInput): Promise<SearchResult> {
    // Not opened at start (a full disk, a file another program held): tried again at each search.
    if (!this.searchIndex) this.openSearchIndex();
    if (!this.searchIndex) throw new AppFailure('storage', `The search index cannot be opened${this.searchIndexError ? ` (${this.searchIndexError})` : ''}; Popbox tries again at the next search.`);
    return this.searchIndex.search(input);
  }

  /** One stored message with its file's path (search results in the CLI), or undefined. */
  storedMessage(id: string): StoredMessage | undefined {
    const m = this.journal.get(id);
    return m && { ...m, path: this.files.pathOf(m) };
  }

  /** Resolves once every message journaled so far is in the search index (the CLI waits for it). */
  async searchIndexed(): Promise<void> {
    await this.searchIndex?.idle();
  }

  // ---- conversations (threads/) ----

  /** The thread index, brought up to the journal (built on first use). */
  threads(): ThreadIndex {
    return this.threadFeed.current();
  }

  /** For the renderer: the conversations changed after `since`, or all of them (shared/threads.ts). */
  threadChanges(since?: ThreadCursor): ThreadsResult {
    const index = this.threadFeed.current();
    const changes = since ? index.changesSince(since.epoch, since.version) : null;
    const at = { epoch: index.epoch, version: index.version };
    return changes ? { ...at, full: false, ...changes } : { ...at, full: true, threads: index.conversations(), gone: [] };
  }

  /** Addresses from stored mail for the recipient fields, best first. */
  suggestAddresses(query: string, limit = 10): AddressSuggestion[] {
    return this.compose.suggestAddresses(query, limit);
  }

  /** Every message waiting in the Outbox (of one account, or of all). */
  outboxStatus(idOrName?: string): Promise<OutboxItem[]> {
    return this.outbox.status(idOrName === undefined ? undefined : this.accounts.get(idOrName).id);
  }

  /** Undo send: back to Drafts, never sent. */
  cancelSend(id: string): Promise<void> {
    return this.outbox.cancel(id);
  }

  /** Send now (a failed one after a fix, or one still waiting; one that may have been sent only `confirmed` by the person). */
  resendMessage(id: string, opts: { confirmed?: boolean } = {}): Promise<void> {
    return this.outbox.resend(id, opts);
  }

  /** The user says a message that may have been sent did go: filed in Sent. */
  markSent(id: string): Promise<void> {
    return this.outbox.markSent(id);
  }

  /** Out of the Outbox into Trash, never sent. */
  discardQueued(id: string): Promise<void> {
    return this.outbox.discard(id);
  }

  /** Look at an account's Outbox now (e.g. the network came back). */
  kickOutbox(idOrName: string): void {
    this.outbox.kick(this.accounts.get(idOrName).id);
  }

  /** Listen to the outbox's own events (the CLI waits for its message to leave). */
  onOutbox(listener: (e: OutboxEvent) => void): () => void {
    this.outboxListeners.add(listener);
    return () => this.outboxListeners.delete(listener);
  }

  private readonly outboxListeners = new Set<(e: OutboxEvent) => void>();
}
