/**
 * A private Postfix for the sending tests, in front of a private Dovecot (test/support/dovecot.ts
 * started with `lmtp: true`): SMTP AUTH is checked by that Dovecot's auth service, and mail for
 * `user@<domain>` is delivered by LMTP into the very Maildir its POP3 serves. So a message sent
 * through Postfix comes back by POP3.
 *
 * Each instance lives in its own temp dir (main.cf/master.cf, queue, data, cert, log), listens
 * only on 127.0.0.1 on ports picked at runtime, relays nowhere (no relayhost, every other
 * domain refused at RCPT TO, default_transport = error), and is stopped by the PID of its
 * master process — never by name. Needs root (the master starts as root and its services drop
 * to the `postfix` user). See /work/shared/NOTES-ENV.md "A private Postfix".
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { chmod, chown, mkdir, mkdtemp, readFile, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { DovecotServer } from './dovecot.js';
import { dovecotLmtpUnavailable } from './dovecot.js';
import {
  HOST,
  MasterInstance,
  childrenOf,
  commOf,
  findExecutable,
  freePort,
  isExecutable,
  lookupGroup,
  lookupUser,
  makeCert,
  readGreeting,
  run,
  sleep,
  spawnDaemon,
  tail,
  tempRoot,
  type Daemon,
} from './servers.js';

export interface PostfixOptions {
  /** A Dovecot started with `lmtp: true`: its auth socket checks passwords, its LMTP socket delivers. */
  dovecot: DovecotServer;
  /** The one domain delivered to (virtual_mailbox_domains). Default 'example.org'. */
  domain?: string;
  /** message_size_limit in bytes (announced as SIZE). Default 10 MB. */
  messageSizeLimit?: number;
  /**
   * Appended to main.cf; a setting named again here replaces the generated one (main.cf then sets
   * each name once, the last value given: see oneEntryPerName).
   */
  extraMainCf?: string;
  /** Ports to try first (for the harness's own test: ports another process holds); any taken are picked afresh. */
  tryPorts?: PostfixPorts;
}

interface PostfixPorts {
  submissionsPort: number;
  submissionPort: number;
  clearPort: number;
}

export interface PostfixServer {
  host: '127.0.0.1';
  domain: string;
  /** Implicit TLS (like 465, "submissions"), AUTH allowed. */
  submissionsPort: number;
  /** STARTTLS required before anything else (like 587, "submission"); AUTH only after it. */
  submissionPort: number;
  /** No TLS at all, AUTH in the clear allowed: only for testing what a client allows itself. */
  clearPort: number;
  messageSizeLimit: number;
  /** Postfix's self-signed certificate (SAN DNS:localhost, IP:127.0.0.1), to be trusted as `ca`. */
  caPem: string;
  /** As node's X509Certificate#fingerprint256 ('AB:CD:…'); not Dovecot's. */
  fingerprint256: string;
  dir: string;
  /** Postfix's log (maillog_file). */
  logPath: string;
  masterPid: number;
  /** `${user}@${domain}`. */
  address(user: string): string;
  /** The log's lines from now on, to look at what Postfix did (e.g. after a refusal). */
  logSince(): () => string;
  /** Stop the master by PID, wait until its processes are gone and the ports closed, remove the temp dir. Idempotent. */
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 10_000;
const DEFAULT_SIZE_LIMIT = 10 * 1024 * 1024;
const INSTALL_HINT = 'apt-get install postfix dovecot-lmtpd (see .ci/run)';
const DAEMON_DIRS = ['/usr/lib/postfix/sbin', '/usr/libexec/postfix', '/usr/lib/postfix'];

// ---------------------------------------------------------------------------------------------
// Availability

const postfixBinary = (): string | null => findExecutable('postfix', ['/usr/sbin', '/usr/local/sbin', '/sbin']);
const daemonDirectory = (): string | null => DAEMON_DIRS.find((d) => isExecutable(path.join(d, 'master')) && isExecutable(path.join(d, 'smtpd'))) ?? null;

/** null if a private Postfix (in front of a private Dovecot with LMTP) can be started here, else a one-line reason. */
export function postfixUnavailable(): string | null {
  if (process.platform !== 'linux') return `private Postfix needs Linux (this is ${process.platform})`;
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return 'private Postfix needs root (its master starts as root and its services drop to the postfix user)';
  if (!postfixBinary() || !daemonDirectory()) return `postfix not found: ${INSTALL_HINT}`;
  if (!lookupUser('postfix') || lookupGroup('postdrop') === null) return `system user 'postfix' or group 'postdrop' missing: ${INSTALL_HINT}`;
  const dovecot = dovecotLmtpUnavailable();
  if (dovecot) return dovecot;
  return null;
}

// ---------------------------------------------------------------------------------------------
// Configuration

function checkDomain(d: string): void {
  if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/i.test(d)) throw new Error(`unsupported domain ${JSON.stringify(d)}`);
}

