/**
 * The bench smoke tests run a benchmark script as `npm run bench:…` does (node with tsx, from the
 * repository root) at CI size, with BENCH_OUT a fresh temp dir so its report and JSON never land
 * over .bench/. The dir is removed when the calling test ends.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { onTestFinished } from 'vitest';

const repo = path.resolve(import.meta.dirname, '..', '..');

export interface BenchRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** The BENCH_OUT dir the script wrote its report and JSON into. */
  out: string;
}

/** Runs `test/bench/<script>` to its end with `env` on top of this process's; call inside a test. */
export async function runBench(script: string, env: Record<string, string>): Promise<BenchRun> {
  const out = await fs.mkdtemp(path.join(os.tmpdir(), `popbox-${path.basename(script, '.ts')}-smoke-`));
  onTestFinished(() => fs.rm(out, { recursive: true, force: true }));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join('test', 'bench', script)], { cwd: repo, env: { ...process.env, ...env, BENCH_OUT: out }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr, out }));
  });
}
