/**
 * The message half of the read model: every summary in memory, kept on disk in Dexie as pages
 * of up to PAGE_ROWS rows.
 *
 * Why pages and not one IndexedDB record per message: measured in Chromium on the 2-core build
 * machine, putting 10,000 one-message records takes ~2 s with no index at all (~3.8 s with the
 * six list indexes), while 20 records of 500 rows take ~30 ms. A record per message could not
 * meet "10,000 new messages listed within 2 s"; pages can, and the lists, counts and search are
 * answered from memory (sorting 100,000 dates takes ~50 ms; a keystroke is a scan of strings).
 *
 * A batch is staged (its page writes computed without touching memory) and committed to
 * memory; the read model writes the staged pages with the cursor in one transaction and, if
 * that fails, reloads memory from disk (read-model.ts).
 */
import type { Change } from '../../../shared/changes.js';
import { INBOX, type FolderInfo } from '../../../shared/folders.js';
import type { FolderTreeRow, MessageRow, Page } from './database.js';
import { firstRecipient, flagFields, movedRow, nameKey, searchText, summaryFields, toRow } from './rows.js';
import { foldText } from './search.js';
import { mark, measure } from '../app/timing.js';

export const PAGE_ROWS = 500;
/** Rows of the Unified Inbox kept in one small record so a cold start paints before the pages load. */
export const HEAD_ROWS = 60;
/** How long one slice of the background search-text build may hold the main thread. */
const SEARCH_SLICE_MS = 12;
/** And how many texts at most (a fast machine still yields now and then). */
const SEARCH_SLICE_ROWS = 4_000;

/**
 * What the list shows: every account's Inbox (the Unified Inbox), one folder of one account, or
 * every folder of every account (a search of all mail).
 */
export type MailboxView = { kind: 'unified' } | { kind: 'folder'; accountId: string; folder: string } | { kind: 'all' };
export type SortKey = 'date' | 'from' | 'subject';

/**
 * A to Z as the reader's language has it (the UI locale): accents and case do not count
 * ("Émile" before "Zoe", where code units put it after) and numbers go by value ("Item 9"
 * before "Item 10").
 */
const alphabet = new Intl.Collator(undefined, { sensitivity: 'base', numeric: true });

/**
 * Each key's place in that order, as a number to sort by. The collator is slower than comparing
 * code units, so only the distinct keys are compared (a folder has far fewer senders and
 * subjects than messages); the messages are then sorted by plain numbers.
 */
export function alphabeticalRanks(keys: readonly string[]): number[] {
  const distinct = [...new Set(keys)].sort(alphabet.compare);
  const rank = new Map<string, number>();
  for (let i = 0; i < distinct.length; i++) {
    const k = distinct[i]!;
    // Keys the collator calls equal ("emile", "Émile") share a rank: the id decides between them.
    rank.set(k, i > 0 && alphabet.compare(distinct[i - 1]!, k) === 0 ? rank.get(distinct[i - 1]!)! : i);
  }
  return keys.map((k) => rank.get(k)!);
}

/** One folder of one account, as the store keys its members and counts. */
export const folderSlot = (accountId: string, folder: string): string => `${accountId}\u0000${folder}`;
const slotFolder = (slot: string): string => slot.slice(slot.indexOf('\u0000') + 1);
const slotAccount = (slot: string): string => slot.slice(0, slot.indexOf('\u0000'));

/** Whether a view lists a given folder of a given account. */
export function viewCovers(view: MailboxView, accountId: string, folder: string): boolean {
  if (view.kind === 'all') return true;
  if (view.kind === 'unified') return folder === INBOX;
  return view.accountId === accountId && view.folder === folder;
}

/** Whether a message belongs in a view. */
export function inView(row: Pick<MessageRow, 'accountId' | 'folder'>, view: MailboxView): boolean {
  return viewCovers(view, row.accountId, row.folder);
}

/** Whether a view lists messages of more than one folder (the rows then say where each is). */
export function spansFolders(view: MailboxView): boolean {
  return view.kind !== 'folder';
}

export function viewKey(view: MailboxView): string {
  return view.kind === 'folder' ? `folder|${folderSlot(view.accountId, view.folder)}` : view.kind;
}

export function sameView(a: MailboxView, b: MailboxView): boolean {
  return viewKey(a) === viewKey(b);
}

