/**
 * The conversations as main knows them (shared/threads.ts), held in memory: which messages
 * share a thread. Asked once, then again with the cursor on each `threadsChanged` hint, so a
 * merge of two threads (a reply that joins them) or a split reaches the list and the pane.
 * Not kept in Dexie: thread ids are derived data, and the first answer carries only the
 * conversations of two or more messages.
 */
import type { PopboxApi } from '../../../../shared/api.js';
import type { ThreadCursor, ThreadsResult } from '../../../../shared/threads.js';
import { call } from '../../api/client.js';

export class ThreadModel {
  private readonly threadOf = new Map<string, string>();
  private readonly members = new Map<string, string[]>();
  private cursor: ThreadCursor | null = null;
  private readonly listeners = new Set<() => void>();
  /** Bumped on every change (the views' snapshot for useSyncExternalStore). */
  version = 0;

  subscribe = (fn: () => void): (() => void) => {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  };

  getVersion = (): number => this.version;

  get since(): ThreadCursor | null {
    return this.cursor;
  }

  apply(r: ThreadsResult): void {
    if (r.full) {
      this.threadOf.clear();
      this.members.clear();
    }
    for (const id of r.gone) this.drop(id);
    for (const t of r.threads) {
      this.drop(t.id);
      this.members.set(t.id, t.ids);
      for (const m of t.ids) this.threadOf.set(m, t.id);
    }
    this.cursor = { epoch: r.epoch, version: r.version };
    this.version++;
    for (const fn of this.listeners) fn();
  }

  private drop(thread: string): void {
    const old = this.members.get(thread);
    if (!old) return;
    // A message already listed under another thread of this answer stays there.
    for (const m of old) if (this.threadOf.get(m) === thread) this.threadOf.delete(m);
    this.members.delete(thread);
  }

  /** The thread a message is in; a message in no conversation is its own. */
  threadKey(id: string): string {
    return this.threadOf.get(id) ?? id;
  }

  /** The messages of the conversation `id` is in, oldest first (itself alone when in none). */
  conversationOf(id: string): readonly string[] {
    const t = this.threadOf.get(id);
    return (t !== undefined ? this.members.get(t) : undefined) ?? [id];
  }
}

const models = new WeakMap<PopboxApi, ThreadModel>();

/** The one model of this window's API, following main from its first use on. */
export function threadModelFor(api: PopboxApi): ThreadModel {
  let model = models.get(api);
  if (model) return model;
  const m = (model = new ThreadModel());
  models.set(api, m);
  let running = false;
  let again = false;
  const refresh = async (): Promise<void> => {
    if (running) return void (again = true);
    running = true;
    try {
      do {
        again = false;
        const since = m.since;
        m.apply(await call(api, 'threads', since ? { since } : {}));
      } while (again);
    } catch {
      // Conversations are a view: without them the list shows single messages; the next hint tries again.
    } finally {
      running = false;
    }
  };
  api.on('threadsChanged', () => void refresh());
  void refresh();
  return m;
}
