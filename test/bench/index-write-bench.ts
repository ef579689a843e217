/**
 * What the search index's writes cost (issue 18): the documents of a sync's new mail written
 * through IndexAppender as a parse worker writes them (index-writer.ts: WRITE_BATCH messages per
 * transaction into the file main's IndexDb made), CPU (user + system) per 1,000 messages.
 *
 * Sets: the POP3 bench's 2,000-message mix (bench-mail.ts 'large'), its 800 'ordinary' mix, the
 * SpamAssassin corpus (the mbox "From " line stripped). Each message's document is made once as
 * the worker makes it (summaryAndText, documentOf) and kept in BENCH_OUT (.bench/index-docs-*.json).
 *
 * Each trial runs in a child process of its own (no heap or page cache of the one before); the
 * variants alternate within each round, and the table gives medians (the machine is shared).
 *
 * Variants change one thing each: the prefix indexes, FTS5's options (pgsz, automerge,
 * crisismerge, usermerge, hashsize, detail, contentless_delete, columnsize), the connection's
 * pragmas, the tokenizer, the messages per transaction. `--queries` weighs the prefix indexes'
 * other side: what typing costs, and the search tests' other kinds of queries.
 *
 *   npx tsx test/bench/index-write-bench.ts [variant…]     (the first named is the baseline)
 *   npx tsx test/bench/index-write-bench.ts --queries [variant…]
 * Environment: BENCH_INDEX_SETS=mix,sa,ordinary  BENCH_INDEX_RUNS=5  BENCH_INDEX_PRELOAD=N (write
 * the set N times first, untimed: an index that already holds mail), BENCH_INDEX_VERBOSE=1 (each
 * trial), BENCH_INDEX_COPIES=N (--queries: the corpus written N times, 16: ~97,000 messages; 2:
 * ~12,000), BENCH_OUT=dir.
 */
import Database from 'better-sqlite3';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { summaryAndText } from '../../electron/core/ingest/summary-text.js';
import { documentOf, IndexAppender, IndexDb, type IndexDoc } from '../../electron/core/search/index-db.js';
import { WRITE_BATCH } from '../../electron/core/search/index-writer.js';
import { segmentForIndex } from '../../electron/core/search/segment.js';
import { ftsExpression } from '../../electron/core/search/fts-query.js';
import { parseQuery, type Clause } from '../../electron/core/search/query.js';
import { RANK_MAX } from '../../electron/core/search/search-index.js';
import { benchMailbox } from './bench-mail.js';
import { CORPUS_GROUPS, corpusFileSync, corpusNames } from '../support/spam-corpus.js';

const out = path.resolve(process.env.BENCH_OUT ?? '.bench');
const self = fileURLToPath(import.meta.url);

type SetName = 'mix' | 'sa' | 'ordinary';

/** One thing changed from the file and connection index-db.ts makes. */
interface Variant {
  /** Replaces the fts table's prefix option (default: what index-db.ts writes). */
  ftsOptions?: string;
  /** FTS5 configuration written into the new file (INSERT INTO fts(fts, rank) VALUES(k, v)). */
  config?: Record<string, number>;
  /** Pragmas on the appender's connection after IndexAppender.open. */
  pragmas?: string[];
  /** Replaces the tokenizer's arguments. */
  tokenize?: string;
  /** Messages per transaction instead of WRITE_BATCH. */
  batch?: number;
  /** Other option text replaced in the fts table's definition ([from, to], e.g. contentless_delete). */
  replace?: [string, string][];
  /** Why the variant cannot simply be taken (it changes what is found). */
  note?: string;
}

