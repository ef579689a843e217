/**
 * Keeps the read model in step with main (DESIGN §2): pulls `changesSince(cursor)` when main
 * hints that the state moved, applies each batch to the message store in memory (which the
 * views read) and writes its pages with its new cursor in one IndexedDB transaction (a failed
 * write takes memory back to disk), and rebuilds from a snapshot when main cannot calculate
 * the changes. Account settings and sync status are
 * mirrored into Dexie too, where the views read them with live queries.
 *
 * Several windows of one origin (tabs of the web host) share the database: writes happen under
 * a Web Lock, and a window whose memory is behind the cursor on disk reloads before it writes.
 */
import type { PopboxApi } from '../../../shared/api.js';
import type { Change } from '../../../shared/changes.js';
import type { AccountStatus, SyncProgress } from '../../../shared/contract.js';
import { call } from '../api/client.js';
import type { FolderInfo } from '../../../shared/folders.js';
import { inAccountOrder, type FolderTreeRow, type MessageRow, type Page, type PageRow, type PopboxDb } from './database.js';
import { readStoredHead, storeHead, type StoredHead } from './head.js';
import { MessageStore, PAGE_ROWS, type Staged } from './message-store.js';
import { toRow } from './rows.js';
import { mark, measure } from '../app/timing.js';

const DEFAULT_PAGE = 5_000;
/** Rows per transaction while rebuilding: the first chunk (the newest mail) shows at once. */
const REBUILD_CHUNK = 5_000;
/** Most changes held back to be written together (see pullOnce). */
const MERGE_MAX = 50_000;
/** Pages read per request at start (5,000 messages). */
const LOAD_PAGES = 10;
const CURSOR = 'cursor';

/** Resolves after the next frame is painted, or after `ms` if no frame comes (a hidden window). */
function afterPaint(ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    if (typeof requestAnimationFrame === 'function')
      requestAnimationFrame(() =>
        setTimeout(() => {
          clearTimeout(timer);
          resolve();
        }, 0),
      );
  });
}

const parsePage = (p: PageRow): Page => ({ n: p.n, rows: JSON.parse(p.json) as MessageRow[] });

export class ReadModel {
  private running: Promise<void> | null = null;
  private again = false;
  private loading: Promise<void> | null = null;
  /** Page writes queued by apply(), in order (see settle()). */
  private disk: Promise<void> = Promise.resolve();
  /** The cursor the store's memory reflects (undefined: not loaded; null: no cursor on disk). */
  private known: number | null | undefined = undefined;
  readonly store = new MessageStore();

  constructor(
    readonly db: PopboxDb,
    private readonly api: PopboxApi,
    /** Changes asked for per round trip (and written per transaction). */
    private readonly pageSize = DEFAULT_PAGE,
    /** Background pulls never reject into the void: failures come here (and the next hint retries). */
    private readonly report: (e: unknown) => void = (e) => console.warn('Popbox: the message list could not be updated:', e),
    /** While a long feed is applied, the views redraw at most this often (and once at the end). */
    private readonly redrawEveryMs = 500,
  ) {}

  /** Subscribe to main's hints and bring everything up to date; returns the stop function. */
  start(): () => void {
    const quietly = (p: Promise<unknown>) => void p.catch(this.report);
    const offs = [
      this.api.on('stateChanged', () => quietly(this.pull())),
      this.api.on('accountStatus', (s) => quietly(this.putStatus(s))),
      this.api.on('syncProgress', ({ accountId, progress }) => quietly(this.putProgress(accountId, progress))),
      // Whoever changed an account (this window, another one, the CLI), the list follows.
      this.api.on('accountsChanged', () => quietly(this.refreshAccounts())),
    ];
    quietly(this.refreshAccounts());
    quietly(this.pull());
    return () => offs.forEach((off) => off());
  }

