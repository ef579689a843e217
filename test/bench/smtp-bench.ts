/**
 * `npm run bench:smtp` (part of `npm run bench`): sending with Popbox against msmtp, same Postfix,
 * same messages, same run (issue 15 §5).
 *
 * A private Postfix on 127.0.0.1 (implicit TLS, AUTH through a private Dovecot, delivery by LMTP
 * into Dovecot's Maildir; test/support/postfix.ts) takes BENCH_SMTP_COUNT messages in a realistic
 * size mix (85% 2–50 KB text, 12% with a 100 KB–2 MB attachment, 3% with a 5–10 MB one) from, in
 * turn, alternating who goes first:
 *  - outbox: Popbox's real path in one process — MailService.send for each (compose/ builds the
 *    MIME, the Outbox files it durably), the Outbox's sender sends and files each in Sent;
 *  - cli: `popbox send --now` once per message (a process start each: what a script would do);
 *  - raw: Popbox's SMTP client alone on the built messages, one connection per message;
 *  - msmtp: `msmtp` once per message on the same built messages (its normal use).
 * After each run every message must be in Bob's Maildir (waited for, not timed). Then one message
 * with a 25 MB attachment, for peak RSS (target ≤ 150 MB). Prints medians, ratios and peak RSS,
 * and writes BENCH_OUT/smtp.md (pasted into the README by readme-report.ts) and smtp.json.
 *
 *   BENCH_SMTP_COUNT=200 BENCH_SMTP_RUNS=3 BENCH_SMTP_BIG_MB=25 BENCH_SMTP_WHO=outbox,cli,raw,msmtp npm run bench:smtp
 *   BENCH_SMTP_CPU_PROF=DIR  also writes V8 CPU profiles of the outbox and cli runs into DIR
 */
import { createCipheriv } from 'node:crypto';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { buildMessage } from '../../electron/core/compose/build-message.js';
import { bundleCli } from '../support/cli-bundle.js';
import { startDovecot } from '../support/dovecot.js';
import { mulberry32, type Rng } from '../support/mailgen.js';
import { postfixUnavailable, startPostfix } from '../support/postfix.js';
import { sleep } from '../support/servers.js';
import type { SendSpec, WorkerArgs } from './smtp-send.js';

type Who = 'outbox' | 'cli' | 'raw' | 'msmtp';
const COUNT = Number(process.env.BENCH_SMTP_COUNT ?? 200);
const RUNS = Number(process.env.BENCH_SMTP_RUNS ?? 3);
const BIG_MB = Number(process.env.BENCH_SMTP_BIG_MB ?? 25);
const WHO = (process.env.BENCH_SMTP_WHO ?? 'outbox,cli,raw,msmtp').split(',') as Who[];
const WARMUP = process.env.BENCH_SMTP_WARMUP !== '0';
const CPU_PROF = process.env.BENCH_SMTP_CPU_PROF ? path.resolve(process.env.BENCH_SMTP_CPU_PROF) : null;
const out = path.resolve(process.env.BENCH_OUT ?? '.bench');
const FROM = 'alice@example.org';
const TO = 'bob@example.org';

function need(cmd: string, pkg: string) {
  if (spawnSync('sh', ['-c', `command -v ${cmd}`]).status !== 0) {
    console.error(`bench: ${cmd} is missing; install it with: apt-get install ${pkg} (see .ci/run)`);
    process.exit(2);
  }
}
const unavailable = postfixUnavailable();
if (unavailable) {
  console.error(`bench: ${unavailable}`);
  process.exit(2);
}
need('msmtp', 'msmtp');
need('/usr/bin/time', 'time');
for (const w of WHO) if (!['outbox', 'cli', 'raw', 'msmtp'].includes(w)) throw new Error(`BENCH_SMTP_WHO: unknown ${w}`);

fs.mkdirSync(out, { recursive: true });
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'popbox-bench-smtp-'));
// Bundled into the repo's .bench/ (like pop3-bench's worker): npm packages stay external and resolve
// from node_modules. One file per process: the smoke test may run while a full bench does.
const worker = path.resolve(import.meta.dirname, '..', '..', '.bench', `smtp-send-${process.pid}.mjs`);
fs.mkdirSync(path.dirname(worker), { recursive: true });
await build({ entryPoints: [path.resolve(import.meta.dirname, 'smtp-send.ts')], bundle: true, platform: 'node', format: 'esm', target: 'node20', outfile: worker, logLevel: 'warning', packages: 'external' });
const cli = await bundleCli();

