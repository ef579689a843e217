/**
 * Search text handed from ingest's parse to the search index, so the index does not read and
 * parse a new message's file a second time (issue 17/18: one read of each new file). Bounded in
 * bytes, oldest out first; what is not here (evicted, a message indexed at a rebuild) the index
 * reads from the file as it always could. Each text is taken once.
 */
import type { IndexedText } from '../search/extract.js';
import type { IndexTarget } from '../search/index-writer.js';
import { INDEX_TEXT_BYTES } from '../search/index-limits.js';
import type { ParsedMessage } from './parse-stored.js';

/** Messages a parse worker keeps to index and the index has not adopted yet, at most (a few dozen bytes each). */
const DEFERRED_MAX = 100_000;

/** Who writes deferred rows (ParsePool): resolves once what its workers kept is written or given up. */
export interface DeferredWriter {
  indexWritten(now?: boolean): Promise<void>;
}

/** Text waiting for the index at most: the budget each parse worker has for the text it keeps too (search/index-limits.ts). */
export const TEXT_CACHE_BYTES = INDEX_TEXT_BYTES;

export class TextCache {
  private readonly texts = new Map<string, { text: IndexedText; bytes: number }>();
  private bytes = 0;
  /** Messages a parse worker writes into the index itself (search/index-writer.ts), by id: as headers-only or not. */
  private readonly deferred = new Map<string, boolean>();
  /** The pools whose workers write them. */
  private readonly writers = new Set<DeferredWriter>();
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

  /**
   * A parse's outcome for message `id`: its text kept for the index, or the note that the worker
   * of `writer` keeps it and writes the row itself.
   */
  parsed(id: string, parsed: ParsedMessage, writer?: DeferredWriter): void {
    if (parsed.text) this.put(id, parsed.text);
    else if (parsed.deferred) {
      this.drop(id);
      this.deferred.set(id, parsed.deferred.partial);
      if (writer) this.writers.add(writer);
      // Messages never journaled are not waited for forever (the index's next open removes their rows).
      if (this.deferred.size > DEFERRED_MAX) this.deferred.delete(this.deferred.keys().next().value as string);
    }
  }

  /** Whether a worker writes `id`'s row (as headers-only or not), removed from here; undefined when none does. */
  takeDeferred(id: string): { partial: boolean } | undefined {
    const partial = this.deferred.get(id);
    this.deferred.delete(id);
    return partial === undefined ? undefined : { partial };
  }

  /**
   * Resolves once every row the workers kept so far is written (or given up: then it is not in
   * the file); `now` asks them to write at once instead of at their sync's end or when idle.
   */
  async written(now: boolean): Promise<void> {
    await Promise.all([...this.writers].map((w) => w.indexWritten(now)));
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
    this.deferred.delete(id);
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
