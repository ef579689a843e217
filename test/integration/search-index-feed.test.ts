/**
 * How the search index is fed (issues 17/18): a new message's file is read once, by ingest's parse
 * off main's thread, and the index takes the text from there instead of reading and parsing the
 * file again; where that text is gone (the bounded cache evicted it) the index reads the file as
 * before. Removals are written by the background batch, never inside the journal's append (an
 * Empty Trash paid an FTS write there), and are hidden from results at once all the same.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ParsePool } from '../../electron/core/ingest/parse-pool.js';
import { SummaryQueue } from '../../electron/core/ingest/summary-queue.js';
import { TextCache } from '../../electron/core/ingest/text-cache.js';
import { IndexDb } from '../../electron/core/search/index-db.js';
import { SearchIndex } from '../../electron/core/search/search-index.js';
import { Journal } from '../../electron/core/store/journal.js';

let dir: string;
let journal: Journal;
let index: SearchIndex | null = null;
const pool = new ParsePool({ size: 1 });
const files = new Map<string, string>();
let located: string[] = [];

beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'popbox-search-feed-'));
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

/** Messages stored and journaled as a sync does it: through the summary queue and the parse pool. */
async function store(texts: TextCache, words: string[]): Promise<string[]> {
  const queue = new SummaryQueue(journal, { pool, texts });
  const ids: string[] = [];
  for (const [i, word] of words.entries()) {
    const id = `m${i}`;
    const file = path.join(dir, `${id}.eml`);
    await fs.writeFile(file, `From: Ann <ann@example.com>\r\nSubject: Note ${i}\r\nMessage-ID: <${id}@example.com>\r\n\r\nThe ${word} is in the body only.\r\n`);
    files.set(id, file);
    void queue.add({ path: file, base: { id, accountId: 'a', uidl: id, receivedAt: i, partial: false, flags: { seen: false, flagged: false }, folder: 'INBOX' } });
    ids.push(id);
  }
  await queue.drain();
  return ids;
}

const find = async (word: string) => (await index!.search({ query: word })).ids;

describe('the search index fed by ingest', () => {
  it("takes a new message's text from ingest's one read instead of reading the file again", async () => {
    const texts = new TextCache();
    const search = open(texts);
    const ids = await store(texts, ['wombatish', 'quolline', 'numbatic']);
    await search.idle();
    expect(located, 'the index read no file').toEqual([]);
    expect(texts.size, 'each text taken once').toBe(0);
    expect(await find('quolline')).toEqual([ids[1]]);
  });

  it('reads the file itself for a text the bounded cache let go', async () => {
    // Room for about one message's text: the first two are evicted before the index gets to them.
    const texts = new TextCache(200);
    const search = open(texts);
    const ids = await store(texts, ['wombatish', 'quolline', 'numbatic']);
    await search.idle();
    expect(located.sort()).toEqual([ids[0], ids[1]]);
    for (const [i, w] of ['wombatish', 'quolline', 'numbatic'].entries()) expect(await find(w)).toEqual([ids[i]]);
  });

  it('writes removals in the background, not inside the journal append, and hides them at once', async () => {
    const texts = new TextCache();
    const search = open(texts);
    const ids = await store(texts, ['wombatish', 'quolline', 'numbatic']);
    await search.idle();
    const write = vi.spyOn(IndexDb.prototype, 'write');
    await journal.append([{ t: 'remove', id: ids[0]! }, { t: 'remove', id: ids[2]! }]);
    expect(write, 'no index write inside the append').not.toHaveBeenCalled();
    expect(await find('wombatish')).toEqual([]);
    await search.idle();
    expect(write).toHaveBeenCalledTimes(1);
    expect(write.mock.calls[0]![1].toSorted()).toEqual([ids[0], ids[2]]);
    expect(await find('wombatish OR numbatic OR quolline')).toEqual([ids[1]]);
  });
});