// ---------------------------------------------------------------------------------------------
// The messages: body texts and attachment files on disk, and each built as Popbox builds it.

const WORDS = 'the of and to in is that for it as with was on be by this are from at or have an not which but report meeting budget draft review quarterly numbers attached please find below thanks regards schedule project update Grüße Köln naïve café déjà'.split(' ');

function text(rng: Rng, bytes: number): string {
  const lines: string[] = [];
  let size = 0;
  while (size < bytes) {
    let line = '';
    while (line.length < 60) line += `${WORDS[Math.floor(rng() * WORDS.length)]} `;
    line = rng() < 0.08 ? '' : line.trimEnd();
    lines.push(line);
    size += Buffer.byteLength(line) + 1;
  }
  return `${lines.join('\n')}\n`;
}

/** Incompressible, deterministic bytes (AES-CTR keystream of a seed): like a PDF or JPEG. */
function binary(seed: number, bytes: number): Buffer {
  const key = Buffer.alloc(16);
  key.writeUInt32BE(seed >>> 0, 0);
  return createCipheriv('aes-128-ctr', key, Buffer.alloc(16)).update(Buffer.alloc(bytes));
}

const TYPES: [string, string][] = [
  ['application/pdf', 'pdf'],
  ['image/jpeg', 'jpg'],
  ['application/zip', 'zip'],
  ['application/vnd.openxmlformats-officedocument.wordprocessingml.document', 'docx'],
];
const identity = { id: 'bench', name: 'Alice Bench', address: FROM };

async function makeSpecs(): Promise<SendSpec[]> {
  const rng = mulberry32(2026_15);
  const int = (lo: number, hi: number) => lo + Math.floor(rng() * (hi - lo + 1));
  const big = Math.round(COUNT * 0.03);
  const mid = Math.round(COUNT * 0.12);
  const kinds = [...Array<'big'>(big).fill('big'), ...Array<'mid'>(mid).fill('mid'), ...Array<'text'>(COUNT - big - mid).fill('text')];
  for (let i = kinds.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [kinds[i], kinds[j]] = [kinds[j]!, kinds[i]!];
  }
  const dir = path.join(work, 'messages');
  fs.mkdirSync(dir);
  const specs: SendSpec[] = [];
  for (const [i, kind] of kinds.entries()) {
    const bodyFile = path.join(dir, `${i}.txt`);
    fs.writeFileSync(bodyFile, text(rng, kind === 'text' ? int(2 * 1024, 50 * 1024) : int(300, 3000)));
    const attachments: SendSpec['attachments'] = [];
    if (kind !== 'text') {
      const [contentType, ext] = TYPES[int(0, TYPES.length - 1)]!;
      const file = path.join(dir, `${i}.${ext}`);
      fs.writeFileSync(file, binary(i + 1, kind === 'mid' ? int(100 * 1024, 2 * 1024 * 1024) : int(5 * 1024 * 1024, 10 * 1024 * 1024)));
      attachments.push({ file, filename: `Anhang ${i}.${ext}`, contentType });
    }
    specs.push({ subject: `Bench ${i}: ${kind === 'text' ? 'Notiz' : 'Unterlagen'} für Köln`, bodyFile, attachments, emlFile: path.join(dir, `${i}.eml`) });
  }
  await writeEml(specs);
  return specs;
}

/** Each message as compose/ builds it for Send (CRLF, base64 attachments): what msmtp and raw send. */
async function writeEml(specs: SendSpec[]): Promise<void> {
  for (const s of specs) {
    const built = await buildMessage(identity, {
      to: [TO],
      subject: s.subject,
      text: fs.readFileSync(s.bodyFile, 'utf8'),
      attachments: s.attachments.map((a) => ({ filename: a.filename, contentType: a.contentType, content: fs.readFileSync(a.file).toString('base64') })),
    });
    fs.writeFileSync(s.emlFile, built.raw);
  }
}

function writeSpecs(name: string, specs: SendSpec[]): string {
  const file = path.join(work, `${name}.json`);
  fs.writeFileSync(file, JSON.stringify(specs));
  return file;
}

