/**
 * What the search index's writers agree on about memory, in a module that imports nothing: main's
 * TextCache (ingest/text-cache.ts) and each parse worker's IndexWriter (index-writer.ts) take it
 * without loading the index's database code.
 */

/**
 * Text of new mail waiting for the search index, at most, in each thread that keeps it: main's
 * TextCache (ingest/text-cache.ts: parses answered with their text) and each parse worker's
 * IndexWriter (index-writer.ts: text the worker writes itself). One budget, because it is one kind
 * of memory (a sync's new text on its way to the index) and a message's text is in one of them
 * only: a sync holds at most (1 + workers) × this. JavaScript strings, counted at 2 bytes a
 * character.
 */
export const INDEX_TEXT_BYTES = 24 * 1024 * 1024;
