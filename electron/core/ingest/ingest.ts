/**
 * Ingest (DESIGN §1): stored files become what the user sees. Today that is a summary per
 * message in the journal; rules, junk scoring, the search index and threads plug in here,
 * behind the same three entry points: a run of newly stored messages (a sync), a message
 * whose rest was downloaded, and reconcile after a crash or another tool's change.
 */
import type { Journal } from '../store/journal.js';
import type { AccountMailbox } from '../store/mailbox.js';
import { recordFor, type StoredFileRef } from './record.js';
import { reconcile } from './reconcile.js';
import { parsePool } from './parse-pool.js';
import { parseInto, SummaryQueue, type ParseDeps } from './summary-queue.js';

/** The messages one sync stores: each is parsed beside the download, never in its way. */
export class IngestRun {
  private readonly queue: SummaryQueue;
  private readonly parsed: Promise<void>[] = [];
  private told = false;

  constructor(
    private readonly box: AccountMailbox,
    journal: Journal,
    private readonly now: () => number,
    deps: ParseDeps = {},
  ) {
    this.queue = new SummaryQueue(journal, deps);
    // A small message's bytes, in memory as the store writes them, are parsed from there (no read back).
    box.maildir.onWholeBody = this.tap;
  }

  private readonly tap = (id: string, buffers: readonly Buffer[], size: number): void => this.queue.bytes(id, buffers, size);

  /**
   * The sync's plan brings `count` messages (before the first downloads): a parse worker starts for
   * many. Once per run whatever the caller does (the sync engine tells it once, onPlanned): each
   * ParsePool.expect marks the pool in a sync again (undoing another account's flush) and may
   * start a worker.
   */
  coming(count: number): void {
    if (this.told) return;
    this.told = true;
    this.queue.coming(count);
  }

  stored(e: StoredFileRef): void {
    this.parsed.push(this.queue.add(recordFor(this.box, e, this.now())));
  }

  /** Everything stored so far is journaled; rejects with the first failed journal write. */
  async finish(): Promise<void> {
    if (this.box.maildir.onWholeBody === this.tap) this.box.maildir.onWholeBody = null;
    this.queue.noMore();
    await Promise.allSettled(this.parsed);
    this.queue.forgetEarly();
    await this.queue.drain();
  }
}

export class Ingest {
  constructor(
    private readonly journal: Journal,
    private readonly now: () => number,
    /** The parse workers and the cache that hands each new file's search text to the index. */
    private readonly deps: ParseDeps = {},
  ) {}

  begin(box: AccountMailbox): IngestRun {
    return new IngestRun(box, this.journal, this.now, this.deps);
  }

  /** The rest of a headers-only message was downloaded into `file`. */
  async completed(id: string, file: string): Promise<void> {
    const summary = await parseInto(this.deps.pool ?? parsePool(), file, id, this.deps.texts);
    await this.journal.append([{ t: 'partial', id, partial: false, summary }]);
  }

  /** The journal made to agree with the account's Maildir and ledger. */
  reconcile(box: AccountMailbox): Promise<void> {
    return reconcile(box, this.journal, new SummaryQueue(this.journal, this.deps), this.now);
  }
}
