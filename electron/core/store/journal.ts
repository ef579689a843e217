/**
 * The journal of changes (DESIGN §2): append-only JSON lines, each with an increasing state
 * number, folded into the current set of messages on open. It answers `changesSince(state)`
 * for the renderer's read model, or says it cannot (compacted past that state), in which case
 * the renderer rebuilds from `snapshot()`.
 *
 * Compaction rewrites the file atomically as a base line and one "add" per live message; a
 * crash in the middle leaves the old file. A torn last line is dropped on open.
 */
import type { AccountFolders, Change, ChangesResult, JunkedBy, MessageFlags, MessageRecord } from '../../../shared/changes.js';
import { INBOX, roleKey, type FolderInfo } from '../../../shared/folders.js';
import type { MessageSummary } from '../../../shared/messages.js';
import { appendDurable, readJsonLines, removeStrayTemps, storageError, writeFileAtomic } from './durable.js';

type Base = { t: 'base'; s: number };
type Line = Change | Base;
type NewChange =
  | { t: 'add'; m: MessageRecord }
  | { t: 'flags'; id: string; flags: MessageFlags }
  | { t: 'partial'; id: string; partial: boolean; summary: MessageSummary }
  | { t: 'remove'; id: string }
  | { t: 'move'; id: string; folder: string; trashedFrom?: string; trashedAt?: number; junkedBy?: JunkedBy }
  | { t: 'folders'; accountId: string; folders: FolderInfo[] };

/**
 * Records written before Popbox had folders carry a `trashed` flag and no folder: Trash was a
 * flag then. Read them as filed in Trash or the inbox (the store moves the files the same way).
 */
function upgradeRecord(m: MessageRecord): MessageRecord {
  const flags = m.flags as MessageFlags & { trashed?: boolean };
  if (m.folder !== undefined && flags.trashed === undefined) return m;
  const { trashed, ...rest } = flags;
  return { ...m, flags: rest, folder: m.folder ?? (trashed ? roleKey('trash') : INBOX) };
}

export class Journal {
  private readonly messages = new Map<string, MessageRecord>();
  /** Each account's folder tree as last journaled. */
  private readonly folders = new Map<string, FolderInfo[]>();
  /** Changes after `base`, in order (what changesSince answers from). */
  private changes: Change[] = [];
  private base = 0;
  private current = 0;
  private readonly listeners = new Set<(state: number) => void>();
  /**
   * Appends and compactions run one at a time. Two overlapping appends numbered their changes
   * from the same state, and an append that landed on the old file while a compaction renamed
   * its rewrite over it was gone from disk (a kill then lost those records until a sync).
   */
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(private readonly file: string) {}

  static async open(file: string): Promise<Journal> {
    const j = new Journal(file);
    // A compaction cut short by a crash left its temporary file; the journal itself is whole.
    await removeStrayTemps(file);
    for (const value of await readJsonLines(file, 'the journal')) {
      const parsed = value as Line;
      if (parsed.t === 'base') {
        j.base = parsed.s;
        j.current = Math.max(j.current, parsed.s);
      } else j.apply(parsed, parsed.s > j.base);
    }
    return j;
  }

  private apply(c: Change, record: boolean): void {
    switch (c.t) {
      case 'add':
        this.messages.set(c.m.id, upgradeRecord(c.m));
        break;
      case 'flags': {
        const m = this.messages.get(c.id);
        if (!m) break;
        // A line from before folders may still say trashed: that was a move to or from Trash.
        const { trashed, ...flags } = c.flags as MessageFlags & { trashed?: boolean };
        const trash = roleKey('trash');
        const folder = trashed === undefined ? m.folder : trashed ? trash : m.folder === trash ? INBOX : m.folder;
        this.messages.set(c.id, { ...m, flags, folder });
        break;
      }
      case 'move': {
        const m = this.messages.get(c.id);
        if (m) {
          // Each move says all of these anew: a move out of Junk forgets who put it there.
          const { trashedFrom: _from, trashedAt: _at, junkedBy: _by, ...rest } = m;
          this.messages.set(c.id, {
            ...rest,
            folder: c.folder,
            ...(c.trashedFrom !== undefined ? { trashedFrom: c.trashedFrom } : {}),
            ...(c.trashedAt !== undefined ? { trashedAt: c.trashedAt } : {}),
            ...(c.junkedBy !== undefined ? { junkedBy: c.junkedBy } : {}),
          });
        }
        break;
      }
      case 'folders':
        if (c.folders.length === 0) this.folders.delete(c.accountId);
        else this.folders.set(c.accountId, c.folders);
        break;
      case 'partial': {
        const m = this.messages.get(c.id);
        if (m) this.messages.set(c.id, { ...m, partial: c.partial, summary: c.summary });
        break;
      }
      case 'remove':
        this.messages.delete(c.id);
        break;
    }
    this.current = Math.max(this.current, c.s);
    if (record) this.changes.push(c);
  }

