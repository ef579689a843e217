/**
 * `npm run bench:junk` still runs: the junk benchmark (test/bench/junk-bench.ts) at CI size — the
 * first 40 files of each corpus group — training and testing Popbox's filter and bogofilter on the
 * same split, writing its report and JSON into a temp dir (never over .bench/). Nothing here looks
 * at speed (DESIGN §6). It checks that both filters ran on every test message of the fixed split,
 * that Popbox calls no more good mail junk and misses no more junk than bogofilter on it (issue
 * 16's target), and that the report the README takes has its rows.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runBench } from '../support/bench-run.js';

const unavailable = spawnSync('sh', ['-c', 'command -v bogofilter']).status === 0 ? null : 'bogofilter not found: apt-get install bogofilter (see .ci/run)';
if (unavailable && process.env.CI) throw new Error(`The junk bench smoke test needs bogofilter in CI: ${unavailable}`);
if (unavailable) console.warn(`Skipping the junk bench smoke test: ${unavailable}`);
const suite = unavailable ? describe.skip : describe;

interface Result {
  falsePositives: number;
  falseNegatives: number;
  unsure: number;
  classified: number;
  perSecond: number;
}

suite('npm run bench:junk at CI size', () => {
  it('trains and tests both filters on the same split and writes the report and its JSON', async () => {
    const env = { BENCH_JUNK_LIMIT: '40' };
    const r = await runBench('junk-bench.ts', env);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);

    const json = JSON.parse(await fs.readFile(path.join(r.out, 'junk.json'), 'utf8')) as {
      split: { trainHam: number; trainJunk: number; testHam: number; testJunk: number };
      results: Record<string, Result>;
    };
    const { trainHam, trainJunk, testHam, testJunk } = json.split;
    expect(trainHam + testHam).toBe(80); // 40 of easy-ham-1, 40 of hard-ham-1
    expect(trainJunk + testJunk).toBe(40);
    expect(testHam).toBeGreaterThan(0);
    expect(testJunk).toBeGreaterThan(0);
    expect(Object.keys(json.results).sort()).toEqual(['bogofilter', 'popbox']);
    // The split is fixed (by SHA-256 of the file name), so these are always the same 40 messages.
    expect(json.split).toEqual({ trainHam: 53, trainJunk: 27, testHam: 27, testJunk: 13 });
    for (const [who, res] of Object.entries(json.results)) {
      expect(res.classified, who).toBe(testHam + testJunk);
      expect(res.perSecond, who).toBeGreaterThan(0);
    }
    // Issue 16's target, on this split: no more good mail called junk than bogofilter, and no more junk missed.
    const { popbox, bogofilter } = json.results as { popbox: Result; bogofilter: Result };
    expect(popbox.falsePositives, 'good mail called junk').toBeLessThanOrEqual(bogofilter.falsePositives);
    expect(popbox.falseNegatives, 'junk missed').toBeLessThanOrEqual(bogofilter.falseNegatives);
    const md = await fs.readFile(path.join(r.out, 'junk.md'), 'utf8');
    expect(md).toMatch(/^### Junk filter \(npm run bench:junk\)/);
    expect(md).toMatch(/^\| Popbox \| \d+ \| \d+ /m);
    expect(md).toMatch(/^\| bogofilter \| \d+ \| \d+ /m);
  });
});
