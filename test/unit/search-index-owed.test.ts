/**
 * Rows a parse worker still owes the search index (issue 18) as a search meets them. What a user
 * notices: a search by filters alone (in:, is:, dates) answers at once from the journal, without
 * waiting for the worker or making it write in the middle of a sync; a search by words waits a
 * little, then answers saying the rest is still being indexed; and a headers-only message whose
 * row the worker writes after that search gave up is found by its word (not lost until the next
 * open because main indexed it too and the worker's row replaced main's).
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { TextCache, type DeferredWriter } from '../../electron/core/ingest/text-cache.js';
import type { ParsedMessage } from '../../electron/core/ingest/parse-stored.js';
import { documentOf, IndexAppender, IndexDb } from '../../electron/core/search/index-db.js';
import { SearchIndex } from '../../electron/core/search/search-index.js';
import { Journal } from '../../electron/core/store/journal.js';
import type { MessageSummary } from '../../shared/messages.js';

let dir: string;
let journal: Journal;
let index: SearchIndex | null = null;

beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'popbox-search-owed-'));
  journal = await Journal.open(path.join(dir, 'journal.jsonl'));
});

afterEach(async () => {
  await index?.close();
  index = null;
  vi.restoreAllMocks();
  await fs.rm(dir, { recursive: true, force: true });
});

const summary: MessageSummary = {
  subject: 'Report wombatish',
  from: [{ name: 'Ann', address: 'ann@example.com' }],
  to: [],
  cc: [],
  date: '2026-06-01T10:00:00.000Z',
  messageId: '<m0@example.com>',
  inReplyTo: null,
  references: [],
  size: 50_000,
  hasAttachments: false,
  snippet: '',
};

/** A worker that keeps message m0's row (written as a whole message: its headers were handed as bytes) until told. */
function keptByWorker(texts: TextCache): { writer: DeferredWriter & { asked: boolean[] }; write: () => void } {
  let done!: () => void;
  const promise = new Promise<void>((r) => (done = r));
  const writer = {
    asked: [] as boolean[],
    indexWritten(now?: boolean): Promise<void> {
      writer.asked.push(now === true);
      return promise;
    },
  };
  texts.parsed('m0', { summary, text: null, deferred: { partial: false } } as unknown as ParsedMessage, writer);
  const write = (): void => {
    const db = IndexAppender.open(SearchIndex.file(dir));
    db.append([documentOf('m0', false, summary, { body: '', files: '' })]);
    db.close();
    done();
  };
  return { writer, write };
}

async function openWithHeadersOnly(texts: TextCache): Promise<SearchIndex> {
  index = SearchIndex.open({ journal, dataDir: dir, texts, accounts: () => [], locate: async () => path.join(dir, 'm0.eml') });
  await fs.writeFile(path.join(dir, 'm0.eml'), 'Subject: Report wombatish\r\n\r\n');
  await journal.append([
    { t: 'add', m: { id: 'm0', accountId: 'a', uidl: 'm0', receivedAt: 1, partial: true, flags: { seen: false, flagged: false }, folder: 'INBOX', summary } },
  ]);
  return index;
}

describe('rows a parse worker still owes, as a search meets them', () => {
  it('answers a search by filters alone at once, without asking the worker to write now', async () => {
    const texts = new TextCache();
    const { writer } = keptByWorker(texts);
    const search = await openWithHeadersOnly(texts);
    const result = await search.search({ query: 'in:inbox' });
    expect(result.ids).toEqual(['m0']);
    expect(writer.asked, 'asked to write now').not.toContain(true);
  });

  it("finds a headers-only message by its word once the worker's row comes after a search gave up waiting", async () => {
    const texts = new TextCache();
    const { writer, write } = keptByWorker(texts);
    const search = await openWithHeadersOnly(texts);
    const mainWrote: string[] = [];
    const real = IndexDb.prototype.write;
    vi.spyOn(IndexDb.prototype, 'write').mockImplementation(function (this: IndexDb, add, remove, relabel) {
      mainWrote.push(...add.map((d) => d.id));
      real.call(this, add, remove, relabel);
    });
    const first = await search.search({ query: 'wombatish' });
    expect(writer.asked, 'asked to write now').toContain(true);
    expect(first.ids).toEqual([]);
    expect(first.ignored.join('; ')).toContain('1 message is still being indexed');
    write();
    await search.idle();
    expect((await search.search({ query: 'wombatish' })).ids, 'found by its word').toEqual(['m0']);
    expect(mainWrote, 'main indexed it too').toEqual([]);
  }, 60_000);
});
