/**
 * The search index written by the parse worker (issue 18): the worker that parsed a new message
 * writes its rows into the index itself once its sync's parses are answered, so main's thread
 * neither receives the text nor runs FTS5's tokenizer for it, and main's index adopts the row
 * once the worker is done (a search waits for that). What a
 * user notices: every new message is found by its words, once; a row written for a message that
 * never reached the journal never shows and is gone after the next open; a row the file no
 * longer holds (removed by someone else, a rebuilt file) is indexed by main instead.
 */
import Database from 'better-sqlite3';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ParsePool } from '../../electron/core/ingest/parse-pool.js';
import { parseInto, SummaryQueue } from '../../electron/core/ingest/summary-queue.js';
import { TextCache } from '../../electron/core/ingest/text-cache.js';
import { IndexDb } from '../../electron/core/search/index-db.js';
import { SearchIndex } from '../../electron/core/search/search-index.js';
import { Journal } from '../../electron/core/store/journal.js';
import type { MessageRecord } from '../../shared/changes.js';

let dir: string;
let journal: Journal;
let index: SearchIndex | null = null;
// A worker from the first parse (a sync starts one after 64).
const pool = new ParsePool({ size: 1, startAt: 0 });
const files = new Map<string, string>();
let located: string[] = [];

beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'popbox-search-worker-'));
  journal = await Journal.open(path.join(dir, 'journal.jsonl'));
  files.clear();
  located = [];
});

afterEach(async () => {
  await index?.close();
  index = null;
  vi.restoreAllMocks();
  await fs.rm(dir, { recursive: true, force: true });
});

afterAll(() => pool.close());

function open(texts: TextCache): SearchIndex {
  index = SearchIndex.open({
    journal,
    dataDir: dir,
    texts,
    accounts: () => [],
    locate: async (id) => {
      located.push(id);
      return files.get(id)!;
    },
  });
  return index;
}

async function writeMessage(id: string, word: string): Promise<string> {
  const file = path.join(dir, `${id}.eml`);
  await fs.writeFile(file, `From: Ann <ann@example.com>\r\nSubject: Note ${id}\r\nMessage-ID: <${id}@example.com>\r\n\r\nThe ${word} is in the body only.\r\n`);
  files.set(id, file);
  return file;
}

const base = (id: string): Omit<MessageRecord, 'summary'> => ({ id, accountId: 'a', uidl: id, receivedAt: 1, partial: false, flags: { seen: false, flagged: false }, folder: 'INBOX' });

/** Messages stored and journaled as a sync does it: through the summary queue and the parse pool. */
async function store(texts: TextCache, words: string[]): Promise<string[]> {
  const queue = new SummaryQueue(journal, { pool, texts });
  const ids: string[] = [];
  for (const [i, word] of words.entries()) {
    const id = `m${i}`;
    void queue.add({ path: await writeMessage(id, word), base: base(id) });
    ids.push(id);
  }
  await queue.drain();
  return ids;
}

const find = async (word: string) => (await index!.search({ query: word })).ids;

/** The index file's documents, as another program reads it. */
function docsInFile(): string[] {
  const db = new Database(SearchIndex.file(dir), { readonly: true });
  try {
    return (db.prepare('SELECT id FROM docs ORDER BY id').pluck().all() as string[]).sort();
  } finally {
    db.close();
  }
}

describe('the search index written by the parse worker', () => {
  it("writes a new message's rows in the worker: main writes none of them, and each message is found once", async () => {
    const texts = new TextCache();
    const search = open(texts);
    const write = vi.spyOn(IndexDb.prototype, 'write');
    const ids = await store(texts, ['wombatish', 'quolline', 'numbatic']);
    await search.idle();
    expect(search.adopted, 'rows adopted from the worker').toBe(3);
    expect(write, 'main wrote nothing').not.toHaveBeenCalled();
    expect(located, 'the index read no file').toEqual([]);
    expect(texts.size, 'no text came back to main').toBe(0);
    for (const [i, w] of ['wombatish', 'quolline', 'numbatic'].entries()) expect(await find(w)).toEqual([ids[i]]);
    expect(await find('body')).toHaveLength(3);
    expect(docsInFile(), 'one row per message').toEqual(ids);
  });

  it('makes a search wait for the rows the worker still keeps (the end of a sync), and finds the message', async () => {
    // A worker that would write what it keeps only after 60 s idle, and no sync's end to say so.
    const slow = new ParsePool({ size: 1, startAt: 0, holdMs: 60_000, timeoutMs: 600_000 });
    try {
      const texts = new TextCache();
      const search = open(texts);
      const summary = await parseInto(slow, await writeMessage('m0', 'bilbyish'), 'm0', texts, false);
      expect(docsInFile(), 'kept by the worker, not written yet').toEqual([]);
      await journal.append([{ t: 'add', m: { ...base('m0'), summary } }]);
      expect(await find('bilbyish'), 'found by a search right away').toEqual(['m0']);
      expect(search.adopted, "the worker's row, not one main wrote").toBe(1);
    } finally {
      await slow.close();
    }
  });

  it('never shows a row written for a message the journal never got, and drops it at the next open', async () => {
    const texts = new TextCache();
    open(texts);
    // Parsed (and written by the worker) but never journaled: a kill between the two.
    await parseInto(pool, await writeMessage('ghost', 'phantasmic'), 'ghost', texts, false);
    pool.flush();
    await pool.indexWritten(false);
    expect(docsInFile()).toEqual(['ghost']);
    expect(await find('phantasmic')).toEqual([]);
    await index!.close();
    const again = open(new TextCache());
    await again.idle();
    expect(docsInFile()).toEqual([]);
    expect(await find('phantasmic')).toEqual([]);
  });

  it('indexes on main a message whose row the file no longer holds when it is journaled', async () => {
    const texts = new TextCache();
    const search = open(texts);
    const summary = await parseInto(pool, await writeMessage('m0', 'quokkaish'), 'm0', texts, false);
    pool.flush();
    await pool.indexWritten(false);
    // Another program (or a rebuild) removed the worker's row before the message was journaled.
    const db = new Database(SearchIndex.file(dir));
    db.exec("DELETE FROM fts WHERE rowid IN (SELECT rowid FROM docs WHERE id = 'm0'); DELETE FROM docs WHERE id = 'm0'");
    db.close();
    await journal.append([{ t: 'add', m: { ...base('m0'), summary } }]);
    await search.idle();
    expect(search.adopted).toBe(0);
    expect(located, 'main read the file').toEqual(['m0']);
    expect(await find('quokkaish')).toEqual(['m0']);
    expect(docsInFile()).toEqual(['m0']);
  });
});
