/**
 * Folders and filing (issue 14 §2): moving, copying, archiving, Trash and the folder tree of
 * each account. The truth is the account's Maildir++ tree (a move is a rename, so a message is
 * in exactly one folder whatever crashes); every change is journaled so the read model and the
 * CLI see it. Work runs on the account's one open mailbox through `withBox`.
 *
 * Folders are per account (see shared/folders.ts for why): the ledger, the lock and the rules
 * for deleting on the server are per account, so filing never has to carry a message across
 * accounts, and a family sharing a computer keeps separate trees.
 */
import type { JunkCause, MessageRecord } from '../../../shared/changes.js';
import { INBOX, SPECIAL_FOLDERS, folderPathProblem, isWithin, keyOf, pathOf, roleKey, roleOf, type FolderInfo } from '../../../shared/folders.js';
import { plural } from '../../../shared/plural.js';
import { AppFailure } from '../errors.js';
import type { Journal } from '../store/journal.js';
import type { AccountMailbox } from '../store/mailbox.js';
import type { StoredFile } from '../store/maildir.js';
import { journalTree } from './tree.js';
import { purgeDue, readPurgeMarks, writePurgeMarks, type PurgeMarks } from './purge-mark.js';
import { PurgeScan } from './purge-scan.js';
import { Turns } from '../turns.js';

export interface FolderDeps {
  journal: Journal;
  /** Run work on the account's one open mailbox, after the account's other work. */
  withBox<T>(accountId: string, fn: (box: AccountMailbox) => Promise<T>): Promise<T>;
  now(): number;
  /** Delete messages for good (the ledger remembers, the server copy follows the account's rules). */
  deleteForGood(ids: string[], opts?: { onlyIn?: string }): Promise<void>;
  /** The account's directory, where the last purge of each folder is kept (purge-mark.ts); absent, in memory only. */
  accountDir?(accountId: string): string;
}

type MoveChange = { t: 'move'; id: string; folder: string; trashedFrom?: string; trashedAt?: number; junkedBy?: ReturnType<JunkCause> };

const TRASH = roleKey('trash');
const JUNK = roleKey('junk');
const ARCHIVE = roleKey('archive');
const OUTBOX = roleKey('outbox');
const DRAFTS = roleKey('drafts');

/**
 * What is in the Outbox gets sent: a message reaches it only by Send (the renderer is
 * untrusted, DESIGN §3.8, and filing must never become sending).
 */
function refuseOutbox(folder: string): void {
  if (isWithin(folder, OUTBOX)) throw new AppFailure('invalid', 'Messages go to the Outbox only by sending them.');
}

// "Empty Trash / delete junk after N days" looks at most once an hour per account and folder
// (PURGE_EVERY_MS; at once when N changes): ages are counted in days, so a check every few
// minutes finds the same nothing each time while walking every record of the journal (issue 18).
// The last purge is kept on disk (purge-mark.ts), so a new process (a cron `popbox sync`) counts the hour too.

export class FolderService {
  /**
   * Per account, filing runs one operation at a time, each from reading the records through
   * its renames to its journal append. Filing may run beside a sync (quick work), and two
   * operations interleaving there each journaled what they had read before the other's
   * renames: Undo right after a move did nothing, and a rename journaled a stale folder.
   */
  private readonly turns = new Turns();

  /** The last purge that ran to its end, per account and folder (read from purged.json once per account). */
  private readonly purged = new Map<string, PurgeMarks>();

  /** What is in each account's Trash and Junk, kept from the journal's changes (not a walk of every record per purge). */
  private readonly purgeScan: PurgeScan;

  constructor(private readonly deps: FolderDeps) {
    this.purgeScan = new PurgeScan(deps.journal, [TRASH, JUNK]);
  }

  private get journal(): Journal {
    return this.deps.journal;
  }

  private serial<T>(accountId: string, work: () => Promise<T>): Promise<T> {
    return this.turns.run(accountId, work);
  }

