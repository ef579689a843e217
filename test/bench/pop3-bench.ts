/**
 * `npm run bench`: Popbox's POP3 client against mpop, same Dovecot, same mailbox, same run.
 *
 * Generates a mailbox (BENCH_COUNT messages, realistic size mix with multi-MB ones) in a
 * private Dovecot on 127.0.0.1, then downloads all of it (kept on the server) with our client
 * (bytes discarded) and with mpop (Maildir delivery, its normal mode), alternating, over TLS,
 * plain and STLS. Prints medians, the ratio and peak RSS, and writes them to .bench/pop3.md.
 *
 *   BENCH_COUNT=2000 BENCH_RUNS=5 BENCH_MODES=tls,plain,starttls npm run bench
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { dovecotUnavailable, startDovecot } from '../support/dovecot.js';
import { generateMessages } from '../support/mailgen.js';

type Mode = 'tls' | 'plain' | 'starttls';
const COUNT = Number(process.env.BENCH_COUNT ?? 2000);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const MODES = (process.env.BENCH_MODES ?? 'tls,plain,starttls').split(',') as Mode[];
const out = path.resolve('.bench');

function need(cmd: string, pkg: string) {
  if (spawnSync('sh', ['-c', `command -v ${cmd}`]).status !== 0) {
    console.error(`bench: ${cmd} is missing; install it with: apt-get install ${pkg}`);
    process.exit(2);
  }
}

const unavailable = dovecotUnavailable();
if (unavailable) {
  console.error(`bench: ${unavailable}`);
  process.exit(2);
}
need('mpop', 'mpop');
need('/usr/bin/time', 'time');

fs.mkdirSync(out, { recursive: true });
const worker = path.join(out, 'pop3-fetch.mjs');
await build({
  entryPoints: ['test/bench/pop3-fetch.ts'],
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  outfile: worker,
  logLevel: 'warning',
});

console.log(`bench: generating ${COUNT} messages…`);
const messages = generateMessages({ seed: 2026, count: COUNT, mix: 'realistic' });
const totalLf = messages.reduce((s, m) => s + m.length, 0);
const dc = await startDovecot({ users: [{ name: 'bench', password: 'bench-pw' }] });
try {
  await dc.deliver('bench', messages);
  const ca = path.join(out, 'ca.pem');
  fs.writeFileSync(ca, dc.caPem);
  const maildir = fs.mkdtempSync(path.join(os.tmpdir(), 'popbox-bench-mpop-'));
  for (const d of ['tmp', 'new', 'cur']) fs.mkdirSync(path.join(maildir, d));
  const uidls = path.join(maildir, 'uidls');

  const port = (mode: Mode) => (mode === 'tls' ? dc.tlsPort : dc.plainPort);

  function timed(cmd: string, args: string[]): { s: number; rssMB: number; stdout: string } {
    const started = process.hrtime.bigint();
    const r = spawnSync('/usr/bin/time', ['-f', 'BENCH_RSS_KB=%M', cmd, ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    const s = Number(process.hrtime.bigint() - started) / 1e9;
    if (r.status !== 0) throw new Error(`${cmd} failed (${r.status}): ${r.stderr.slice(-2000)}`);
    const rss = /BENCH_RSS_KB=(\d+)/.exec(r.stderr);
    return { s, rssMB: rss ? Number(rss[1]) / 1024 : NaN, stdout: r.stdout };
  }

  function ours(mode: Mode) {
    const r = timed(process.execPath, [
      worker,
      JSON.stringify({ host: '127.0.0.1', port: port(mode), security: mode, ca, user: 'bench', password: 'bench-pw' }),
    ]);
    const result = JSON.parse(r.stdout.trim()) as { messages: number; bytes: number };
    if (result.messages !== COUNT) throw new Error(`our client fetched ${result.messages} of ${COUNT}`);
    return r;
  }

  function mpop(mode: Mode) {
    for (const d of ['new', 'cur', 'tmp']) {
      for (const f of fs.readdirSync(path.join(maildir, d))) fs.rmSync(path.join(maildir, d, f));
    }
    fs.rmSync(uidls, { force: true });
    const r = timed('mpop', [
      '--host=127.0.0.1',
      `--port=${port(mode)}`,
      `--tls=${mode === 'plain' ? 'off' : 'on'}`,
      `--tls-starttls=${mode === 'starttls' ? 'on' : 'off'}`,
      `--tls-trust-file=${ca}`,
      '--tls-host-override=localhost',
      `--auth=${mode === 'plain' ? 'user' : 'plain'}`,
      '--user=bench',
      "--passwordeval=echo bench-pw",
      '--keep=on',
      '--only-new=off',
      `--uidls-file=${uidls}`,
      `--delivery=maildir,${maildir}`,
      '--pipelining=auto',
      '--quiet',
    ]);
    const got = fs.readdirSync(path.join(maildir, 'new')).length + fs.readdirSync(path.join(maildir, 'cur')).length;
    if (got !== COUNT) throw new Error(`mpop delivered ${got} of ${COUNT}`);
    return r;
  }

  const median = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return s[Math.floor(s.length / 2)]!;
  };

  const rows: string[] = [];
  for (const mode of MODES) {
    console.log(`bench: ${mode}: warm-up…`);
    ours(mode);
    mpop(mode);
    const t = { ours: [] as number[], mpop: [] as number[], oursRss: [] as number[], mpopRss: [] as number[] };
    for (let run = 0; run < RUNS; run++) {
      // Alternate who goes first so drift (page cache, CPU frequency) hits both alike.
      const order = run % 2 === 0 ? (['ours', 'mpop'] as const) : (['mpop', 'ours'] as const);
      for (const who of order) {
        const r = who === 'ours' ? ours(mode) : mpop(mode);
        t[who].push(r.s);
        t[`${who}Rss`].push(r.rssMB);
        console.log(`bench: ${mode} run ${run + 1} ${who}: ${r.s.toFixed(2)} s, ${r.rssMB.toFixed(0)} MB`);
      }
    }
    const o = median(t.ours);
    const m = median(t.mpop);
    rows.push(
      `| ${mode} | ${o.toFixed(2)} s | ${m.toFixed(2)} s | ${(o / m).toFixed(2)}× | ${Math.max(...t.oursRss).toFixed(0)} MB | ${Math.max(...t.mpopRss).toFixed(0)} MB |`,
    );
  }

  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  const dovecotVersion = execFileSync('dovecot', ['--version'], { encoding: 'utf8' }).trim();
  const mpopVersion = execFileSync('mpop', ['--version'], { encoding: 'utf8' }).split('\n')[0];
  const report = [
    `POP3 download benchmark, ${new Date().toISOString().slice(0, 10)}, ${os.cpus().length} × ${cpu}, Node ${process.version}, Dovecot ${dovecotVersion}, ${mpopVersion}`,
    `${COUNT} messages, ${(totalLf / 1e6).toFixed(0)} MB on disk, kept on the server; median of ${RUNS} runs after a warm-up, alternating.`,
    'Popbox: pipelined client, bytes discarded. mpop: pipelining auto, Maildir delivery (its fsyncs included).',
    '',
    '| transport | Popbox | mpop | Popbox / mpop | Popbox peak RSS | mpop peak RSS |',
    '|---|---|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
  fs.writeFileSync(path.join(out, 'pop3.md'), report);
  console.log(`\n${report}`);
  fs.rmSync(maildir, { recursive: true, force: true });
} finally {
  await dc.stop();
}
