/**
 * A private Exim (Debian's exim4-daemon-light, unpacked by test/interop/fetch-exim.sh, never
 * installed: it Conflicts with postfix) as the second MTA of the sending interop test (issue 15
 * §4). It sits in front of a private Dovecot started with `lmtp: true` and
 * `extraConfig: EXIM_DOVECOT_CONFIG`: mail for `user@<domain>` is delivered by LMTP into the very
 * Maildir that Dovecot's POP3 serves, as with Postfix.
 *
 * Each instance lives in its own temp dir (configure, spool, logs, cert), listens only on
 * 127.0.0.1 on ports picked at runtime (submission with STARTTLS, submissions with implicit TLS;
 * AUTH PLAIN/LOGIN only after TLS, checked against the Dovecot users' passwords), relays nowhere,
 * and is stopped by the PID of its daemon — never by name. Exim runs in the foreground (-bdf) as
 * our child; needs root (it binds as root and drops to Debian-exim for each connection).
 */
import { X509Certificate } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { chmod, chown, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { DovecotServer } from './dovecot.js';
import { dovecotLmtpUnavailable } from './dovecot.js';
import { HOST, MasterInstance, freePort, isExecutable, lookupUser, makeCert, readGreeting, sleep, spawnDaemon, tail, tempRoot, type Daemon } from './servers.js';

export const EXIM_ROOT = path.join(process.env.POPBOX_INTEROP_CACHE ?? '/var/cache/popbox-interop', 'exim', 'root');
const EXIM_BINARY = path.join(EXIM_ROOT, 'usr', 'sbin', 'exim4');
/** The user Debian's exim4 is built to run as (EXIM_USER); fetch-exim.sh creates it. */
const EXIM_USER = 'Debian-exim';
const FETCH_HINT = 'run test/interop/fetch-exim.sh as root (.ci/run does)';
const START_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 10_000;
/** The LMTP socket Exim delivers to, under the Dovecot's base_dir (`run/`). */
const LMTP_SOCKET = 'lmtp-exim';

/**
 * Give this to startDovecot as `extraConfig` (with `lmtp: true`): a second LMTP socket that
 * Exim's delivery processes (user Debian-exim) may connect to; the first stays Postfix's.
 */
export const EXIM_DOVECOT_CONFIG = `
service lmtp {
  unix_listener ${LMTP_SOCKET} {
    user = ${EXIM_USER}
    mode = 0600
  }
}
`;

export interface EximOptions {
  /** A Dovecot started with `lmtp: true` and `extraConfig: EXIM_DOVECOT_CONFIG`. */
  dovecot: DovecotServer;
  /** Users and their passwords for SMTP AUTH (the Dovecot's, usually). */
  users: { name: string; password: string }[];
  /** The one domain delivered to. Default 'example.org'. */
  domain?: string;
  /** message_size_limit in bytes (announced as SIZE). Default 30 MB. */
  messageSizeLimit?: number;
}

export interface EximServer {
  host: '127.0.0.1';
  domain: string;
  /** STARTTLS before AUTH (like 587). */
  submissionPort: number;
  /** Implicit TLS (like 465). */
  submissionsPort: number;
  /** Exim's self-signed certificate (SAN DNS:localhost, IP:127.0.0.1), to be trusted as `ca`. */
  caPem: string;
  fingerprint256: string;
  /** "Exim version 4.96 #2 …" */
  version: string;
  dir: string;
  /** Exim's main log. */
  logPath: string;
  masterPid: number;
  address(user: string): string;
  /** Stop the daemon by PID, wait until it and its children are gone and the ports closed, remove the temp dir. Idempotent. */
  stop(): Promise<void>;
}

/** null if a private Exim (in front of a private Dovecot with LMTP) can be started here, else a one-line reason. */
export function eximUnavailable(): string | null {
  if (process.platform !== 'linux') return `private Exim needs Linux (this is ${process.platform})`;
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return 'private Exim needs root (it binds as root and drops to Debian-exim)';
  if (!isExecutable(EXIM_BINARY)) return `Exim not unpacked at ${EXIM_BINARY}: ${FETCH_HINT}`;
  if (!lookupUser(EXIM_USER)) return `system user ${EXIM_USER} missing: ${FETCH_HINT}`;
  return dovecotLmtpUnavailable();
}

/** Exim's string-expansion language quotes with backslashes; our values are plain words. */
function checkWord(what: string, s: string): void {
  if (!/^[A-Za-z0-9._@+-]+$/.test(s)) throw new Error(`unsupported ${what} ${JSON.stringify(s)} for the Exim config`);
}

function renderConfig(p: { dir: string; domain: string; users: string[]; submissionPort: number; submissionsPort: number; lmtpSocket: string; messageSizeLimit: number }): string {
  const { dir } = p;
  return `# Private Exim for Popbox tests (generated)
exim_path = ${EXIM_BINARY}
keep_environment =
primary_hostname = mail.${p.domain}
qualify_domain = ${p.domain}
spool_directory = ${dir}/spool
log_file_path = ${dir}/log/%slog
pid_file_path = ${dir}/exim.pid
local_interfaces = <; ${HOST}
daemon_smtp_ports = ${p.submissionPort} : ${p.submissionsPort}
tls_on_connect_ports = ${p.submissionsPort}
tls_advertise_hosts = *
tls_certificate = ${dir}/cert.pem
tls_privatekey = ${dir}/key.pem
message_size_limit = ${p.messageSizeLimit}
# No DNS, no ident, no waiting: loopback tests.
host_lookup =
rfc1413_hosts =
smtp_banner = mail.${p.domain} ESMTP Exim \${version_number}
# Deliver at once, in the process that received the message, as the Exim user (LMTP needs no root).
deliver_drop_privilege = true
# AUTH only on an encrypted connection.
auth_advertise_hosts = \${if eq{$tls_in_cipher}{}{}{*}}
acl_smtp_rcpt = acl_check_rcpt
acl_smtp_data = acl_check_data

domainlist local_domains = ${p.domain}

begin acl

acl_check_rcpt:
  deny    message = authentication required
          !authenticated = *
  deny    message = relay not permitted
          !domains = +local_domains
  accept  local_parts = ${p.users.join(' : ')}
  deny    message = unknown user

acl_check_data:
  accept

begin routers

dovecot_users:
  driver = accept
  domains = +local_domains
  local_parts = ${p.users.join(' : ')}
  transport = dovecot_lmtp

begin transports

dovecot_lmtp:
  driver = lmtp
  socket = ${p.lmtpSocket}
  batch_max = 1

begin retry

*   *   F,1m,5s

begin authenticators

plain:
  driver = plaintext
  public_name = PLAIN
  server_prompts = :
  server_condition = \${if eq{$auth3}{\${lookup{$auth2}lsearch{${dir}/passwd}}}}
  server_set_id = $auth2

login:
  driver = plaintext
  public_name = LOGIN
  server_prompts = Username:: : Password::
  server_condition = \${if eq{$auth2}{\${lookup{$auth1}lsearch{${dir}/passwd}}}}
  server_set_id = $auth1
`;
}

async function twoPorts(): Promise<[number, number]> {
  for (;;) {
    const a = await freePort();
    const b = await freePort();
    if (a !== b) return [a, b];
  }
}

async function waitUntilServing(master: Daemon, ports: { submissionPort: number; submissionsPort: number }, caPem: string): Promise<{ ok: true } | { ok: false; exited: boolean; why: string }> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  const pending = [
    { port: ports.submissionPort, secure: false },
    { port: ports.submissionsPort, secure: true },
  ];
  let lastErr = '';
  while (Date.now() < deadline && pending.length) {
    if (master.hasExited()) return { ok: false, exited: true, why: 'exim exited during startup' };
    const next = pending[0]!;
    try {
      const g = await readGreeting({ port: next.port, secure: next.secure, caPem }, 2000);
      if (!g.startsWith('220')) throw new Error(`unexpected greeting on ${next.port}: ${g}`);
      pending.shift();
    } catch (e) {
      lastErr = (e as Error).message;
      await sleep(50);
    }
  }
  if (!pending.length) return { ok: true };
  return { ok: false, exited: false, why: `exim did not greet on ${pending.map((p) => p.port).join(', ')} within ${START_TIMEOUT_MS} ms (${lastErr})` };
}

