/**
 * The search index written from a parse worker (issue 18): the worker that parsed a new message
 * holds its text, so it writes the message's FTS rows itself (IndexAppender, its own connection
 * to the index file) instead of sending the text back for main's thread to tokenize and write.
 * The answer then carries the document's rowid instead of the text; main's SearchIndex adopts
 * the row when the message is journaled (search-index.ts), checking that the file still holds it.
 *
 * Nothing here can lose a message from search: whatever is not written (no index open on main,
 * the file locked, full or made anew, a message without text) keeps its text in the answer, and
 * main indexes it as before. A row written for a message that is never journaled (a kill before
 * the journal append) is removed at the index's next open, which removes every id the journal
 * lacks, and is never a search result meanwhile (results come from the journal).
 */
import type { MessageSummary } from '../../../shared/messages.js';
import type { IndexedText } from './extract.js';
import { documentOf, IndexAppender } from './index-db.js';

/** Which index a parse is to be written into, as what message. */
export interface IndexTarget {
  /** The index file (search-index.ts SearchIndex.file). */
  file: string;
  id: string;
  /** As the journal will record it (a handed whole body: false; main indexes again if not). */
  partial: boolean;
}

/** A parse's answer as the writer sees it: its text goes once the row is written. */
export interface Indexable {
  summary: MessageSummary;
  text: IndexedText | null;
  indexed?: { rowid: number; partial: boolean };
}

/** After a failed write, the worker leaves indexing to main for this long (a locked or full file). */
const PAUSE_MS = 2000;

export class IndexWriter {
  private db: IndexAppender | null = null;
  private dbFile = '';
  private held: { target: IndexTarget; parsed: Indexable }[] = [];
  private pausedUntil = 0;

  /** Messages held for the next write. */
  get holding(): number {
    return this.held.length;
  }

  /** Keeps a parsed message for the next write (flush), if it has text to index. */
  hold(target: IndexTarget | undefined, parsed: Indexable): void {
    if (target && parsed.text && performance.now() >= this.pausedUntil) this.held.push({ target, parsed });
  }

  /**
   * Writes what is held, one transaction per index file (in practice one), before the answers
   * go: each written answer gets its rowid and loses its text. On failure the answers keep their
   * text (main indexes them) and the worker stays out of the way for a while.
   */
  flush(): void {
    const held = this.held;
    this.held = [];
    for (const file of new Set(held.map((h) => h.target.file))) {
      const mine = held.filter((h) => h.target.file === file);
      try {
        const db = this.open(file);
        const rowids = db.append(mine.map(({ target, parsed }) => documentOf(target.id, target.partial, parsed.summary, parsed.text!)));
        mine.forEach(({ target, parsed }, i) => {
          parsed.indexed = { rowid: rowids[i]!, partial: target.partial };
          parsed.text = null;
        });
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
