/**
 * Stored messages become journal records: each file is parsed into its summary, in order, a
 * few at a time, and the records are journaled in batches.
 */
import fs from 'node:fs/promises';
import type { MessageRecord } from '../../../shared/changes.js';
import type { MessageSummary } from '../../../shared/messages.js';
import { summarize } from '../mime/summary.js';
import type { Journal } from '../store/journal.js';

/** Parses stored messages in order, a few at a time, and journals them in batches. */
export class SummaryQueue {
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

export async function summarizeSafely(file: string): Promise<MessageSummary> {
  try {
    return await summarize(file);
  } catch {
    // summarize never throws on bad MIME; this is a file we could not read at all.
    const size = (await fs.stat(file).catch(() => ({ size: 0 }))).size;
    return { subject: '', from: [], to: [], cc: [], date: null, messageId: null, inReplyTo: null, references: [], size, hasAttachments: false, snippet: '' };
  }
}
