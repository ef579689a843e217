/**
 * A sync's end (issue 18 wall time): once the caller says no more parses are coming
 * (ParsePool.flush, IngestRun.finish), every answer comes as soon as it is parsed, not after the
 * worker's hold time, also for jobs the pool still had queued beyond what a worker takes at once
 * (16). Before, the last < 16 answers written into the search index waited HOLD_MS (1 s) each
 * sync. The hold time here is 60 s, so a held answer cannot be mistaken for a slow machine.
 */
import Database from 'better-sqlite3';
import fs from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ParsePool } from '../../electron/core/ingest/parse-pool.js';
import type { ParsedMessage } from '../../electron/core/ingest/parse-stored.js';
import { IndexDb } from '../../electron/core/search/index-db.js';

let dir: string;
let indexFile: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'popbox-pool-flush-'));
  indexFile = path.join(dir, 'search', 'index.sqlite');
  IndexDb.open(indexFile).db.close();
});

afterAll(async () => {
  if (dir) await fs.rm(dir, { recursive: true, force: true });
});

/**
 * The real worker loop (parse-worker.ts) with a parser that answers at once, with text to index;
 * its subject says whether the worker has loaded better-sqlite3 by then.
 */
function quickWorker(): { eval: string; workerData: { manual: true } } {
  const tsx = pathToFileURL(path.join(path.dirname(createRequire(import.meta.url).resolve('tsx/package.json')), 'dist', 'esm', 'api', 'index.mjs')).href;
  const source = pathToFileURL(path.resolve('electron/core/ingest/parse-worker.ts')).href;
  const summary = { subject: 'quick', from: [], to: [], cc: [], date: null, messageId: null, inReplyTo: null, references: [], size: 1, hasAttachments: false, snippet: '' };
  return {
    eval: `
      const { parentPort } = require('node:worker_threads');
      import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(source)}); }).then(({ serveParses }) =>
        serveParses(parentPort, (file) => new Promise((r) => setImmediate(() => r({
          summary: { ...${JSON.stringify(summary)}, snippet: String(Object.keys(require.cache).some((k) => k.includes('better-sqlite3'))) },
          text: { body: 'word ' + file, files: '' } })))));`,
    workerData: { manual: true },
  };
}

/** Whether all answers came within `ms` (false: some were still held). */
async function settledWithin(answers: Promise<unknown>[], ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((r) => (timer = setTimeout(() => r(false), ms)));
  try {
    return await Promise.race([Promise.all(answers).then(() => true as const), late]);
  } finally {
    clearTimeout(timer);
  }
}

/** This process's open descriptors of the index file (worker threads share the process's). */
async function openIndexFds(): Promise<number> {
  let n = 0;
  for (const fd of await fs.readdir('/proc/self/fd')) {
    const target = await fs.readlink(path.join('/proc/self/fd', fd)).catch(() => '');
    if (target === indexFile) n++;
  }
  return n;
}

