/**
 * Full-text search over every stored message (issue 17 §1–2).
 *
 * The index follows the journal, not the other way round: it reads the journal's changes after
 * its own cursor (adds and removes, and a headers-only message whose rest arrived), so whatever
 * writes the journal (sync, reconcile after a crash, drafts, sent mail, copies) is indexed without
 * being told. Folders, flags, dates, sizes and accounts are not in the index at all: they are
 * read from the journal's records when a search runs, so a move or a flag change is searchable
 * the moment it is journaled and can never disagree with the list.
 *
 * A message a sync brings in is mostly indexed by the parse worker that parsed its file: while
 * this index is open, the worker keeps the text and writes the rows itself once its sync's parses
 * are answered (index-writer.ts, its own connection to the file; issue 18: not on the download's
 * CPU). The message is journaled before that as owed (ingest/text-cache.ts); once the pool says
 * its workers' writes are done, this index adopts each owed row it finds in the file by id, and
 * indexes the others itself. A search by words waits for that first (at most SEARCH_WAIT_MS), so
 * a search right after a sync finds every new message. Rows of messages the journal never got (a kill between
 * the two) are never results (results come from the journal) and are dropped at the next open,
 * with every id the journal lacks; a journaled message a kill left without its row is indexed then.
 *
 * Otherwise indexing takes each new message's text (text parts, HTML as text, attachment names;
 * the header fields come from the summary) from ingest's parse, which read the file once off
 * main's thread (ingest/text-cache.ts), or reads the file itself where that text is not at hand;
 * in batches in the background, never on a download's path; the index file is derived data
 * (index-db.ts): missing or corrupt, it is rebuilt from the
 * Maildir while searches answer from what is indexed so far and say so. Body text is never
 * written to the journal.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { MessageRecord } from '../../../shared/changes.js';
import { INBOX, pathOf, roleKey } from '../../../shared/folders.js';
import type { FolderInfo } from '../../../shared/folders.js';
import { SEARCH_SNIPPETS_MAX, type SearchInput, type SearchResult } from '../../../shared/search.js';
import type { TextCache } from '../ingest/text-cache.js';
import type { Journal } from '../store/journal.js';
import { extractText, type IndexedText } from './extract.js';
import { ftsExpression } from './fts-query.js';
import { documentOf, IndexDb, indexFailureReason, isDamaged, type IndexDoc } from './index-db.js';
import { parseQuery, type Clause, type Item } from './query.js';
import { snippetAround } from './snippet.js';

/** Messages read and written per transaction while indexing. */
const BATCH = 64;
/** Files read at once while indexing. */
const READ_AHEAD = 4;
/** Up to this many text matches are ranked by relevance; beyond, newest first (a word in most of the mail says little). */
export const RANK_MAX = 2000;
/** Results that get a snippet around their match (the rows a list shows first). */
const SNIPPETS = Math.min(25, SEARCH_SNIPPETS_MAX);
const DEFAULT_LIMIT = 1000;
/** After a failed write (full disk, I/O error, file locked): first retry, doubling up to the max. */
const RETRY_FIRST_MS = 1000;
const RETRY_MAX_MS = 60_000;
/** How long idle() (the CLI, the bench) waits for the parse workers' rows before indexing those messages itself. */
const WAIT_MS = 30_000;
/**
 * How long a search with words waits for them. Past it the search answers, saying how many
 * messages are "still being indexed", and those rows stay the worker's: main indexing them too
 * would write them twice, and a late row from the worker would replace main's under a rowid main
 * does not know (that message unfound until the next open).
 */
const SEARCH_WAIT_MS = 5000;

export interface SearchIndexDeps {
  journal: Journal;
  dataDir: string;
  /** The message's file as it is now (a flag change renames it). */
  locate: (id: string) => Promise<string>;
  accounts: () => readonly { id: string; name: string; email?: string | undefined }[];
  /** First wait after a failed index write (tests shorten it); doubles up to a minute. */
  retryMs?: number;
  /** New messages' text from ingest's parse (one read of each file); without it, or on a miss, the file is read here. */
  texts?: TextCache;
}

