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
 * crisismerge, usermerge, hashsize, detail), the connection's pragmas, the tokenizer, the
 * messages per transaction. `--queries` weighs the prefix indexes' other side: what typing costs.
 *
 *   npx tsx test/bench/index-write-bench.ts [variant…]     (the first named is the baseline)
 *   npx tsx test/bench/index-write-bench.ts --queries [variant…]
 * Environment: BENCH_INDEX_SETS=mix,sa,ordinary  BENCH_INDEX_RUNS=5  BENCH_INDEX_PRELOAD=N (write
 * the set N times first, untimed: an index that already holds mail), BENCH_INDEX_VERBOSE=1 (each
 * trial), BENCH_OUT=dir.
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
  if (v.ftsOptions === undefined && v.tokenize === undefined && !v.config) return;
  const db = new Database(file);
  const sql = db.prepare("SELECT sql FROM sqlite_schema WHERE name = 'fts'").pluck().get() as string;
  let replaced = sql;
  if (v.ftsOptions !== undefined) replaced = replaced.replace(/,\s*prefix='[^']*'/, v.ftsOptions ? `, ${v.ftsOptions}` : '');
  if (v.tokenize !== undefined) replaced = replaced.replace(/tokenize="[^"]*"/, `tokenize="${v.tokenize}"`);
  if (!/prefix='/.test(sql)) throw new Error(`the fts table's options changed: ${sql}`);
  if (replaced !== sql) db.exec(`DROP TABLE fts; ${replaced};`);
  for (const [k, val] of Object.entries(v.config ?? {})) db.exec(`INSERT INTO fts(fts, rank) VALUES('${k}', ${val})`);
  db.close();
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
 * What typing costs on each file (--queries): SA corpus written 16 times (~97,000 messages) per
 * variant, kept in BENCH_OUT; each word typed letter by letter as the search box sends it (from
 * its second letter: query.ts), the match and, for at most RANK_MAX rows, the ranking, as
 * search-index.ts runs them. CPU per typed word, median of alternating rounds.
 */
async function queries(names: string[]): Promise<void> {
  const docs = await documents('sa');
  const files = new Map<string, string>();
  for (const name of names) {
    const file = path.join(out, `index-q-${name.replace(/\W+/g, '-')}.sqlite`);
    files.set(name, file);
    if (fs.existsSync(file)) continue;
    makeFile(file, VARIANTS[name]!);
    const app = IndexAppender.open(file);
    for (let k = 0; k < 16; k++) {
      const batch = docs.map((d) => ({ ...d, id: `p${k}-${d.id}` }));
      for (let i = 0; i < batch.length; i += WRITE_BATCH) app.append(batch.slice(i, i + WRITE_BATCH));
    }
    app.close();
    console.log(`${name}: written (${(fs.statSync(file).size / 1e6).toFixed(0)} MB)`);
  }
  const typed = ['meeting', 'budget', 'project', 'linux', 'thanks', 'conference', 'spamassassin', 'wireless', 'review', 'information'];
  const dbs = new Map([...files].map(([n, f]) => [n, new Database(f, { readonly: true })]));
  const cost = new Map<string, Map<string, number[]>>(names.map((n) => [n, new Map(typed.map((w) => [w, []]))]));
  for (let r = 0; r < 5; r++) {
    for (const w of typed) {
      for (const name of r % 2 ? [...names].reverse() : names) {
        const db = dbs.get(name)!;
        const match = db.prepare('SELECT rowid FROM fts WHERE fts MATCH ?').pluck();
        const ranked = db.prepare('SELECT rowid, bm25(fts, 4, 2, 4, 1, 2) FROM fts WHERE fts MATCH ?').raw();
        const c0 = process.cpuUsage();
        for (let k = 2; k <= w.length; k++) {
          const c = parseQuery(w.slice(0, k)).groups[0]![0]!.clause as Extract<Clause, { t: 'text' }>;
          const e = ftsExpression(c);
          if (match.all(e).length <= RANK_MAX) ranked.all(e);
        }
        const c = process.cpuUsage(c0);
        cost.get(name)!.get(w)!.push((c.user + c.system) / 1000);
      }
    }
  }
  console.log(`| typed word (CPU ms, all its prefixes from 2 letters) | ${names.join(' | ')} |`);
  console.log(`|---|${names.map(() => '---|').join('')}`);
  for (const w of typed) console.log(`| ${w} | ${names.map((n) => median(cost.get(n)!.get(w)!).toFixed(1)).join(' | ')} |`);
  console.log(`| all | ${names.map((n) => typed.reduce((t, w) => t + median(cost.get(n)!.get(w)!), 0).toFixed(0)).join(' | ')} |`);
  for (const db of dbs.values()) db.close();
}

if (process.argv[2] === '--queries') {
  await queries(process.argv.slice(3).length ? process.argv.slice(3) : ['base', 'prefix 2', 'prefix 3', 'no prefix']);
} else if (process.argv[2] === '--trial') {
  console.log(JSON.stringify(trial(process.argv[3]!, process.argv[4] as SetName, Number(process.argv[5]))));
} else {
  await main();
}