function renderMainCf(p: {
  dir: string;
  daemonDir: string;
  domain: string;
  users: string[];
  lmtpSocket: string;
  authSocket: string;
  messageSizeLimit: number;
  extra: string;
}): string {
  const { dir, domain } = p;
  const mailboxes = p.users.map((u) => `${u}@${domain}=${u}/`).join(', ');
  return oneEntryPerName(`# Private Postfix for Popbox tests (generated)
compatibility_level = 3.6
queue_directory = ${dir}/queue
data_directory = ${dir}/data
daemon_directory = ${p.daemonDir}
mail_owner = postfix
setgid_group = postdrop

# No syslog on these machines: Postfix logs to its own file through postlogd. Without
# maillog_file_prefixes naming the dir, a fatal error at start goes to syslog and is lost.
maillog_file = ${dir}/maillog
maillog_file_prefixes = ${dir}

myhostname = mail.${domain}
mydomain = ${domain}
myorigin = ${domain}
inet_interfaces = loopback-only
inet_protocols = ipv4
mynetworks = 127.0.0.0/8

# Deliver to ${domain}'s users by LMTP into Dovecot; nothing else, nowhere else.
mydestination =
local_recipient_maps =
alias_maps =
alias_database =
relayhost =
relay_domains =
default_transport = error:this test server delivers to ${domain} only
relay_transport = error:this test server relays nothing
virtual_mailbox_domains = ${domain}
virtual_mailbox_maps = inline:{ ${mailboxes} }
virtual_transport = lmtp:unix:${p.lmtpSocket}
lmtp_destination_recipient_limit = 1

# Submission: authenticated senders only, to ${domain} only (any other domain: 554 Relay access denied).
smtpd_sasl_type = dovecot
smtpd_sasl_path = ${p.authSocket}
smtpd_sasl_auth_enable = no
smtpd_relay_restrictions = reject_unauth_destination
smtpd_recipient_restrictions = permit_sasl_authenticated, reject
smtpd_reject_unlisted_recipient = yes
message_size_limit = ${p.messageSizeLimit}
mailbox_size_limit = 0
virtual_mailbox_limit = 0
smtpd_tls_cert_file = ${dir}/cert.pem
smtpd_tls_key_file = ${dir}/key.pem
smtpd_tls_security_level = may
smtpd_tls_auth_only = yes
smtpd_tls_mandatory_protocols = >=TLSv1.2
smtpd_tls_protocols = >=TLSv1.2
tls_random_source = dev:/dev/urandom

# Quick, quiet tests: no DNS for clients, no waiting on errors or queues.
smtpd_peername_lookup = no
smtpd_error_sleep_time = 0
smtpd_soft_error_limit = 100
smtpd_hard_error_limit = 200
smtpd_client_connection_rate_limit = 0
smtpd_client_message_rate_limit = 0
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 2s
biff = no
# Headers stay as the client sent them (no canonical rewriting of addresses from loopback).
local_header_rewrite_clients =
${p.extra}
`);
}

/**
 * main.cf with each setting's name once: its last entry (the value Postfix would use), earlier
 * ones dropped. Every Postfix process that reads a main.cf naming a setting twice warns
 * "overriding earlier entry" as it starts, postlogd included, and postlogd sends its start-up
 * warnings into its own log socket before it reads from it. When other processes have filled
 * that socket first (10 datagrams: net.unix.max_dgram_qlen; a postlogd slow to start under load),
 * postlogd blocks on itself for good, and so does every smtpd before its greeting: session 17's
 * red CI run ("did not greet", no maillog at all), reproduced with a postlogd started 0.5–2 s late
 * (0.2 s did not hang; test/integration/postfix-harness.test.ts makes it 1 s late).
 */
