/**
 * `npm run bench:smtp` still runs: the sending benchmark (test/bench/smtp-bench.ts) at CI size —
 * 5 messages (one with an attachment), one run, a 1 MB "big" message — against the same private
 * Postfix and msmtp, writing its report and JSON into a temp dir (never over .bench/). Nothing
 * here looks at how fast anything was (DESIGN §6: no test depends on the machine's speed); it
 * checks that every sender ran, every message was delivered (the bench itself fails otherwise)
 * and that the report the README takes has its rows.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runBench } from '../support/bench-run.js';
import { postfixUnavailable } from '../support/postfix.js';

const unavailable = postfixUnavailable() ?? (spawnSync('sh', ['-c', 'command -v msmtp']).status === 0 ? null : 'msmtp not found: apt-get install msmtp (see .ci/run)');
if (unavailable && process.env.CI) throw new Error(`The SMTP bench smoke test needs Postfix and msmtp in CI: ${unavailable}`);
if (unavailable) console.warn(`Skipping the SMTP bench smoke test: ${unavailable}`);
const suite = unavailable ? describe.skip : describe;

interface BenchJson {
  count: number;
  runs: number;
  results: Record<string, { seconds: number[]; medianSeconds: number; ratioToMsmtp: number | null; peakRssMB: number[] }>;
  big: { attachmentMB: number; results: Record<string, { seconds: number; peakRssMB: number }> } | null;
}

suite('npm run bench:smtp at CI size', () => {
  it('sends with the app path, the CLI, the SMTP client and msmtp, and writes the report and its JSON', async () => {
    const env = { BENCH_SMTP_COUNT: '5', BENCH_SMTP_RUNS: '1', BENCH_SMTP_BIG_MB: '1', BENCH_SMTP_WARMUP: '0' };
    const r = await runBench('smtp-bench.ts', env);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);

    const json = JSON.parse(await fs.readFile(path.join(r.out, 'smtp.json'), 'utf8')) as BenchJson;
    expect(json).toMatchObject({ count: 5, runs: 1 });
    expect(Object.keys(json.results).sort()).toEqual(['cli', 'msmtp', 'outbox', 'raw']);
    for (const [who, res] of Object.entries(json.results)) {
      expect(res.seconds, who).toHaveLength(1);
      expect(res.seconds[0], who).toBeGreaterThan(0);
      expect(res.peakRssMB[0], who).toBeGreaterThan(0);
      expect(res.ratioToMsmtp, who).toBeGreaterThan(0);
    }
    expect(json.big?.attachmentMB).toBe(1);
    expect(Object.keys(json.big!.results).sort()).toEqual(['cli', 'msmtp', 'outbox', 'raw']);

    const md = await fs.readFile(path.join(r.out, 'smtp.md'), 'utf8');
    expect(md).toMatch(/^SMTP sending benchmark, \d{4}-\d\d-\d\d, .*Postfix 3\.\d.*msmtp version/m);
    expect(md).toContain('5 messages (4 text 2–50 KB, 1 with a 100 KB–2 MB attachment, 0 with a 5–10 MB one');
    for (const label of ['Popbox, app path', '`popbox send --now` once per message', 'Popbox SMTP client alone', 'msmtp once per message']) {
      expect(md).toMatch(new RegExp(`^\\| [^|]*${label.replace(/[.*+?^${}()|[\]\\`]/g, '\\$&')}[^|]* \\| \\d+\\.\\d\\d s \\|`, 'm'));
    }
    expect(md).toMatch(/^Target: Popbox within 1\.2× msmtp — app path \d+\.\d\d× \((met|not met)\)\.$/m);
    expect(md).toMatch(/^One message with a 1 MB attachment .*peak RSS outbox \d+ MB/m);
    expect(r.stdout).toContain('bench: run 1 msmtp:');
  }, 180_000);
});
