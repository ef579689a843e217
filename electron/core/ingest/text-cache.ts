/**
 * Search text handed from ingest's parse to the search index, so the index does not read and
 * parse a new message's file a second time (issue 17/18: one read of each new file). Bounded in
 * bytes, oldest out first; what is not here (evicted, a message indexed at a rebuild) the index
 * reads from the file as it always could. Each text is taken once.
 */
import type { IndexedText } from '../search/extract.js';

/** About 24 MB of text waiting for the index (JavaScript strings: 2 bytes a character, at most). */
export const TEXT_CACHE_BYTES = 24 * 1024 * 1024;

export class TextCache {
  private readonly texts = new Map<string, { text: IndexedText; bytes: number }>();
  private bytes = 0;

  constructor(private readonly capBytes = TEXT_CACHE_BYTES) {}

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