/** Folds a batch of changes into the rows they touch; null means removed. */
export function foldChanges(existing: ReadonlyMap<string, MessageRow>, changes: readonly Change[]): Map<string, MessageRow | null> {
  const out = new Map<string, MessageRow | null>();
  const current = (id: string) => (out.has(id) ? out.get(id)! : (existing.get(id) ?? null));
  for (const c of changes) {
    switch (c.t) {
      case 'add':
        out.set(c.m.id, toRow(c.m));
        break;
      case 'flags': {
        const row = current(c.id);
        if (row) out.set(c.id, { ...row, ...flagFields(c.flags) });
        break;
      }
      case 'partial': {
        const row = current(c.id);
        if (row) out.set(c.id, { ...row, partial: c.partial ? 1 : 0, ...summaryFields(c.summary, row.receivedAt) });
        break;
      }
      case 'remove':
        out.set(c.id, null);
        break;
      case 'move': {
        const row = current(c.id);
        if (row) out.set(c.id, movedRow(row, c.folder, c.trashedFrom, c.junkedBy));
        break;
      }
      case 'folders':
        break;
    }
  }
  return out;
}

/** What one batch will change, computed without touching memory. */
export interface Staged {
  rows: Map<string, MessageRow | null>;
  /** Pages to write (rows empty: delete the page). */
  pages: Page[];
  /** Where each new row goes. */
  placed: Map<string, number>;
  nextPage: number;
  /** Whether list order or membership can change (not only seen/flagged). */
  reorders: boolean;
  /**
   * When the only such changes are removals and moves between folders: the folders messages
   * move into (folderSlot; their lists must be sorted again); every other list only loses rows.
   */
  shrinksExcept: Set<string> | null;
  /** Folder trees the batch replaces (the last `folders` change of each account). */
  trees: Map<string, FolderInfo[]>;
  /** Whether it changes a row of the last head (the start-up snapshot must follow). */
  touchesHead: boolean;
  /** The commit it was computed after: committing it after another one would corrupt pages. */
  base: number;
}

const EMPTY: readonly FolderInfo[] = [];

export class MessageStore {
  private readonly rows = new Map<string, MessageRow>();
  private readonly pageOf = new Map<string, number>();
  private readonly pages = new Map<number, Set<string>>();
  private nextPage = 0;
  private readonly listeners = new Set<() => void>();
  /**
   * Each row's search text, once the app has asked for it (prepareSearch); null until then and
   * after a reset, until it is built again. Commits keep it current.
   */
  private texts: Map<string, string> | null = null;
  /** Whether the app wants the search text: a reset then builds it again by itself. */
  private searchWanted = false;
  /** While the text is built in slices: the rows still to do (a live iterator over `rows`). */
  private textsTodo: Iterator<MessageRow> | null = null;
  private textsTimer: ReturnType<typeof setTimeout> | null = null;
  private textsStart = 0;
  private readonly cache = new Map<string, { view: MailboxView; ids: string[] }>();
  /** The ids in each folder (folderSlot), and each folder's unread count, kept as rows change. */
  private readonly members = new Map<string, Set<string>>();
  private readonly unread = new Map<string, number>();
  /** Each account's folder tree. */
  private readonly trees = new Map<string, FolderInfo[]>();
  /** The head record read at start, shown until the pages are in. */
  private headRows: Map<string, MessageRow> | null = null;
  private headOrder: string[] | null = null;

  /** Bumped on every change anyone could see (the views' snapshot for useSyncExternalStore). */
  version = 0;
  /** Batches committed so far (a staged batch is only valid against the count it was made at). */
  commits = 0;
  private headIds = new Set<string>();
  loaded = false;

  get size(): number {
    return this.rows.size;
  }

  subscribe = (fn: () => void): (() => void) => {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  };

  getVersion = (): number => this.version;

  private changed(reorders: boolean, shrinksExcept: Set<string> | null = null): void {
    this.version++;
    if (reorders) {
      if (shrinksExcept) this.shrinkViews(shrinksExcept);
      else this.cache.clear();
    }
    if (this.holds > 0) this.unsent = true;
    else this.notify();
  }

  /**
   * After removals and moves only: lists that messages left keep their order and lose those
   * rows (a filter, not a sort of 100,000 rows per Delete key); lists of the folders messages
   * entered are sorted again when next asked for.
   */
  private shrinkViews(entered: Set<string>): void {
    for (const [key, { view, ids }] of this.cache) {
      if ([...entered].some((slot) => viewCovers(view, slotAccount(slot), slotFolder(slot)))) {
        this.cache.delete(key);
        continue;
      }
      this.cache.set(key, {
        view,
        ids: ids.filter((id) => {
          const r = this.rows.get(id);
          return r !== undefined && inView(r, view);
        }),
      });
    }
  }

