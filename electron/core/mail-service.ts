/**
 * MailService: the one object the CLI, the Electron shell and the web host drive (DESIGN §1).
 * It owns the data directory: accounts, each account's Maildir and ledger, and the journal
 * that feeds the renderer's read model. Commands come in (sync, delete, flags), the truth on
 * disk changes, and the change is journaled for everyone reading.
 *
 * One process at a time holds a data directory (a lock file): the journal's state numbers
 * must come from one writer.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { passwordDestinationChanged, type AccountInput, type AccountPatch, type AccountSettings } from '../../shared/accounts.js';
import type { AccountFolders, ChangesResult, MessageFlags, MessageRecord } from '../../shared/changes.js';
import { INBOX } from '../../shared/folders.js';
import type { AccountStatus, ConnectionReport, ConnectionTest, Discovery, EventName, EventPayload, PendingDeletion, SyncOutcome } from '../../shared/contract.js';
import type { Preferences, PreferencesPatch } from '../../shared/preferences.js';
import type { MessageSummary } from '../../shared/messages.js';
import { AccountStore } from './accounts/account-store.js';
import { AppFailure, toAppError } from './errors.js';
import { discoverServer } from './accounts/discover.js';
import { PreferencesStore } from './preferences.js';
import { summarize } from './mime/summary.js';
import { Pop3Client, type Pop3ConnectOptions } from './pop3/client.js';
import { isPop3Error } from './pop3/errors.js';
import { resolvePassword, type SecretStore } from './secrets/index.js';
import { fsyncDir, storageError, writeFileAtomic } from './store/durable.js';
import { Journal } from './store/journal.js';
import { deletionPreview, type DeletionPreview } from './store/ledger.js';
import { acquireLock, releaseLock } from './store/lock.js';
import { AccountMailbox } from './store/mailbox.js';
import { MessageFiles } from './messages/message-files.js';
import { FolderService } from './folders/folder-service.js';
import type { FolderInfo } from '../../shared/folders.js';
import { deletionReason } from './sync/plan.js';
import { certificateBlockSync, clearCertificateBlock, lastSeenCertificate, recordCertificateBlock, rememberCertificate } from './sync/last-certificate.js';
import { Scheduler, type RunOutcome } from './sync/scheduler.js';
import { fetchFull, syncAccount, type StoredEvent, type SyncProgress, type SyncResult } from './sync/sync-engine.js';

export interface MailServiceOptions {
  dataDir: string;
  secrets: SecretStore;
  /** Injectable clock (tests run "delete after N days" forward). */
  now?: () => number;
  /** Extra connection options (tests: a CA for a private server). */
  connectExtras?: (account: AccountSettings) => Partial<Pop3ConnectOptions>;
}

export interface StoredMessage extends MessageRecord {
  /** Absolute path of the stored file. */
  path: string;
}

export type { PendingDeletion, SyncOutcome };

/** Where the desktop app keeps its data (Electron's userData for the product name "Popbox"). */
export function defaultDataDir(): string {
  if (process.env.POPBOX_DATA_DIR) return path.resolve(process.env.POPBOX_DATA_DIR);
  const home = os.homedir();
  switch (process.platform) {
    case 'darwin':
      return path.join(home, 'Library', 'Application Support', 'Popbox');
    case 'win32':
      return path.join(process.env.APPDATA ?? path.join(home, 'AppData', 'Roaming'), 'Popbox');
    default:
      return path.join(process.env.XDG_CONFIG_HOME ?? path.join(home, '.config'), 'Popbox');
  }
}

const NO_FLAGS: MessageFlags = { seen: false, flagged: false };

type Listener<E extends EventName> = (payload: EventPayload<E>) => void;

export class MailService {
  private readonly listeners: { [E in EventName]: Set<Listener<E>> } = {
    stateChanged: new Set(),
    syncProgress: new Set(),
    accountStatus: new Set(),
    command: new Set(),
    notice: new Set(),
  };
  private scheduler: Scheduler | null = null;
  /** Finding and reading stored messages. */
  private readonly files: MessageFiles;
  /** Filing: folders, moves, Trash, Archive. */
  readonly folders: FolderService;
  /** Syncs in flight, by account: a second request joins the first (one session per account). */
  private readonly running = new Map<string, Promise<SyncOutcome>>();

