/**
 * `npm run bench:startup` (issue 18 P0 and P3): what every scheduled check and every command costs.
 *
 *  - P0, the empty check: nothing new, BENCH_P0_COUNT messages (2,000) kept on a private Dovecot,
 *    over TLS. Popbox through the CLI (`popbox sync`, the bundle as `popbox` runs it), Popbox inside
 *    a running app (MailService.sync in this process: no process start), and mpop on the same
 *    server (`--only-new`, Maildir delivery, its UIDL file), alternating, median of BENCH_RUNS;
 *    where NODE_EXTRA_CA_CERTS is set, the CLI once more without it (what a machine without it pays).
 *  - P3, start-up: `popbox account list` (through build/popbox.cjs, as installed; and the bundle
 *    alone) against a bare `node -e 0`: wall time and peak RSS. Every Popbox row starts node with
 *    the flags of build/popbox.cjs's shebang, as `popbox` does.
 *
 * Message sizes do not matter to an empty check (nothing is downloaded), so the mailbox is made of
 * small messages to keep the set-up short. Before the timed runs each Popbox data directory has had
 * one full sync and, more than two seconds later, one full empty check: what a user's machine looks
 * like between two checks. Prints the machine, the versions, every run and the medians and ratios,
 * and writes them to BENCH_OUT (default .bench)/startup.md and startup.json.
 *
 *   BENCH_P0_COUNT=2000 BENCH_RUNS=3 MPOP=/path/to/mpop npm run bench:startup
 *
 * Without mpop (not on PATH, no MPOP), BENCH_NO_PEER=1 runs the Popbox rows alone (the CI smoke test).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MailService } from '../../electron/core/mail-service.js';
import { MemorySecretStore } from '../../electron/core/secrets/index.js';
import { bundleCli, CLI_NODE_FLAGS } from '../support/cli-bundle.js';
import { dovecotUnavailable, startDovecot } from '../support/dovecot.js';
import { generateMessages } from '../support/mailgen.js';

const COUNT = Number(process.env.BENCH_P0_COUNT ?? 2000);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const NO_PEER = process.env.BENCH_NO_PEER === '1';
const out = path.resolve(process.env.BENCH_OUT ?? '.bench');
const repo = path.resolve(import.meta.dirname, '..', '..');

function fail(message: string): never {
  console.error(`bench: ${message}`);
  process.exit(2);
}

const unavailable = dovecotUnavailable();
if (unavailable) fail(unavailable);
if (spawnSync('sh', ['-c', 'command -v /usr/bin/time']).status !== 0) fail('/usr/bin/time is missing; install it with: apt-get install time');
const mpopPath = process.env.MPOP ?? (spawnSync('sh', ['-c', 'command -v mpop'], { encoding: 'utf8' }).stdout.trim() || null);
if (!mpopPath && !NO_PEER) fail('mpop is missing; install it with: apt-get install mpop (or set MPOP=/path/to/mpop, or BENCH_NO_PEER=1)');
const mpop = NO_PEER ? null : mpopPath;

interface Run {
  ms: number;
  /** Peak RSS (MB); NaN where it cannot be measured (in this process). */
  rssMB: number;
  /** User + system CPU (ms). */
  cpuMs: number;
}

