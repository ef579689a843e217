/**
 * The search index on disk: SQLite FTS5 through better-sqlite3 (the engine Mailspring and Signal
 * Desktop use; measured against MiniSearch in the closing note of issue 17). One file,
 * <dataDir>/search/index.sqlite, derived data only: deleting it loses nothing, it is rebuilt.
 *
 * - `docs` maps FTS rowids to message ids (and remembers whether a message was headers-only
 *   when indexed, so the rest's download is indexed again).
 * - `fts` is contentless (no copy of any text is kept, like notmuch's Xapian terms): five
 *   columns, words split by letters and digits in any script (each Chinese, Japanese, Thai…
 *   character a word: segment.ts), diacritics folded, a prefix
 *   index for 2 letters (typing "me" is as quick as "meeting").
 * Each batch is one transaction, so a kill leaves the file as it was before or after a batch;
 * what the journal has and the index lacks is found and indexed at the next open.
 */
import type Database from 'better-sqlite3';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { MessageSummary } from '../../../shared/messages.js';
import type { IndexedText } from './extract.js';
import { segmentForIndex } from './segment.js';

/**
 * Bumped when the schema or the tokenizer changes: an older file is rebuilt from the Maildir once
 * (open() treats another version like a damaged file). 2: Chinese, Japanese, Thai… characters are
 * words of their own (segment.ts).
 */
const SCHEMA_VERSION = 2;
/** How long a write waits for another program's lock on the file before it fails (SQLITE_BUSY). */
const BUSY_TIMEOUT_MS = 1000;
/**
 * Page size of a new index file (SQLite's default is 4 KB). Each commit writes every page it
 * touched to the WAL; with 16 KB pages indexing the 800-message bench mix writes 975 frames
 * instead of 3,240 (pwrites 6,489 → 1,950, checkpoint fsyncs 14 → 8) and costs ~7–11 % less CPU
 * with the longest batch ~half as long (issue 18; fewer pages to balance, checksum and write).
 * The answers are the same. A file made before keeps its 4 KB pages (SQLite cannot change the
 * page size of a WAL-mode file): nothing is rebuilt for it.
 */
const PAGE_SIZE = 16384;
/**
 * A prefix index for 2 letters: typing "me" finds its words as quickly as a whole word. The
 * 3-letter one is gone (issue 18): each prefix index is about 30 % of what SQLite spends indexing
 * (callgrind, the 800-message bench mix: 995 M instructions with 2 and 3 letters, 703 M with 2,
 * 470 M with none), and the 3-letter one was ~0.08 s of the parse worker's CPU in a sync of those
 * 800 (790 → 710 ms, medians of 7 alternating syncs over TLS under load). Without it a 3-letter
 * keystroke reads every word it begins: ~12,000 messages 0.6 → 1.1 ms CPU (median of 15
 * keystrokes, "the" 1.4 → 5.4), ~97,000 5.5 → 7.1 ms with "the" 19 → 47 (after the search box's
 * 120 ms pause); 2 and 4+ letters unchanged (test/bench/index-write-bench.ts --queries). Without
 * the 2-letter one too, "th" would cost 8×. FTS5 keeps a table's own prefixes and answers a prefix
 * of any length alike without one (the same answers: the bench, search-index-db.test.ts), so a
 * file made with 2 and 3 keeps them and is never rebuilt for it.
 */
const PREFIXES = '2';
/** The words the index keeps: letters, digits and marks in any script, diacritics folded. */
const TOKENIZER = "unicode61 remove_diacritics 2 categories 'L* N* Co M*'";
/** At most this many words of the index are stemmed to find one query word's forms. */
const STEM_CANDIDATES = 5000;
/** At most this many forms of one word are searched for (the commonest first). */
const STEM_FORMS = 64;

const codeOf = (e: unknown): string => String((e as { code?: unknown } | null)?.code ?? '');

/** A file that is not a readable index of this version: rebuilding it is the only way on. */
export function isDamaged(e: unknown): boolean {
  const code = codeOf(e);
  return code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB' || code === 'POPBOX_INDEX_VERSION';
}

