/**
 * `npm run bench:startup` still runs: the empty-check and start-up benchmark
 * (test/bench/startup-bench.ts) at CI size — 20 messages, one timed run — writing its report and
 * JSON into a temp dir (never over .bench/). Nothing here looks at speed (DESIGN §6): it checks
 * that every contender ran its empty check and found nothing (the bench itself fails otherwise),
 * and that the report the README takes has its rows. mpop runs where it is installed; without it
 * the Popbox rows run alone.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dovecotUnavailable } from '../support/dovecot.js';

const repo = path.resolve(import.meta.dirname, '..', '..');
const unavailable = dovecotUnavailable();
if (unavailable && process.env.CI) throw new Error(`Dovecot is required in CI: ${unavailable}`);
if (unavailable) console.warn(`Skipping the start-up bench smoke test: ${unavailable}`);
const suite = unavailable ? describe.skip : describe;
const haveMpop = spawnSync('sh', ['-c', 'command -v mpop']).status === 0;
if (!haveMpop && process.env.CI) throw new Error('mpop is required in CI (the peer of the empty check): .ci/run installs it');
if (!haveMpop) console.warn('The start-up bench smoke test runs without its peer: mpop is not installed (apt package mpop)');

suite('npm run bench:startup at CI size', () => {
  let out: string;
  beforeAll(async () => {
    out = await fs.mkdtemp(path.join(os.tmpdir(), 'popbox-startup-bench-smoke-'));
  });
  afterAll(async () => {
    if (out) await fs.rm(out, { recursive: true, force: true });
  });

  it('times the empty check (CLI, in the app, mpop where installed) and the start-up, and writes the report', async () => {
    const env = { ...process.env, BENCH_OUT: out, BENCH_P0_COUNT: '20', BENCH_RUNS: '1', ...(haveMpop ? {} : { BENCH_NO_PEER: '1' }) };
    const r = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'test/bench/startup-bench.ts'], { cwd: repo, env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('exit', (code) => resolve({ code, stdout, stderr }));
    });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);

    const json = JSON.parse(await fs.readFile(path.join(out, 'startup.json'), 'utf8')) as {
      count: number;
      p0: Record<'cli' | 'app' | 'mpop', { ms: number }[]>;
      p3: Record<'node' | 'bin' | 'bundle', { ms: number; rssMB: number }[]>;
    };
    expect(json.count).toBe(20);
    expect(json.p0.cli).toHaveLength(1);
    expect(json.p0.app).toHaveLength(1);
    expect(json.p0.mpop).toHaveLength(haveMpop ? 1 : 0);
    for (const who of ['node', 'bin', 'bundle'] as const) expect(json.p3[who].length).toBeGreaterThanOrEqual(5);
    const report = await fs.readFile(path.join(out, 'startup.md'), 'utf8');
    expect(report).toMatch(/^Empty check and start-up benchmark, .* Node v\d+/);
    expect(report).toContain('| Popbox CLI |');
    expect(report).toContain('| Popbox in the app |');
    expect(report).toContain('| `popbox account list` (build/popbox.mjs, as installed) |');
    expect(report.includes('| mpop |')).toBe(haveMpop);
  });
});
