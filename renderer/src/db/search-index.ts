/**
 * Search as you type over 100,000 messages: the text of every message (sender, subject,
 * snippet) in memory, loaded once from the small `search` table and kept in step by the read
 * model inside the same transactions that change the rows. A keystroke is a scan of strings,
 * not of IndexedDB.
 */
import type { PopboxDb, SearchRow } from './database.js';

export class SearchIndex {
  private entries: Map<string, SearchRow> | null = null;
  private loading: Promise<Map<string, SearchRow>> | null = null;

  constructor(private readonly db: PopboxDb) {}

  /** Loaded (once); later calls return at once. */
  ready(): Promise<Map<string, SearchRow>> {
    if (this.entries) return Promise.resolve(this.entries);
    this.loading ??= this.db.search.toArray().then((rows) => {
      const map = new Map(rows.map((r) => [r.id, r]));
      // Changes applied while loading went to `pending`; replay them.
      for (const [id, row] of this.pending) {
        if (row) map.set(id, row);
        else map.delete(id);
      }
      this.pending.clear();
      this.entries = map;
      return map;
    });
    return this.loading;
  }

  private readonly pending = new Map<string, SearchRow | null>();

  /** Called by the read model with what it wrote (null: removed). */
  update(changes: Iterable<[string, SearchRow | null]>): void {
    const target = this.entries;
    for (const [id, row] of changes) {
      if (target) {
        if (row) target.set(id, row);
        else target.delete(id);
      } else if (this.loading) {
        this.pending.set(id, row);
      }
    }
  }

  /** After a rebuild: everything is new. */
  reset(): void {
    this.entries = null;
    this.loading = null;
    this.pending.clear();
  }

  /** The ids (in the order given) whose text holds every term; optionally of one account. */
  async filter(ids: readonly string[], terms: readonly string[], accountId?: string): Promise<string[]> {
    const map = await this.ready();
    return ids.filter((id) => {
      const e = map.get(id);
      return !!e && (accountId === undefined || e.a === accountId) && terms.every((t) => e.t.includes(t));
    });
  }
}