  /**
   * Memory filled from disk, once: first the head record (the Unified Inbox's first rows, so
   * the list paints at once), then every page. A cache that cannot be read is thrown away and
   * rebuilt from main.
   */
  load(): Promise<void> {
    this.loading ??= (async () => {
      const t0 = performance.now();
      if (!this.store.headFor({ kind: 'unified' }, 'date')) this.primeHead();
      // After the head's rows are painted (or 100 ms, for a window that is hidden and never
      // paints), then a few pages per request, yielding in between: reading them all at once
      // would hold the main thread, and the first rows could not paint.
      if (this.store.headFor({ kind: 'unified' }, 'date')) await afterPaint(100);
      try {
        await this.readPages();
      } catch (e) {
        this.report(new Error(`the stored message list could not be read and is rebuilt: ${e instanceof Error ? e.message : String(e)}`));
        await this.discard();
      }
      measure('popbox:load-pages', t0, { messages: this.store.size });
    })();
    return this.loading;
  }

  /** Every page into memory; `known` is the cursor read before them (a later write by another window shows as a different cursor). */
  private async readPages(): Promise<void> {
    this.known = await this.cursor();
    this.store.loadFolders(await this.db.folders.toArray());
    let from = -Infinity;
    for (;;) {
      const pages = await this.db.pages.where('n').above(from).limit(LOAD_PAGES).toArray();
      this.store.loadPages(pages.map(parsePage));
      if (pages.length < LOAD_PAGES) break;
      from = pages[pages.length - 1]!.n;
      await new Promise((r) => setTimeout(r, 0));
    }
    this.store.finishLoad();
  }

  /** Drop the cache on disk and in memory: the next pull rebuilds it. */
  private async discard(): Promise<void> {
    const db = this.db;
    await db.transaction('rw', db.pages, db.meta, db.folders, async () => {
      await db.meta.delete(CURSOR);
      await db.pages.clear();
      await db.folders.clear();
    });
    storeHead(db.name, null);
    this.store.reset();
    this.known = null;
  }

