/**
 * The index file's layout (issue 18): a new file has 16 KB pages, so indexing a sync's mail
 * writes far fewer WAL frames (each commit writes every page it touched), and a prefix index for
 * 2 letters only (not 3: a third less to write); a file made before with SQLite's 4 KB pages and
 * prefix indexes for 2 and 3 letters is kept as it is. What a user notices: the same words and
 * typed prefixes find the same messages on either file, the old file is not rebuilt, and the new
 * one takes fewer writes to the disk for the same mail.
 */
import Database from 'better-sqlite3';
import fc from 'fast-check';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ftsExpression } from '../../electron/core/search/fts-query.js';
import { IndexDb, type IndexDoc } from '../../electron/core/search/index-db.js';
import { parseQuery, type Clause } from '../../electron/core/search/query.js';

type Text = Extract<Clause, { t: 'text' }>;

/** The file as index-db.ts made it up to session 9: SQLite's default 4 KB pages, prefix indexes for 2 and 3 letters. */
function makeOldLayout(file: string): void {
  const db = new Database(file);
  db.pragma('page_size = 4096');
  db.pragma('journal_mode = WAL');
  db.exec(`
    CREATE TABLE docs(rowid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, partial INTEGER NOT NULL);
    CREATE VIRTUAL TABLE fts USING fts5(sender, recipients, subject, body, files, content='', contentless_delete=1,
      tokenize="unicode61 remove_diacritics 2 categories 'L* N* Co M*'", prefix='2 3');
    PRAGMA user_version = 2;
  `);
  db.close();
}

/** A file with `from`'s tables as IndexDb makes them, but SQLite's 4 KB pages. */
function makeSmallPages(from: string, file: string): void {
  const src = new Database(from, { readonly: true });
  const tables = src.prepare("SELECT sql FROM sqlite_schema WHERE name IN ('docs', 'fts')").pluck().all() as string[];
  src.close();
  const db = new Database(file);
  db.pragma('page_size = 4096');
  db.pragma('journal_mode = WAL');
  db.exec(`${tables.join(';\n')}; PRAGMA user_version = 2;`);
  db.close();
}

// Words sharing their first letters, so 2-, 3- and 4-letter prefixes each pick a different set.
const WORDS = ['meeting', 'meet', 'meetings', 'medal', 'mend', 'message', 'messy', 'contract', 'control', 'cone', 'conference', 'cost', 'cozy', 'théâtre', 'thesis', 'the', 'then', 'über', 'übung', 'mañana'];

function docs(seed: number, n: number): IndexDoc[] {
  let a = seed;
  const rnd = (k: number): number => {
    a = (a * 1103515245 + 12345) >>> 0;
    return a % k;
  };
  return Array.from({ length: n }, (_, i) => ({
    id: `m${i}`,
    partial: false,
    sender: `Sender ${WORDS[rnd(WORDS.length)]} s${i}@example.com`,
    recipients: 'Bob bob@example.net',
    subject: `${WORDS[rnd(WORDS.length)]} ${WORDS[rnd(WORDS.length)]}`,
    // Plus words of their own (as real mail has: names, numbers), so the index grows as it would.
    body: Array.from({ length: 200 }, (_, k) => (k % 2 ? WORDS[rnd(WORDS.length)] : `x${rnd(20_000)}`)).join(' '),
    files: '',
  }));
}

