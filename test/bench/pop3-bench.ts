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
import { execFileSync, spawn, spawnSync } from 'node:child_process';
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
/** P2: the same mailbox over plain POP3 with this round-trip time added by the fault proxy (0: skip). */
const RTT_MS = Number(process.env.BENCH_RTT_MS ?? 20);
const P2_RUNS = Number(process.env.BENCH_P2_RUNS ?? 3);
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
if (RTT_MS > 0) need('fetchmail', 'fetchmail');
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

  /** P2 points plain connections at the latency proxy. */
  let plainPort = dc.plainPort;
  const port = (mode: Mode) => (mode === 'tls' ? dc.tlsPort : plainPort);

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
        ...(mode === 'plain' ? ['--allow-insecure-auth'] : ['--tls-fingerprint', dc.fingerprint256]),
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

  // P2: where pipelining pays — the same mailbox with RTT_MS added per round trip.
  let p2Row = '';
  if (RTT_MS > 0) {
    // In its own process: the timing harness below blocks this one (spawnSync).
    const proxyChild = spawn(process.execPath, ['--import', 'tsx', 'test/bench/latency-proxy.ts', String(dc.plainPort), String(RTT_MS / 2)], { stdio: ['ignore', 'pipe', 'inherit'] });
    const proxy = {
      port: await new Promise<number>((resolve, reject) => {
        proxyChild.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
        proxyChild.once('exit', (code) => reject(new Error(`latency proxy exited ${code}`)));
      }),
    };
    plainPort = proxy.port;
    const rc = path.join(out, 'fetchmailrc');
    const fmDir = fs.mkdtempSync(path.join(os.tmpdir(), 'popbox-bench-fetchmail-'));
    for (const d of ['tmp', 'new', 'cur']) fs.mkdirSync(path.join(fmDir, d));
    fs.writeFileSync(
      rc,
      [
        'set no bouncemail',
        `poll 127.0.0.1 with proto POP3 port ${proxy.port} and options no dns`,
        `  user 'bench' there with password 'bench-pw' is 'root' here options keep fetchall sslproto '' no sslcertck`,
        `  mda "/bin/sh -c 'cat > ${fmDir}/tmp/m.$$ && sync ${fmDir}/tmp/m.$$ && mv ${fmDir}/tmp/m.$$ ${fmDir}/new/m.$$'"`,
        '',
      ].join('\n'),
      { mode: 0o600 },
    );
    const fetchmail = () => {
      for (const d of ['new', 'tmp']) for (const f of fs.readdirSync(path.join(fmDir, d))) fs.rmSync(path.join(fmDir, d, f));
      const r = spawnSync('/usr/bin/time', ['-f', 'BENCH_RSS_KB=%M', 'fetchmail', '--nodetach', '--fetchmailrc', rc, '--pidfile', path.join(out, 'fetchmail.pid'), '--silent'], {
        encoding: 'utf8',
        env: { ...process.env, HOME: out },
      });
      const got = fs.readdirSync(path.join(fmDir, 'new')).length;
      if (got !== COUNT) throw new Error(`fetchmail delivered ${got} of ${COUNT} (${r.status}): ${r.stderr.slice(-1500)}`);
      const rss = /BENCH_RSS_KB=(\d+)/.exec(r.stderr);
      return { rssMB: rss ? Number(rss[1]) / 1024 : NaN };
    };
    const timedFetchmail = () => {
      const started = process.hrtime.bigint();
      const r = fetchmail();
      return { s: Number(process.hrtime.bigint() - started) / 1e9, rssMB: r.rssMB, stdout: '' };
    };
    const p2: Record<'sync' | 'mpop' | 'fetchmail', number[]> = { sync: [], mpop: [], fetchmail: [] };
    for (let run = 0; run < P2_RUNS; run++) {
      for (const [who, fn] of [['sync', () => popboxSync('plain')], ['mpop', () => mpop('plain')], ['fetchmail', timedFetchmail]] as const) {
        const r = fn();
        p2[who].push(r.s);
        console.log(`bench: P2 (${RTT_MS} ms RTT) run ${run + 1} ${who}: ${r.s.toFixed(2)} s`);
      }
    }
    plainPort = dc.plainPort;
    proxyChild.kill('SIGTERM');
    fs.rmSync(fmDir, { recursive: true, force: true });
    const m = (who: keyof typeof p2) => median(p2[who]);
    p2Row = `P2, plain POP3 with ${RTT_MS} ms added round-trip time (fault proxy), median of ${P2_RUNS}: Popbox sync ${m('sync').toFixed(1)} s, mpop ${m('mpop').toFixed(1)} s, fetchmail ${m('fetchmail').toFixed(1)} s — Popbox is ${(m('fetchmail') / m('sync')).toFixed(1)}× faster than fetchmail (target ≥ 5×) and ${(m('sync') / m('mpop')).toFixed(2)}× mpop's time.`;
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
    p2Row,
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