export async function startExim(opts: EximOptions): Promise<EximServer> {
  const unavailable = eximUnavailable();
  if (unavailable) throw new Error(unavailable);
  const { dovecot } = opts;
  if (!dovecot.lmtpSocket) throw new Error('startExim needs a Dovecot started with { lmtp: true, extraConfig: EXIM_DOVECOT_CONFIG }');
  const domain = opts.domain ?? 'example.org';
  checkWord('domain', domain);
  for (const u of opts.users) {
    checkWord('user name', u.name);
    checkWord('password', u.password);
  }
  const exim = lookupUser(EXIM_USER)!;
  const dir = await mkdtemp(path.join(tempRoot(), 'popbox-exim-'));
  const instance = new MasterInstance(dir, { name: 'exim', timeoutMs: STOP_TIMEOUT_MS });
  try {
    await chmod(dir, 0o755);
    const caPem = await makeCert(dir);
    const fingerprint256 = new X509Certificate(caPem).fingerprint256;
    // Exim reads its key and the password list after dropping to its user, and writes spool and logs as it.
    for (const f of ['key.pem', 'cert.pem']) await chown(path.join(dir, f), exim.uid, exim.gid);
    await writeFile(path.join(dir, 'passwd'), opts.users.map((u) => `${u.name}: ${u.password}\n`).join(''), { mode: 0o600 });
    await chown(path.join(dir, 'passwd'), exim.uid, exim.gid);
    for (const d of ['spool', 'log']) {
      await mkdir(path.join(dir, d), { mode: 0o750 });
      await chown(path.join(dir, d), exim.uid, exim.gid);
    }
    const lmtpSocket = path.join(dovecot.dir, 'run', LMTP_SOCKET);
    const confPath = path.join(dir, 'configure');
    const stderrPath = path.join(dir, 'exim.stderr');
    const logPath = path.join(dir, 'log', 'mainlog');
    const version = execFileSync(EXIM_BINARY, ['-C', '/dev/null', '-bV'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split('\n')[0]!.trim();

    let ports = { submissionPort: 0, submissionsPort: 0 };
    for (let attempt = 1; ; attempt++) {
      const [a, b] = await twoPorts();
      ports = { submissionPort: a, submissionsPort: b };
      await writeFile(confPath, renderConfig({ dir, domain, users: opts.users.map((u) => u.name), ...ports, lmtpSocket, messageSizeLimit: opts.messageSizeLimit ?? 30 * 1024 * 1024 }), { mode: 0o644 });
      // -bdf: the daemon in the foreground, our child; -q is not given, so nothing runs the queue.
      const m = instance.launch(() => spawnDaemon(EXIM_BINARY, ['-C', confPath, '-bdf'], { logPath: stderrPath }));
      const r = await waitUntilServing(m, ports, caPem);
      if (r.ok) break;
      await instance.drop();
      const log = `${tail(stderrPath, 20)}\n${tail(path.join(dir, 'log', 'paniclog'), 20)}\n${tail(logPath, 20)}`;
      if (r.exited && /address already in use/i.test(log) && attempt < 5) continue;
      throw new Error(`${r.why}\n${log}`);
    }
    const m = instance.master;
    return {
      host: HOST,
      domain,
      ...ports,
      caPem,
      fingerprint256,
      version,
      dir,
      logPath,
      masterPid: m.pid,
      address: (user) => `${user}@${domain}`,
      stop: () => instance.stop([ports.submissionPort, ports.submissionsPort]),
    };
  } catch (e) {
    await instance.abort();
    throw e;
  }
}
