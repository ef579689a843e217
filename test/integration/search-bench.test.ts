/**
 * `npm run bench:search` still runs: the search benchmark (test/bench/search-bench.ts) at CI size
 * — 300 generated messages and the first 300 SpamAssassin files, no 100,000 set — indexing the
 * same files with Popbox and with `notmuch new`, writing its report and JSON into a temp dir
 * (never over .bench/). Nothing here looks at speed (DESIGN §6). It checks that both indexed
 * every message, that on the generated mail (where notmuch's stemming and Popbox's diacritic
 * folding cannot differ) every one of the 20 queries has the same answer set in both, and that on
 * the corpus files every message found by one and not the other has a cause that is notmuch's.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repo = path.resolve(import.meta.dirname, '..', '..');
const unavailable = spawnSync('sh', ['-c', 'command -v notmuch']).status === 0 ? null : 'notmuch not found: apt-get install notmuch (see .ci/run)';
if (unavailable && process.env.CI) throw new Error(`The search bench smoke test needs notmuch in CI: ${unavailable}`);
if (unavailable) console.warn(`Skipping the search bench smoke test: ${unavailable}`);
const suite = unavailable ? describe.skip : describe;

interface SetResult {
  count: number;
  agree: number;
  queries: { query: string; popbox: number; notmuch: number; onlyPopbox: number; onlyNotmuch: number; differences: { side: string; message: string; cause: string }[] }[];
}

suite('npm run bench:search at CI size', () => {
  let out: string;
  beforeAll(async () => {
    out = await fs.mkdtemp(path.join(os.tmpdir(), 'popbox-search-bench-smoke-'));
  });
  afterAll(async () => {
    if (out) await fs.rm(out, { recursive: true, force: true });
  });

  it('indexes the same files with Popbox and notmuch, and the generated mail gets the same answers from both', async () => {
    const env = { ...process.env, BENCH_OUT: out, BENCH_SEARCH_GENERATED: '300', BENCH_SEARCH_CORPUS: '300', BENCH_SEARCH_BIG: '0' };
    const r = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'test/bench/search-bench.ts'], { cwd: repo, env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('exit', (code) => resolve({ code, stdout, stderr }));
    });
    expect(r.code, r.stderr || r.stdout).toBe(0);
    const json = JSON.parse(await fs.readFile(path.join(out, 'search.json'), 'utf8')) as Record<string, SetResult>;
    const gen = json['300 generated']!;
    expect(gen.count).toBe(300);
    expect(gen.queries.filter((q) => q.onlyPopbox || q.onlyNotmuch)).toEqual([]);
    expect(gen.agree).toBe(20);
    // The questions must have answers, or agreeing proves nothing.
    expect(gen.queries.filter((q) => q.popbox > 0).length).toBeGreaterThanOrEqual(12);
    const corpus = json['SpamAssassin corpus (300)']!;
    expect(corpus.count).toBe(300);
    expect(corpus.queries.find((q) => q.query === 'linux')!.notmuch).toBeGreaterThan(0);
    // Every corpus message in one answer set and not the other has its cause named, and none is
    // Popbox's: on these files the sets differ only where notmuch misreads the mail.
    for (const q of corpus.queries) expect(q.differences.length, q.query).toBe(q.onlyPopbox + q.onlyNotmuch);
    expect(corpus.queries.flatMap((q) => q.differences).filter((d) => !d.cause.startsWith('notmuch'))).toEqual([]);
    const md = await fs.readFile(path.join(out, 'search.md'), 'utf8');
    expect(md).toMatch(/\| 300 generated \| Popbox \| [\d,]+ \| [\d.]+ MB \|/);
    expect(md).toMatch(/\| \| notmuch \| [\d,]+ \| [\d.]+ MB \|/);
  }, 600_000);
});