type Text = Extract<Clause, { t: 'text' }>;

export class SearchIndex {
  private db: IndexDb;
  private cursor: number;
  /** Ids to (re)index, in journal order. */
  private readonly pending = new Set<string>();
  /** Ids whose rows a parse worker writes (index-writer.ts), adopted once it is done: as headers-only or not. */
  private readonly owed = new Map<string, boolean>();
  /** Adopted rows to be marked headers-only in the file at the next write (IndexDb.adopt). */
  private readonly relabel = new Set<string>();
  private watching = false;
  /** Ids gone from the journal that a failed write left in the index (hidden from results meanwhile). */
  private readonly removing = new Set<string>();
  /**
   * Why the last write failed, in words (null once a write succeeds). The index is derived data:
   * a write that fails never reaches the journal's writers or the event loop as an error; the
   * work stays queued, searches answer from what is indexed and say why, and it is tried again
   * after a backoff.
   */
  private failure: string | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private retryDelay: number;
  /** A write found the file damaged: it is made anew (and refilled) before the next batch. */
  private damaged = false;
  private running: Promise<void> | null = null;
  private closed = false;
  private unsubscribe: () => void;
  /** Messages whose rows a parse worker wrote and this index adopted (tests, diagnostics). */
  adopted = 0;
  /** Extracted text of recently shown results, for snippets. */
  private readonly texts = new Map<string, IndexedText>();

  private constructor(
    private readonly deps: SearchIndexDeps,
    db: IndexDb,
  ) {
    this.db = db;
    this.retryDelay = deps.retryMs ?? RETRY_FIRST_MS;
    this.cursor = deps.journal.state;
    this.unsubscribe = deps.journal.onChange(() => this.follow());
    this.reconcile();
    // From here the parse workers write new messages' text into the file themselves (index-writer.ts).
    if (deps.texts) deps.texts.indexFile = SearchIndex.file(deps.dataDir);
  }

  static file(dataDir: string): string {
    return path.join(dataDir, 'search', 'index.sqlite');
  }

  /** Opens the index and starts bringing it up to date with the journal in the background. */
  static open(deps: SearchIndexDeps): SearchIndex {
    const { db } = IndexDb.open(SearchIndex.file(deps.dataDir));
    return new SearchIndex(deps, db);
  }

  /** Messages the journal has that are not searchable yet. */
  get behind(): number {
    return this.pending.size + this.owed.size;
  }