  /** Journal the account's tree if it differs from what the journal says (after any folder change). */
  journalTree(box: AccountMailbox): Promise<FolderInfo[]> {
    return journalTree(this.journal, box);
  }

  /** The messages' ids by account, each id checked before anything changes. */
  private byAccount(ids: readonly string[]): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (const id of new Set(ids)) {
      const m = this.journal.get(id);
      if (!m) throw new AppFailure('not-found', `no message with id ${JSON.stringify(id.slice(0, 40))}`);
      out.set(m.accountId, [...(out.get(m.accountId) ?? []), id]);
    }
    return out;
  }

  /** The records as they are now (inside the account's turn); a message deleted meanwhile is left out. */
  private records(ids: readonly string[]): MessageRecord[] {
    const out: MessageRecord[] = [];
    for (const id of ids) {
      const m = this.journal.get(id);
      if (m) out.push(m);
    }
    return out;
  }

  private requireFolder(accountId: string, key: string): void {
    if (!this.journal.foldersOf(accountId).some((f) => f.key === key)) {
      throw new AppFailure('not-found', `There is no folder “${pathOf(key).join('/')}” in this account.`);
    }
  }

  /**
   * File messages in `folder` of their own account; a special folder's key (Archive, Trash…)
   * names that folder in every account. Per account one pass of renames and one journal append;
   * what moved before a failure is journaled, then the failure is reported. `junkedBy`: into Junk,
   * who put each there (journaled with the move, for the Junk bar).
   */
  async move(ids: readonly string[], folder: string, opts: { onlyFrom?: ReadonlyMap<string, string>; junkedBy?: JunkCause } = {}): Promise<void> {
    refuseOutbox(folder);
    const groups = this.byAccount(ids);
    for (const accountId of groups.keys()) this.requireFolder(accountId, folder);
    // onlyFrom (a rule's move): only what is still where it was when decided, read in the turn,
    // so a rule never pulls back a message the user trashed or filed meanwhile.
    const still = (m: MessageRecord) => opts.onlyFrom === undefined || opts.onlyFrom.get(m.id) === m.folder;
    for (const [accountId, list] of groups) await this.serial(accountId, () => this.moveNow(accountId, this.records(list).filter(still), () => folder, opts.junkedBy));
  }

  /**
   * Moves each message of one account to the folder `target` picks for it (made when missing).
   * What is already there is left alone by the store, which looks at the disk, not the journal.
   */
  private async moveNow(accountId: string, list: MessageRecord[], target: (m: MessageRecord) => string, junkedBy?: JunkCause): Promise<void> {
    const byTarget = new Map<string, string[]>();
    for (const m of list) {
      const to = target(m);
      byTarget.set(to, [...(byTarget.get(to) ?? []), m.id]);
    }
    if (byTarget.size === 0) return;
    const changes: MoveChange[] = [];
    let failure: unknown = null;
    await this.deps
      .withBox(accountId, async (box) => {
        try {
          for (const [to, moving] of byTarget) {
            if (!box.maildir.hasFolder(to)) await box.maildir.createFolder(to);
            await box.maildir.moveMany(moving, to, (file: StoredFile, from: string) => {
              // Filed in Junk: when, too (the record's trashedAt), for "delete junk after N days", and by whom.
              const by = to === JUNK ? junkedBy?.(file.id) : undefined;
              const filed = to === TRASH ? { trashedFrom: from, trashedAt: this.deps.now() } : to === JUNK ? { trashedAt: this.deps.now(), ...(by ? { junkedBy: by } : {}) } : {};
              changes.push({ t: 'move', id: file.id, folder: to, ...filed });
            });
          }
        } finally {
          await this.journalTree(box); // a folder made for the move (Archive/2026) comes first
        }
      })
      .catch((e: unknown) => (failure = e));
    await this.journal.append(changes);
    if (failure) throw failure;
  }

  moveToTrash(ids: readonly string[]): Promise<void> {
    return this.move(ids, TRASH);
  }

  /**
   * Back where each came from; the inbox when that folder is gone. A message trashed from the
   * Outbox comes back to Drafts: restoring must not send it (Send does, again).
   */
  async restore(ids: readonly string[]): Promise<void> {
    for (const [accountId, list] of this.byAccount(ids)) {
      await this.serial(accountId, () => {
        const tree = new Set(this.journal.foldersOf(accountId).map((f) => f.key));
        const home = (m: MessageRecord) => {
          if (m.folder !== TRASH) return m.folder;
          if (m.trashedFrom !== undefined && isWithin(m.trashedFrom, OUTBOX)) return DRAFTS;
          return m.trashedFrom && tree.has(m.trashedFrom) && m.trashedFrom !== TRASH ? m.trashedFrom : INBOX;
        };
        return this.moveNow(accountId, this.records(list), home);
      });
    }
  }

  /** Into Archive/<year of the message's date> (the year it arrived when it has no date). */
  async archive(ids: readonly string[]): Promise<void> {
    for (const [accountId, list] of this.byAccount(ids)) {
      await this.serial(accountId, () =>
        this.moveNow(accountId, this.records(list), (m) => {
          const parsed = m.summary.date ? Date.parse(m.summary.date) : NaN;
          const year = new Date(Number.isFinite(parsed) ? parsed : m.receivedAt).getFullYear();
          return `${ARCHIVE}.${year}`;
        }),
      );
    }
  }

  /** Copies under new ids (no UIDL behind them: deleting one never deletes on the server). */
  async copy(ids: readonly string[], folder: string): Promise<string[]> {
    refuseOutbox(folder);
    const groups = this.byAccount(ids);
    for (const [accountId, list] of groups) {
      this.requireFolder(accountId, folder);
      const partial = this.records(list).find((m) => m.partial);
      if (partial) throw new AppFailure('invalid', `“${partial.summary.subject || '(no subject)'}” has only its headers here: download the whole message before copying it.`);
    }
    const made: string[] = [];
    for (const [accountId, list] of groups) {
      await this.serial(accountId, async () => {
        const adds: { t: 'add'; m: MessageRecord }[] = [];
        let failure: unknown = null;
        await this.deps
          .withBox(accountId, (box) =>
            box.maildir.copyMany(
              this.records(list).map((m) => m.id),
              folder,
              (file, from) => {
                const original = this.journal.get(from.id)!;
                const { trashedFrom: _t, trashedAt: _a, ...rest } = original;
                adds.push({ t: 'add', m: { ...rest, id: file.id, uidl: '', folder, flags: { ...file.flags }, receivedAt: this.deps.now() } });
                made.push(file.id);
              },
            ),
          )
          .catch((e: unknown) => (failure = e));
        await this.journal.append(adds);
        if (failure) throw failure;
      });
    }
    return made;
  }

  /**
   * "Empty Trash after N days": what has been in the account's Trash that long is deleted for
   * good. A message found in Trash without a date (filed there before Popbox kept one, or by
   * another tool) is dated now, so it gets its N days too.
   */
  purgeTrash(accountId: string, days: number): Promise<number> {
    // Deleted only if still in Trash when its turn comes (a Restore meanwhile wins).
    return this.purgeAged(accountId, TRASH, days);
  }

  /**
   * "Delete junk after N days": what has sat in the account's Junk that long is deleted for
   * good, through the same path as Empty Trash, so the server copy follows the account's
   * leave-on-server rules. Age counts from when the message was filed in Junk (trashedAt,
   * journaled by every move there, the filter's on arrival included). A message found there
   * without that date (filed before Popbox kept it, a move cut short by a kill, another tool)
   * is dated now: its download date says nothing of when it was put in Junk, and counting from
   * it deleted at the next check mail filed there a minute before.
   */
  purgeJunk(accountId: string, days: number): Promise<number> {
    // Deleted only if still in Junk when its turn comes (a Not junk meanwhile wins).
    return this.purgeAged(accountId, JUNK, days);
  }

  /**
   * Deletes for good what has been in `folder` (Trash or Junk) `days` days; an undated record is
   * dated now. Skipped within PURGE_EVERY_MS of the last purge with the same `days`: what it
   * deletes is the same, at most an hour later than a check-by-check purge would.
   */
  private async purgeAged(accountId: string, folder: string, days: number): Promise<number> {
    if (days <= 0) return 0;
    const now = this.deps.now();
    const dir = this.deps.accountDir?.(accountId);
    let marks = this.purged.get(accountId);
    if (!marks) this.purged.set(accountId, (marks = dir ? await readPurgeMarks(dir) : {}));
    if (!purgeDue(marks[folder], days, now)) return 0;
    const undated: MoveChange[] = [];
    const old: string[] = [];
    for (const m of this.purgeScan.inFolder(accountId, folder)) {
      if (m.trashedAt === undefined) undated.push({ t: 'move', id: m.id, folder, trashedAt: now, ...(m.trashedFrom !== undefined ? { trashedFrom: m.trashedFrom } : {}) });
      else if (now - m.trashedAt >= days * 86_400_000) old.push(m.id);
    }
    await this.journal.append(undated);
    if (old.length > 0) await this.deps.deleteForGood(old, { onlyIn: folder });
    marks[folder] = { at: now, days };
    // Only a purge that ran to its end counts; a mark that cannot be written means the next process purges again.
    if (dir) await writePurgeMarks(dir, marks).catch(() => {});
    return old.length;
  }

  /** Delete for good everything in Trash (one account's, or every account's); a Restore meanwhile wins. */
  async emptyTrash(accountId?: string): Promise<void> {
    const ids: string[] = [];
    for (const m of this.journal.all()) if (m.folder === TRASH && (accountId === undefined || m.accountId === accountId)) ids.push(m.id);
    if (ids.length > 0) await this.deps.deleteForGood(ids, { onlyIn: TRASH });
  }

  async create(accountId: string, path: readonly string[]): Promise<FolderInfo> {
    const problem = folderPathProblem(path);
    if (problem) throw new AppFailure('invalid', problem);
    return this.serial(accountId, async () => {
      const key = this.inExistingCase(accountId, keyOf(path));
      refuseOutbox(key);
      this.refuseTaken(accountId, key);
      await this.deps.withBox(accountId, async (box) => {
        await box.maildir.createFolder(key);
        await this.journalTree(box);
      });
      return { key, path: pathOf(key), role: roleOf(key) };
    });
  }

  /**
   * The key with each parent written as the existing folder writes it ("work.Sub" under an
   * existing "Work" is "Work.Sub"): on macOS and Windows, where names ignore case, ".work" is the
   * directory ".Work", and a second tree entry for it would let a removal delete Work's mail.
   */
  private inExistingCase(accountId: string, key: string): string {
    const existing = new Map(this.journal.foldersOf(accountId).map((f) => [f.key.toLowerCase(), f.key]));
    const levels = key.split('.');
    let out = '';
    for (let i = 0; i < levels.length; i++) {
      const prefix = out ? `${out}.${levels[i]}` : levels[i]!;
      out = i < levels.length - 1 ? (existing.get(prefix.toLowerCase()) ?? prefix) : prefix;
    }
    return out;
  }

  /** A folder whose name differs only in case would be the same folder on macOS and Windows. */
  private refuseTaken(accountId: string, key: string, except?: string): void {
    const clash = this.journal.foldersOf(accountId).find((f) => f.key.toLowerCase() === key.toLowerCase() && (except === undefined || !isWithin(f.key, except)));
    if (clash) throw new AppFailure('invalid', `A folder named “${clash.path.join('/')}” already exists.`);
  }

  private refuseSpecial(key: string, doing: string): void {
    const role = roleOf(key);
    if (role) throw new AppFailure('invalid', `${SPECIAL_FOLDERS.find((f) => f.role === role)!.name} is one of Popbox's own folders and cannot be ${doing}.`);
  }

  /** Rename or move a folder and what is below it. */
  async rename(accountId: string, key: string, path: readonly string[]): Promise<FolderInfo> {
    this.requireFolder(accountId, key);
    this.refuseSpecial(key, 'renamed');
    const problem = folderPathProblem(path);
    if (problem) throw new AppFailure('invalid', problem);
    return this.serial(accountId, async () => {
      this.requireFolder(accountId, key);
      const next = this.inExistingCase(accountId, keyOf(path));
      if (next === key) return { key, path: pathOf(key), role: null };
      if (isWithin(next, key)) throw new AppFailure('invalid', 'A folder cannot be moved into itself.');
      refuseOutbox(next);
      this.refuseTaken(accountId, next, key);
      // Every folder below gets a new name too: all of them must fit before the first rename.
      const below = this.journal.foldersOf(accountId).filter((f) => isWithin(f.key, key));
      if (below.some((f) => (next + f.key.slice(key.length)).length > 240)) {
        throw new AppFailure('invalid', 'With that name the folders inside it would be nested too deeply or named too long; choose a shorter name.');
      }
      await this.deps.withBox(accountId, async (box) => {
        try {
          await box.maildir.renameFolder(key, next);
        } finally {
          // What the disk says now is journaled (a crash in between is put right by reconcile).
          await this.journalTree(box);
          const changes: MoveChange[] = [];
          for (const file of box.maildir.inFolder(next, { within: true })) {
            if (this.journal.get(file.id)?.folder !== file.folder) changes.push({ t: 'move', id: file.id, folder: file.folder });
          }
          // What was trashed from there is restored to the folder under its new name.
          for (const m of this.journal.all()) {
            if (m.accountId === accountId && m.folder === TRASH && m.trashedFrom !== undefined && isWithin(m.trashedFrom, key) && box.maildir.hasFolder(next)) {
              changes.push({ t: 'move', id: m.id, folder: TRASH, trashedFrom: next + m.trashedFrom.slice(key.length), ...(m.trashedAt !== undefined ? { trashedAt: m.trashedAt } : {}) });
            }
          }
          await this.journal.append(changes);
        }
      });
      return { key: next, path: pathOf(next), role: roleOf(next) };
    });
  }

  /** Its messages and its subfolders' go to Trash (restorable), then the folders go. */
  async remove(accountId: string, key: string): Promise<{ trashed: number }> {
    this.requireFolder(accountId, key);
    if (key === INBOX) throw new AppFailure('invalid', 'The inbox cannot be removed.');
    this.refuseSpecial(key, 'removed');
    return this.serial(accountId, async () => {
      this.requireFolder(accountId, key);
      const inside = [...this.journal.all()].filter((m) => m.accountId === accountId && isWithin(m.folder, key));
      await this.moveNow(accountId, inside, () => TRASH);
      await this.deps.withBox(accountId, async (box) => {
        // Mail Popbox has not listed (another tool's) is never deleted with the folder: the
        // store refuses while any file is left there.
        const left = box.maildir.inFolder(key, { within: true });
        if (left.length > 0) throw new AppFailure('invalid', `The folder still holds ${plural(left.length, 'message')} Popbox has not listed yet; get mail and try again.`);
        await box.maildir.removeFolder(key);
        await this.journalTree(box);
      });
      return { trashed: inside.length };
    });
  }

  /** Folder names with their counts, for the CLI and tests. */
  counts(accountId: string): { folder: FolderInfo; total: number; unread: number }[] {
    const tree = this.journal.foldersOf(accountId);
    const total = new Map<string, number>();
    const unread = new Map<string, number>();
    for (const m of this.journal.all()) {
      if (m.accountId !== accountId) continue;
      total.set(m.folder, (total.get(m.folder) ?? 0) + 1);
      if (!m.flags.seen) unread.set(m.folder, (unread.get(m.folder) ?? 0) + 1);
    }
    return tree.map((folder) => ({ folder, total: total.get(folder.key) ?? 0, unread: unread.get(folder.key) ?? 0 }));
  }
}