function oneEntryPerName(mainCf: string): string {
  // A logical entry: a setting with the lines that continue it (they start with whitespace), or a comment or blank line.
  const entries: { name: string | null; lines: string[] }[] = [];
  for (const line of mainCf.split('\n')) {
    const last = entries[entries.length - 1];
    if (last?.name && /^[ \t]+[^ \t#]/.test(line)) last.lines.push(line);
    else entries.push({ name: /^([A-Za-z0-9_]+)\s*=/.exec(line)?.[1] ?? null, lines: [line] });
  }
  const lastAt = new Map(entries.map((e, i) => [e.name, i]));
  return entries
    .filter((e, i) => e.name === null || lastAt.get(e.name) === i)
    .flatMap((e) => e.lines)
    .join('\n');
}

/** Every service with chroot off: the queue dir is not set up as a chroot jail. */
function renderMasterCf(p: { submissionsPort: number; submissionPort: number; clearPort: number }): string {
  return `# Private Postfix for Popbox tests (generated)
# service        type  private unpriv chroot wakeup maxproc command
${HOST}:${p.submissionsPort} inet n - n - - smtpd
  -o syslog_name=postfix/submissions
  -o smtpd_tls_wrappermode=yes
  -o smtpd_tls_security_level=encrypt
  -o smtpd_sasl_auth_enable=yes
${HOST}:${p.submissionPort} inet n - n - - smtpd
  -o syslog_name=postfix/submission
  -o smtpd_tls_security_level=encrypt
  -o smtpd_tls_auth_only=yes
  -o smtpd_sasl_auth_enable=yes
${HOST}:${p.clearPort} inet n - n - - smtpd
  -o syslog_name=postfix/clear
  -o smtpd_tls_security_level=none
  -o smtpd_tls_auth_only=no
  -o smtpd_sasl_auth_enable=yes
pickup     unix  n - n 60   1 pickup
cleanup    unix  n - n -    0 cleanup
qmgr       unix  n - n 300  1 qmgr
tlsmgr     unix  - - n 1000? 1 tlsmgr
rewrite    unix  - - n -    - trivial-rewrite
bounce     unix  - - n -    0 bounce
defer      unix  - - n -    0 bounce
trace      unix  - - n -    0 bounce
verify     unix  - - n -    1 verify
flush      unix  n - n 1000? 0 flush
proxymap   unix  - - n -    - proxymap
proxywrite unix  - - n -    1 proxymap
smtp       unix  - - n -    - smtp
relay      unix  - - n -    - smtp
showq      unix  n - n -    - showq
error      unix  - - n -    - error
retry      unix  - - n -    - error
discard    unix  - - n -    - discard
lmtp       unix  - - n -    - lmtp
virtual    unix  - n n -    - virtual
anvil      unix  - - n -    1 anvil
scache     unix  - - n -    1 scache
postlog    unix-dgram n - n - 1 postlogd
`;
}

// ---------------------------------------------------------------------------------------------
// Start and stop

/**
 * The queue's folders with the owners and modes Postfix wants, from the installed Postfix's own
 * table (meta_directory/postfix-files, the `$queue_directory…:d:` rows). `postfix check` (or
 * `post-install create-missing`) does the same but takes 3 s here, mostly re-checking every
 * Postfix file on the system.
 */
async function createQueue(queueDir: string, postfix: string, mailOwnerUid: number, setgidGid: number): Promise<void> {
  const postconf = path.join(path.dirname(postfix), 'postconf');
  const meta = (await run(postconf, ['-d', '-h', 'meta_directory'])).stdout.toString().trim() || '/etc/postfix';
  const table = await readFile(path.join(meta, 'postfix-files'), 'utf8');
  let made = 0;
  for (const line of table.split('\n')) {
    const m = /^\$queue_directory(\/[^:]*)?:d:([^:]+):([^:]+):([0-7]+):/.exec(line);
    if (!m) continue;
    const folder = path.join(queueDir, m[1] ?? '');
    const mode = Number.parseInt(m[4]!, 8);
    await mkdir(folder, { recursive: true, mode });
    await chown(folder, m[2] === 'root' ? 0 : mailOwnerUid, m[3] === '$setgid_group' ? setgidGid : 0);
    await chmod(folder, mode);
    made++;
  }
  if (made < 10) throw new Error(`${meta}/postfix-files lists only ${made} queue folders: ${INSTALL_HINT}`);
}

/**
 * Postfix reads a config file only once it is over a second old, dozing 300 ms at a time until
 * then (a guard against reading a file still being written): 1.5 s per start. Ours are complete.
 */
async function backdate(file: string): Promise<void> {
  const past = new Date(Date.now() - 10_000);
  await utimes(file, past, past);
}

type StartResult = { ok: true } | { ok: false; exited: boolean; why: string };

/** Waits until the clear and STARTTLS ports greet with 220 and the implicit-TLS one does over TLS. */
async function waitUntilServing(master: Daemon, ports: { submissionsPort: number; submissionPort: number; clearPort: number }, caPem: string): Promise<StartResult> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  const pending: { port: number; secure: boolean }[] = [
    { port: ports.submissionPort, secure: false },
    { port: ports.clearPort, secure: false },
    { port: ports.submissionsPort, secure: true },
  ];
  let lastErr = '';
  while (Date.now() < deadline && pending.length) {
    if (master.hasExited()) return { ok: false, exited: true, why: 'the postfix master exited during startup' };
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
  return { ok: false, exited: false, why: `postfix did not greet on ${pending.map((p) => p.port).join(', ')} within ${START_TIMEOUT_MS} ms (${lastErr})` };
}

/**
 * The master and its services with what each waits on in the kernel (/proc/PID/wchan), for the
 * error of a start that hangs: e.g. `unix_wait_for_peer` is a process blocked writing to the log
 * socket, which nobody reads.
 */
function processStates(masterPid: number): string {
  const wchan = (pid: number): string => {
    try {
      const w = readFileSync(`/proc/${pid}/wchan`, 'utf8').trim();
      return w === '0' || w === '' ? 'running' : w;
    } catch {
      return 'gone';
    }
  };
  return [masterPid, ...childrenOf(masterPid).map((c) => c.pid)].map((pid) => `${commOf(pid)}[${pid}] ${wchan(pid)}`).join(', ');
}

/**
 * How many sockets listen on 127.0.0.1:`port` (/proc/net/tcp). Postfix binds with SO_REUSEPORT,
 * so a master given a port another master (same uid) listens on shares it without a word, and
 * each connection goes to either. The later of the two to start sees both listeners and moves.
 */
function listenersOn(port: number): number {
  const local = `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  return readFileSync('/proc/net/tcp', 'utf8')
    .split('\n')
    .filter((line) => {
      const f = line.trim().split(/\s+/);
      return f[1] === local && f[3] === '0A'; // 0A: LISTEN
    }).length;
}

/** Whether something else listens on 127.0.0.1:`port` (we cannot listen there). */
function inUse(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', (e: NodeJS.ErrnoException) => resolve(e.code === 'EADDRINUSE'));
    srv.listen(port, HOST, () => srv.close(() => resolve(false)));
  });
}

/** Three distinct free loopback ports. */
async function threeFreePorts(): Promise<[number, number, number]> {
  for (;;) {
    const ports = [await freePort(), await freePort(), await freePort()];
    if (new Set(ports).size === 3) return ports as [number, number, number];
  }
}

export async function startPostfix(opts: PostfixOptions): Promise<PostfixServer> {
  const unavailable = postfixUnavailable();
  if (unavailable) throw new Error(unavailable);
  const { dovecot } = opts;
  if (!dovecot.lmtpSocket || !dovecot.authSocket) throw new Error('startPostfix needs a Dovecot started with { lmtp: true }');
  const postfix = postfixBinary() as string;
  const daemonDir = daemonDirectory() as string;
  const postfixUser = lookupUser('postfix')!;
  const domain = opts.domain ?? 'example.org';
  checkDomain(domain);
  const messageSizeLimit = opts.messageSizeLimit ?? DEFAULT_SIZE_LIMIT;

  const dir = await mkdtemp(path.join(tempRoot(), 'popbox-postfix-'));
  const instance = new MasterInstance(dir, { name: 'postfix', timeoutMs: STOP_TIMEOUT_MS });
  try {
    await chmod(dir, 0o755); // postfix's services (user postfix) read the config and write the log here
    const caPem = await makeCert(dir);
    const fingerprint256 = new X509Certificate(caPem).fingerprint256;
    await createQueue(path.join(dir, 'queue'), postfix, postfixUser.uid, lookupGroup('postdrop') as number);
    await mkdir(path.join(dir, 'data'), { mode: 0o700 });
    await chown(path.join(dir, 'data'), postfixUser.uid, postfixUser.gid);
    const logPath = path.join(dir, 'maillog');
    const stderrPath = path.join(dir, 'master.stderr');
    const mainCf = renderMainCf({
      dir,
      daemonDir,
      domain,
      users: dovecot.users,
      lmtpSocket: dovecot.lmtpSocket,
      authSocket: dovecot.authSocket,
      messageSizeLimit,
      extra: opts.extraMainCf ?? '',
    });
    await writeFile(path.join(dir, 'main.cf'), mainCf);
    await backdate(path.join(dir, 'main.cf'));

    let ports: PostfixPorts = { submissionsPort: 0, submissionPort: 0, clearPort: 0 };
    for (let attempt = 1; ; attempt++) {
      if (attempt === 1 && opts.tryPorts) ports = { ...opts.tryPorts };
      else {
        const [a, b, c] = await threeFreePorts();
        ports = { submissionsPort: a, submissionPort: b, clearPort: c };
      }
      const list = [ports.submissionsPort, ports.submissionPort, ports.clearPort];
      await writeFile(path.join(dir, 'master.cf'), renderMasterCf(ports));
      await backdate(path.join(dir, 'master.cf'));
      // The master in the foreground as our child (no -w fork): stopped by its PID like Dovecot's.
      // -s keeps its stdout (master.stderr). A fatal error before its listeners are up (e.g. a port
      // in use) goes to syslog, not there (strace: connect /dev/log, ENOENT): hence the port checks below.
      const m = instance.launch(() => spawnDaemon(path.join(daemonDir, 'master'), ['-c', dir, '-s'], { logPath: stderrPath }));
      const r = await waitUntilServing(m, ports, caPem);
      const shared = r.ok ? list.filter((p) => listenersOn(p) > 1) : [];
      if (r.ok && !shared.length) break;
      const exited = !r.ok && r.exited;
      const states = exited ? '' : `\n--- processes (kernel wait channel) ---\n${processStates(m.pid)}`;
      await instance.drop();
      // A port another process took between our probe and the master's bind: a master that shares
      // it (above), or anything else, and then the master exits at once, its "Address already in
      // use" sent to syslog, which these machines lack (master.stderr and maillog stay empty).
      const taken = exited ? (await Promise.all(list.map(async (p) => ((await inUse(p)) ? [p] : [])))).flat() : shared;
      if (taken.length && attempt < 5) continue;
      const why = r.ok ? `port ${shared.join(', ')} also listened on by another process (Postfix binds with SO_REUSEPORT)` : taken.length ? `${r.why}; port ${taken.join(', ')} held by another process` : r.why;
      throw new Error(`${why}\n--- ${stderrPath} ---\n${tail(stderrPath, 20)}\n--- ${logPath} ---\n${tail(logPath)}${states}`);
    }
    const m = instance.master;
    const pidFile = path.join(dir, 'queue', 'pid', 'master.pid');
    const pidInFile = Number.parseInt((await readFile(pidFile, 'utf8').catch(() => '')).trim(), 10);
    if (pidInFile !== m.pid) throw new Error(`${pidFile} says ${pidInFile}, but the master we started is ${m.pid}`);

    return {
      host: HOST,
      domain,
      ...ports,
      messageSizeLimit,
      caPem,
      fingerprint256,
      dir,
      logPath,
      masterPid: m.pid,
      address: (user) => `${user}@${domain}`,
      logSince: () => {
        const from = tail(logPath, 100_000).length;
        return () => tail(logPath, 100_000).slice(from);
      },
      stop: () => instance.stop([ports.submissionsPort, ports.submissionPort, ports.clearPort]),
    };
  } catch (e) {
    await instance.abort();
    throw e;
  }
}