const VARIANTS: Record<string, Variant> = {
  base: {},
  'prefix 2 3': { ftsOptions: "prefix='2 3'" },
  'prefix 3': { ftsOptions: "prefix='3'" },
  'prefix 2': { ftsOptions: "prefix='2'" },
  'no prefix': { ftsOptions: '' },
  'detail=column': { ftsOptions: "prefix='2 3', detail=column", note: 'alters results: no phrases' },
  'detail=none': { ftsOptions: "prefix='2 3', detail=none", note: 'alters results: no phrases, no from:/subject:' },
  'contentless_delete=0': { replace: [['contentless_delete=1', 'contentless_delete=0']], note: 'alters results: rows cannot be deleted' },
  'columnsize=0': { replace: [['contentless_delete=1', 'contentless_delete=0, columnsize=0']], note: 'alters results: rows cannot be deleted, ranking' },
  'tokenizer ascii': { tokenize: 'ascii', note: 'alters results: ASCII words only' },
  'batch 64': { batch: 64 },
  'batch 1024': { batch: 1024 },
  'pgsz 16000': { config: { pgsz: 16000 } },
  'pgsz 8000': { config: { pgsz: 8000 } },
  'automerge 0': { config: { automerge: 0 } },
  'automerge 8': { config: { automerge: 8 } },
  'automerge 16': { config: { automerge: 16 } },
  'crisismerge 64': { config: { crisismerge: 64 } },
  'usermerge 16': { config: { usermerge: 16 } },
  'hashsize 8M': { config: { hashsize: 8 * 1024 * 1024 } },
  'hashsize 32M': { config: { hashsize: 32 * 1024 * 1024 } },
  'sync off': { pragmas: ['synchronous = OFF'] },
  'cache 64M': { pragmas: ['cache_size = -65536'] },
  'temp memory': { pragmas: ['temp_store = MEMORY'] },
  'autocheckpoint 10k': { pragmas: ['wal_autocheckpoint = 10000'] },
  'journal memory': { pragmas: ['journal_mode = DELETE', 'journal_mode = MEMORY'], note: 'no WAL: readers blocked' },
};

// ---------------------------------------------------------------- documents

async function docOf(i: number, bytes: Buffer): Promise<IndexDoc> {
  const { summary, text } = await summaryAndText(bytes);
  return documentOf(`m${i}`, false, summary, text);
}

/** The set's documents, made once and kept in BENCH_OUT. */
async function documents(set: SetName): Promise<IndexDoc[]> {
  const file = path.join(out, `index-docs-${set}.json`);
  if (fs.existsSync(file)) return JSON.parse(fs.readFileSync(file, 'utf8')) as IndexDoc[];
  const docs: IndexDoc[] = [];
  if (set === 'sa') {
    for (const group of CORPUS_GROUPS) for (const n of await corpusNames(group)) docs.push(await docOf(docs.length, corpusFileSync(path.join(group, n))));
  } else {
    const mail = set === 'mix' ? benchMailbox('large', 2000) : benchMailbox('ordinary', 800);
    for (const [i, bytes] of mail.entries()) docs.push(await docOf(i, bytes));
  }
  fs.mkdirSync(out, { recursive: true });
  fs.writeFileSync(file, JSON.stringify(docs));
  return docs;
}

// ---------------------------------------------------------------- one trial (child process)

