/**
 * Keeps the Dexie read model in step with main (DESIGN §2): pulls `changesSince(cursor)` when
 * main hints that the state moved, applies each batch and its new cursor in one transaction,
 * and rebuilds from a snapshot when main cannot calculate the changes. Account settings and
 * sync status are mirrored too, so every view reads Dexie alone.
 */
import type { PopboxApi } from '../../../shared/api.js';
import type { Change } from '../../../shared/changes.js';
import type { AccountStatus, SyncProgress } from '../../../shared/contract.js';
import { call } from '../api/client.js';
import type { MessageRow, PopboxDb } from './database.js';
import { flagFields, searchRow, summaryFields, toRow } from './rows.js';
import { SearchIndex } from './search-index.js';

const DEFAULT_PAGE = 5_000;
/** Rows per transaction while rebuilding: the first chunk (the newest mail) shows at once. */
const REBUILD_CHUNK = 2_000;
const CURSOR = 'cursor';

/** Folds a batch of changes into the rows they touch; null means removed. */
export function foldChanges(existing: Map<string, MessageRow>, changes: Change[]): Map<string, MessageRow | null> {
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
    }
  }
  return out;
}

export class ReadModel {
  private running: Promise<void> | null = null;
  private again = false;
  readonly search: SearchIndex;

  constructor(
    readonly db: PopboxDb,
    private readonly api: PopboxApi,
    /** Changes asked for per round trip (and written per transaction). */
    private readonly pageSize = DEFAULT_PAGE,
    /** Background pulls never reject into the void: failures come here (and the next hint retries). */
    private readonly report: (e: unknown) => void = (e) => console.warn('Popbox: the message list could not be updated:', e),
  ) {
    this.search = new SearchIndex(db);
  }

  /** Subscribe to main's hints and bring everything up to date; returns the stop function. */
  start(): () => void {
    const quietly = (p: Promise<unknown>) => void p.catch(this.report);
    const offs = [
      this.api.on('stateChanged', () => quietly(this.pull())),
      this.api.on('accountStatus', (s) => quietly(this.putStatus(s))),
      this.api.on('syncProgress', ({ accountId, progress }) => quietly(this.putProgress(accountId, progress))),
    ];
    quietly(this.refreshAccounts());
    quietly(this.pull());
    return () => offs.forEach((off) => off());
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
        do {
          this.again = false;
          await this.pullOnce();
        } while (this.again);
      } finally {
        this.running = null;
      }
    })();
    return this.running;
  }

  private async pullOnce(): Promise<void> {
    for (;;) {
      const cursor = await this.cursor();
      if (cursor === null) {
        await this.rebuild();
        return;
      }
      const t0 = performance.now();
      const result = await call(this.api, 'changesSince', { state: cursor, max: this.pageSize });
      performance.measure('popbox:changesSince', { start: t0 });
      if ('cannotCalculate' in result) {
        await this.rebuild();
        return;
      }
      if (result.changes.length > 0 || result.state !== cursor) await this.apply(result.changes, result.state);
      if (!result.hasMore) return;
    }
  }

  /** One batch and its cursor, atomically. */
  async apply(changes: Change[], state: number): Promise<void> {
    const db = this.db;
    const t0 = performance.now();
    await db.transaction('rw', db.messages, db.search, db.meta, async () => {
      const touched = [...new Set(changes.flatMap((c) => (c.t === 'add' ? [] : [c.id])))];
      const rows = await db.messages.bulkGet(touched);
      const existing = new Map<string, MessageRow>();
      rows.forEach((r) => r && existing.set(r.id, r));
      const folded = foldChanges(existing, changes);
      const puts: MessageRow[] = [];
      const deletes: string[] = [];
      for (const [id, row] of folded) {
        if (row) puts.push(row);
        else deletes.push(id);
      }
      // Search text changes only with a summary (add, partial); flags leave it alone.
      const texts = changes.flatMap((c) => (c.t === 'add' || c.t === 'partial' ? [c.t === 'add' ? c.m.id : c.id] : []));
      const searchPuts = [...new Set(texts)].flatMap((id) => {
        const row = folded.get(id);
        return row ? [searchRow(row)] : [];
      });
      const tp = performance.now();
      if (puts.length) await db.messages.bulkPut(puts);
      performance.measure('popbox:apply:messages', { start: tp });
      const ts = performance.now();
      if (searchPuts.length) await db.search.bulkPut(searchPuts);
      performance.measure('popbox:apply:search', { start: ts });
      if (deletes.length) {
        await db.messages.bulkDelete(deletes);
        await db.search.bulkDelete(deletes);
      }
      await db.meta.put({ key: CURSOR, value: state });
      // Before the commit, so live queries woken by it already search the new text.
      this.search.update([...searchPuts.map((r) => [r.id, r] as [string, typeof r]), ...deletes.map((id) => [id, null] as [string, null])]);
    });
    // User Timing: visible in DevTools' performance panel and read by the benchmark.
    performance.measure('popbox:apply', { start: t0, detail: { changes: changes.length } });
  }

  /**
   * Throw the cache away and load main's current set: newest first, in chunks, so the list
   * fills from the top while the rest is written. The cursor is written last: a crash midway
   * leaves no cursor, and the next start rebuilds again.
   */
  async rebuild(): Promise<void> {
    const snap = await call(this.api, 'snapshot', {});
    const db = this.db;
    await db.transaction('rw', db.messages, db.search, db.meta, async () => {
      await db.meta.delete(CURSOR);
      await db.messages.clear();
      await db.search.clear();
      this.search.reset();
    });
    const rows = snap.messages.map(toRow).sort((a, b) => b.date - a.date);
    for (let i = 0; i < rows.length; i += REBUILD_CHUNK) {
      const chunk = rows.slice(i, i + REBUILD_CHUNK);
      await db.transaction('rw', db.messages, db.search, async () => {
        const texts = chunk.map(searchRow);
        await db.messages.bulkPut(chunk);
        await db.search.bulkPut(texts);
        // The search index may already be loading (the list shows before the fill ends).
        this.search.update(texts.map((t) => [t.id, t] as [string, typeof t]));
      });
    }
    await db.meta.put({ key: CURSOR, value: snap.state });
  }

  async refreshAccounts(): Promise<void> {
    const [accounts, status] = await Promise.all([call(this.api, 'listAccounts', {}), call(this.api, 'syncStatus', {})]);
    const db = this.db;
    // Unchanged accounts are not rewritten: a write would hold up every view reading them.
    const same = JSON.stringify(await db.accounts.toArray()) === JSON.stringify(accounts);
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