/** Why the index could not be opened or written, in words a user can act on. */
export function indexFailureReason(e: unknown): string {
  const code = codeOf(e);
  if (code.startsWith('SQLITE_FULL') || code === 'ENOSPC') return 'the disk is full';
  // Busy, not "another program": the other writer is most often Popbox's own parse worker.
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) return 'the index file is busy';
  if (code.startsWith('SQLITE_READONLY') || code === 'EACCES' || code === 'EPERM' || code === 'EROFS') return 'the index file cannot be written (read-only)';
  if (code.startsWith('SQLITE_IOERR') || code === 'EIO') return 'the disk could not be read or written';
  if (isDamaged(e)) return 'the index file is damaged; it is being rebuilt';
  return e instanceof Error ? e.message : String(e);
}

export interface IndexDoc {
  id: string;
  partial: boolean;
  sender: string;
  recipients: string;
  subject: string;
  body: string;
  files: string;
}

/** A message's document: header fields from its summary, body and attachment names from its text. */
export function documentOf(id: string, partial: boolean, s: MessageSummary, text: IndexedText): IndexDoc {
  const names = (list: readonly { name: string; address: string }[]): string => list.map((a) => `${a.name} ${a.address}`).join('\n');
  return { id, partial, sender: names(s.from), recipients: names([...s.to, ...s.cc]), subject: s.subject, body: text.body, files: text.files };
}

type Db = Database.Database;

let driver: typeof Database | null = null;
/**
 * better-sqlite3, loaded at the first connection, not with this module: every parse worker loads
 * this module (index-writer.ts), and one never given an index target (no index open, the CLI's
 * sync without search) would pay 13–18 ms CPU at each start for a native module it never uses.
 */
function sqlite(): typeof Database {
  return (driver ??= createRequire(import.meta.url)('better-sqlite3') as typeof Database);
}

/** The statements both writers (main's IndexDb, a parse worker's IndexAppender) write with. */
function writeStatements(db: Db) {
  return {
    rowidOf: db.prepare('SELECT rowid FROM docs WHERE id = ?').pluck(),
    insertDoc: db.prepare('INSERT INTO docs(id, partial) VALUES (?, ?)'),
    insertText: db.prepare('INSERT INTO fts(rowid, sender, recipients, subject, body, files) VALUES (?, ?, ?, ?, ?, ?)'),
    deleteDoc: db.prepare('DELETE FROM docs WHERE rowid = ?'),
    deleteText: db.prepare('DELETE FROM fts WHERE rowid = ?'),
  };
}
type WriteStatements = ReturnType<typeof writeStatements>;

/**
 * Removes the id's rows, found in the file itself (not in a map: the other writer may have
 * replaced them since), inside the caller's transaction. The rowid removed, if any.
 */
function deleteRows(st: WriteStatements, id: string): number | undefined {
  const rowid = st.rowidOf.get(id) as number | undefined;
  if (rowid === undefined) return undefined;
  st.deleteText.run(rowid);
  st.deleteDoc.run(rowid);
  return rowid;
}

/** Inserts one document inside the caller's transaction; its new rowid. */
function insertRows(st: WriteStatements, d: IndexDoc): number {
  const rowid = Number(st.insertDoc.run(d.id, d.partial ? 1 : 0).lastInsertRowid);
  // Scripts without spaces are cut into characters (segment.ts); other text goes in unchanged.
  const seg = segmentForIndex;
  st.insertText.run(rowid, seg(d.sender), seg(d.recipients), seg(d.subject), seg(d.body), seg(d.files));
  return rowid;
}

/** Opens the file's connection with the pragmas both writers use (WAL, NORMAL). */
function connect(file: string, fileMustExist: boolean): Db {
  // Another program holding the file's write lock (a backup tool, an sqlite3 shell, the other
  // writer) is waited for this long; past it the write fails with SQLITE_BUSY and is tried again
  // later (search-index.ts), so a held lock can never freeze the window for long.
  const Sqlite = sqlite();
  const db = new Sqlite(file, { timeout: BUSY_TIMEOUT_MS, fileMustExist });
  try {
    // Takes effect only on a new, empty file; first, before WAL mode writes the header.
    if (!fileMustExist) db.pragma(`page_size = ${PAGE_SIZE}`);
    db.pragma('journal_mode = WAL');
    // NORMAL in WAL mode: a power cut may lose the last batches, never the file's consistency;
    // the next open indexes what is missing (derived data: no fsync per batch needed).
    db.pragma('synchronous = NORMAL');
    return db;
  } catch (e) {
    db.close();
    throw e;
  }
}

