/**
 * `npm run bench:pop3` still runs: the download benchmark (test/bench/pop3-bench.ts) at CI size —
 * 20 messages over TLS and plain, one timed run after the warm-up, no big message, no added
 * round-trip time — writing its report into a temp dir (never over .bench/). Nothing here looks at
 * speed (DESIGN §6): each contender checks it got every message (the bench fails otherwise), and
 * the report the README takes has each column, the server's floor among them, and every run's
 * figures.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runBench } from '../support/bench-run.js';
import { dovecotUnavailable } from '../support/dovecot.js';

const unavailable = dovecotUnavailable();
if (unavailable && process.env.CI) throw new Error(`Dovecot is required in CI: ${unavailable}`);
const haveMpop = spawnSync('sh', ['-c', 'command -v mpop']).status === 0;
if (!haveMpop && process.env.CI) throw new Error('mpop is required in CI (the peer of the POP3 bench): .ci/run installs it');
// GNU time reads each process's CPU and peak RSS (apt package time).
const haveTime = spawnSync('sh', ['-c', 'command -v /usr/bin/time']).status === 0;
if (!haveTime && process.env.CI) throw new Error('/usr/bin/time is required in CI (the POP3 bench reads CPU and RSS with it): apt package time');
const missing = unavailable ?? (!haveMpop ? 'mpop is not installed (apt package mpop)' : !haveTime ? '/usr/bin/time is missing (apt package time)' : undefined);
if (missing) console.warn(`Skipping the POP3 bench smoke test: ${missing}`);
const suite = missing ? describe.skip : describe;

suite('npm run bench:pop3 at CI size', () => {
  it('downloads each mailbox with every contender, the server floor included, and writes the report', async () => {
    const r = await runBench('pop3-bench.ts', { BENCH_CASES: '20:tls,20:plain', BENCH_RUNS: '1', BENCH_BIG_MB: '0', BENCH_RTT_MS: '0' });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);

    const report = await fs.readFile(path.join(r.out, 'pop3.md'), 'utf8');
    expect(report).toMatch(/^POP3 download benchmark, .* Node v\d+/);
    const header = '| case | client | sync | sync until searchable | floor | mpop | client / mpop | sync (until searchable) / mpop | floor / mpop | CPU sync / until searchable / floor / mpop | peak RSS client / sync / mpop |';
    expect(report).toContain(header);
    expect(report).toContain('floor: the least a client can do');
    expect(report).toContain('| case | target (× mpop) | Dovecot CPU serving sync / floor / mpop | CPU room for the sync | sync CPU until searchable | beyond the room |');
    const columns = header.split('|').length;
    for (const mode of ['tls', 'plain']) {
      const row = report.split('\n').find((l) => l.startsWith(`| 20 realistic, ${mode} |`));
      expect(row?.split('|').length).toBe(columns);
      // CPU of the sync, until searchable, the floor and mpop: four figures in their cell.
      expect(row).toMatch(/\| [\d.]+ s \/ [\d.]+ s \/ [\d.]+ s \/ [\d.]+ s \|/);
      const runs = report.split('\n').find((l) => l.startsWith(`- 20 realistic, ${mode}:`));
      for (const who of ['client', 'floor', 'mpop']) expect(runs).toMatch(new RegExp(`(: |; )${who} [\\d.]+ s \\(CPU [\\d.]+, Dovecot [\\d.]+\\)`));
      // Dovecot's own CPU while it served each contender (/proc): the room table below is made of it.
      expect(runs).toMatch(/; sync [\d.]+ s \(CPU [\d.]+\), until searchable [\d.]+ s \(CPU [\d.]+, Dovecot [\d.]+\)/);
    }
    // 20 s at load 1; under load several times that.
  }, 180_000);
});
