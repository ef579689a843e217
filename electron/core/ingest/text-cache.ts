/**
 * Search text handed from ingest's parse to the search index, so the index does not read and
 * parse a new message's file a second time (issue 17/18: one read of each new file). Bounded in
 * bytes, oldest out first; what is not here (evicted, a message indexed at a rebuild) the index
 * reads from the file as it always could. Each text is taken once.
 */
import type { IndexedText } from '../search/extract.js';
import type { IndexTarget } from '../search/index-writer.js';
import type { ParsedMessage } from './parse-stored.js';

/** Rows a parse worker wrote and the index has not adopted yet, at most (each a few dozen bytes). */
const INDEXED_MAX = 100_000;

/** About 24 MB of text waiting for the index (JavaScript strings: 2 bytes a character, at most). */
export const TEXT_CACHE_BYTES = 24 * 1024 * 1024;

export class TextCache {
  private readonly texts = new Map<string, { text: IndexedText; bytes: number }>();
  private bytes = 0;
  /** Documents a parse worker wrote into the index (search/index-writer.ts), by message id. */
  private readonly indexed = new Map<string, { rowid: number; partial: boolean }>();
  /**
   * The index file parse workers may write new messages' text into: set by the search index
   * while it is open (search-index.ts), null otherwise (the text then comes here).
   */
  indexFile: string | null = null;

  constructor(private readonly capBytes = TEXT_CACHE_BYTES) {}

  /** Where a worker that parses message `id` writes its text, if anywhere. */
  target(id: string, partial: boolean): IndexTarget | undefined {
    return this.indexFile === null ? undefined : { file: this.indexFile, id, partial };
  }

  /** A parse's outcome for message `id`: its text kept for the index, or the row a worker wrote. */
  parsed(id: string, parsed: ParsedMessage): void {
    if (parsed.text) this.put(id, parsed.text);
    else if (parsed.indexed) {
      this.drop(id);
      this.indexed.set(id, parsed.indexed);
      // Rows of messages never journaled are not waited for forever (the index's next open removes them).
      if (this.indexed.size > INDEXED_MAX) this.indexed.delete(this.indexed.keys().next().value as string);
    }
  }

  /** The row a worker wrote for `id`, removed from here; undefined when there is none. */
  takeIndexed(id: string): { rowid: number; partial: boolean } | undefined {
    const hit = this.indexed.get(id);
    this.indexed.delete(id);
    return hit;
  }

  /** The text of message `id`'s current file (a newer put replaces an older one). */
  put(id: string, text: IndexedText): void {
    this.drop(id);
    const bytes = 2 * (text.body.length + text.files.length) + 64;
    if (bytes > this.capBytes) return;
    this.texts.set(id, { text, bytes });
    this.bytes += bytes;
    for (const [old] of this.texts) {
      if (this.bytes <= this.capBytes) break;
      this.drop(old);
    }
  }

  /** The text put for `id`, removed from the cache; undefined when there is none. */
  take(id: string): IndexedText | undefined {
    const hit = this.texts.get(id);
    if (hit) this.drop(id);
    return hit?.text;
  }

  /** A message gone or changed: its text must not be used. */
  drop(id: string): void {
    this.indexed.delete(id);
    const hit = this.texts.get(id);
    if (!hit) return;
    this.texts.delete(id);
    this.bytes -= hit.bytes;
  }

  get size(): number {
    return this.texts.size;
  }

  get usedBytes(): number {
    return this.bytes;
  }
}
