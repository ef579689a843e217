/**
 * Stored messages become journal records: each file is parsed into its summary, in order, and
 * the records are journaled in batches. The parse runs in the parse workers (parse-pool.ts), off
 * main's thread, and reads the file once for the summary and the search text: the text goes to
 * the search index through a bounded cache (text-cache.ts), never into the journal.
 */
import type { MessageRecord } from '../../../shared/changes.js';
import type { MessageSummary } from '../../../shared/messages.js';
import { summarize } from '../mime/summary.js';
import type { Journal } from '../store/journal.js';
import { parsePool, type ParsePool } from './parse-pool.js';
import { fallbackSummary } from './parse-stored.js';
import type { TextCache } from './text-cache.js';

export interface ParseDeps {
  /** Where files are parsed (default: the process's pool). */
  pool?: ParsePool;
  /** Where the search text of each parsed file is left for the index (none: the index reads the file). */
  texts?: TextCache;
}

/** Parses stored messages in order and journals them in batches. */
export class SummaryQueue {
  private pending: Promise<void> = Promise.resolve();
  private batch: MessageRecord[] = [];
  private readonly pool: ParsePool;

  constructor(
    private readonly journal: Journal,
    private readonly deps: ParseDeps = {},
  ) {
    this.pool = deps.pool ?? parsePool();
  }

  /** The first failed journal write; later messages are still parsed and tried. */
  private failure: unknown = null;
  /** Summaries parsed from bytes handed over before their files were durable (bytes()), by message id. */
  private early = new Map<string, Promise<MessageSummary | null>>();

  /**
   * A new message's whole content as it is being stored (the store's write, before the file is
   * durable): parsed now from these bytes instead of from the file once it is journaled. Its text
   * goes to the cache at once (bounded; the index takes it by id), its summary waits for add().
   * The buffers are copied once into a buffer of their own, which goes to a worker without a copy;
   * not at all when the pool has no room for them (the file is then parsed by add()).
   */
  bytes(id: string, buffers: readonly Buffer[], size: number): void {
    if (!this.pool.hasRoom(size)) return;
    const own = Buffer.allocUnsafeSlow(size);
    let at = 0;
    for (const b of buffers) at += b.copy(own, at);
    const texts = this.deps.texts;
    this.early.set(
      id,
      // A whole body: written into the index as not partial (the index checks against the record).
      this.pool.parseBytes(id, own.buffer, texts?.target(id, false)).then((parsed) => {
        if (!parsed) return null;
        texts?.parsed(id, parsed, this.pool);
        return parsed.summary;
      }),
    );
  }

  /** Handed bytes of messages that were never added (a write that failed, a provisional id): their texts go. */
  forgetEarly(): void {
    const texts = this.deps.texts;
    for (const [id, summary] of this.early) void summary.then(() => texts?.drop(id));
    this.early.clear();
  }

  add(item: { path: string; base: Omit<MessageRecord, 'summary'> }): Promise<void> {
    // The parse started when the bytes were handed (bytes()), or starts now from the file (the pool
    // runs a few at a time and holds no more than HANDED_BYTES of handed bytes); records are
    // journaled in the order the files were stored.
    const id = item.base.id;
    const early = this.early.get(id);
    this.early.delete(id);
    const parsed = early
      ? early.then((summary) => summary ?? parseInto(this.pool, item.path, id, this.deps.texts, item.base.partial))
      : parseInto(this.pool, item.path, id, this.deps.texts, item.base.partial);
    this.pending = this.pending
      .then(() => parsed)
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

  /** `count` messages are coming (a sync's plan): a sync of many starts a parse worker for them now. */
  coming(count: number): void {
    this.pool.expect(count);
  }

  /** No more messages are coming (the parse workers answer what they hold for the index). */
  noMore(): void {
    this.pool.flush();
  }

  async drain(): Promise<void> {
    this.pool.flush();
    await this.pending;
    await this.flush();
    if (this.failure) throw this.failure;
  }
}

/**
 * One file parsed by the pool: its summary; its search text left in `texts` for message `id`, or
 * kept by the worker to write into the index (partial: as the journal will record the message).
 */
export async function parseInto(pool: ParsePool, file: string, id: string, texts: TextCache | undefined, partial?: boolean): Promise<MessageSummary> {
  const parsed = await pool.parse(file, partial === undefined ? undefined : texts?.target(id, partial));
  texts?.parsed(id, parsed, pool);
  return parsed.summary;
}

/** A summary on the calling thread (drafts, the Outbox: one file at a time, made here). */
export async function summarizeSafely(file: string): Promise<MessageSummary> {
  try {
    return await summarize(file);
  } catch {
    // summarize never throws on bad MIME; this is a file we could not read at all.
    return fallbackSummary(file);
  }
}