  get state(): number {
    return this.current;
  }

  get(id: string): MessageRecord | undefined {
    return this.messages.get(id);
  }

  all(): IterableIterator<MessageRecord> {
    return this.messages.values();
  }

  get size(): number {
    return this.messages.size;
  }

  /** An account's folder tree as journaled (empty before its mailbox was first opened). */
  foldersOf(accountId: string): FolderInfo[] {
    return this.folders.get(accountId) ?? [];
  }

  allFolders(): AccountFolders[] {
    return [...this.folders].map(([accountId, folders]) => ({ accountId, folders }));
  }

  /** Called with the new state after every append: main turns it into the `stateChanged` hint. */
  onChange(listener: (state: number) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => {});
    return run;
  }

  /** Append changes durably (one write, one fsync), then apply them. */
  append(batch: NewChange[]): Promise<number> {
    if (batch.length === 0) return Promise.resolve(this.current);
    return this.exclusive(() => this.appendNow(batch));
  }

  private async appendNow(batch: NewChange[]): Promise<number> {
    let s = this.current;
    const stamped = batch.map((c) => ({ ...c, s: ++s }) as Change);
    try {
      await appendDurable(this.file, stamped.map((c) => `${JSON.stringify(c)}\n`).join(''));
    } catch (e) {
      throw storageError('cannot write the journal', e);
    }
    for (const c of stamped) this.apply(c, true);
    for (const l of this.listeners) l(this.current);
    if (this.changes.length > 5000 && this.changes.length > 2 * this.messages.size) {
      // The batch is already durable: a compaction that fails (a full disk) is tried again at
      // the next append instead of reporting the saved changes as failed.
      await this.compactNow().catch(() => {});
    }
    return this.current;
  }

  /** At most `max` changes; then `state` is the last one's and `hasMore` says to ask again. */
  changesSince(state: number, max = Infinity): ChangesResult {
    if (state > this.current || state < this.base) return { state: this.current, cannotCalculate: true };
    // Changes are in state order: find the first one after `state` by binary search.
    let lo = 0;
    let hi = this.changes.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.changes[mid]!.s <= state) lo = mid + 1;
      else hi = mid;
    }
    if (this.changes.length - lo > max) {
      const page = this.changes.slice(lo, lo + max);
      return { state: page[page.length - 1]!.s, changes: page, hasMore: true };
    }
    return { state: this.current, changes: this.changes.slice(lo) };
  }

  /** Every live message and the state it reflects: what a rebuilding read model starts from. */
  snapshot(): { state: number; messages: MessageRecord[]; folders: AccountFolders[] } {
    return { state: this.current, messages: [...this.messages.values()], folders: this.allFolders() };
  }

  compact(): Promise<void> {
    return this.exclusive(() => this.compactNow());
  }

  private async compactNow(): Promise<void> {
    const base = this.current;
    const lines = [JSON.stringify({ t: 'base', s: base } satisfies Base)];
    for (const [accountId, folders] of this.folders) lines.push(JSON.stringify({ s: base, t: 'folders', accountId, folders } satisfies Change));
    for (const m of this.messages.values()) lines.push(JSON.stringify({ s: base, t: 'add', m } satisfies Change));
    try {
      await writeFileAtomic(this.file, `${lines.join('\n')}\n`);
    } catch (e) {
      throw storageError('cannot compact the journal', e);
    }
    this.base = base;
    this.changes = [];
  }
}
