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

  add(item: { path: string; base: Omit<MessageRecord, 'summary'> }): Promise<void> {
    // The parse starts now (the pool queues paths, never contents, and runs a few at a time);
    // records are journaled in the order the files were stored.
    const parsed = parseInto(this.pool, item.path, item.base.id, this.deps.texts);
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

  async drain(): Promise<void> {
    await this.pending;
    await this.flush();
    if (this.failure) throw this.failure;
  }
}

/** One file parsed by the pool: its summary, its search text left in `texts` for message `id`. */
export async function parseInto(pool: ParsePool, file: string, id: string, texts: TextCache | undefined): Promise<MessageSummary> {
  const { summary, text } = await pool.parse(file);
  if (texts && text) texts.put(id, text);
  return summary;
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
