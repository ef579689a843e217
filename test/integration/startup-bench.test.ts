/**
 * `npm run bench:startup` still runs: the empty-check and start-up benchmark
 * (test/bench/startup-bench.ts) at CI size — 20 messages, one timed run — writing its report and
 * JSON into a temp dir (never over .bench/). Nothing here looks at speed (DESIGN §6): it checks
 * that every contender ran its empty check and found nothing (the bench itself fails otherwise),
 * and that the report the README takes has its rows. mpop runs where it is installed; without it
 * the Popbox rows run alone.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runBench } from '../support/bench-run.js';
import { dovecotUnavailable } from '../support/dovecot.js';

const unavailable = dovecotUnavailable();
if (unavailable && process.env.CI) throw new Error(`Dovecot is required in CI: ${unavailable}`);
if (unavailable) console.warn(`Skipping the start-up bench smoke test: ${unavailable}`);
const suite = unavailable ? describe.skip : describe;
const haveMpop = spawnSync('sh', ['-c', 'command -v mpop']).status === 0;
if (!haveMpop && process.env.CI) throw new Error('mpop is required in CI (the peer of the empty check): .ci/run installs it');
if (!haveMpop) console.warn('The start-up bench smoke test runs without its peer: mpop is not installed (apt package mpop)');

suite('npm run bench:startup at CI size', () => {
  it('times the empty check (CLI, in the app, mpop where installed) and the start-up, and writes the report', async () => {
    const env = { BENCH_P0_COUNT: '20', BENCH_RUNS: '1', ...(haveMpop ? {} : { BENCH_NO_PEER: '1' }) };
    const r = await runBench('startup-bench.ts', env);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);

    const json = JSON.parse(await fs.readFile(path.join(r.out, 'startup.json'), 'utf8')) as {
      count: number;
      p0: Record<'cli' | 'cliNoCa' | 'app' | 'mpop', { ms: number }[]>;
      p3: Record<'node' | 'bin' | 'bundle', { ms: number; rssMB: number }[]>;
    };
    expect(json.count).toBe(20);
    expect(json.p0.cli).toHaveLength(1);
    expect(json.p0.app).toHaveLength(1);
    // Where NODE_EXTRA_CA_CERTS is set, the CLI's check runs without it too (node's share told apart).
    expect(json.p0.cliNoCa).toHaveLength(process.env.NODE_EXTRA_CA_CERTS ? 1 : 0);
    expect(json.p0.mpop).toHaveLength(haveMpop ? 1 : 0);
    for (const who of ['node', 'bin', 'bundle'] as const) expect(json.p3[who].length).toBeGreaterThanOrEqual(5);
    const report = await fs.readFile(path.join(r.out, 'startup.md'), 'utf8');
    expect(report).toMatch(/^Empty check and start-up benchmark, .* Node v\d+/);
    expect(report).toContain('| Popbox CLI |');
    expect(report).toContain('| Popbox in the app |');
    expect(report).toContain('| `popbox account list` (build/popbox.cjs, as installed) |');
    expect(report.includes('| mpop |')).toBe(haveMpop);
    // 10 s in CI; on a shared two-core machine under load the bench alone has taken 65 s.
  }, 180_000);
});