/** Column order of `fts` (bm25 weights follow it). */
export const COLUMNS = ['sender', 'recipients', 'subject', 'body', 'files'] as const;
/** A word in the subject or the sender counts four times one in the body. */
const WEIGHTS = [4, 2, 4, 1, 2];

export class IndexDb {
  private readonly db: Database.Database;
  private readonly rowOf = new Map<string, number>();
  private readonly idOf = new Map<number, string>();
  private readonly partialOf = new Map<string, boolean>();
  private readonly stmts;
  private readonly writes: WriteStatements;
  private stemStmts: ReturnType<IndexDb['prepareStemming']> | null = null;

  private constructor(db: Database.Database) {
    this.db = db;
    this.writes = writeStatements(db);
    this.stmts = {
      docOf: db.prepare('SELECT rowid, partial FROM docs WHERE id = ?').raw(),
      relabel: db.prepare('UPDATE docs SET partial = 1 WHERE id = ?'),
      match: db.prepare('SELECT rowid FROM fts WHERE fts MATCH ?').raw().pluck(),
      ranked: db.prepare(`SELECT rowid, bm25(fts, ${WEIGHTS.join(', ')}) FROM fts WHERE fts MATCH ?`).raw(),
    };
    for (const [rowid, id, partial] of db.prepare('SELECT rowid, id, partial FROM docs').raw().iterate() as IterableIterator<[number, string, number]>) {
      this.rowOf.set(id, rowid);
      this.idOf.set(rowid, id);
      this.partialOf.set(id, partial === 1);
    }
  }

  /**
   * Opens (or makes) the index file. A file that is not a readable index of this version (torn,
   * corrupt, from another version) is removed and started anew: `fresh` says so, and the
   * caller indexes everything again.
   */
  static open(file: string): { db: IndexDb; fresh: boolean } {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    try {
      return IndexDb.openAs(file);
    } catch (e) {
      // Only a damaged or foreign file is thrown away: a full disk, an I/O error or a file locked
      // by another program is thrown to the caller, who tries again later. (Removing a file
      // another process has open under its feet would damage it for that process.)
      if (!isDamaged(e)) throw e;
      return IndexDb.recreate(file);
    }
  }

  /** Removes the index file (found damaged while writing) and makes an empty one. */
  static recreate(file: string): { db: IndexDb; fresh: boolean } {
    for (const f of [file, `${file}-wal`, `${file}-shm`]) fs.rmSync(f, { force: true });
    return IndexDb.openAs(file);
  }

  private static openAs(file: string): { db: IndexDb; fresh: boolean } {
    const db = connect(file, false);
    try {
      const version = db.pragma('user_version', { simple: true }) as number;
      let fresh = false;
      if (version !== SCHEMA_VERSION) {
        if (version !== 0) throw Object.assign(new Error(`search index version ${version}`), { code: 'POPBOX_INDEX_VERSION' });
        db.exec(`
          CREATE TABLE docs(rowid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, partial INTEGER NOT NULL);
          CREATE VIRTUAL TABLE fts USING fts5(${COLUMNS.join(', ')}, content='', contentless_delete=1,
            tokenize="${TOKENIZER}", prefix='${PREFIXES}');
          PRAGMA user_version = ${SCHEMA_VERSION};
        `);
        fresh = true;
      } else {
        // A quick look that the file is whole: a corrupt one throws here, not in the middle of a search.
        db.prepare('SELECT count(*) FROM docs').get();
        db.prepare("SELECT rowid FROM fts WHERE fts MATCH 'popbox' LIMIT 1").all();
      }
      return { db: new IndexDb(db), fresh };
    } catch (e) {
      db.close();
      throw e;
    }
  }

  get size(): number {
    return this.rowOf.size;
  }

  has(id: string): boolean {
    return this.rowOf.has(id);
  }

  /** Whether the message was headers-only when indexed; undefined when not indexed. */
  indexedPartial(id: string): boolean | undefined {
    return this.partialOf.get(id);
  }

  ids(): IterableIterator<string> {
    return this.rowOf.keys();
  }

  rowid(id: string): number | undefined {
    return this.rowOf.get(id);
  }

  idAt(rowid: number): string | undefined {
    return this.idOf.get(rowid);
  }

