/**
 * `npm run bench`: Popbox against mpop, same Dovecot, same mailbox, same run.
 *
 * Generates a mailbox (BENCH_COUNT messages, realistic size mix with multi-MB ones) in a
 * private Dovecot on 127.0.0.1, then downloads all of it (kept on the server), alternating:
 *  - Popbox's POP3 client alone (bytes discarded): the protocol's speed;
 *  - Popbox's full durable sync (the CLI: Maildir with fsync of files and directories, ledger,
 *    journal, MIME summaries), into a fresh data directory each run;
 *  - mpop, delivering into a Maildir (its normal mode, fsync per message);
 * over TLS, plain and STLS. Then the peak RSS of each while downloading one 200 MB message.
 * Prints medians, ratios and peak RSS, and writes them to .bench/pop3.md.
 *
 *   BENCH_COUNT=2000 BENCH_RUNS=5 BENCH_MODES=tls,plain,starttls BENCH_BIG_MB=200 npm run bench
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { bundleCli } from '../support/cli-bundle.js';
import { dovecotUnavailable, startDovecot } from '../support/dovecot.js';
import { generateMessage, generateMessages } from '../support/mailgen.js';

type Mode = 'tls' | 'plain' | 'starttls';
const COUNT = Number(process.env.BENCH_COUNT ?? 2000);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const MODES = (process.env.BENCH_MODES ?? 'tls,plain,starttls').split(',') as Mode[];
const BIG_MB = Number(process.env.BENCH_BIG_MB ?? 200);
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
const cliBundle = await bundleCli();
const dc = await startDovecot({
  users: [
    { name: 'bench', password: 'bench-pw' },
    { name: 'big', password: 'big-pw' },
  ],
});
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

  function ours(mode: Mode, user = 'bench', expected = COUNT) {
    const r = timed(process.execPath, [
      worker,
      JSON.stringify({ host: '127.0.0.1', port: port(mode), security: mode, ca, user, password: `${user}-pw` }),
    ]);
    const result = JSON.parse(r.stdout.trim()) as { messages: number; bytes: number };
    if (result.messages !== expected) throw new Error(`our client fetched ${result.messages} of ${expected}`);
    return r;
  }

  /** Popbox's durable sync: a fresh data directory with one account, then the timed `sync`. */
  function popboxSync(mode: Mode, user = 'bench', expected = COUNT) {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'popbox-bench-sync-'));
    try {
      const add = spawnSync(process.execPath, [
        cliBundle, '--data-dir', dataDir, 'account', 'add', 'bench',
        '--host', '127.0.0.1', '--port', String(port(mode)), '--security', mode === 'plain' ? 'none' : mode,
        '--user', user, '--password-command', `echo ${user}-pw`, '--leave-on-server',
        ...(mode === 'plain' ? [] : ['--tls-fingerprint', dc.fingerprint256]),
      ], { encoding: 'utf8' });
      if (add.status !== 0) throw new Error(`account add failed: ${add.stderr}`);
      const r = timed(process.execPath, [cliBundle, '--data-dir', dataDir, 'sync']);
      const got = Number(/: (\d+) new/.exec(r.stdout)?.[1] ?? NaN);
      if (got !== expected) throw new Error(`Popbox sync stored ${got} of ${expected}: ${r.stdout}`);
      return r;
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  }

  function mpop(mode: Mode, user = 'bench', expected = COUNT) {
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
      `--user=${user}`,
      `--passwordeval=echo ${user}-pw`,
      '--keep=on',
      '--only-new=off',
      `--uidls-file=${uidls}`,
      `--delivery=maildir,${maildir}`,
      '--pipelining=auto',
      '--quiet',
    ]);
    const got = fs.readdirSync(path.join(maildir, 'new')).length + fs.readdirSync(path.join(maildir, 'cur')).length;
    if (got !== expected) throw new Error(`mpop delivered ${got} of ${expected}`);
    return r;
  }

  const median = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return s[Math.floor(s.length / 2)]!;
  };

  type Who = 'client' | 'sync' | 'mpop';
  const contenders: Record<Who, (mode: Mode) => ReturnType<typeof timed>> = { client: ours, sync: popboxSync, mpop };
  const rows: string[] = [];
  for (const mode of MODES) {
    console.log(`bench: ${mode}: warm-up…`);
    for (const run of Object.values(contenders)) run(mode);
    const t: Record<Who, { s: number[]; rss: number[] }> = { client: { s: [], rss: [] }, sync: { s: [], rss: [] }, mpop: { s: [], rss: [] } };
    const order: Who[] = ['client', 'sync', 'mpop'];
    for (let run = 0; run < RUNS; run++) {
      // Rotate who goes first so drift (page cache, CPU frequency) hits everyone alike.
      for (let k = 0; k < order.length; k++) {
        const who = order[(run + k) % order.length]!;
        const r = contenders[who](mode);
        t[who].s.push(r.s);
        t[who].rss.push(r.rssMB);
        console.log(`bench: ${mode} run ${run + 1} ${who}: ${r.s.toFixed(2)} s, ${r.rssMB.toFixed(0)} MB`);
      }
    }
    const med = (who: Who) => median(t[who].s);
    const peak = (who: Who) => `${Math.max(...t[who].rss).toFixed(0)} MB`;
    rows.push(
      `| ${mode} | ${med('client').toFixed(2)} s | ${med('sync').toFixed(2)} s | ${med('mpop').toFixed(2)} s | ${(med('client') / med('mpop')).toFixed(2)}× | ${(med('sync') / med('mpop')).toFixed(2)}× | ${peak('client')} / ${peak('sync')} / ${peak('mpop')} |`,
    );
  }

  // One very large message: memory must not grow with the message (DESIGN §3.5).
  let bigRow = '';
  if (BIG_MB > 0) {
    console.log(`bench: one ${BIG_MB} MB message…`);
    await dc.deliver('big', [generateMessage(7, BIG_MB * 1024 * 1024, { attachment: true })]);
    const big = { client: ours('tls', 'big', 1), sync: popboxSync('tls', 'big', 1), mpop: mpop('tls', 'big', 1) };
    bigRow = `One ${BIG_MB} MB message over TLS: peak RSS Popbox client ${big.client.rssMB.toFixed(0)} MB (${big.client.s.toFixed(1)} s), Popbox sync ${big.sync.rssMB.toFixed(0)} MB (${big.sync.s.toFixed(1)} s), mpop ${big.mpop.rssMB.toFixed(0)} MB (${big.mpop.s.toFixed(1)} s).`;
  }

  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  const dovecotVersion = execFileSync('dovecot', ['--version'], { encoding: 'utf8' }).trim();
  const mpopVersion = execFileSync('mpop', ['--version'], { encoding: 'utf8' }).split('\n')[0];
  const report = [
    `POP3 download benchmark, ${new Date().toISOString().slice(0, 10)}, ${os.cpus().length} × ${cpu}, Node ${process.version}, Dovecot ${dovecotVersion}, ${mpopVersion}`,
    `${COUNT} messages, ${(totalLf / 1e6).toFixed(0)} MB on disk, kept on the server; median of ${RUNS} runs after a warm-up, alternating.`,
    'client: Popbox POP3 client, bytes discarded. sync: Popbox durable sync (CLI; Maildir + fsync, ledger, journal, summaries). mpop: pipelining auto, Maildir delivery with fsync.',
    '',
    '| transport | client | sync | mpop | client / mpop | sync / mpop | peak RSS client / sync / mpop |',
    '|---|---|---|---|---|---|---|',
    ...rows,
    '',
    bigRow,
    '',
  ].join('\n');
  fs.writeFileSync(path.join(out, 'pop3.md'), report);
  console.log(`\n${report}`);
  fs.rmSync(maildir, { recursive: true, force: true });
} finally {
  await dc.stop();
}