describe("the parse pool at a sync's end", () => {
  for (const withIndex of [true, false]) {
    it(`answers all of 40 parses soon after no more are coming, though the worker may hold answers 60 s (${withIndex ? 'written into the search index' : 'no index'})`, async () => {
      const pool = new ParsePool({ entry: quickWorker(), size: 1, startAt: 0, holdMs: 60_000, timeoutMs: 600_000 });
      try {
        const answers: Promise<ParsedMessage>[] = [];
        for (let i = 0; i < 40; i++) answers.push(pool.parse(path.join(dir, `m${i}.eml`), withIndex ? { file: indexFile, id: `m${i}`, partial: false } : undefined));
        // As a sync ends: the parses were handed out a turn before the caller says there are no more.
        await new Promise((r) => setImmediate(r));
        pool.flush();
        expect(await settledWithin(answers, 15_000), 'every answer came (none held for the hold time)').toBe(true);
        const got = await Promise.all(answers);
        expect(got.map((a) => a.summary.subject)).toEqual(Array(40).fill('quick'));
        // With an index target the worker keeps every text to write itself (the answers carry none).
        if (withIndex) {
          expect(got.filter((a) => a.deferred !== undefined && a.text === null)).toHaveLength(40);
          // ...and writes them once all are answered: every one is in the file then.
          await pool.indexWritten(false);
          const db = new Database(indexFile, { readonly: true });
          const ids = db.prepare("SELECT id FROM docs WHERE id GLOB 'm*'").pluck().all() as string[];
          db.close();
          expect(ids.sort()).toEqual(Array.from({ length: 40 }, (_, i) => `m${i}`).sort());
        } else expect(got.filter((a) => a.text?.body.startsWith('word '))).toHaveLength(40);
      } finally {
        await pool.close();
      }
    }, 30_000);
  }

  it("answers a sync's last parses soon though another account's sync parses on after its flush (the app runs two at once)", async () => {
    const pool = new ParsePool({ entry: quickWorker(), size: 1, startAt: 0, holdMs: 60_000, timeoutMs: 600_000 });
    try {
      const first: Promise<ParsedMessage>[] = [];
      for (let i = 0; i < 40; i++) first.push(pool.parse(path.join(dir, `a${i}.eml`), { file: indexFile, id: `a${i}`, partial: false }));
      await new Promise((r) => setImmediate(r));
      pool.flush();
      // The second sync goes on: a parse now, and more while the first one's last are in hand.
      const second: Promise<ParsedMessage>[] = [pool.parse(path.join(dir, 'b0.eml'), { file: indexFile, id: 'b0', partial: false })];
      await new Promise((r) => setTimeout(r, 5));
      for (let i = 1; i < 4; i++) second.push(pool.parse(path.join(dir, `b${i}.eml`), { file: indexFile, id: `b${i}`, partial: false }));
      expect(await settledWithin(first, 15_000), "the first sync's answers all came (none held for the hold time)").toBe(true);
      expect((await Promise.all(first)).filter((a) => a.deferred !== undefined)).toHaveLength(40);
      // The second sync's own end lets its answers go too.
      pool.flush();
      expect(await settledWithin(second, 15_000), "the second sync's answers came after its flush").toBe(true);
    } finally {
      await pool.close();
    }
  }, 60_000);

  it.runIf(process.platform === 'linux')('leaves the index file closed once all is answered, so a damaged index can be removed (Windows) though the worker lives on', async () => {
    const pool = new ParsePool({ entry: quickWorker(), size: 1, startAt: 0, idleMs: 600_000 });
    try {
      const answers: Promise<ParsedMessage>[] = [];
      for (let i = 0; i < 40; i++) answers.push(pool.parse(path.join(dir, `c${i}.eml`), { file: indexFile, id: `c${i}`, partial: false }));
      await new Promise((r) => setImmediate(r));
      pool.flush();
      const got = await Promise.all(answers);
      expect(got.filter((a) => a.deferred !== undefined)).toHaveLength(40);
      expect(pool.workers, 'the worker lives on').toBe(1);
      // The rows are written after the last answers (at the pool's second flush note), so the file
      // may not even be open yet: no descriptor before the write proves nothing. Wait for the write.
      await pool.indexWritten(false);
      // Closed just after the write: allow it a moment.
      const until = performance.now() + 5_000;
      while ((await openIndexFds()) > 0 && performance.now() < until) await new Promise((r) => setTimeout(r, 20));
      expect(await openIndexFds(), 'descriptors of the index file still open').toBe(0);
      // The next sync's parses write into the file again.
      const next = pool.parse(path.join(dir, 'c40.eml'), { file: indexFile, id: 'c40', partial: false });
      pool.flush();
      expect((await next).deferred).toBeDefined();
    } finally {
      await pool.close();
    }
  }, 30_000);

  it('does not load better-sqlite3 in a parse worker until it is given an index target', async () => {
    const pool = new ParsePool({ entry: quickWorker(), size: 1, startAt: 0 });
    try {
      const first = await pool.parse(path.join(dir, 'plain-1.eml'));
      expect(first.summary.snippet, 'loaded after a parse without an index target').toBe('false');
      const indexed = pool.parse(path.join(dir, 'plain-2.eml'), { file: indexFile, id: 'plain-2', partial: false });
      pool.flush();
      expect((await indexed).deferred).toBeDefined();
      await pool.indexWritten();
      const after = await pool.parse(path.join(dir, 'plain-3.eml'));
      expect(after.summary.snippet, 'loaded once it wrote into the index').toBe('true');
    } finally {
      await pool.close();
    }
  }, 30_000);
});

describe('the parse pool in a sync that announced how many messages it brings', () => {
  it('starts a worker before the first message of a sync bringing more than startAt, and parses that message there; a check bringing a few stays on the calling thread', async () => {
    const pool = new ParsePool({ entry: quickWorker(), size: 1, startAt: 4 });
    try {
      pool.expect(3);
      expect(pool.workers, 'a check bringing three: no worker').toBe(0);
      // The real parser on this thread (a file that does not exist: its fallback summary), not the worker's "quick".
      expect((await pool.parse(path.join(dir, 'few-0.eml'))).summary.subject).not.toBe('quick');
      pool.flush();
      pool.expect(40);
      expect(pool.workers, 'started as the sync announced 40').toBe(1);
      expect((await pool.parse(path.join(dir, 'sync-0.eml'))).summary.subject, "the sync's first message parsed by the worker").toBe('quick');
    } finally {
      await pool.close();
    }
  }, 30_000);

  it("keeps a sync's text for the index until the sync's flush, though the worker waits far longer than its hold time for the next message", async () => {
    const pool = new ParsePool({ entry: quickWorker(), size: 1, startAt: 0, holdMs: 100 });
    const rows = (): string[] => {
      const db = new Database(indexFile, { readonly: true });
      try {
        return db.prepare("SELECT id FROM docs WHERE id GLOB 'k*'").pluck().all() as string[];
      } finally {
        db.close();
      }
    };
    try {
      pool.expect(40);
      const got = await Promise.all(Array.from({ length: 10 }, (_, i) => pool.parse(path.join(dir, `k${i}.eml`), { file: indexFile, id: `k${i}`, partial: false })));
      expect(got.filter((a) => a.deferred !== undefined)).toHaveLength(10);
      // Twenty hold times idle (a big message downloading): before, the worker wrote its rows after one.
      await new Promise((r) => setTimeout(r, 2000));
      expect(rows(), 'rows written in the middle of the sync').toEqual([]);
      pool.flush();
      await pool.indexWritten(false);
      expect(rows().sort()).toEqual(Array.from({ length: 10 }, (_, i) => `k${i}`).sort());
    } finally {
      await pool.close();
    }
  }, 30_000);
});
