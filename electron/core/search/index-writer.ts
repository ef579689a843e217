/**
 * The search index written from a parse worker (issue 18): the worker that parsed a new message
 * holds its text, so it writes the message's FTS rows itself (IndexAppender, its own connection
 * to the index file) instead of sending the text back for main's thread to tokenize and write.
 *
 * Not while the sync downloads: on two cores the sync is CPU-bound (Dovecot takes the other
 * core's time too), and the index writes were about a third of the worker's CPU. The worker keeps
 * each message's document (up to DEFER_BYTES of text) and answers at once without the text,
 * marked `deferred`; it writes what it kept once its sync's parses are all answered (the pool's
 * note, parse-worker.ts), WRITE_BATCH messages per transaction (one FTS5 transaction costs about
 * the same whatever it holds, so fewer of them cost less per message). The pool tells main when
 * the writes are done (ParsePool.indexWritten); main's SearchIndex then adopts each message's
 * row by its id, and a search waits for that first (search-index.ts), so a search right after a
 * sync finds every new message.
 *
 * Nothing here can lose a message from search: whatever is not written (the file locked, full or
 * made anew, the worker lost) has no row, and main indexes it from its file. A kill at any point
 * leaves the file as before or after a transaction: a row whose message never reached the journal
 * is never a result (results come from the journal) and is dropped at the index's next open, and
 * a journaled message without its row is indexed then.
 */
import type { MessageSummary } from '../../../shared/messages.js';
import type { IndexedText } from './extract.js';
import { documentOf, IndexAppender, type IndexDoc } from './index-db.js';
import { INDEX_TEXT_BYTES } from './index-limits.js';

/** Which index a parse is to be written into, as what message. */
export interface IndexTarget {
  /** The index file (search-index.ts SearchIndex.file). */
  file: string;
  id: string;
  /** As the journal will record it (main's index indexes it again when the record says otherwise). */
  partial: boolean;
}

/** A parse's answer as the writer sees it: its text stays here, the answer says so. */
export interface Indexable {
  summary: MessageSummary;
  text: IndexedText | null;
  deferred?: { partial: boolean };
}

/** After a failed write, the worker leaves indexing to main for this long (a locked or full file). */
const PAUSE_MS = 2000;
/**
 * Text kept for the index at most (the budget main's TextCache has too: index-limits.ts): past it
 * the worker writes what it holds at once, in the sync (DESIGN §3.5: bounded memory).
 */
export const DEFER_BYTES = INDEX_TEXT_BYTES;
/** Messages per transaction (each holds the file's write lock: main's own writes wait for it). */
export const WRITE_BATCH = 256;
export interface IndexWriterOptions {
  /**
   * Tests only (search-after-sync.test.ts, through ParsePoolOptions.indexPauseAfter): N > 0 makes
   * the first transaction hold at most N messages and then stops the worker's thread for good, so
   * a kill -9 is sure to land between the worker's transactions. 0 in the app.
   */
  pauseAfter?: number;
}

export class IndexWriter {
  private db: IndexAppender | null = null;
  private dbFile = '';
  private held: { file: string; doc: IndexDoc }[] = [];
  private heldBytes = 0;
  private pausedUntil = 0;
  private readonly pauseAfter: number;

  constructor(opts: IndexWriterOptions = {}) {
    this.pauseAfter = opts.pauseAfter ?? 0;
  }

  /** Messages kept for the next write. */
  get holding(): number {
    return this.held.length;
  }

  /** Whether the text kept has reached DEFER_BYTES (write it now). */
  get full(): boolean {
    return this.heldBytes >= DEFER_BYTES;
  }

  /**
   * Keeps a parsed message's document for the next write, if it has text to index: its answer
   * then goes without the text, marked deferred.
   */
  defer(target: IndexTarget | undefined, parsed: Indexable): void {
    if (!target || !parsed.text || performance.now() < this.pausedUntil) return;
    const doc = documentOf(target.id, target.partial, parsed.summary, parsed.text);
    this.held.push({ file: target.file, doc });
    this.heldBytes += 2 * (doc.body.length + doc.files.length + doc.subject.length + doc.sender.length + doc.recipients.length) + 64;
    parsed.deferred = { partial: target.partial };
    parsed.text = null;
  }

  /**
   * Writes everything kept, WRITE_BATCH messages per transaction. On failure the rest is dropped
   * (those messages have no row: main indexes them from their files) and the worker stays out of
   * the way for a while.
   */
  write(): void {
    const held = this.held;
    this.held = [];
    this.heldBytes = 0;
    for (const file of new Set(held.map((h) => h.file))) {
      const docs = held.filter((h) => h.file === file).map((h) => h.doc);
      try {
        const db = this.open(file);
        if (this.pauseAfter > 0) {
          db.append(docs.slice(0, this.pauseAfter));
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
        }
        for (let i = 0; i < docs.length; i += WRITE_BATCH) db.append(docs.slice(i, i + WRITE_BATCH));
      } catch {
        this.pausedUntil = performance.now() + PAUSE_MS;
        this.close();
      }
    }
  }

  /** The connection to `file`, opened again when the file was made anew (a rebuild after damage). */
  private open(file: string): IndexAppender {
    if (this.db && (this.dbFile !== file || !this.db.current(file))) this.close();
    if (!this.db) {
      this.db = IndexAppender.open(file);
      this.dbFile = file;
    }
    return this.db;
  }

  close(): void {
    try {
      this.db?.close();
    } catch {
      // dropped either way
    }
    this.db = null;
  }
}