describe('the layout of the search index file: page size, prefix indexes', () => {
  let dir: string;
  let fresh: IndexDb;
  let old: IndexDb;
  let oldFresh: boolean;
  let small: IndexDb;
  /** WAL frames each file's indexing wrote (before any checkpoint). */
  const frames: Record<string, number> = {};
  const all = docs(7, 300);

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'popbox-index-db-'));
    makeOldLayout(path.join(dir, 'old.sqlite'));
    const o = IndexDb.open(path.join(dir, 'old.sqlite'));
    old = o.db;
    oldFresh = o.fresh;
    fresh = IndexDb.open(path.join(dir, 'new.sqlite')).db;
    // The new file's tables with 4 KB pages: the page size's own share of the writes.
    makeSmallPages(path.join(dir, 'new.sqlite'), path.join(dir, 'small.sqlite'));
    small = IndexDb.open(path.join(dir, 'small.sqlite')).db;
    for (const [name, db] of [['old', old], ['new', fresh], ['small', small]] as const) {
      for (let i = 0; i < all.length; i += 64) db.write(all.slice(i, i + 64), []);
      // A WAL frame is a 24-byte header and one page: the frames written so far (all 300 fit
      // below the automatic checkpoint of 1,000 pages).
      const wal = fs.statSync(path.join(dir, `${name}.sqlite-wal`)).size;
      const page = name === 'new' ? 16384 : 4096;
      frames[name] = (wal - 32) / (page + 24);
    }
  });
  afterAll(() => {
    old.close();
    fresh.close();
    small.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const hits = (db: IndexDb, q: string): string[] => {
    const groups = parseQuery(q).groups.map((g) => g.map((it) => ftsExpression(it.clause as Text)).join(' OR '));
    return db
      .match(groups.map((e) => `(${e})`).join(' AND '))
      .map((r) => db.idAt(r)!)
      .sort();
  };

  it('an index made before (4 KB pages) is opened as it is, not rebuilt', () => {
    expect(oldFresh).toBe(false);
    expect(old.size).toBe(all.length);
    const pageSize = (f: string): number => {
      const db = new Database(path.join(dir, f), { readonly: true });
      try {
        return db.pragma('page_size', { simple: true }) as number;
      } finally {
        db.close();
      }
    };
    expect(pageSize('old.sqlite')).toBe(4096);
    expect(pageSize('new.sqlite')).toBe(16384);
  });

  it('an index made with prefix indexes for 2 and 3 letters keeps them; a new one has the 2-letter one only', () => {
    const prefixes = (f: string): string | undefined => {
      const db = new Database(path.join(dir, f), { readonly: true });
      try {
        return /prefix='([^']*)'/.exec(db.prepare("SELECT sql FROM sqlite_schema WHERE name = 'fts'").pluck().get() as string)?.[1];
      } finally {
        db.close();
      }
    };
    expect(prefixes('old.sqlite')).toBe('2 3');
    expect(prefixes('new.sqlite')).toBe('2');
  });

  it('words and typed prefixes of 2, 3, 4 and more letters find the same messages on the old file and the new one', () => {
    const prefixes = new Set<string>();
    for (const w of WORDS) for (let k = 2; k <= w.length; k++) prefixes.add(w.slice(0, k));
    for (const p of prefixes) {
      const want = hits(old, p);
      expect(hits(fresh, p), p).toEqual(want);
      // Each prefix finds every message with a word that starts with it (checked on the text itself).
      const fold = (s: string): string => s.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
      const expected = all
        .filter((d) => [d.sender, d.recipients, d.subject, d.body].join(' ').split(/[^\p{L}\p{N}\p{M}]+/u).some((w) => fold(w).startsWith(fold(p))))
        .map((d) => d.id)
        .sort();
      expect(want, p).toEqual(expected);
    }
  });

  it('a typed prefix after other words and in a field answers alike on both files (random queries)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...WORDS), fc.constantFrom(...WORDS), fc.integer({ min: 2, max: 6 }), fc.constantFrom('', 'subject:', 'from:'), (w1, w2, k, field) => {
        const q = `${w1} ${field}${w2.slice(0, k)}`;
        expect(hits(fresh, q)).toEqual(hits(old, q));
      }),
      { numRuns: 200 },
    );
  });

  it('indexing the same mail writes fewer pages to the disk', () => {
    expect(Number.isInteger(frames.old) && Number.isInteger(frames.new) && Number.isInteger(frames.small)).toBe(true);
    // The same tables: 16 KB pages against 4 KB (the 800-message bench mix: 3,240 frames against 975).
    expect(frames.new).toBeLessThan(frames.small! * 0.6);
    // And fewer than the file made before (4 KB pages, prefix indexes for 2 and 3 letters).
    expect(frames.new).toBeLessThan(frames.old!);
  });
});