/** One process to its end, through /usr/bin/time: wall, peak RSS, CPU. */
function timed(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; expect?: RegExp } = {}): Run {
  const started = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-f', 'BENCH_T=%M %U %S', cmd, ...args], { encoding: 'utf8', cwd: repo, env: opts.env ?? process.env });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr.slice(-1500)}`);
  if (opts.expect && !opts.expect.test(r.stdout)) throw new Error(`${cmd} ${args.join(' ')}: unexpected output ${JSON.stringify(r.stdout)}`);
  const m = /BENCH_T=(\d+) ([\d.]+) ([\d.]+)/.exec(r.stderr);
  return { ms, rssMB: m ? Number(m[1]) / 1024 : NaN, cpuMs: m ? (Number(m[2]) + Number(m[3])) * 1000 : NaN };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

fs.mkdirSync(out, { recursive: true });
const cli = await bundleCli();
const popboxBin = path.join(repo, 'build', 'popbox.cjs');
// Every Popbox row starts node as `popbox` does (its shebang's flags: --max-semi-space-size=2).
const popbox = (entry: string, ...args: string[]) => [...CLI_NODE_FLAGS, entry, ...args];
console.log(`bench: ${COUNT} messages kept on a private Dovecot…`);
const dc = await startDovecot({ users: [{ name: 'bench', password: 'bench-pw' }] });
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'popbox-bench-startup-'));
let service: MailService | null = null;
try {
  await dc.deliver('bench', generateMessages({ seed: 2026, count: COUNT, mix: 'small' }));
  const ca = path.join(scratch, 'ca.pem');
  fs.writeFileSync(ca, dc.caPem);
  const account = ['--host', '127.0.0.1', '--port', String(dc.tlsPort), '--security', 'tls', '--tls-fingerprint', dc.fingerprint256, '--user', 'bench', '--password-command', 'echo bench-pw', '--leave-on-server'];

  // Popbox through the CLI: its own data directory, synced once.
  const cliData = path.join(scratch, 'cli');
  timed(process.execPath, popbox(cli, '--data-dir', cliData, 'account', 'add', 'bench', ...account));
  timed(process.execPath, popbox(cli, '--data-dir', cliData, 'sync'), { expect: new RegExp(`bench: ${COUNT} new`) });

  // Popbox inside a running app: another data directory, held by this process from here on.
  const appData = path.join(scratch, 'app');
  service = await MailService.open({ dataDir: appData, secrets: new MemorySecretStore(), sendQueued: false });
  await service.addAccount(
    { name: 'bench', host: '127.0.0.1', port: dc.tlsPort, security: 'tls', tlsFingerprint: dc.fingerprint256, user: 'bench', leaveOnServer: true, password: { source: 'command', command: 'echo bench-pw' } },
  );
  const first = await service.sync();
  if (!first[0]?.ok || first[0].result.downloaded !== COUNT) throw new Error(`the app's first sync: ${JSON.stringify(first[0])}`);
  const app = service;
  const inApp = async (): Promise<Run> => {
    const started = performance.now();
    const cpu = process.cpuUsage();
    const [o] = await app.sync();
    const ms = performance.now() - started;
    const used = process.cpuUsage(cpu);
    if (!o?.ok || o.result.downloaded !== 0) throw new Error(`the app's empty check: ${JSON.stringify(o)}`);
    return { ms, rssMB: NaN, cpuMs: (used.user + used.system) / 1000 };
  };

  // mpop: its Maildir and UIDL file, filled once.
  const mpopDir = path.join(scratch, 'mpop');
  for (const d of ['tmp', 'new', 'cur']) fs.mkdirSync(path.join(mpopDir, 'Maildir', d), { recursive: true });
  const mpopArgs = [
    '--host=127.0.0.1', `--port=${dc.tlsPort}`, '--tls=on', '--tls-starttls=off', `--tls-trust-file=${ca}`, '--tls-host-override=localhost',
    '--auth=plain', '--user=bench', '--passwordeval=echo bench-pw', '--keep=on', '--only-new=on',
    `--uidls-file=${path.join(mpopDir, 'uidls')}`, `--delivery=maildir,${path.join(mpopDir, 'Maildir')}`, '--pipelining=auto', '--quiet',
  ];
  if (mpop) {
    timed(mpop, mpopArgs);
    const got = fs.readdirSync(path.join(mpopDir, 'Maildir', 'new')).length;
    if (got !== COUNT) throw new Error(`mpop delivered ${got} of ${COUNT}`);
  }

  // NODE_EXTRA_CA_CERTS (set on some machines, this one included) makes node read and parse that
  // file at every start, before any script: ~45 ms CPU for a 144-certificate bundle, and with it
  // OpenSSL's whole root store, which a process without it builds only when a connection needs it
  // (a pinned one never does: core/net/tls.ts). Every row pays it; the CLI's empty check and
  // node's start are also run without it, so a reader can tell node's share from ours.
  const extraCa = process.env.NODE_EXTRA_CA_CERTS;
  const withoutExtraCa = { ...process.env };
  delete withoutExtraCa.NODE_EXTRA_CA_CERTS;

  // What a machine looks like between two checks: the Maildirs settled, one full empty check done.
  await sleep(2500);
  const cliSync = (env?: NodeJS.ProcessEnv) => timed(process.execPath, popbox(cli, '--data-dir', cliData, 'sync'), { expect: /^bench: 0 new, 0 deleted on server\n$/, ...(env ? { env } : {}) });
  cliSync();
  await inApp();

  type Who = 'cli' | 'cliNoCa' | 'app' | 'mpop';
  const p0: Record<Who, Run[]> = { cli: [], cliNoCa: [], app: [], mpop: [] };
  const contenders: [Who, () => Promise<Run> | Run][] = [
    ['cli', () => cliSync()],
    ...(extraCa ? ([['cliNoCa', () => cliSync(withoutExtraCa)]] as [Who, () => Run][]) : []),
    ['app', inApp],
    ...(mpop ? ([['mpop', () => timed(mpop, mpopArgs)]] as [Who, () => Run][]) : []),
  ];
  console.log('bench: P0, the empty check…');
  for (const [, run] of contenders) await run(); // warm-up
  for (let i = 0; i < RUNS; i++) {
    // Rotate who goes first so that drift hits everyone alike.
    for (let k = 0; k < contenders.length; k++) {
      const [who, run] = contenders[(i + k) % contenders.length]!;
      const r = await run();
      p0[who].push(r);
      console.log(`bench: P0 run ${i + 1} ${who}: ${r.ms.toFixed(0)} ms wall, ${r.cpuMs.toFixed(0)} ms CPU${Number.isNaN(r.rssMB) ? '' : `, ${r.rssMB.toFixed(0)} MB`}`);
    }
  }
  await service.close();
  service = null;

  // P3, start-up: `account list` against bare node.
  type Start = 'node' | 'bin' | 'bundle' | 'nodeNoCa';
  const starts: [Start, () => Run][] = [
    ['node', () => timed(process.execPath, ['-e', '0'])],
    ...(extraCa ? ([['nodeNoCa', () => timed(process.execPath, ['-e', '0'], { env: withoutExtraCa })]] as [Start, () => Run][]) : []),
    ['bin', () => timed(process.execPath, popbox(popboxBin, '--data-dir', cliData, 'account', 'list'), { expect: /^bench\t/ })],
    ['bundle', () => timed(process.execPath, popbox(cli, '--data-dir', cliData, 'account', 'list'), { expect: /^bench\t/ })],
  ];
  const p3: Record<Start, Run[]> = { node: [], bin: [], bundle: [], nodeNoCa: [] };
  console.log('bench: P3, start-up…');
  for (const [, run] of starts) run();
  for (let i = 0; i < Math.max(RUNS, 5); i++) {
    for (let k = 0; k < starts.length; k++) {
      const [who, run] = starts[(i + k) % starts.length]!;
      const r = run();
      p3[who].push(r);
      console.log(`bench: P3 run ${i + 1} ${who}: ${r.ms.toFixed(0)} ms wall, ${r.cpuMs.toFixed(0)} ms CPU, ${r.rssMB.toFixed(0)} MB`);
    }
  }

  const med = (runs: Run[], k: keyof Run) => median(runs.map((r) => r[k]));
  const raw = (runs: Run[]) => runs.map((r) => r.ms.toFixed(0)).join(', ');
  const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}×`;
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  const dovecotVersion = execFileSync('dovecot', ['--version'], { encoding: 'utf8' }).trim();
  const mpopVersion = mpop ? execFileSync(mpop, ['--version'], { encoding: 'utf8' }).split('\n')[0] : 'mpop not run';
  const m = (who: Who) => med(p0[who], 'ms');
  const lines = [
    `Empty check and start-up benchmark, ${new Date().toISOString().slice(0, 10)}, ${os.cpus().length} × ${cpu}, load ${os.loadavg()[0]!.toFixed(1)}, Node ${process.version}, Dovecot ${dovecotVersion}, ${mpopVersion}`,
    `P0: nothing new, ${COUNT} messages kept on the server, TLS; median of ${RUNS} after a warm-up, alternating. CLI: \`popbox sync\` (bundle). App: MailService.sync in a running process. mpop: --only-new, Maildir delivery.`,
    '',
    '| empty check | wall (median) | CPU (median) | peak RSS | runs (ms) | vs mpop |',
    '|---|---|---|---|---|---|',
    `| Popbox CLI | ${m('cli').toFixed(0)} ms | ${med(p0.cli, 'cpuMs').toFixed(0)} ms | ${Math.max(...p0.cli.map((r) => r.rssMB)).toFixed(0)} MB | ${raw(p0.cli)} | ${mpop ? ratio(m('cli'), m('mpop')) : '–'} |`,
    ...(extraCa
      ? [`| Popbox CLI without NODE_EXTRA_CA_CERTS (set here: the row above pays it) | ${m('cliNoCa').toFixed(0)} ms | ${med(p0.cliNoCa, 'cpuMs').toFixed(0)} ms | ${Math.max(...p0.cliNoCa.map((r) => r.rssMB)).toFixed(0)} MB | ${raw(p0.cliNoCa)} | ${mpop ? ratio(m('cliNoCa'), m('mpop')) : '–'} |`]
      : []),
    `| Popbox in the app | ${m('app').toFixed(0)} ms | ${med(p0.app, 'cpuMs').toFixed(0)} ms | (the app's) | ${raw(p0.app)} | ${mpop ? ratio(m('app'), m('mpop')) : '–'} |`,
    ...(mpop ? [`| mpop | ${m('mpop').toFixed(0)} ms | ${med(p0.mpop, 'cpuMs').toFixed(0)} ms | ${Math.max(...p0.mpop.map((r) => r.rssMB)).toFixed(0)} MB | ${raw(p0.mpop)} | 1.00× |`] : []),
    '',
    `P3: \`popbox account list\` against \`node -e 0\`, median of ${p3.node.length}, alternating.`,
    '',
    '| start-up | wall (median) | CPU (median) | peak RSS (max) | runs (ms) | wall − node |',
    '|---|---|---|---|---|---|',
    ...(['bin', 'bundle', 'node', ...(extraCa ? ['nodeNoCa'] : [])] as Start[]).map((who) => {
      const label = {
        bin: '`popbox account list` (build/popbox.cjs, as installed)',
        bundle: 'the same, bundle alone (dist/cli/popbox.cjs)',
        node: '`node -e 0`',
        nodeNoCa: '`node -e 0` without NODE_EXTRA_CA_CERTS (set here; every row above pays it)',
      }[who];
      return `| ${label} | ${med(p3[who], 'ms').toFixed(0)} ms | ${med(p3[who], 'cpuMs').toFixed(0)} ms | ${Math.max(...p3[who].map((r) => r.rssMB)).toFixed(0)} MB | ${raw(p3[who])} | ${who === 'node' ? '–' : `${med(p3[who], 'ms') >= med(p3.node, 'ms') ? '+' : '−'}${Math.abs(med(p3[who], 'ms') - med(p3.node, 'ms')).toFixed(0)} ms`} |`;
    }),
  ];
  const report = lines.join('\n');
  console.log(`\n${report}`);
  fs.writeFileSync(path.join(out, 'startup.md'), `${report}\n`);
  fs.writeFileSync(path.join(out, 'startup.json'), JSON.stringify({ count: COUNT, runs: RUNS, p0, p3, mpop: mpopVersion, node: process.version }, null, 2));
} finally {
  await service?.close().catch(() => {});
  await dc.stop();
  fs.rmSync(scratch, { recursive: true, force: true });
}