  private constructor(
    private readonly opts: MailServiceOptions,
    readonly accounts: AccountStore,
    readonly journal: Journal,
    private readonly prefs: PreferencesStore,
    private readonly lockFile: string,
  ) {
    journal.onChange((state) => this.emit('stateChanged', { state }));
    this.files = new MessageFiles(opts.dataDir, journal);
    this.folders = new FolderService({
      journal,
      withBox: (accountId, fn) => this.withBox(accountId, fn),
      now: () => this.now(),
      deleteForGood: (ids) => this.deleteForGood(ids),
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
    await acquireLock(lockFile, (pid) => `Popbox${pid ? ` (pid ${pid})` : ''} is already using this data directory`);
    try {
      const accounts = await AccountStore.open(dataDir);
      const journal = await Journal.open(path.join(dataDir, 'journal.jsonl'));
      const prefs = await PreferencesStore.open(dataDir);
      const service = new MailService({ ...opts, dataDir }, accounts, journal, prefs, lockFile);
      await service.recoverAfterCrash();
      await service.journalFolderTrees();
      return service;
    } catch (e) {
      await releaseLock(lockFile);
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
    await Promise.allSettled(this.running.values());
    // Commands still at work (a Delete, a mark-read) finish before the close counts as clean.
    while (this.turns.size > 0) await Promise.allSettled([...this.turns.values()]);
    await writeFileAtomic(this.cleanMark, '').catch(() => {}); // without it, the next start reconciles
    await releaseLock(this.lockFile);
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
      await this.withBox(account.id, (box) => this.reconcile(box, new SummaryQueue(this.journal))).catch(() => {});
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
      await this.withBox(account.id, (box) => this.reconcile(box, new SummaryQueue(this.journal))).catch(() => {});
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

  /**
   * Mailboxes a sync or fetch has open, by account. The account lock keeps a second opener out,
   * so work that only renames files or reads the ledger (flags, Trash, the pending list) runs on
   * the open one instead of failing with in-use while mail is coming in. Delete-for-good stays
   * out: its ledger commit would also make the sync's staged downloads durable before the sync
   * has fsynced their directory.
   */
  private readonly openBoxes = new Map<string, AccountMailbox>();

  private async withBox<T>(accountId: string, fn: (box: AccountMailbox) => Promise<T>): Promise<T> {
    const shared = this.openBoxes.get(accountId);
    if (shared) return this.onShared(accountId, shared, fn);
    return this.inTurn(accountId, async () => {
      const opened = this.openBoxes.get(accountId);
      if (opened) return fn(opened);
      const box = await AccountMailbox.open(this.opts.dataDir, accountId);
      try {
        return await fn(box);
      } finally {
        await box.close();
      }
    });
  }

  /** Commands at work on a sync's open mailbox, by account: the sync closes it only after them. */
  private readonly sharedUsers = new Map<string, Set<Promise<unknown>>>();

  private onShared<T>(accountId: string, box: AccountMailbox, fn: (box: AccountMailbox) => Promise<T>): Promise<T> {
    const users = this.sharedUsers.get(accountId) ?? new Set<Promise<unknown>>();
    this.sharedUsers.set(accountId, users);
    const run = fn(box);
    const done = run.catch(() => {});
    users.add(done);
    void done.then(() => users.delete(done));
    return run;
  }

  /** Takes a sync's mailbox out of sharing and closes it once the commands using it are done. */
  private async closeShared(accountId: string, box: AccountMailbox): Promise<void> {
    this.openBoxes.delete(accountId);
    const users = this.sharedUsers.get(accountId);
    while (users && users.size > 0) await Promise.allSettled([...users]);
    this.sharedUsers.delete(accountId);
    await box.close();
  }

  /** Per account, the work that opens or closes its mailbox, one after another. */
  private readonly turns = new Map<string, Promise<unknown>>();

  /**
   * Two commands for one account at once (Delete and the next message's mark-read, two
   * windows) each opened the mailbox, and the second failed with in-use against this very
   * process. Opening and closing now take turns per account; a sync's open mailbox is shared.
   */
  private inTurn<T>(accountId: string, work: () => Promise<T>): Promise<T> {
    const run = (this.turns.get(accountId) ?? Promise.resolve()).then(work, work);
    const settled = run.catch(() => {});
    this.turns.set(accountId, settled);
    void settled.then(() => {
      if (this.turns.get(accountId) === settled) this.turns.delete(accountId);
    });
    return run;
  }

  // ---- accounts ----

  listAccounts(): AccountSettings[] {
    return this.accounts.list();
  }

  /** Add an account; a keychain password is stored first, so a failed save leaves no account without one. */
  async addAccount(input: AccountInput, password?: string): Promise<AccountSettings> {
    const account = await this.accounts.add(input);
    if (account.password.source === 'keychain') {
      if (password === undefined) {
        await this.accounts.remove(account.id);
        throw new AppFailure('invalid', 'a password is needed for an account whose password lives in the keychain');
      }
      try {
        await this.opts.secrets.set(account.id, password);
      } catch (e) {
        await this.accounts.remove(account.id);
        throw e;
      }
    }
    this.scheduler?.setAccounts(this.accounts.list());
    await this.withBox(account.id, (box) => this.folders.journalTree(box)).catch(() => {});
    return account;
  }

  /**
   * A change that would send the stored password elsewhere (host, port, security, clear-text
   * login allowed, a new certificate pin) forgets it first: the keychain entry is deleted, and
   * a password command set on the command line gives way to the keychain unless the change also
   * comes from the command line (`fromCommandLine`), where the person typing sees both.
   */
  async updateAccount(idOrName: string, patch: AccountPatch, password?: string, opts: { fromCommandLine?: boolean } = {}): Promise<AccountSettings> {
    const account = await this.accounts.update(idOrName, patch, async (current, next) => {
      if (!passwordDestinationChanged(current, next)) return next;
      if (next.password.source === 'command' && opts.fromCommandLine) return next;
      await this.opts.secrets.delete(current.id);
      return { ...next, password: { source: 'keychain' } };
    });
    if (password !== undefined && account.password.source === 'keychain') await this.opts.secrets.set(account.id, password);
    this.scheduler?.setAccounts(this.accounts.list());
    // Saved in the settings form, where a changed certificate is shown with both fingerprints.
    await clearCertificateBlock(AccountMailbox.dirFor(this.opts.dataDir, account.id)).catch(() => {});
    this.scheduler?.settingsChanged(account.id);
    return account;
  }

  /** The order the user wants the accounts in (every id once); the file keeps it. */
  async reorderAccounts(ids: string[]): Promise<AccountSettings[]> {
    const accounts = await this.accounts.reorder(ids);
    this.scheduler?.setAccounts(accounts);
    return accounts;
  }

  async removeAccount(idOrName: string): Promise<void> {
    const account = await this.accounts.remove(idOrName);
    this.scheduler?.setAccounts(this.accounts.list());
    await this.opts.secrets.delete(account.id).catch(() => {});
    await this.journal.append([
      ...[...this.journal.all()].filter((m) => m.accountId === account.id).map((m) => ({ t: 'remove' as const, id: m.id })),
      { t: 'folders' as const, accountId: account.id, folders: [] },
    ]);
  }

  // ---- sync ----

  private connectOptions(account: AccountSettings, lastSeenFingerprint256?: string): Pop3ConnectOptions {
    const extras = this.opts.connectExtras?.(account);
    const tls = account.tlsFingerprint ? { pinnedFingerprint256: account.tlsFingerprint } : lastSeenFingerprint256 ? { lastSeenFingerprint256 } : {};
    return {
      host: account.host,
      port: account.port,
      security: account.security,
      pipelining: account.pipelining,
      ...extras,
      tls: { ...tls, ...extras?.tls },
    };
  }

  /** Sync the given accounts (all when empty), one session each, and report each outcome. */
  async sync(idsOrNames: string[] = [], onProgress?: (accountId: string, p: SyncProgress) => void): Promise<SyncOutcome[]> {
    const accounts = idsOrNames.length ? idsOrNames.map((n) => this.accounts.get(n)) : this.accounts.list();
    const outcomes: SyncOutcome[] = [];
    for (const account of accounts) {
      let run = this.running.get(account.id);
      if (!run) {
        run = this.syncOne(account, onProgress).then(
          ({ plan: _plan, ...result }): SyncOutcome => ({ accountId: account.id, ok: true, result }),
          (e: unknown): SyncOutcome => ({ accountId: account.id, ok: false, error: toAppError(e, e instanceof Error ? e.message : String(e)) }),
        );
        this.running.set(account.id, run);
        void run.finally(() => this.running.delete(account.id));
      }
      const outcome = await run;
      this.lastOutcome.set(account.id, outcome);
      outcomes.push(outcome);
    }
    return outcomes;
  }

  private async syncOne(account: AccountSettings, onProgress?: (accountId: string, p: SyncProgress) => void): Promise<SyncResult> {
    const password = await resolvePassword(account, this.opts.secrets);
    const box = await this.inTurn(account.id, async () => {
      const opened = await AccountMailbox.open(this.opts.dataDir, account.id);
      this.openBoxes.set(account.id, opened);
      return opened;
    });
    const parsed: Promise<void>[] = [];
    const summaries = new SummaryQueue(this.journal);
    let verified: string | undefined;
    try {
      await this.reconcile(box, summaries);
      return await syncAccount(box, {
        connect: this.connectOptions(account, await lastSeenCertificate(box.dir, account)),
        onConnected: ({ fingerprint256 }) => {
          verified = fingerprint256;
        },
        credentials: {
          user: account.user,
          password,
          ...(account.authMechanism ? { mechanism: account.authMechanism } : {}),
          allowInsecure: account.allowInsecureAuth,
        },
        policy: account,
        now: () => this.now(),
        onProgress: (p) => {
          this.emit('syncProgress', { accountId: account.id, progress: p });
          onProgress?.(account.id, p);
        },
        // Parsing runs beside the download, never in its way; what it produces is journaled.
        onStored: (e) => parsed.push(summaries.add(this.recordFor(account.id, box, e))),
      });
    } catch (e) {
      // Kept with the account so that a restart does not connect again by itself (DESIGN §3.8).
      if (isPop3Error(e) && e.code === 'certificate') {
        const { fingerprint256, expectedFingerprint256 } = e;
        const block = { message: e.message, ...(fingerprint256 ? { fingerprint256 } : {}), ...(expectedFingerprint256 ? { expectedFingerprint256 } : {}) };
        await recordCertificateBlock(box.dir, block, this.now()).catch(() => {});
      }
      throw e;
    } finally {
      try {
        await Promise.allSettled(parsed);
        await summaries.drain();
      } finally {
        // Only a name in a later warning depends on it: a failed write must not fail the sync.
        if (verified) await rememberCertificate(box.dir, account, verified, this.now()).catch(() => {});
        // Whatever failed above, the mailbox is closed (else every later command says in-use).
        await this.inTurn(account.id, () => this.closeShared(account.id, box));
      }
    }
  }

  private recordFor(accountId: string, box: AccountMailbox, e: Pick<StoredEvent, 'id' | 'uidl' | 'path' | 'partial'>) {
    const entry = box.ledger.get(e.uidl);
    const file = box.maildir.get(e.id);
    return {
      path: e.path,
      base: {
        id: e.id,
        accountId,
        uidl: e.uidl,
        receivedAt: entry?.downloadedAt ?? this.now(),
        partial: e.partial,
        ...(e.partial && entry ? { serverSize: entry.size } : {}),
        flags: file ? { seen: file.flags.seen, flagged: file.flags.flagged } : NO_FLAGS,
        folder: file?.folder ?? INBOX,
      },
    };
  }

  /**
   * Make the journal agree with the Maildir and the ledger after a crash or a change by
   * another tool: a file without a journal record is parsed and added; a record without a
   * file is removed; a ledger entry whose file was deleted by another tool counts as deleted here.
   */
  private async reconcile(box: AccountMailbox, summaries: SummaryQueue): Promise<void> {
    const removals: { t: 'remove'; id: string }[] = [];
    for (const m of this.journal.all()) {
      if (m.accountId === box.accountId && !box.maildir.has(m.id)) removals.push({ t: 'remove', id: m.id });
    }
    await this.journal.append(removals);
    for (const entry of box.ledger.all()) {
      if (entry.deletedLocallyAt === undefined && entry.serverDeletedAt === undefined && entry.goneAt === undefined && !box.maildir.has(entry.id)) {
        box.ledger.deletedLocally(entry.uidl, this.now());
      }
    }
    await box.ledger.commit();
    // Flags live in the file names and folders are directories; a kill between a batch of
    // renames and its journal append (or a change by another tool) leaves records that
    // disagree: the file wins.
    await this.folders.journalTree(box);
    const fixes: ({ t: 'flags'; id: string; flags: MessageFlags } | { t: 'move'; id: string; folder: string })[] = [];
    for (const file of box.maildir.all()) {
      const m = this.journal.get(file.id);
      if (m && (m.flags.seen !== file.flags.seen || m.flags.flagged !== file.flags.flagged)) {
        fixes.push({ t: 'flags', id: file.id, flags: { seen: file.flags.seen, flagged: file.flags.flagged } });
      }
      if (m && m.folder !== file.folder) fixes.push({ t: 'move', id: file.id, folder: file.folder });
    }
    await this.journal.append(fixes);
    for (const file of box.maildir.all()) {
      if (this.journal.get(file.id)) continue;
      // A file the ledger does not know (the ledger was lost) is still mail: show it. The next
      // sync that sees its UIDL on the server records it again under the same name.
      const entry = box.ledger.getById(file.id);
      void summaries.add(
        this.recordFor(box.accountId, box, { id: file.id, uidl: entry?.uidl ?? '', path: box.maildir.pathOf(file.id)!, partial: entry?.partial ?? false }),
      );
    }
    await summaries.drain();
  }

  /** Download the rest of a headers-only message. */
  async fetchFull(id: string): Promise<StoredMessage> {
    const m = this.requireMessage(id);
    const account = this.accounts.get(m.accountId);
    const password = await resolvePassword(account, this.opts.secrets);
    // Its own POP3 session: during a sync the account lock refuses it with in-use (one session per account).
    const file = await this.inTurn(account.id, async () => {
      const box = await AccountMailbox.open(this.opts.dataDir, account.id);
      try {
        await fetchFull(box, id, {
          connect: this.connectOptions(account),
          credentials: { user: account.user, password, allowInsecure: account.allowInsecureAuth, ...(account.authMechanism ? { mechanism: account.authMechanism } : {}) },
        });
        const stored = box.maildir.pathOf(id)!;
        await this.journal.append([{ t: 'partial', id, partial: false, summary: await summarizeSafely(stored) }]);
        return stored;
      } finally {
        await box.close();
      }
    });
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

  /**
   * Change flags of one message or many: per account one pass over the store (renames, one
   * fsync per folder) and one journal append, so marking 100,000 read is not 100,000 opens of
   * the mailbox. All ids are checked first; what was renamed before a failure is journaled.
   */
  async setFlags(idOrIds: string | readonly string[], flags: Partial<MessageFlags>): Promise<void> {
    const ids = [...new Set(typeof idOrIds === 'string' ? [idOrIds] : idOrIds)];
    const byAccount = new Map<string, string[]>();
    for (const id of ids) {
      const m = this.requireMessage(id);
      byAccount.set(m.accountId, [...(byAccount.get(m.accountId) ?? []), id]);
    }
    for (const [accountId, list] of byAccount) {
      // The change is merged with the flags on disk inside the pass: two quick commands on one
      // message (mark read, then Delete) each keep the other's flag.
      const applied: { id: string; flags: MessageFlags }[] = [];
      let failure: unknown = null;
      await this.withBox(accountId, (box) => box.maildir.setFlagsMany(list, flags, (c) => applied.push(c))).catch((e: unknown) => (failure = e));
      await this.journal.append(applied.map((c) => ({ t: 'flags' as const, id: c.id, flags: c.flags })));
      if (failure) throw failure;
    }
  }

  moveToTrash(idOrIds: string | readonly string[]): Promise<void> {
    return this.folders.moveToTrash(typeof idOrIds === 'string' ? [idOrIds] : idOrIds);
  }

  restore(idOrIds: string | readonly string[]): Promise<void> {
    return this.folders.restore(typeof idOrIds === 'string' ? [idOrIds] : idOrIds);
  }

  // ---- folders (folders/folder-service.ts) ----

  moveMessages(ids: readonly string[], folder: string): Promise<void> {
    return this.folders.move(ids, folder);
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
  async deleteForGood(ids: string[]): Promise<void> {
    const messages = ids.map((id) => this.requireMessage(id));
    const byAccount = new Map<string, MessageRecord[]>();
    for (const m of messages) byAccount.set(m.accountId, [...(byAccount.get(m.accountId) ?? []), m]);
    for (const [accountId, list] of byAccount) {
      await this.inTurn(accountId, async () => {
        const box = await AccountMailbox.open(this.opts.dataDir, accountId);
        try {
          for (const m of list) {
            // Ledger first: should the unlink be lost in a crash, reconcile finds the record anyway.
            // Wherever it was filed, a downloaded message deleted here counts as deleted here
            // (copies, sent mail and drafts have no UIDL and nothing on the server).
            if (m.uidl) {
              box.ledger.deletedLocally(m.uidl, this.now(), deletionPreview(m.summary));
              await box.ledger.commit();
            }
            await box.maildir.remove(m.id);
          }
        } finally {
          await box.close();
        }
      });
      await this.journal.append(list.map((m) => ({ t: 'remove' as const, id: m.id })));
    }
  }

  /** The server deletions the next sync will make, from the ledger and each account's settings. */
  async pending(filter: { accountId?: string } = {}): Promise<PendingDeletion[]> {
    const out: PendingDeletion[] = [];
    for (const account of this.accounts.list()) {
      if (filter.accountId && account.id !== filter.accountId) continue;
      await this.withBox(account.id, async (box) => {
        for (const entry of box.ledger.all()) {
          if (entry.serverDeletedAt !== undefined || entry.goneAt !== undefined) continue;
          const reason = deletionReason(entry, account, this.now());
          if (!reason) continue;
          // A message deleted here is gone from the journal: its ledger entry kept what to show.
          const shown = entry.preview ?? previewOf(this.journal.get(entry.id));
          out.push({ id: entry.id, accountId: account.id, uidl: entry.uidl, subject: shown.subject, from: shown.from, date: shown.date, reason });
        }
      });
    }
    return out;
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

  inlinePart(id: string, attachmentId: string): Promise<{ contentType: string; base64: string }> {
    return this.files.inlinePart(id, attachmentId);
  }

  preferences(): Preferences {
    return this.prefs.get();
  }

  async updatePreferences(patch: PreferencesPatch): Promise<Preferences> {
    const next = await this.prefs.update(patch);
    for (const l of this.prefsListeners) l(next);
    return next;
  }

  private readonly prefsListeners = new Set<(p: Preferences) => void>();
  /** The shell follows preferences it acts on (start at login, background). */
  onPreferences(listener: (p: Preferences) => void): () => void {
    this.prefsListeners.add(listener);
    return () => this.prefsListeners.delete(listener);
  }

  /** Server settings for an email address: a known provider's, or what answers on its domain. */
  discoverServer(email: string): Promise<Discovery> {
    return discoverServer(email);
  }

  /** Connect and log in without saving anything: what the add-account flow shows before saving. */
  async testConnection(test: ConnectionTest): Promise<ConnectionReport> {
    let password = test.password;
    if (password === undefined) {
      // The stored password goes only where it is stored for: the caller's settings must be
      // the account's own (an untrusted caller could name any host), else it must be typed.
      if (!test.accountId) throw new AppFailure('invalid', 'Enter the password to test the connection.');
      const account = this.accounts.get(test.accountId);
      if (!sameConnection(account, test)) throw new AppFailure('invalid', 'These settings differ from the saved ones: enter the password to test them.');
      password = await resolvePassword(account, this.opts.secrets);
    }
    const pop = await Pop3Client.connect({
      host: test.host,
      port: test.port,
      security: test.security,
      tls: test.tlsFingerprint ? { pinnedFingerprint256: test.tlsFingerprint } : {},
      timeouts: { connectMs: 15_000, greetingMs: 15_000, idleMs: 30_000 },
    });
    try {
      await pop.login({
        user: test.user,
        password,
        ...(test.authMechanism ? { mechanism: test.authMechanism } : {}),
        allowInsecure: test.allowInsecureAuth === true,
      });
      const stat = await pop.stat();
      const caps = pop.capabilities;
      // Servers under-report CAPA: with mail in the box, ask UIDL itself.
      let uidl = caps?.uidl ?? false;
      if (!uidl && stat.count > 0) {
        uidl = await pop.uidlOne(1).then(
          () => true,
          (e: unknown) => {
            if (isPop3Error(e) && e.code === 'command') return false;
            throw e;
          },
        );
      }
      const report: ConnectionReport = {
        greeting: pop.greeting,
        secure: pop.secure,
        fingerprint256: pop.fingerprint256 ?? null,
        capabilities: caps?.lines ?? [],
        pipelining: caps?.pipelining ?? false,
        uidl,
        messageCount: stat.count,
        mailboxBytes: stat.size,
        loginDelaySeconds: caps?.loginDelaySeconds ?? null,
        expireDays: caps?.expire ?? null,
      };
      await pop.quit();
      return report;
    } catch (e) {
      pop.close();
      throw e;
    }
  }
}

/** Parses stored messages in order, a few at a time, and journals them in batches. */
class SummaryQueue {
  private pending: Promise<void> = Promise.resolve();
  private batch: MessageRecord[] = [];

  constructor(private readonly journal: Journal) {}

  /** The first failed journal write; later messages are still parsed and tried. */
  private failure: unknown = null;

  add(item: { path: string; base: Omit<MessageRecord, 'summary'> }): Promise<void> {
    // One parse at a time, started only when the previous one is done: parsing that falls
    // behind the download queues paths, never parsers (bounded memory).
    this.pending = this.pending
      .then(() => summarizeSafely(item.path))
      .then((summary) => {
        this.batch.push({ ...item.base, summary });
        return this.batch.length >= 100 ? this.flush() : undefined;
      });
    return this.pending;
  }

  private async flush(): Promise<void> {
    const batch = this.batch;
    this.batch = [];
    // A failed write does not stop the queue (one bad write poisoned every later add, and the
    // sync's cleanup behind drain() never ran); the messages it held are found again by the
    // next reconcile, and drain() reports the first failure.
    await this.journal.append(batch.map((m) => ({ t: 'add' as const, m }))).catch((e: unknown) => {
      this.failure ??= e;
    });
  }

  async drain(): Promise<void> {
    await this.pending;
    await this.flush();
    if (this.failure) throw this.failure;
  }
}

/** Whether a connection test names exactly the stored account's server, login and certificate rules. */
function sameConnection(a: AccountSettings, t: ConnectionTest): boolean {
  const pin = (f: string | undefined) => f?.replace(/:/g, '').toUpperCase();
  return (
    a.host.toLowerCase() === t.host.toLowerCase() &&
    a.port === t.port &&
    a.security === t.security &&
    a.user === t.user &&
    (a.authMechanism ?? null) === (t.authMechanism ?? null) &&
    a.allowInsecureAuth === (t.allowInsecureAuth ?? false) &&
    pin(a.tlsFingerprint) === pin(t.tlsFingerprint)
  );
}

function previewOf(m: MessageRecord | undefined): DeletionPreview {
  return m ? deletionPreview(m.summary) : { subject: '', from: '', date: null };
}

async function summarizeSafely(file: string): Promise<MessageSummary> {
  try {
    return await summarize(file);
  } catch {
    // summarize never throws on bad MIME; this is a file we could not read at all.
    const size = (await fs.stat(file).catch(() => ({ size: 0 }))).size;
    return { subject: '', from: [], to: [], cc: [], date: null, messageId: null, inReplyTo: null, references: [], size, hasAttachments: false, snippet: '' };
  }
}