  /**
   * Adds (or replaces) documents, removes ids and writes adopted rows' headers-only mark
   * (`relabel`, adopt()), all in one transaction.
   */
  write(add: readonly IndexDoc[], remove: readonly string[], relabel: readonly string[] = []): void {
    const run = this.db.transaction(() => {
      const gone: [string, number][] = [];
      for (const id of [...remove, ...add.map((d) => d.id)]) {
        const rowid = deleteRows(this.writes, id);
        if (rowid !== undefined) gone.push([id, rowid]);
      }
      for (const id of relabel) this.stmts.relabel.run(id);
      return { gone, added: add.map((d): [string, number, boolean] => [d.id, insertRows(this.writes, d), d.partial]) };
    });
    // IMMEDIATE: the write lock is taken (or waited for) at BEGIN. A deferred transaction that
    // reads first fails at once with SQLITE_BUSY, without waiting, when the other writer (a parse
    // worker: IndexAppender) committed after its read began.
    const { gone, added } = run.immediate();
    // The maps follow only once the transaction is committed.
    for (const [id, rowid] of gone) this.forget(id, rowid);
    for (const id of remove) this.forget(id, this.rowOf.get(id));
    for (const [id, rowid, partial] of added) this.remember(id, rowid, partial);
  }

  /**
   * The document a parse worker wrote for `id` (IndexAppender) becomes known here, looked up in
   * the file by id: false when the file holds none as the journal has the message (never written,
   * removed since, a file made anew after damage), and the caller indexes the message itself. A
   * row written as a whole message for one the journal has as headers-only (its headers were
   * handed to the worker as bytes: a whole file, as far as the worker could tell) holds exactly
   * what the file holds: it is adopted as headers-only, and `relabel` is true (write it so: write()'s
   * `relabel`, until then the next open indexes it again).
   */
  adopt(id: string, partial: boolean): { relabel: boolean } | false {
    const row = this.stmts.docOf.get(id) as [number, number] | undefined;
    if (!row) return false;
    const [rowid, wasPartial] = row;
    // A whole message's row for a headers-only file is only relabelled, never the other way round
    // (a headers-only row does not hold the rest's words).
    if (wasPartial !== (partial ? 1 : 0) && !(partial && wasPartial === 0)) return false;
    this.forget(id, this.rowOf.get(id));
    this.remember(id, rowid, partial);
    return { relabel: wasPartial !== (partial ? 1 : 0) };
  }

  private forget(id: string, rowid: number | undefined): void {
    if (rowid !== undefined && this.idOf.get(rowid) === id) this.idOf.delete(rowid);
    if (this.rowOf.get(id) === rowid || rowid === undefined) {
      this.rowOf.delete(id);
      this.partialOf.delete(id);
    }
  }

  private remember(id: string, rowid: number, partial: boolean): void {
    const old = this.rowOf.get(id);
    if (old !== undefined && this.idOf.get(old) === id) this.idOf.delete(old);
    this.rowOf.set(id, rowid);
    this.idOf.set(rowid, id);
    this.partialOf.set(id, partial);
  }

  /** Rowids matching an FTS5 expression. */
  match(expression: string): number[] {
    return this.stmts.match.all(expression) as number[];
  }

  /** Rowids with their bm25 score (lower is better). */
  ranked(expression: string): [number, number][] {
    return this.stmts.ranked.all(expression) as [number, number][];
  }

  /**
   * The words in the index with the same English stem as `word` (Porter, FTS5's own `porter`
   * tokenizer; notmuch uses Xapian's Snowball English, the same for nearly all words), `word`
   * itself first. The index keeps words unstemmed, so phrases, prefixes, from: and subject: stay
   * exact as in notmuch, and stemming costs no index space and no rebuild: the index's words
   * near the stem are listed (fts5vocab) and stemmed in a scratch table in memory.
   */
  variants(word: string): string[] {
    const st = (this.stemStmts ??= this.prepareStemming());
    const stemOf = (ws: readonly string[]): Map<number, string> => {
      st.clear.run();
      ws.forEach((w, i) => st.put.run(i + 1, w));
      return new Map(st.stems.all() as [number, string][]);
    };
    const stem = stemOf([word]).get(1);
    if (stem === undefined) return [word];
    // Porter changes at most the stem's last letter (happy → happi, sensibility → sensibl): the
    // forms all start with the stem less that letter.
    const lead = stem.length >= 4 || stem.endsWith('i') ? stem.slice(0, -1) : stem;
    if (lead.length === 0) return [word];
    const candidates = st.near.all(lead, `${lead}\u{10FFFF}`, STEM_CANDIDATES) as [string, number][];
    const stems = stemOf(candidates.map(([t]) => t));
    const forms = candidates
      .filter(([t], i) => t !== word && stems.get(i + 1) === stem)
      .sort((a, b) => b[1] - a[1])
      .slice(0, STEM_FORMS - 1)
      .map(([t]) => t);
    return [word, ...forms];
  }