  /** Resolves when everything journaled so far is indexed. */
  async idle(): Promise<void> {
    // Waiting for the index (the CLI) is a reason to try a failed write again now, once: if it
    // fails again, this resolves and the search answers from what is indexed, saying why.
    this.clearRetry();
    this.follow();
    if (this.owed.size) await this.settle({ ms: WAIT_MS, then: 'index' });
    while (this.running) await this.running;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.deps.texts?.indexFile === SearchIndex.file(this.deps.dataDir)) this.deps.texts.indexFile = null;
    this.unsubscribe();
    this.clearRetry();
    while (this.running) await this.running.catch(() => {});
    this.db.close();
  }

  /** The index made to agree with the journal: what is missing queued, what is gone removed. */
  private reconcile(): void {
    const { journal } = this.deps;
    for (const id of this.db.ids()) if (!journal.get(id)) this.removing.add(id);
    for (const m of journal.all()) {
      if (this.db.indexedPartial(m.id) !== m.partial) this.pending.add(m.id);
    }
    this.kick();
  }

  /**
   * Reads the journal's changes after the cursor. Called by the journal after each append: it
   * must never throw there (the append is durable; an error would fail the mail operation).
   */
  private follow(): void {
    if (this.closed) return;
    try {
      this.followNow();
    } catch (e) {
      this.failed(e);
    }
  }

  private followNow(): void {
    const { journal } = this.deps;
    const changes = journal.changesSince(this.cursor);
    if ('cannotCalculate' in changes) {
      this.cursor = changes.state;
      this.reconcile();
      return;
    }
    const removed: string[] = [];
    for (const c of changes.changes) {
      if (c.t === 'add' || c.t === 'partial') {
        const id = c.t === 'add' ? c.m.id : c.id;
        this.removing.delete(id);
        this.times.delete(id);
        // Its row is written by the worker that parsed it, once its sync's parses are answered:
        // adopted then (settle), or indexed here if the file does not hold it.
        if (this.deps.texts?.takeDeferred(id)) {
          this.pending.delete(id);
          this.owed.set(id, c.t === 'add' ? c.m.partial : c.partial);
        } else {
          this.owed.delete(id);
          this.pending.add(id);
        }
      } else if (c.t === 'remove') {
        this.pending.delete(c.id);
        this.owed.delete(c.id);
        this.relabel.delete(c.id);
        this.times.delete(c.id);
        this.deps.texts?.drop(c.id);
        if (this.db.has(c.id)) removed.push(c.id);
      }
    }
    this.cursor = changes.state;
    // Removals are written by the background batch like adds, never here inside the journal's
    // append (an Empty Trash of thousands paid an FTS write in it). Searches hide them at once
    // meanwhile: a result must have a journal record.
    for (const id of removed) this.removing.add(id);
    this.kick();
    this.watchOwed();
  }

  /**
   * Adopts the rows owed so far once the parse workers have written them: `now` asks them to
   * write at once and waits at most `now.ms` (a search, idle()); otherwise they write at their
   * sync's end or when idle. Each owed row the file holds as the journal has the message is
   * adopted; the others are indexed here once the workers are done (they gave those up), or past
   * the wait when `now.then` says so (idle()); else they stay owed (watchOwed). Never rejects.
   */
  private async settle(now?: { ms: number; then: 'index' | 'wait' }): Promise<void> {
    const ids = [...this.owed.keys()];
    let timer: NodeJS.Timeout | undefined;
    const written = this.deps.texts?.written(now !== undefined) ?? Promise.resolve();
    const late = now ? await Promise.race([written.then(() => false), new Promise<true>((r) => (timer = setTimeout(r, now.ms, true)))]).finally(() => clearTimeout(timer)) : (await written, false);
    if (this.closed) return;
    for (const id of ids) {
      const partial = this.owed.get(id);
      if (partial === undefined) continue; // removed, or settled by another call meanwhile
      const adopted = this.adopt(id, partial);
      if (!adopted && late && now?.then === 'wait') continue;
      this.owed.delete(id);
      if (!adopted) this.pending.add(id);
      else {
        this.adopted++;
        if (adopted.relabel) this.relabel.add(id);
      }
    }
    this.kick();
  }

  /** Owed rows are adopted in the background as the workers write them (one wait at a time). */
  private watchOwed(): void {
    if (this.watching || this.closed || this.owed.size === 0) return;
    this.watching = true;
    void this.settle().finally(() => {
      this.watching = false;
      this.watchOwed();
    });
  }

  /** adopt() of the file; a file that cannot be read now leaves the message to be indexed here. */
  private adopt(id: string, partial: boolean): { relabel: boolean } | false {
    try {
      return this.db.adopt(id, partial);
    } catch {
      return false;
    }
  }

  /**
   * Writes one batch plus every removal still owed, in one transaction. On failure nothing is
   * lost: the batch's ids go back to the queue, the removals stay owed, and a retry is planned.
   */
  private store(add: readonly IndexDoc[]): boolean {
    const adding = new Set(add.map((d) => d.id));
    // An id both removed and added is replaced by the write anyway (it deletes before adding).
    const remove = [...this.removing].filter((id) => !adding.has(id));
    const relabel = [...this.relabel].filter((id) => !adding.has(id));
    try {
      this.db.write(add, remove, relabel);
    } catch (e) {
      for (const id of adding) this.pending.add(id);
      this.failed(e);
      return false;
    }
    for (const id of remove) this.removing.delete(id);
    for (const id of adding) this.removing.delete(id);
    for (const id of [...relabel, ...adding]) this.relabel.delete(id);
    this.failure = null;
    this.retryDelay = this.deps.retryMs ?? RETRY_FIRST_MS;
    return true;
  }

  /** Remembers why the index could not be written and plans the next try (with a growing wait). */
  private failed(e: unknown): void {
    this.failure = indexFailureReason(e);
    if (isDamaged(e)) this.damaged = true;
    if (this.closed || this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.kick();
    }, this.retryDelay);
    // A retry alone never keeps the process (a CLI run, a test) alive.
    this.retryTimer.unref();
    this.retryDelay = Math.min(this.retryDelay * 2, RETRY_MAX_MS);
  }

  private clearRetry(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }

  private kick(): void {
    if (this.running || this.closed || this.retryTimer) return;
    if (this.pending.size === 0 && this.removing.size === 0 && this.relabel.size === 0 && !this.damaged) return;
    // drain never rejects: whatever it throws becomes `failure` and a planned retry.
    this.running = this.drain()
      .catch((e: unknown) => this.failed(e))
      .finally(() => {
        this.running = null;
        if (!this.closed && !this.retryTimer && (this.pending.size > 0 || this.removing.size > 0 || this.relabel.size > 0)) this.kick();
      });
  }

  private async drain(): Promise<void> {
    // Started from the journal's change listener: the first write waits for the next turn.
    await new Promise((r) => setImmediate(r));
    if (this.closed) return;
    if (this.damaged) this.rebuild();
    if ((this.removing.size || this.relabel.size) && !this.store([])) return;
    let wrote = 0;
    while (!this.closed && this.pending.size > 0) {
      const ids = [...this.pending].slice(0, BATCH);
      for (const id of ids) this.pending.delete(id);
      // A few files at a time: reading waits on the disk, parsing on the CPU.
      const docs: IndexDoc[] = [];
      try {
        for (let i = 0; i < ids.length; i += READ_AHEAD) {
          for (const doc of await Promise.all(ids.slice(i, i + READ_AHEAD).map((id) => this.document(id)))) if (doc) docs.push(doc);
        }
      } catch (e) {
        // Not lost: the batch is read again at the retry.
        for (const id of ids) this.pending.add(id);
        throw e;
      }
      // Checked again now, in the same turn as the write: a message removed while its file was
      // read must not come back as a search result.
      const { journal } = this.deps;
      const live = docs.filter((d) => journal.get(d.id) !== undefined);
      if (!this.store(live)) return;
      wrote += live.length;
      // Give the event loop a turn between batches: IPC and downloads go first.
      await new Promise((r) => setImmediate(r));
    }
    // A big rebuild leaves many segments: merged once it is done. Only an optimisation: a full
    // disk here changes nothing a search finds.
    if (wrote > 5000 && !this.closed) {
      try {
        this.db.optimize();
      } catch {
        // merged another time
      }
    }
  }

  /** The file was found damaged while writing: made anew and everything queued again. */
  private rebuild(): void {
    // Closed first: an open file cannot be removed on Windows. A parse worker's connection
    // (index-writer.ts) is closed too once its sync's parses are all answered (parse-worker.ts),
    // so only a rebuild during a sync can still find the file open there; the removal then fails,
    // and the retry comes back here, as when making the new one fails (a full disk). Searches
    // meanwhile fail with an error, never crash.
    try {
      this.db.close();
    } catch {
      // the old handle is dropped either way
    }
    this.db = IndexDb.recreate(SearchIndex.file(this.deps.dataDir)).db;
    this.damaged = false;
    this.removing.clear();
    this.relabel.clear();
    this.owed.clear();
    for (const m of this.deps.journal.all()) this.pending.add(m.id);
  }

  private async document(id: string): Promise<IndexDoc | null> {
    const m = this.deps.journal.get(id);
    if (!m) return null;
    const text = this.deps.texts?.take(id) ?? (await this.readText(id));
    return documentOf(id, m.partial, m.summary, text);
  }

  /** The message's text; a file renamed under the reader (marked read meanwhile) is found again. */
  private async readText(id: string): Promise<IndexedText> {
    for (let attempt = 0; attempt < 3; attempt++) {
      let file: string;
      try {
        file = await this.deps.locate(id);
      } catch {
        return { body: '', files: '' };
      }
      const text = await extractText(file);
      if (text.body || text.files) return text;
      const still = await fs.access(file).then(
        () => true,
        () => false,
      );
      if (still || !this.deps.journal.get(id)) return text;
    }
    return { body: '', files: '' };
  }

  // ---- searching ----

  async search(input: SearchInput): Promise<SearchResult> {
    const parsed = parseQuery(input.query);
    // New mail whose rows a parse worker is writing right now (the end of a sync) is waited for, a
    // little, when words are searched: a search right after a sync finds it. Filters alone are
    // answered from the journal, which has it already.
    if (this.owed.size && parsed.groups.some((g) => g.some((it) => it.clause.t === 'text'))) await this.settle({ ms: SEARCH_WAIT_MS, then: 'wait' });
    this.folderCache.clear();
    this.accountCache.clear();
    const ignored = [...parsed.ignored];
    const { journal } = this.deps;

    // Clauses that name a folder or an account the user does not have are left out, in words.
    const groups: Item[][] = [];
    for (const g of parsed.groups) {
      const kept = g.filter((it) => {
        const c = it.clause;
        if (c.t === 'folder' && this.folderKeys(c.name).size === 0) {
          ignored.push(`in:${c.name} (no folder by that name)`);
          return false;
        }
        if (c.t === 'account' && this.accountIds(c.name).size === 0) {
          ignored.push(`account:${c.name} (no account by that name)`);
          return false;
        }
        return true;
      });
      if (kept.length) groups.push(kept);
    }

    // Groups of plain words and phrases are one FTS5 expression. Groups that only leave words out
    // are one more, run once and only over what the first found ("-a -b" leaves out what has a
    // or b; "-a OR -b" what has both): never a scan of the whole index per negated word. The rest
    // is checked per message.
    const textGroups = groups.filter((g) => g.every((it) => it.clause.t === 'text' && !it.negated));
    const notGroups = groups.filter((g) => g.every((it) => it.clause.t === 'text' && it.negated));
    const otherGroups = groups.filter((g) => !textGroups.includes(g) && !notGroups.includes(g));
    // A stemmed word is searched as its forms found in the index ("meeting" OR "meetings"), and
    // those forms are highlighted (exact words: the renderer marks what matched, no more).
    const formsOf = new Map<string, string[]>();
    const forms = (w: string): string[] => {
      let f = formsOf.get(w);
      if (!f) formsOf.set(w, (f = this.db.variants(w)));
      return f;
    };
    const fx = (c: Text): string => ftsExpression(c, forms);
    const expression = textGroups.map((g) => `(${g.map((it) => fx(it.clause as Text)).join(' OR ')})`).join(' AND ');
    const within = (e: string): string => (expression ? `(${expression}) AND (${e})` : e);
    const notExpression = notGroups.map((g) => `(${g.map((it) => fx(it.clause as Text)).join(' AND ')})`).join(' OR ');
    const excluded = notExpression ? new Set(this.db.match(within(notExpression))) : null;
    // A group mixing words with filters or with negations is two FTS queries at most: any of its
    // words (OR), and all of its negated ones (AND; a message without them all passes).
    const mixed = new Map<Item[], { any: Set<number> | null; all: Set<number> | null }>();
    const fts = async (items: Item[], join: string): Promise<Set<number> | null> => {
      if (items.length === 0) return null;
      // Give the event loop a turn between queries: sync, sending and IPC go first.
      await new Promise((r) => setImmediate(r));
      return new Set(this.db.match(within(items.map((it) => fx(it.clause as Text)).join(join))));
    };
    for (const g of otherGroups) {
      const text = g.filter((it) => it.clause.t === 'text');
      mixed.set(g, { any: await fts(text.filter((it) => !it.negated), ' OR '), all: await fts(text.filter((it) => it.negated), ' AND ') });
    }

    const inScope = this.scope(input, groups);
    const matches = (m: MessageRecord, rowid: number | undefined): boolean =>
      inScope(m) &&
      (excluded === null || rowid === undefined || !excluded.has(rowid)) &&
      otherGroups.every((g) => {
        const { any, all } = mixed.get(g)!;
        if (any && rowid !== undefined && any.has(rowid)) return true;
        if (all && (rowid === undefined || !all.has(rowid))) return true;
        return g.some((it) => it.clause.t !== 'text' && this.test(it.clause, m) !== it.negated);
      });

    // Relevance in bands (bm25 within about a quarter of each other counts as equal), then newest
    // first, as one number per result: band × 10¹³ + time (ms) sorts both at once.
    const found: MessageRecord[] = [];
    const keys: number[] = [];
    const push = (m: MessageRecord, score: number): void => {
      found.push(m);
      keys.push((score < 0 ? Math.round(Math.log(-score) * 4) : 0) * 1e13 + this.timeOf(m));
    };
    if (expression) {
      const rowids = this.db.match(expression);
      const scores = rowids.length <= RANK_MAX ? new Map(this.db.ranked(expression)) : null;
      for (const rowid of rowids) {
        const id = this.db.idAt(rowid);
        const m = id === undefined ? undefined : journal.get(id);
        if (m && matches(m, rowid)) push(m, scores?.get(rowid) ?? 0);
      }
    } else {
      for (const m of journal.all()) if (matches(m, this.db.rowid(m.id))) push(m, 0);
    }
    const ids = topIds(found, keys, input.limit ?? DEFAULT_LIMIT);

    const textUsed = groups.some((g) => g.some((it) => it.clause.t === 'text'));
    const behind = `${this.behind.toLocaleString('en-US')} message${this.behind === 1 ? ' is' : 's are'}`;
    if (textUsed && this.failure) {
      ignored.push(`the search index could not be updated (${this.failure})${this.behind ? `: ${behind} not searched by words yet` : ''}; Popbox tries again`);
    } else if (textUsed && this.behind > 0) {
      ignored.push(`${behind} still being indexed and not searched by words yet`);
    }
    const terms = [...parsed.terms];
    for (const g of groups)
      for (const it of g)
        if (!it.negated && it.clause.t === 'text' && it.clause.stem)
          for (const w of formsOf.get(it.clause.words[0]!) ?? []) if (!terms.some((t) => t.text === w && !t.prefix)) terms.push({ text: w, prefix: false });
    const snippets = terms.length ? await this.snippets(ids.slice(0, SNIPPETS), terms) : [];
    return { ids, total: found.length, terms, understood: parsed.understood, ignored, snippets };
  }

  /** Each message's date in ms (its Date header, else when it was downloaded), parsed once. */
  private readonly times = new Map<string, number>();
  private timeOf(m: MessageRecord): number {
    let t = this.times.get(m.id);
    if (t === undefined) {
      const parsed = m.summary.date ? Date.parse(m.summary.date) : NaN;
      t = Number.isFinite(parsed) ? parsed : m.receivedAt;
      this.times.set(m.id, t);
    }
    return t;
  }

  private async snippets(ids: string[], terms: { text: string; prefix: boolean }[]): Promise<{ id: string; text: string }[]> {
    const text = async (id: string): Promise<IndexedText> => {
      let t = this.texts.get(id);
      if (!t) {
        t = await this.readText(id);
        this.texts.set(id, t);
        if (this.texts.size > 200) this.texts.delete(this.texts.keys().next().value as string);
      }
      return t;
    };
    // A few files at a time, as when indexing: reading waits on the disk.
    const out: { id: string; text: string }[] = [];
    for (let i = 0; i < ids.length; i += READ_AHEAD) {
      const chunk = ids.slice(i, i + READ_AHEAD);
      const bodies = await Promise.all(chunk.map(text));
      chunk.forEach((id, k) => {
        const s = snippetAround(bodies[k]!.body, terms);
        if (s) out.push({ id, text: s });
      });
    }
    return out;
  }

  /** Which folders and accounts a search looks in: Trash and Junk only when asked for, as in Gmail and notmuch. */
  private scope(input: SearchInput, groups: Item[][]): (m: MessageRecord) => boolean {
    const trash = roleKey('trash');
    const junk = roleKey('junk');
    const namesFolder = input.folder !== undefined || groups.some((g) => g.some((it) => (it.clause.t === 'folder' || it.clause.t === 'anywhere') && !it.negated));
    return (m) => {
      if (input.accountId !== undefined && m.accountId !== input.accountId) return false;
      if (input.folder !== undefined && m.folder !== input.folder) return false;
      if (!namesFolder && (m.folder === trash || m.folder === junk)) return false;
      return true;
    };
  }

  private readonly folderCache = new Map<string, Set<string>>();
  /** Folder keys (of any account) a name in:… names: its key or its path, any case ("inbox", "Work/Projects"). */
  private folderKeys(name: string): Set<string> {
    const want = name.toLowerCase().replace(/^\/+|\/+$/g, '');
    const cached = this.folderCache.get(name);
    if (cached) return cached;
    const keys = new Set<string>();
    if (want === 'inbox') keys.add(INBOX);
    for (const { folders } of this.deps.journal.allFolders()) {
      for (const f of folders as FolderInfo[]) {
        if (f.key.toLowerCase() === want || pathOf(f.key).join('/').toLowerCase() === want || f.path.join('/').toLowerCase() === want) keys.add(f.key);
      }
    }
    this.folderCache.set(name, keys);
    return keys;
  }

  private readonly accountCache = new Map<string, Set<string>>();
  /** Account ids an account:… names: by name, address or id, any case. */
  private accountIds(name: string): Set<string> {
    let ids = this.accountCache.get(name);
    if (!ids) {
      const want = name.toLowerCase();
      ids = new Set(this.deps.accounts().filter((a) => a.id.toLowerCase() === want || a.name.toLowerCase() === want || a.email?.toLowerCase() === want).map((a) => a.id));
      this.accountCache.set(name, ids);
    }
    return ids;
  }

  private test(c: Clause, m: MessageRecord): boolean {
    switch (c.t) {
      case 'text':
        return false;
      case 'attachment':
        return m.summary.hasAttachments;
      case 'flag':
        return m.flags[c.flag] === c.value;
      case 'folder':
        return this.folderKeys(c.name).has(m.folder);
      case 'anywhere':
        return true;
      case 'account':
        return this.accountIds(c.name).has(m.accountId);
      case 'date': {
        const t = this.timeOf(m);
        return c.op === 'before' ? t < c.at : t >= c.at;
      }
      case 'size':
        return c.op === 'larger' ? m.summary.size > c.bytes : m.summary.size < c.bytes;
    }
  }
}

/**
 * The ids of the `limit` results with the largest keys, largest first. Only those are sorted with
 * a comparator: at 100,000 results the threshold comes from one numeric sort of the keys.
 */
function topIds(found: readonly MessageRecord[], keys: readonly number[], limit: number): string[] {
  let order = [...found.keys()];
  if (found.length > limit * 2) {
    const sorted = Float64Array.from(keys).sort();
    const threshold = sorted[sorted.length - limit]!;
    order = order.filter((i) => keys[i]! >= threshold);
  }
  order.sort((a, b) => keys[b]! - keys[a]!);
  return order.slice(0, limit).map((i) => found[i]!.id);
}