/** The index file for a variant: main's IndexDb makes it, then the variant's schema or config. */
function makeFile(file: string, v: Variant): void {
  IndexDb.open(file).db.close();
  if (v.ftsOptions === undefined && v.tokenize === undefined && !v.config && !v.replace) return;
  const db = new Database(file);
  const sql = db.prepare("SELECT sql FROM sqlite_schema WHERE name = 'fts'").pluck().get() as string;
  let replaced = sql;
  if (v.ftsOptions !== undefined) replaced = replaced.replace(/,\s*prefix='[^']*'/, v.ftsOptions ? `, ${v.ftsOptions}` : '');
  if (v.tokenize !== undefined) replaced = replaced.replace(/tokenize="[^"]*"/, `tokenize="${v.tokenize}"`);
  for (const [from, to] of v.replace ?? []) {
    if (!replaced.includes(from)) throw new Error(`the fts table has no ${from}: ${sql}`);
    replaced = replaced.replace(from, to);
  }
  if (!/prefix='/.test(sql)) throw new Error(`the fts table's options changed: ${sql}`);
  if (replaced !== sql) db.exec(`DROP TABLE fts; ${replaced};`);
  for (const [k, val] of Object.entries(v.config ?? {})) db.exec(`INSERT INTO fts(fts, rank) VALUES('${k}', ${val})`);
  db.close();
}

/** The fts table's CREATE statement in `file`. */
function ftsSql(file: string): string {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare("SELECT sql FROM sqlite_schema WHERE name = 'fts'").pluck().get() as string;
  } finally {
    db.close();
  }
}

/** The fts table's CREATE statement a variant's file gets today (made in a scratch file). */
function ftsSqlOf(v: Variant): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'popbox-index-schema-'));
  try {
    makeFile(path.join(dir, 'schema.sqlite'), v);
    return ftsSql(path.join(dir, 'schema.sqlite'));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

interface Trial {
  cpuMs: number;
  wallMs: number;
  /** Bytes the writes handed to the kernel (/proc/self/io wchar): WAL frames and checkpoints. */
  written: number;
  bytes: number;
  segments: number;
  /** Median ms of a few typed prefixes and words on the result. */
  prefixMs: number;
  prefixEach: Record<string, number>;
  wordMs: number;
}

function trial(name: string, set: SetName, preload: number): Trial {
  const v = VARIANTS[name];
  if (!v) throw new Error(`no variant ${name}`);
  const docs = JSON.parse(fs.readFileSync(path.join(out, `index-docs-${set}.json`), 'utf8')) as IndexDoc[];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'popbox-index-write-'));
  try {
    const file = path.join(dir, 'index.sqlite');
    makeFile(file, v);
    const app = IndexAppender.open(file);
    for (const p of v.pragmas ?? []) (app as unknown as { db: Database.Database }).db.pragma(p);
    const write = (prefix: string): void => {
      const batch = docs.map((d) => ({ ...d, id: `${prefix}${d.id}` }));
      const n = v.batch ?? WRITE_BATCH;
      for (let i = 0; i < batch.length; i += n) app.append(batch.slice(i, i + n));
    };
    for (let k = 0; k < preload; k++) write(`p${k}-`);
    global.gc?.();
    const wchar = (): number => Number(/wchar: (\d+)/.exec(fs.readFileSync('/proc/self/io', 'utf8'))?.[1] ?? NaN);
    const w0 = wchar();
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    write('');
    const wallMs = performance.now() - t0;
    const c = process.cpuUsage(c0);
    const written = wchar() - w0;
    app.close();
    const db = new Database(file, { readonly: true });
    const segments = db.prepare('SELECT count(DISTINCT segid) FROM fts_idx').pluck().get() as number;
    const time = (q: string): number => {
      const st = db.prepare('SELECT rowid FROM fts WHERE fts MATCH ?').pluck();
      st.all(q);
      const ts: number[] = [];
      for (let r = 0; r < 5; r++) {
        const t = performance.now();
        st.all(q);
        ts.push(performance.now() - t);
      }
      return median(ts);
    };
    const prefixes = ['"me" *', '"pr" *', '"co" *', '"th" *', '"wi" *', '"bud" *', '"mee" *', '"con" *', '"meet" *'];
    const prefixEach = prefixes.map(time);
    const prefixMs = median(prefixEach);
    const wordMs = median(['"meeting"', '"budget"', '"the"', '"review" AND "schedule"'].map(time));
    db.close();
    const bytes = fs.readdirSync(dir).reduce((n, f) => n + fs.statSync(path.join(dir, f)).size, 0);
    return { cpuMs: (c.user + c.system) / 1000, wallMs, written, bytes, segments, prefixMs, wordMs, prefixEach: Object.fromEntries(prefixes.map((q, i) => [q, Number(prefixEach[i]!.toFixed(2))])) };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------- the parent

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s[(s.length - 1) >> 1]! + s[s.length >> 1]!) / 2 : NaN;
};

function runChild(name: string, set: SetName, preload: number): Trial {
  const r = spawnSync(process.execPath, [...process.execArgv, '--expose-gc', self, '--trial', name, set, String(preload)], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`trial ${name} ${set}: ${r.stderr}`);
  const t = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Trial;
  if (process.env.BENCH_INDEX_VERBOSE) console.log(`  ${name}: ${JSON.stringify(t)}`);
  return t;
}

async function main(): Promise<void> {
  const sets = (process.env.BENCH_INDEX_SETS ?? 'mix,sa').split(',') as SetName[];
  const runs = Number(process.env.BENCH_INDEX_RUNS ?? 5);
  const preload = Number(process.env.BENCH_INDEX_PRELOAD ?? 0);
  const names = process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(VARIANTS);
  for (const set of sets) {
    const docs = await documents(set);
    const chars = docs.reduce((n, d) => n + d.body.length + d.files.length + d.subject.length + d.sender.length + d.recipients.length, 0);
    // The JS side of each document before SQLite's tokenizer: segment.ts's scan.
    const s0 = process.cpuUsage();
    for (const d of docs) for (const t of [d.sender, d.recipients, d.subject, d.body, d.files]) segmentForIndex(t);
    const seg = process.cpuUsage(s0);
    console.log(`${set}: ${docs.length} messages, ${(chars / 1e6).toFixed(1)} M characters; segmentForIndex ${(((seg.user + seg.system) / 1000 / docs.length) * 1000).toFixed(1)} ms CPU per 1,000`);
    const results = new Map<string, Trial[]>(names.map((n) => [n, []]));
    for (let r = 0; r < runs; r++) {
      for (const name of r % 2 ? [...names].reverse() : names) results.get(name)!.push(runChild(name, set, preload));
      process.stdout.write(`  round ${r + 1}/${runs} done (load ${os.loadavg()[0]!.toFixed(1)})\n`);
    }
    const base = median(results.get(names[0]!)!.map((t) => t.cpuMs));
    console.log(`| ${set}${preload ? ` (+${preload}× preloaded)` : ''} | CPU ms / 1,000 msgs (median of ${runs}) | vs ${names[0]} | wall ms / 1,000 | MB written | file MB | segments | prefix query ms | word query ms |`);
    console.log('|---|---|---|---|---|---|---|---|---|');
    for (const [name, ts] of results) {
      const cpu = median(ts.map((t) => t.cpuMs));
      const per = (x: number): string => ((x / docs.length) * 1000).toFixed(0);
      console.log(`| ${name}${VARIANTS[name]!.note ? ` (${VARIANTS[name]!.note})` : ''} | ${per(cpu)} (${ts.map((t) => per(t.cpuMs)).join(' ')}) | ${((cpu / base - 1) * 100).toFixed(1)} % | ${per(median(ts.map((t) => t.wallMs)))} | ${(median(ts.map((t) => t.written)) / 1e6).toFixed(1)} | ${(median(ts.map((t) => t.bytes)) / 1e6).toFixed(1)} | ${median(ts.map((t) => t.segments))} | ${median(ts.map((t) => t.prefixMs)).toFixed(2)} | ${median(ts.map((t) => t.wordMs)).toFixed(2)} |`);
    }
  }
}

/**
 * What typing costs on each file (--queries): SA corpus written BENCH_INDEX_COPIES times (16:
 * ~97,000 messages) per variant, kept in BENCH_OUT; each word typed letter by letter as the search box sends it (from
 * its second letter: query.ts), the match and, for at most RANK_MAX rows, the ranking, as
 * search-index.ts runs them. CPU per keystroke, median of alternating rounds, and per typed word.
 * Per keystroke because each prefix index serves one prefix length: without the 3-letter one a
 * common 3-letter keystroke costs 2.5–3× ("the" 19 → 47 ms at ~97,000 messages, session 18; the
 * index keeps only the 2-letter one since then, for a third less to write in every sync: index-db.ts
 * PREFIXES). Every variant must give the same answers (checked on each keystroke's rowids: a
 * difference is printed).
 */
async function queries(names: string[]): Promise<void> {
  const docs = await documents('sa');
  const copies = Number(process.env.BENCH_INDEX_COPIES ?? 16);
  const files = new Map<string, string>();
  for (const name of names) {
    const file = path.join(out, `index-q${copies === 16 ? '' : copies}-${name.replace(/\W+/g, '-')}.sqlite`);
    files.set(name, file);
    // Kept from an earlier run only while its fts table is the one this variant makes now (index-db.ts's own
    // schema moves: 'base' had prefix indexes for 2 and 3 letters until session 18).
    if (fs.existsSync(file) && ftsSql(file) === ftsSqlOf(VARIANTS[name]!)) continue;
    fs.rmSync(file, { force: true });
    fs.rmSync(`${file}-wal`, { force: true });
    fs.rmSync(`${file}-shm`, { force: true });
    makeFile(file, VARIANTS[name]!);
    const app = IndexAppender.open(file);
    for (let k = 0; k < copies; k++) {
      const batch = docs.map((d) => ({ ...d, id: `p${k}-${d.id}` }));
      for (let i = 0; i < batch.length; i += WRITE_BATCH) app.append(batch.slice(i, i + WRITE_BATCH));
    }
    app.close();
    console.log(`${name}: ${docs.length * copies} messages written (${(fs.statSync(file).size / 1e6).toFixed(0)} MB)`);
  }
  const typed = ['meeting', 'budget', 'project', 'linux', 'thanks', 'conference', 'spamassassin', 'wireless', 'review', 'information', 'the', 'money', 'click', 'software', 'message'];
  const keys = [...new Set(typed.flatMap((w) => Array.from({ length: w.length - 1 }, (_, i) => w.slice(0, i + 2))))];
  const dbs = new Map([...files].map(([n, f]) => {
    const db = new Database(f, { readonly: true });
    return [n, { match: db.prepare('SELECT rowid FROM fts WHERE fts MATCH ?').pluck(), ranked: db.prepare('SELECT rowid, bm25(fts, 4, 2, 4, 1, 2) FROM fts WHERE fts MATCH ?').raw(), db }];
  }));
  const cost = new Map<string, Map<string, number[]>>(names.map((n) => [n, new Map(keys.map((k) => [k, []]))]));
  const answers = new Map<string, string>();
  for (let r = 0; r < 7; r++) {
    for (const key of keys) {
      const e = ftsExpression(parseQuery(key).groups[0]![0]!.clause as Extract<Clause, { t: 'text' }>);
      for (const name of r % 2 ? [...names].reverse() : names) {
        const { match, ranked } = dbs.get(name)!;
        const c0 = process.cpuUsage();
        const rows = match.all(e) as number[];
        if (rows.length <= RANK_MAX) ranked.all(e);
        const c = process.cpuUsage(c0);
        cost.get(name)!.get(key)!.push((c.user + c.system) / 1000);
        // The files hold the same documents under the same rowids: the answers must be equal.
        const answer = `${rows.length} ${[...rows].sort((a, b) => a - b).join(',')}`;
        if (r === 0 && (answers.get(key) ?? answer) !== answer) console.log(`DIFFERENT ANSWERS for "${key}" in ${name}`);
        if (r === 0) answers.set(key, answers.get(key) ?? answer);
      }
    }
  }
  // The search tests' other kinds of queries (words, phrases, from:/to:/subject:/filename:, a
  // phrase in a field, -words, CJK words as phrases of their characters), as search-index.ts runs them.
  const kinds = ['meeting ', 'review schedule ', '"mailing list" ', '"click here" ', 'from:alice ', 'to:bob ', 'subject:invoice ', 'subject:"project update" ', 'filename:pdf ', 'budget -meeting ', 'money OR linux ', '会议 '];
  for (const q of kinds) {
    const parsed = parseQuery(q).groups;
    const e = parsed.map((g) => `(${g.filter((it) => !it.negated).map((it) => ftsExpression(it.clause as Extract<Clause, { t: 'text' }>)).join(' OR ')})`).filter((x) => x !== '()').join(' AND ');
    const not = parsed.flatMap((g) => g.filter((it) => it.negated)).map((it) => ftsExpression(it.clause as Extract<Clause, { t: 'text' }>));
    for (const name of names) cost.get(name)!.set(q, []);
    for (let r = 0; r < 7; r++) {
      for (const name of r % 2 ? [...names].reverse() : names) {
        const { match, ranked } = dbs.get(name)!;
        const c0 = process.cpuUsage();
        let rows: number[];
        try {
          rows = match.all(e) as number[];
          if (not.length) {
            const out = new Set(match.all(`(${e}) AND (${not.join(' OR ')})`) as number[]);
            rows = rows.filter((x) => !out.has(x));
          }
          if (rows.length <= RANK_MAX) ranked.all(e);
        } catch (err) {
          if (r === 0) console.log(`"${q}" fails in ${name}: ${(err as Error).message}`);
          rows = [];
        }
        const c = process.cpuUsage(c0);
        cost.get(name)!.get(q)!.push((c.user + c.system) / 1000);
        const answer = `${rows.length} ${[...rows].sort((a, b) => a - b).join(',')}`;
        if (r === 0 && (answers.get(q) ?? answer) !== answer) console.log(`DIFFERENT ANSWERS for "${q}" in ${name}`);
        if (r === 0) answers.set(q, answers.get(q) ?? answer);
      }
    }
  }
  const ms = (name: string, key: string): number => median(cost.get(name)!.get(key)!);
  const row = (label: string, f: (n: string) => number): string => `| ${label} | ${names.map((n) => f(n).toFixed(1)).join(' | ')} |`;
  console.log(`| keystroke (CPU ms, median of 7) | ${names.join(' | ')} |`);
  console.log(`|---|${names.map(() => '---|').join('')}`);
  for (const len of [2, 3, 4]) {
    const ks = keys.filter((k) => k.length === len);
    console.log(row(`${len} letters, median of ${ks.length}`, (n) => median(ks.map((k) => ms(n, k)))));
    const worst = ks.reduce((a, k) => (ms(names[0]!, k) + ms(names.at(-1)!, k) > ms(names[0]!, a) + ms(names.at(-1)!, a) ? k : a));
    console.log(row(`${len} letters, slowest ("${worst}")`, (n) => ms(n, worst)));
  }
  console.log(row('5 or more letters, median', (n) => median(keys.filter((k) => k.length >= 5).map((k) => ms(n, k)))));
  for (const w of typed) console.log(row(`"${w}" typed (all its keystrokes)`, (n) => keys.filter((k) => w.startsWith(k)).reduce((t, k) => t + ms(n, k), 0)));
  console.log(row('all keystrokes', (n) => keys.reduce((t, k) => t + ms(n, k), 0)));
  for (const q of kinds) console.log(row(`${q.trim()} (${answers.get(q)!.split(' ')[0]} found)`, (n) => ms(n, q)));
  console.log(`answers compared for ${answers.size} keystrokes`);
  for (const { db } of dbs.values()) db.close();
}

if (process.argv[2] === '--queries') {
  await queries(process.argv.slice(3).length ? process.argv.slice(3) : ['base', 'prefix 2', 'prefix 3', 'no prefix']);
} else if (process.argv[2] === '--trial') {
  console.log(JSON.stringify(trial(process.argv[3]!, process.argv[4] as SetName, Number(process.argv[5]))));
} else {
  await main();
}