  private prepareStemming() {
    // temp: in memory, never written to the index file.
    this.db.exec(`
      CREATE VIRTUAL TABLE IF NOT EXISTS temp.fts_words USING fts5vocab(main, fts, row);
      CREATE VIRTUAL TABLE IF NOT EXISTS temp.stemmer USING fts5(w, tokenize="porter ${TOKENIZER}");
      CREATE VIRTUAL TABLE IF NOT EXISTS temp.stemmer_words USING fts5vocab(temp, stemmer, instance);
    `);
    return {
      near: this.db.prepare('SELECT term, doc FROM temp.fts_words WHERE term >= ? AND term < ? LIMIT ?').raw(),
      clear: this.db.prepare('DELETE FROM temp.stemmer'),
      put: this.db.prepare('INSERT INTO temp.stemmer(rowid, w) VALUES (?, ?)'),
      stems: this.db.prepare('SELECT doc, term FROM temp.stemmer_words').raw(),
    };
  }

  /** Merges the index's segments (after a rebuild): smaller file, quicker queries. */
  optimize(): void {
    this.db.exec("INSERT INTO fts(fts) VALUES('optimize')");
    this.db.pragma('wal_checkpoint(TRUNCATE)');
  }

  close(): void {
    try {
      this.db.pragma('wal_checkpoint(TRUNCATE)');
    } catch {
      // closing anyway
    }
    this.db.close();
  }
}

/**
 * A second writer of an existing index file, for a parse worker (issue 18): it writes the text it
 * parsed itself (once its sync's parses are answered: index-writer.ts), so the text never crosses back to main's thread and main's thread never runs
 * FTS5's tokenizer for a sync's new mail. It never makes, empties or rebuilds a file (main's
 * IndexDb alone does): a file missing, of another version, or made anew since it was opened (a
 * rebuild after damage) is reopened or refused, and then main indexes those messages as before.
 * SQLite lets one writer at a time in (WAL): each side waits for the other's short transaction.
 */
export class IndexAppender {
  private readonly writes: WriteStatements;
  private readonly partialOf: Database.Statement;

  private constructor(
    private readonly db: Db,
    /** The file this connection has open (a rebuild replaces the file under the same name). */
    private readonly ino: number,
  ) {
    this.writes = writeStatements(db);
    this.partialOf = db.prepare('SELECT partial FROM docs WHERE id = ?').pluck();
  }

  /** Opens `file` to add documents; throws when it is not an index of this version. */
  static open(file: string): IndexAppender {
    const db = connect(file, true);
    try {
      const version = db.pragma('user_version', { simple: true }) as number;
      if (version !== SCHEMA_VERSION) throw Object.assign(new Error(`search index version ${version}`), { code: 'POPBOX_INDEX_VERSION' });
      return new IndexAppender(db, fs.statSync(file).ino);
    } catch (e) {
      db.close();
      throw e;
    }
  }

  /** Whether `file` is still the one this connection has open. */
  current(file: string): boolean {
    try {
      return fs.statSync(file).ino === this.ino;
    } catch {
      return false;
    }
  }

  /**
   * Adds the documents in one transaction. One whose message the file already holds as the same
   * (whole or headers-only) is left as it is: main's index wrote it meanwhile (a search that could
   * not wait), and replacing it would give it a rowid main does not know.
   */
  append(docs: readonly IndexDoc[]): void {
    // IMMEDIATE, as IndexDb.write: waits for main's transaction instead of failing after it.
    this.db
      .transaction(() => {
        for (const d of docs) {
          const was = this.partialOf.get(d.id) as number | undefined;
          if (was === (d.partial ? 1 : 0)) continue;
          deleteRows(this.writes, d.id);
          insertRows(this.writes, d);
        }
      })
      .immediate();
  }

  close(): void {
    this.db.close();
  }
}