console.log(`bench: preparing ${COUNT} messages…`);
const specs = await makeSpecs();
const wireBytes = specs.reduce((s, m) => s + fs.statSync(m.emlFile).size, 0);
const specsFile = writeSpecs('specs', specs);

const USERS = [
  { name: 'alice', password: 'alice-pw' },
  { name: 'bob', password: 'bob-pw' },
];
const dc = await startDovecot({ lmtp: true, users: USERS });
const sizeLimit = Math.max(64, Math.ceil(BIG_MB * 1.45) + 8) * 1024 * 1024;
const pf = await startPostfix({ dovecot: dc, messageSizeLimit: sizeLimit });
type Timed = { s: number; rssMB: number; stdout: string };
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};

try {
  const ca = path.join(work, 'ca.pem');
  fs.writeFileSync(ca, pf.caPem);
  const msmtprc = path.join(work, 'msmtprc');
  fs.writeFileSync(
    msmtprc,
    ['defaults', 'tls on', 'tls_starttls off', `tls_trust_file ${ca}`, 'logfile', 'account bench', 'host 127.0.0.1', `port ${pf.submissionsPort}`, 'auth plain', 'user alice', 'password alice-pw', `from ${FROM}`, 'account default : bench', ''].join('\n'),
    { mode: 0o600 },
  );

  /** `cmd args` under /usr/bin/time: wall time, and the peak RSS of the biggest process it waited for. */
  function timed(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Timed {
    const started = process.hrtime.bigint();
    const r = spawnSync('/usr/bin/time', ['-f', 'BENCH_RSS_KB=%M', cmd, ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, env });
    const s = Number(process.hrtime.bigint() - started) / 1e9;
    if (r.status !== 0) throw new Error(`${cmd} failed (${r.status}): ${r.stderr.slice(-3000)}`);
    const rss = /BENCH_RSS_KB=(\d+)/.exec(r.stderr);
    return { s, rssMB: rss ? Number(rss[1]) / 1024 : NaN, stdout: r.stdout };
  }

  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  // Node's default profile names carry the PID: one file per process, in a folder per sender.
  const nodeFlags = (name: string) => (CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${path.join(CPU_PROF, name)}`] : []);

  function runWorker(mode: 'outbox' | 'raw', file: string): Timed {
    const dataDir = fs.mkdtempSync(path.join(work, 'data-'));
    try {
      const a: WorkerArgs = {
        mode,
        specs: file,
        dataDir,
        from: FROM,
        to: TO,
        user: 'alice',
        password: 'alice-pw',
        pop: { port: dc.tlsPort, fingerprint256: dc.fingerprint256 },
        smtp: { port: pf.submissionsPort, fingerprint256: pf.fingerprint256, caPem: pf.caPem },
      };
      return timed(process.execPath, [...(mode === 'outbox' ? nodeFlags('outbox') : []), worker, JSON.stringify(a)]);
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  }

  /** A data directory with the account set up through the CLI, as a user would. */
  function cliDataDir(): string {
    const dataDir = fs.mkdtempSync(path.join(work, 'cli-'));
    const add = spawnSync(process.execPath, [
      cli, '--data-dir', dataDir, 'account', 'add', 'bench',
      '--host', '127.0.0.1', '--port', String(dc.tlsPort), '--security', 'tls', '--tls-fingerprint', dc.fingerprint256,
      '--user', 'alice', '--password-command', 'echo alice-pw',
      '--smtp-host', '127.0.0.1', '--smtp-port', String(pf.submissionsPort), '--smtp-security', 'tls', '--smtp-tls-fingerprint', pf.fingerprint256,
      '--smtp-user', 'alice', '--smtp-password-command', 'echo alice-pw', '--from', FROM, '--from-name', 'Alice Bench',
    ], { encoding: 'utf8' });
    if (add.status !== 0) throw new Error(`account add failed: ${add.stderr}`);
    return dataDir;
  }

  /** A shell loop, one process per message; /usr/bin/time's %M is then the biggest of them. */
  function loop(name: string, lines: string[]): string {
    const file = path.join(work, `${name}.sh`);
    fs.writeFileSync(file, `set -e\n${lines.join('\n')}\n`);
    return file;
  }

  function runCli(list: SendSpec[]): Timed {
    const dataDir = cliDataDir();
    try {
      const flags = nodeFlags('cli').map(q).join(' ');
      const script = loop('cli', list.map((s) => `${q(process.execPath)} ${flags} ${q(cli)} --data-dir ${q(dataDir)} send --account bench --to ${TO} --subject ${q(s.subject)} --body-file ${q(s.bodyFile)}${s.attachments.map((a) => ` --attach ${q(a.file)}`).join('')} --now >/dev/null`));
      return timed('sh', [script]);
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  }

  function runMsmtp(list: SendSpec[]): Timed {
    const script = loop('msmtp', list.map((s) => `msmtp -C ${q(msmtprc)} -f ${FROM} -- ${TO} < ${q(s.emlFile)}`));
    return timed('sh', [script]);
  }

  /** Waits (untimed) until Bob has every message of the run, then empties his Maildir. */
  async function delivered(who: string, n: number): Promise<void> {
    const deadline = Date.now() + 120_000 + n * 1000;
    let got = 0;
    while ((got = (await dc.mailbox('bob')).length) < n && Date.now() < deadline) await sleep(200);
    if (got !== n) throw new Error(`${who}: Bob has ${got} of ${n} messages (Postfix log: ${pf.logPath})`);
    await sleep(300);
    got = (await dc.mailbox('bob')).length;
    if (got !== n) throw new Error(`${who}: Bob has ${got} messages, ${n} were sent`);
    await dc.clear('bob');
  }

  const contenders: Record<Who, (list: SendSpec[], file: string) => Timed> = {
    outbox: (_l, file) => runWorker('outbox', file),
    cli: (list) => runCli(list),
    raw: (_l, file) => runWorker('raw', file),
    msmtp: (list) => runMsmtp(list),
  };

  if (WARMUP) {
    console.log('bench: warm-up (5 messages each)…');
    const few = specs.filter((s) => s.attachments.length === 0).slice(0, 5);
    const fewFile = writeSpecs('warmup', few);
    for (const who of WHO) {
      contenders[who](few, fewFile);
      await delivered(who, few.length);
    }
  }

  const t = Object.fromEntries(WHO.map((w) => [w, { s: [] as number[], rss: [] as number[] }])) as Record<Who, { s: number[]; rss: number[] }>;
  for (let run = 0; run < RUNS; run++) {
    // Rotate who goes first so drift (page cache, CPU frequency, Postfix's queue) hits everyone alike.
    for (let k = 0; k < WHO.length; k++) {
      const who = WHO[(run + k) % WHO.length]!;
      const r = contenders[who](specs, specsFile);
      await delivered(who, specs.length);
      t[who].s.push(r.s);
      t[who].rss.push(r.rssMB);
      console.log(`bench: run ${run + 1} ${who}: ${r.s.toFixed(2)} s, peak RSS ${r.rssMB.toFixed(0)} MB`);
    }
  }

  // One 25 MB attachment: memory must not grow with the message (streamed, never held in several copies).
  const big: Partial<Record<Who, Timed>> = {};
  if (BIG_MB > 0) {
    console.log(`bench: one message with a ${BIG_MB} MB attachment…`);
    const file = path.join(work, 'messages', 'big.bin');
    fs.writeFileSync(file, binary(0xb16, BIG_MB * 1024 * 1024));
    const one: SendSpec[] = [{ subject: `One ${BIG_MB} MB attachment`, bodyFile: specs[0]!.bodyFile, attachments: [{ file, filename: 'Großes Archiv.zip', contentType: 'application/zip' }], emlFile: path.join(work, 'messages', 'big.eml') }];
    await writeEml(one);
    const oneFile = writeSpecs('big', one);
    for (const who of WHO) {
      big[who] = contenders[who](one, oneFile);
      await delivered(who, 1);
      console.log(`bench: ${BIG_MB} MB ${who}: ${big[who]!.s.toFixed(2)} s, peak RSS ${big[who]!.rssMB.toFixed(0)} MB`);
    }
  }

  // ---- report ----
  const med = (w: Who) => median(t[w].s);
  const peak = (w: Who) => Math.max(...t[w].rss);
  const ratio = (w: Who) => (WHO.includes('msmtp') ? med(w) / med('msmtp') : NaN);
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  const postfixVersion = execFileSync('/usr/sbin/postconf', ['-d', '-h', 'mail_version'], { encoding: 'utf8' }).trim();
  const dovecotVersion = execFileSync('dovecot', ['--version'], { encoding: 'utf8' }).trim();
  const msmtpVersion = execFileSync('msmtp', ['--version'], { encoding: 'utf8' }).split('\n')[0]!;
  const LABEL: Record<Who, string> = {
    outbox: 'Popbox, app path (MailService.send → Outbox → Sent, one process)',
    cli: 'Popbox, `popbox send --now` once per message',
    raw: 'Popbox SMTP client alone (sendRaw, built messages)',
    msmtp: 'msmtp once per message (built messages)',
  };
  const machine = `${os.cpus().length} × ${cpu}, ${Math.round(os.totalmem() / 2 ** 30)} GB, Linux ${os.release()}, Node ${process.version}`;
  const versions = `Postfix ${postfixVersion}, Dovecot ${dovecotVersion} (LMTP), ${msmtpVersion}`;
  const rows = WHO.map((w) => `| ${LABEL[w]} | ${med(w).toFixed(2)} s | ${t[w].s.map((s) => s.toFixed(2)).join(' / ')} | ${w === 'msmtp' ? '1.00×' : `${ratio(w).toFixed(2)}×`} | ${peak(w).toFixed(0)} MB |`);
  const bigRow = BIG_MB > 0 ? `One message with a ${BIG_MB} MB attachment (${(fs.statSync(path.join(work, 'messages', 'big.eml')).size / 1e6).toFixed(1)} MB on the wire): peak RSS ${WHO.map((w) => `${w} ${big[w]!.rssMB.toFixed(0)} MB (${big[w]!.s.toFixed(1)} s)`).join(', ')}. Target for Popbox: ≤ 150 MB.` : '';
  const target = WHO.includes('outbox') && WHO.includes('msmtp') ? `Target: Popbox within 1.2× msmtp — app path ${ratio('outbox').toFixed(2)}× (${ratio('outbox') <= 1.2 ? 'met' : 'not met'}).` : '';
  const report = [
    `SMTP sending benchmark, ${new Date().toISOString().slice(0, 10)}, ${machine}; ${versions}.`,
    `${COUNT} messages (${specs.filter((s) => !s.attachments.length).length} text 2–50 KB, ${specs.filter((s) => s.attachments.length && fs.statSync(s.attachments[0]!.file).size < 4e6).length} with a 100 KB–2 MB attachment, ${specs.filter((s) => s.attachments.length && fs.statSync(s.attachments[0]!.file).size >= 4e6).length} with a 5–10 MB one; ${(wireBytes / 1e6).toFixed(0)} MB on the wire) to one private Postfix on 127.0.0.1, implicit TLS with AUTH PLAIN, delivery by LMTP into Dovecot; every message checked delivered after each run. Median of ${RUNS} runs${WARMUP ? ' after a warm-up' : ''}, alternating who goes first; wall time includes process starts.`,
    '',
    '| sender | median | runs | / msmtp | peak RSS |',
    '|---|---|---|---|---|',
    ...rows,
    '',
    target,
    '',
    bigRow,
    '',
  ].join('\n');
  fs.writeFileSync(path.join(out, 'smtp.md'), report);
  fs.writeFileSync(
    path.join(out, 'smtp.json'),
    `${JSON.stringify(
      {
        date: new Date().toISOString(),
        machine,
        versions: { node: process.version, postfix: postfixVersion, dovecot: dovecotVersion, msmtp: msmtpVersion },
        count: COUNT,
        runs: RUNS,
        wireBytes,
        results: Object.fromEntries(WHO.map((w) => [w, { seconds: t[w].s, medianSeconds: med(w), ratioToMsmtp: WHO.includes('msmtp') ? ratio(w) : null, peakRssMB: t[w].rss }])),
        big: BIG_MB > 0 ? { attachmentMB: BIG_MB, results: Object.fromEntries(WHO.map((w) => [w, { seconds: big[w]!.s, peakRssMB: big[w]!.rssMB }])) } : null,
      },
      null,
      2,
    )}\n`,
  );
  console.log(`\n${report}`);
} finally {
  await pf.stop();
  await dc.stop();
  fs.rmSync(work, { recursive: true, force: true });
  fs.rmSync(worker, { force: true });
}