  /** Work on the cache that no other window of this origin does at the same time. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const locks = (globalThis.navigator as Navigator | undefined)?.locks;
    return locks ? (locks.request(`popbox:read-model:${this.db.name}`, fn) as Promise<T>) : fn();
  }

  async cursor(): Promise<number | null> {
    const row = await this.db.meta.get(CURSOR);
    return typeof row?.value === 'number' ? row.value : null;
  }

  /** Pull until up to date; calls made meanwhile join the running one and cause one more round. */
  pull(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      try {
        await this.load();
        do {
          this.again = false;
          await this.exclusive(() => this.pullOnce());
        } while (this.again);
      } finally {
        this.running = null;
      }
    })();
    return this.running;
  }

  private async pullOnce(): Promise<void> {
    const cursor = await this.cursor();
    if (cursor !== this.known) {
      // Another window wrote since this one read the pages: read them again first.
      mark('popbox:reload-behind', { cursor, known: this.known });
      this.store.reset(false);
      await this.readPages();
    }
    if (cursor === null) return this.rebuild();
    const fetch = (state: number) => {
      const t0 = performance.now();
      return call(this.api, 'changesSince', { state, max: this.pageSize }).then((r) => {
        measure('popbox:changesSince', t0);
        return r;
      });
    };
    let next = fetch(cursor);
    let state = cursor;
    // The views redraw once the feed is read (or every half second of a long one).
    const release = this.store.hold();
    let shown = performance.now();
    let head = false;
    let pending: Change[] = [];
    try {
      for (;;) {
        const result = await next;
        if ('cannotCalculate' in result) {
          release(); // a rebuild shows its progress
          await this.settle().catch(() => {});
          return await this.rebuild();
        }
        // The next page is asked for while this one is written (the feed is read from its
        // state, which is exactly the cursor this write leaves; if the write fails it is dropped).
        if (result.hasMore) {
          next = fetch(result.state);
          next.catch(() => {});
        }
        const changes = pending.length ? pending.concat(result.changes) : result.changes;
        pending = [];
        if (changes.length > 0 || result.state !== state) {
          const staged = this.store.stage(changes);
          // Changes scattered over many pages (marking thousands read) would rewrite most
          // pages once per feed page: they are held and written together with the next ones.
          const rewritten = staged.pages.reduce((n, p) => n + p.rows.length, 0);
          if (result.hasMore && rewritten > 4 * changes.length + PAGE_ROWS && changes.length < MERGE_MAX) pending = changes;
          else head = (await this.apply(changes, result.state, { head: false, staged, wait: false })) || head;
        }
        state = result.state;
        if (!result.hasMore) break;
        if (performance.now() - shown > this.redrawEveryMs) {
          this.store.flush();
          shown = performance.now();
        }
      }
    } finally {
      // The views show the feed now; the last pages may still be on their way to disk.
      release();
      let failed: unknown = null;
      await this.settle().catch((e: unknown) => (failed = e));
      // Also when a later page failed: what is in memory must reach the start-up snapshot.
      if (head) this.writeHead();
      // eslint-disable-next-line no-unsafe-finally
      if (failed) throw failed;
    }
  }

  /**
   * Wait for the page writes queued by apply(). If one failed, the later ones were dropped and
   * memory, which ran ahead, goes back to what is on disk; the next pull fetches the rest again.
   */
  private async settle(): Promise<void> {
    const disk = this.disk;
    this.disk = Promise.resolve();
    try {
      await disk;
    } catch (e) {
      this.store.reset(false);
      await this.readPages();
      throw e;
    }
  }

  /** Pages and cursor in one transaction; memory follows once they are on disk. */
  private async write(staged: Staged, state: number | null): Promise<void> {
    if (staged.base !== this.store.commits) throw new Error('a read-model batch was computed before another one was committed');
    await this.writeDisk(staged, state);
    this.store.commit(staged);
  }

  /** Pages (written whole; empty ones deleted), folder trees and the cursor, in one transaction. */
  private async writeDisk(staged: { pages: readonly Page[]; trees: ReadonlyMap<string, FolderInfo[]> }, state: number | null): Promise<void> {
    const db = this.db;
    const t0 = performance.now();
    const keep = staged.pages.filter((p) => p.rows.length > 0).map((p): PageRow => ({ n: p.n, json: JSON.stringify(p.rows) }));
    const gone = staged.pages.filter((p) => p.rows.length === 0).map((p) => p.n);
    measure('popbox:write:json', t0);
    // Straight to IndexedDB: Dexie's bulkPut took ~6× as long as these puts for the same pages
    // (measured in Chromium, 20 pages: ~650 ms against ~100 ms), and nothing live-queries pages.
    await db.open();
    await new Promise<void>((resolve, reject) => {
      const tx = db.backendDB().transaction(['pages', 'meta', 'folders'], 'readwrite');
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(tx.error ?? new Error('the read model could not be written'));
      tx.onabort = () => reject(tx.error ?? new Error('the read model write was aborted'));
      try {
        const pages = tx.objectStore('pages');
        for (const p of keep) pages.put(p);
        for (const n of gone) pages.delete(n);
        if (staged.trees.size > 0) {
          const folders = tx.objectStore('folders');
          for (const [accountId, list] of staged.trees) folders.put({ accountId, folders: list } satisfies FolderTreeRow);
        }
        if (state !== null) tx.objectStore('meta').put({ key: CURSOR, value: state });
      } catch (e) {
        tx.abort();
        reject(e instanceof Error ? e : new Error(String(e)));
      }
    });
    measure('popbox:write:tx', t0);
    if (state !== null) this.known = state;
  }

  /**
   * The Unified Inbox's first rows for the next cold start, in localStorage (a new window reads
   * it before IndexedDB opens): a hint, not part of the batch's transaction.
   */
  private writeHead(): void {
    storeHead(this.db.name, this.store.head());
  }

  /** Show the stored head at once (before the first render), if there is one; `head`: already read. */
  primeHead(head: StoredHead | null = readStoredHead(this.db.name)): void {
    if (head) this.store.setHead(head.rows);
  }

  /**
   * One batch: into memory at once (the views show main's truth without waiting for the disk),
   * and its pages with its cursor into one transaction, queued behind the batches before it.
   * `wait: false` returns before that write (pullOnce settles the queue at its end); a failed
   * write takes memory back to what is on disk. Says whether the start-up snapshot must follow.
   */
  async apply(changes: Change[], state: number, opts: { head?: boolean; staged?: Staged; wait?: boolean } = {}): Promise<boolean> {
    await this.load();
    const t0 = performance.now();
    const staged = opts.staged ?? this.store.stage(changes);
    this.store.commit(staged);
    this.disk = this.disk.then(() => this.writeDisk(staged, state));
    const head = staged.reorders || staged.touchesHead;
    if (opts.wait !== false) {
      await this.settle();
      if (head && opts.head !== false) this.writeHead();
    }
    // User Timing: visible in DevTools' performance panel and read by the benchmark.
    measure('popbox:apply', t0, { changes: changes.length, pages: staged.pages.length });
    return head;
  }

  /**
   * Throw the cache away and load main's current set: newest first, in chunks, so the list
   * fills from the top while the rest is written. The cursor is written last: a crash midway
   * leaves no cursor, and the next start rebuilds again.
   */
  async rebuild(): Promise<void> {
    mark('popbox:rebuild');
    const snap = await call(this.api, 'snapshot', {});
    const db = this.db;
    await this.discard();
    const rows = snap.messages.map(toRow).sort((a, b) => b.date - a.date);
    // The folder trees go with the first chunk, so the sidebar is whole as the first mail shows.
    const trees: Change[] = snap.folders.map((f) => ({ s: snap.state, t: 'folders', accountId: f.accountId, folders: f.folders }));
    for (let i = 0; i === 0 || i < rows.length; i += REBUILD_CHUNK) {
      await this.write(this.store.stage(i === 0 ? trees : null, rows.slice(i, i + REBUILD_CHUNK)), null);
      if (i === 0) this.writeHead();
    }
    await db.meta.put({ key: CURSOR, value: snap.state });
    this.known = snap.state;
    this.writeHead();
  }

  /** For tests and diagnostics: the pages as stored. */
  async pagesOnDisk(): Promise<Page[]> {
    return (await this.db.pages.toArray()).map(parsePage);
  }

  async refreshAccounts(): Promise<void> {
    const [listed, status] = await Promise.all([call(this.api, 'listAccounts', {}), call(this.api, 'syncStatus', {})]);
    const accounts = listed.map((a, position) => ({ ...a, position }));
    const db = this.db;
    // Unchanged accounts are not rewritten: a write would hold up every view reading them.
    const same = JSON.stringify(inAccountOrder(await db.accounts.toArray())) === JSON.stringify(accounts);
    if (same && status.length === 0) return;
    await db.transaction('rw', db.accounts, db.status, async () => {
      if (!same) {
        await db.accounts.clear();
        await db.accounts.bulkPut(accounts);
      }
      const keep = new Set(accounts.map((a) => a.id));
      await db.status.where('accountId').noneOf([...keep]).delete();
      for (const s of status) await this.putStatus(s);
    });
  }

  private async putStatus(s: AccountStatus): Promise<void> {
    const old = await this.db.status.get(s.accountId);
    const progress = s.state === 'syncing' ? (old?.progress ?? null) : null;
    await this.db.status.put({ ...s, progress });
  }

  private async putProgress(accountId: string, progress: SyncProgress): Promise<void> {
    await this.db.status.update(accountId, { progress });
  }
}