  /** A row enters memory (`add`) or leaves it: its folder's members and unread count follow. */
  private file(r: MessageRow, add: boolean): void {
    const slot = folderSlot(r.accountId, r.folder);
    let set = this.members.get(slot);
    if (add) {
      if (!set) this.members.set(slot, (set = new Set()));
      set.add(r.id);
    } else {
      set?.delete(r.id);
      if (set?.size === 0) this.members.delete(slot);
    }
    if (!r.seen) {
      const n = (this.unread.get(slot) ?? 0) + (add ? 1 : -1);
      if (n > 0) this.unread.set(slot, n);
      else this.unread.delete(slot);
    }
  }

  private holds = 0;
  private unsent = false;

  private notify(): void {
    this.unsent = false;
    for (const fn of this.listeners) fn();
  }

  /**
   * Hold back notifications (reads stay current) while a feed of several pages is applied,
   * so the views redraw once rather than once per page; returns the release.
   */
  hold(): () => void {
    this.holds++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (--this.holds === 0 && this.unsent) this.notify();
    };
  }

  /** Send held notifications now (a long feed still shows its progress). */
  flush(): void {
    if (this.unsent) this.notify();
  }

  get(id: string): MessageRow | undefined {
    return this.rows.get(id) ?? (this.loaded ? undefined : this.headRows?.get(id));
  }

  /** The Unified Inbox's first rows from the head record, before the pages are loaded. */
  setHead(rows: MessageRow[]): void {
    if (this.loaded) return;
    this.headRows = new Map(rows.map((r) => [r.id, r]));
    this.headOrder = rows.map((r) => r.id);
    this.changed(true);
  }

  headFor(view: MailboxView, sort: SortKey): string[] | null {
    return !this.loaded && view.kind === 'unified' && sort === 'date' ? this.headOrder : null;
  }

  /** Fill memory from pages read off disk (at start, a few at a time), then finishLoad(). */
  loadPages(pages: readonly Page[]): void {
    for (const p of pages) {
      const ids = new Set<string>();
      for (const r of p.rows) {
        // A row that is not a row, or one already placed on another page, is left out (the
        // next batch that touches its page writes the page without it).
        if (!r || typeof r.id !== 'string' || typeof r.folder !== 'string' || this.pageOf.has(r.id)) continue;
        this.rows.set(r.id, r);
        this.file(r, true);
        this.pageOf.set(r.id, p.n);
        ids.add(r.id);
      }
      this.pages.set(p.n, ids);
      this.nextPage = Math.max(this.nextPage, p.n + 1);
    }
  }

  /** The folder trees read off disk at start. */
  loadFolders(rows: readonly FolderTreeRow[]): void {
    for (const r of rows) if (r && typeof r.accountId === 'string' && Array.isArray(r.folders)) this.trees.set(r.accountId, r.folders);
  }

  finishLoad(): void {
    this.loaded = true;
    this.headRows = null;
    this.headOrder = null;
    // Reloaded from disk after a reset: the search text the app had is built again, in slices.
    if (this.searchWanted) this.buildSearch();
    this.changed(true);
  }

  /** Forget everything: before a rebuild (`loaded`: empty and ready) or a reload from disk. */
  reset(loaded = true): void {
    mark('popbox:reset', { loaded, rows: this.rows.size });
    this.rows.clear();
    this.pageOf.clear();
    this.pages.clear();
    this.members.clear();
    this.unread.clear();
    this.trees.clear();
    this.nextPage = 0;
    this.stopSearchBuild();
    // Empty and ready (a rebuild follows): an empty text is complete, and the rebuild's commits
    // fill it as they fill the rows; without this the first search after a rebuild paid for
    // 100,000 texts (the app asks only once, shortly after the first load).
    this.texts = loaded && this.searchWanted ? new Map() : null;
    this.commits++;
    this.loaded = loaded;
    this.headRows = null;
    this.headOrder = null;
    this.changed(true);
  }

  /** The pages and rows a batch of changes (or new rows, for a rebuild) turns into. */
  stage(changes: readonly Change[] | null, fresh: readonly MessageRow[] = []): Staged {
    const rows = changes ? foldChanges(this.rows, changes) : new Map<string, MessageRow | null>();
    for (const r of fresh) rows.set(r.id, r);
    let reorders = fresh.length > 0;
    let shrinks = fresh.length === 0;
    const entered = new Set<string>();
    const trees = new Map<string, FolderInfo[]>();
    for (const c of changes ?? []) if (c.t === 'folders') trees.set(c.accountId, c.folders);
    const touched = new Set<number>();
    const placed = new Map<string, number>();
    let nextPage = this.nextPage;
    // New rows fill the newest page, then new ones; pages are never reshuffled.
    let tail = nextPage - 1;
    let tailFree = tail >= 0 ? PAGE_ROWS - (this.pages.get(tail)?.size ?? PAGE_ROWS) : 0;
    for (const [id, row] of rows) {
      const before = this.rows.get(id);
      const page = this.pageOf.get(id);
      if (page !== undefined) {
        touched.add(page);
        if (!row || !before) reorders = true;
        else if (before.date !== row.date || before.fromKey !== row.fromKey || firstRecipient(before) !== firstRecipient(row) || before.subjectKey !== row.subjectKey) {
          reorders = true;
          shrinks = false;
        } else if (before.folder !== row.folder) {
          reorders = true;
          entered.add(folderSlot(row.accountId, row.folder));
        }
        continue;
      }
      if (!row) continue;
      reorders = true;
      shrinks = false;
      if (tailFree <= 0) {
        tail = nextPage++;
        tailFree = PAGE_ROWS;
      }
      placed.set(id, tail);
      tailFree--;
      touched.add(tail);
    }
    const after = (id: string) => (rows.has(id) ? rows.get(id)! : this.rows.get(id)!);
    const members = new Map<number, string[]>();
    for (const n of touched) members.set(n, [...(this.pages.get(n) ?? [])]);
    for (const [id, n] of placed) members.get(n)!.push(id);
    const pages: Page[] = [];
    for (const [n, ids] of members) pages.push({ n, rows: ids.map(after).filter((r): r is MessageRow => r != null) });
    let touchesHead = false;
    for (const id of rows.keys()) if (this.headIds.has(id)) touchesHead = true;
    return { rows, pages, placed, nextPage, reorders, shrinksExcept: reorders && shrinks ? entered : null, trees, touchesHead, base: this.commits };
  }

  /** After the staged pages are on disk. */
  commit(s: Staged): void {
    if (s.base !== this.commits) throw new Error('a read-model batch was committed out of turn');
    this.commits++;
    for (const [id, row] of s.rows) {
      const before = this.rows.get(id);
      if (before) this.file(before, false);
      if (row) this.file(row, true);
      if (row) {
        this.rows.set(id, row);
        const n = s.placed.get(id);
        if (n !== undefined) {
          this.pageOf.set(id, n);
          let set = this.pages.get(n);
          if (!set) this.pages.set(n, (set = new Set()));
          set.add(id);
        }
        this.texts?.set(id, searchText(row));
      } else if (this.rows.delete(id)) {
        const n = this.pageOf.get(id);
        this.pageOf.delete(id);
        const set = n === undefined ? undefined : this.pages.get(n);
        set?.delete(id);
        if (set?.size === 0) this.pages.delete(n!);
        this.texts?.delete(id);
      }
    }
    this.nextPage = s.nextPage;
    for (const [accountId, folders] of s.trees) this.trees.set(accountId, folders);
    this.changed(s.reorders, s.shrinksExcept);
  }

  /**
   * The ids of a view in order: newest first (ties by id, newest first); sender and subject
   * A to Z (ties by id). Cached until the order can change.
   */
  viewIds(view: MailboxView, sort: SortKey): string[] {
    const key = `${sort}|${viewKey(view)}`;
    const hit = this.cache.get(key);
    if (hit) return hit.ids;
    const t0 = performance.now();
    // From the folders' member sets: a small folder is sorted without a pass over every message.
    const picked: MessageRow[] = [];
    if (view.kind === 'all') picked.push(...this.rows.values());
    else
      for (const slot of this.slotsOf(view))
        for (const id of this.members.get(slot) ?? []) {
          const r = this.rows.get(id);
          if (r) picked.push(r);
        }
    const byId = (a: MessageRow, b: MessageRow) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
    if (sort === 'date') picked.sort((a, b) => b.date - a.date || byId(b, a));
    else {
      // By the subject, or the name each row shows (the recipient in Sent, Drafts and Outbox),
      // in the reader's alphabet (alphabeticalRanks), each key made once.
      const rank = alphabeticalRanks(picked.map(sort === 'subject' ? (r) => r.subjectKey : nameKey));
      const at = new Map(picked.map((r, i) => [r, rank[i]!]));
      picked.sort((a, b) => at.get(a)! - at.get(b)! || byId(a, b));
    }
    const ids = picked.map((r) => r.id);
    this.cache.set(key, { view, ids });
    measure('popbox:viewIds', t0);
    return ids;
  }

  /** The folders (folderSlot) a view lists. */
  private slotsOf(view: MailboxView): string[] {
    if (view.kind === 'folder') return [folderSlot(view.accountId, view.folder)];
    return [...this.members.keys()].filter((slot) => viewCovers(view, slotAccount(slot), slotFolder(slot)));
  }

  /** Unread messages in a view. */
  unreadCount(view: MailboxView): number {
    if (view.kind === 'folder') return this.unread.get(folderSlot(view.accountId, view.folder)) ?? 0;
    let n = 0;
    for (const [slot, count] of this.unread) if (view.kind === 'all' || slotFolder(slot) === INBOX) n += count;
    return n;
  }

  /** A folder's messages and unread ones. */
  folderCounts(accountId: string, folder: string): { total: number; unread: number } {
    const slot = folderSlot(accountId, folder);
    return { total: this.members.get(slot)?.size ?? 0, unread: this.unread.get(slot) ?? 0 };
  }

  /** An account's folder tree, as main last sent it (empty until it has). */
  folders(accountId: string): readonly FolderInfo[] {
    return this.trees.get(accountId) ?? EMPTY;
  }

  /** The folders that hold messages, per account (a tree may be behind its messages for a moment). */
  filedFolders(accountId: string): string[] {
    const out: string[] = [];
    for (const slot of this.members.keys()) if (slotAccount(slot) === accountId) out.push(slotFolder(slot));
    return out;
  }

  /**
   * Build the search text in the background (the first search would otherwise pay for it), a
   * slice at a time so the window stays responsive; kept from then on, through resets too.
   */
  prepareSearch(): void {
    this.searchWanted = true;
    this.buildSearch();
  }

  /** Whether every row's search text is built (a search then costs only the scan). */
  get searchReady(): boolean {
    return this.texts !== null && this.textsTodo === null;
  }

  private buildSearch(): void {
    if (this.texts || !this.loaded) return;
    this.texts = new Map();
    // A live iterator: rows added meanwhile are visited too, removed ones are not; a commit
    // sets the text of every row it changes, so a row done earlier stays current.
    this.textsTodo = this.rows.values();
    this.textsStart = performance.now();
    this.searchSlice(SEARCH_SLICE_MS);
  }

  /** Texts for up to `budget` ms (Infinity: all that are left), then the next slice later. */
  private searchSlice(budget: number): void {
    this.textsTimer = null;
    const todo = this.textsTodo;
    const texts = this.texts;
    if (!todo || !texts) return;
    const end = performance.now() + budget;
    for (let n = 1; ; n++) {
      const next = todo.next();
      if (next.done) {
        this.textsTodo = null;
        measure('popbox:search-text', this.textsStart, { messages: texts.size });
        return;
      }
      texts.set(next.value.id, searchText(next.value));
      if (budget !== Infinity && (n === SEARCH_SLICE_ROWS || (n % 256 === 0 && performance.now() > end))) break;
    }
    this.textsTimer = setTimeout(() => this.searchSlice(SEARCH_SLICE_MS), 0);
  }

  private stopSearchBuild(): void {
    if (this.textsTimer !== null) clearTimeout(this.textsTimer);
    this.textsTimer = null;
    this.textsTodo = null;
  }

  /** The ids (in the order given) whose sender, subject or snippet holds every term (a word or a phrase). */
  filter(ids: readonly string[], terms: readonly string[]): string[] {
    this.prepareSearch();
    // A search typed before the background build is done finishes it now.
    if (this.textsTodo) {
      if (this.textsTimer !== null) clearTimeout(this.textsTimer);
      this.searchSlice(Infinity);
    }
    const texts = this.texts;
    if (!texts) return [];
    const lower = terms.map(foldText);
    return ids.filter((id) => {
      const t = texts.get(id);
      return t !== undefined && lower.every((w) => t.includes(w));
    });
  }

  /** The first rows of the Unified Inbox, for the head record. */
  head(): MessageRow[] {
    const rows = this.viewIds({ kind: 'unified' }, 'date')
      .slice(0, HEAD_ROWS)
      .map((id) => this.rows.get(id)!);
    this.headIds = new Set(rows.map((r) => r.id));
    return rows;
  }

  /** Whether what is on disk and what is in memory are page for page the same (for tests). */
  pagesMatch(pages: readonly Page[]): boolean {
    const seen = new Set<string>();
    for (const p of pages) {
      const mine = this.pages.get(p.n);
      if (!mine || mine.size !== p.rows.length) return false;
      for (const r of p.rows) {
        if (seen.has(r.id) || !mine.has(r.id) || JSON.stringify(this.rows.get(r.id)) !== JSON.stringify(r)) return false;
        seen.add(r.id);
      }
    }
    return seen.size === this.rows.size && pages.length === this.pages.size;
  }
}
