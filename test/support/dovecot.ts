/**
 * A private Dovecot POP3 server for tests and benchmarks.
 *
 * Each instance lives in its own temp dir (config, cert, passwd-file, base_dir, state_dir, logs,
 * home dirs), listens only on 127.0.0.1 on ports picked at runtime, and is stopped by the PID of
 * its master process — never by name. See /work/shared/NOTES-ENV.md "A private Dovecot for tests".
 */
import { X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, chown, mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  HOST,
  MasterInstance,
  ensureMaildir as ensureMaildirIn,
  findExecutable,
  lookupGroup,
  lookupUser,
  makeCert,
  nextMaildirName,
  nobodyAccount,
  opensslBinary,
  readGreeting,
  sleep,
  spawnDaemon,
  tail,
  tempRoot,
  twoFreePorts,
  type Account,
  type Daemon,
} from './servers.js';

export interface DovecotUser {
  name: string;
  password: string;
}

export interface DovecotOptions {
  /** Default `[{ name: 'alice', password: 'alice-pw' }]`. */
  users?: DovecotUser[];
  /** Default `['plain', 'login', 'cram-md5', 'apop']` → `auth_mechanisms`. */
  mechanisms?: string[];
  /** Appended to the config; later settings override earlier ones (e.g. 'pop3_uidl_format = %v.%u'). */
  extraConfig?: string;
  /**
   * Also serve an MTA on this machine (test/support/postfix.ts): `protocols = pop3 lmtp` with an
   * LMTP Unix socket that delivers `user@any.domain` into that user's Maildir, and an auth-client
   * Unix socket for SMTP AUTH. Both sockets belong to the `postfix` user when it exists (mode
   * 0600), else are open to all (0666, inside the instance's own temp dir). Off: the config is
   * exactly as without this option.
   */
  lmtp?: boolean;
}

export interface DeliverOptions {
  /** Where the files go: 'cur' (default, with the `:2,` info suffix) or 'new' (no suffix; with pop3_no_flag_updates Dovecot's POP3 leaves them there). */
  folder?: 'cur' | 'new';
}

export interface DovecotServer {
  host: '127.0.0.1';
  /** POP3 with STLS offered. */
  plainPort: number;
  /** Implicit TLS (pop3s). */
  tlsPort: number;
  /** The self-signed certificate (SAN DNS:localhost, IP:127.0.0.1), to be used as `ca`. */
  caPem: string;
  /** As node's X509Certificate#fingerprint256 ('AB:CD:…'). */
  fingerprint256: string;
  /** The instance's temp dir. */
  dir: string;
  logPath: string;
  /** PID of the Dovecot master process (as in base_dir/master.pid). */
  masterPid: number;
  /** The users' names, as POP3 logins and LMTP recipients' local parts. */
  users: string[];
  /** With `lmtp`: the LMTP Unix socket (Postfix's `lmtp:unix:PATH`). */
  lmtpSocket?: string;
  /** With `lmtp`: the auth-client Unix socket (Postfix's `smtpd_sasl_path` with `smtpd_sasl_type = dovecot`). */
  authSocket?: string;
  /**
   * Put raw messages (bytes as on disk, LF line endings) into the user's Maildir, with
   * Dovecot-style names carrying `,S=<size>,W=<crlf size>` so LIST needs no read. POP3 lists
   * them in the order given, after anything delivered earlier. Returns the file names in order.
   */
  deliver(user: string, messages: Buffer[], opts?: DeliverOptions): Promise<string[]>;
  /** What's in the user's Maildir now (new + cur), in the order POP3 would list them. */
  mailbox(user: string): Promise<{ name: string; bytes: Buffer }[]>;
  /** Remove every message and Dovecot's index/uidlist caches for the user. */
  clear(user: string): Promise<void>;
  /** Stop the master by PID, wait until its processes are gone and the ports closed, remove the temp dir. Idempotent. */
  stop(): Promise<void>;
}

const DEFAULT_USERS: DovecotUser[] = [{ name: 'alice', password: 'alice-pw' }];
const DEFAULT_MECHANISMS = ['plain', 'login', 'cram-md5', 'apop'];
const START_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 10_000;
const DH_PEM = '/usr/share/dovecot/dh.pem';
const INSTALL_HINT = 'apt-get install dovecot-core dovecot-pop3d';
const LMTP_INSTALL_HINT = 'apt-get install dovecot-lmtpd';
/** Socket names under base_dir (with `lmtp`). */
const LMTP_SOCKET = 'lmtp-mta';
const AUTH_SOCKET = 'auth-mta';

// ---------------------------------------------------------------------------------------------
// Availability

const dovecotBinary = (): string | null => findExecutable('dovecot', ['/usr/sbin', '/usr/local/sbin', '/sbin']);

/** The mail uid/gid: the existing `nobody` user and its group (`nogroup` on Debian). */
const mailAccount = nobodyAccount;

const LIBEXEC_DIRS = ['/usr/lib/dovecot', '/usr/libexec/dovecot', '/usr/local/libexec/dovecot'];

/** null if a private Dovecot with LMTP (`lmtp: true`) can be started here, else a one-line reason. */
export function dovecotLmtpUnavailable(): string | null {
  const base = dovecotUnavailable();
  if (base) return base;
  if (!LIBEXEC_DIRS.some((d) => existsSync(path.join(d, 'lmtp')))) return `dovecot LMTP server not found: ${LMTP_INSTALL_HINT}`;
  return null;
}

/** null if a private Dovecot can be started here, else a one-line reason. */
export function dovecotUnavailable(): string | null {
  if (process.platform !== 'linux') return `private Dovecot needs Linux (this is ${process.platform})`;
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return 'private Dovecot needs root (it runs its master as root and drops to the dovecot/nobody users)';
  if (!dovecotBinary()) return `dovecot not found: ${INSTALL_HINT}`;
  if (!LIBEXEC_DIRS.some((d) => existsSync(path.join(d, 'pop3')) && existsSync(path.join(d, 'pop3-login')))) {
    return `dovecot POP3 server not found: ${INSTALL_HINT}`;
  }
  if (!existsSync(DH_PEM)) return `${DH_PEM} missing: ${INSTALL_HINT}`;
  if (!lookupUser('dovecot') || lookupGroup('dovecot') === null) return `system user/group 'dovecot' missing: ${INSTALL_HINT}`;
  if (!mailAccount()) return "system user 'nobody' missing (used as the mail uid)";
  if (!opensslBinary()) return 'openssl CLI not found: apt-get install openssl';
  return null;
}

// ---------------------------------------------------------------------------------------------
// Maildir naming and ordering

/** Size on the wire: every LF not preceded by CR becomes CRLF. */
function crlfSize(bytes: Buffer): number {
  let n = bytes.length;
  let i = bytes.indexOf(0x0a);
  while (i >= 0) {
    if (i === 0 || bytes[i - 1] !== 0x0d) n++;
    i = bytes.indexOf(0x0a, i + 1);
  }
  return n;
}

/** Dovecot's maildir_filename_sort_cmp: seconds, then M<usecs>, then the base name. */
function maildirSortCmp(a: string, b: string): number {
  const ma = /^(\d*)(\.[^.:]*)?/.exec(a);
  const mb = /^(\d*)(\.[^.:]*)?/.exec(b);
  const sa = Number(ma?.[1] || 0);
  const sb = Number(mb?.[1] || 0);
  if (sa !== sb) return sa - sb;
  const ua = /M(\d+)/.exec(ma?.[2] ?? '');
  const ub = /M(\d+)/.exec(mb?.[2] ?? '');
  if (ua && ub && ua[1] !== ub[1]) return Number(ua[1]) - Number(ub[1]);
  const ba = baseName(a);
  const bb = baseName(b);
  return ba < bb ? -1 : ba > bb ? 1 : 0;
}

const baseName = (fname: string): string => {
  const i = fname.indexOf(':');
  return i < 0 ? fname : fname.slice(0, i);
};

/** UIDs by base file name from Dovecot's dovecot-uidlist (v3: "<uid> [ext…] :<filename>"). */
async function readUidlist(maildir: string): Promise<Map<string, number>> {
  const map = new Map<string, number>();
  let text: string;
  try {
    text = await readFile(path.join(maildir, 'dovecot-uidlist'), 'utf8');
  } catch {
    return map;
  }
  const lines = text.split('\n');
  for (const line of lines.slice(1)) {
    const sep = line.indexOf(' :');
    if (sep < 0) continue;
    const uid = Number.parseInt(line, 10);
    if (Number.isFinite(uid)) map.set(baseName(line.slice(sep + 2)), uid);
  }
  return map;
}

function checkName(kind: string, s: string): void {
  if (!/^[A-Za-z0-9._@+-]+$/.test(s) || s.startsWith('.')) throw new Error(`unsupported ${kind} ${JSON.stringify(s)}`);
}

// ---------------------------------------------------------------------------------------------
// The server

function renderConfig(p: {
  dir: string;
  instance: string;
  plainPort: number;
  tlsPort: number;
  mechanisms: string[];
  uid: number;
  gid: number;
  extraConfig: string;
  lmtp: boolean;
}): string {
  const { dir } = p;
  return `# Private Dovecot for Popbox tests (generated)
instance_name = ${p.instance}
base_dir = ${dir}/run
state_dir = ${dir}/state
protocols = ${p.lmtp ? 'pop3 lmtp' : 'pop3'}
listen = ${HOST}
shutdown_clients = yes

log_path = ${dir}/dovecot.log
info_log_path = ${dir}/dovecot.log
auth_verbose = yes

ssl = yes
ssl_cert = <${dir}/cert.pem
ssl_key = <${dir}/key.pem
ssl_dh = <${DH_PEM}
ssl_min_protocol = TLSv1.2

disable_plaintext_auth = no
auth_mechanisms = ${p.mechanisms.join(' ')}
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u ${dir}/users
}
userdb {
  driver = static
  args = uid=${p.uid} gid=${p.gid} home=${dir}/home/%u
}
# the mail uid/gid (nobody/nogroup, 65534) is above the default range
first_valid_uid = ${p.uid}
last_valid_uid = ${p.uid}
first_valid_gid = ${p.gid}
last_valid_gid = ${p.gid}

mail_location = maildir:~/Maildir
pop3_uidl_format = %g
pop3_no_flag_updates = yes
protocol pop3 {
  mail_max_userip_connections = 50
}

# No anvil auth penalty: otherwise every failed login from 127.0.0.1 makes the next ones from
# any test wait longer (2, 4, 8 … 15 s). auth_failure_delay (2 s per failure) still applies.
service anvil {
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}

service pop3-login {
  inet_listener pop3 {
    address = ${HOST}
    port = ${p.plainPort}
  }
  inet_listener pop3s {
    address = ${HOST}
    port = ${p.tlsPort}
    ssl = yes
  }
}
${p.lmtp ? lmtpConfig() : ''}
${p.extraConfig}
`;
}

/**
 * LMTP and SMTP AUTH for an MTA on this machine. Postfix's lmtp and smtpd processes run as the
 * `postfix` user and connect to these sockets (under base_dir). LMTP is told `alice@example.org`:
 * its user lookups drop the domain (`%Ln`) to find the passwd-file's `alice`; POP3 logins are
 * looked up as before.
 */
function lmtpConfig(): string {
  const owner = lookupUser('postfix') ? 'user = postfix\n    group = postfix\n    mode = 0600' : 'mode = 0666';
  return `
service lmtp {
  unix_listener ${LMTP_SOCKET} {
    ${owner}
  }
}
protocol lmtp {
  auth_username_format = %Ln
}
service auth {
  unix_listener ${AUTH_SOCKET} {
    ${owner}
  }
}
`;
}

/**
 * A Dovecot master run in the foreground (-F) as our child. Errors before the log process takes
 * over (bad config, EADDRINUSE) go to stderr: keep them in a file.
 */
function launchMaster(dovecot: string, confPath: string, stderrPath: string): Daemon {
  return spawnDaemon(dovecot, ['-F', '-c', confPath], { logPath: stderrPath });
}

type StartResult = { ok: true } | { ok: false; exited: boolean; why: string };

/** Waits until both ports greet with +OK, the master exits, or the timeout passes. */
async function waitUntilServing(master: Daemon, plainPort: number, tlsPort: number, caPem: string): Promise<StartResult> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  let lastErr = '';
  let plainOk = false;
  // Don't sit out a probe's timeout when the master is already gone (e.g. a port held by someone else).
  const exitedEarly = master.exited.then((): string => {
    throw new Error('master exited');
  });
  exitedEarly.catch(() => undefined);
  while (Date.now() < deadline) {
    if (master.hasExited()) return { ok: false, exited: true, why: 'the dovecot master exited during startup' };
    try {
      if (!plainOk) {
        const g = await Promise.race([readGreeting({ port: plainPort }, 2000), exitedEarly]);
        if (!g.startsWith('+OK')) throw new Error(`unexpected greeting on ${plainPort}: ${g}`);
        plainOk = true;
      }
      const g = await Promise.race([readGreeting({ port: tlsPort, secure: true, caPem }, 2000), exitedEarly]);
      if (!g.startsWith('+OK')) throw new Error(`unexpected greeting on ${tlsPort}: ${g}`);
      return { ok: true };
    } catch (e) {
      lastErr = (e as Error).message;
      await sleep(25);
    }
  }
  return {
    ok: false,
    exited: false,
    why: `dovecot did not serve POP3 on ${HOST}:${plainPort} and pop3s on ${HOST}:${tlsPort} within ${START_TIMEOUT_MS} ms (${lastErr})`,
  };
}

/** With `lmtp`: the LMTP socket greets with 220 (the master creates it with the others, but check). */
async function waitForLmtp(socketPath: string, logPath: string): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  let lastErr = '';
  while (Date.now() < deadline) {
    try {
      const g = await readGreeting({ socketPath }, 2000);
      if (g.startsWith('220')) return;
      lastErr = `unexpected LMTP greeting: ${g}`;
    } catch (e) {
      lastErr = (e as Error).message;
    }
    await sleep(25);
  }
  throw new Error(`dovecot did not serve LMTP on ${socketPath} within ${START_TIMEOUT_MS} ms (${lastErr})\n--- ${logPath} ---\n${tail(logPath)}`);
}

export async function startDovecot(opts: DovecotOptions = {}): Promise<DovecotServer> {
  const unavailable = opts.lmtp ? dovecotLmtpUnavailable() : dovecotUnavailable();
  if (unavailable) throw new Error(unavailable);
  const dovecot = dovecotBinary() as string;
  const account = mailAccount() as Account;
  const dovecotGid = lookupGroup('dovecot') as number;
  const users = opts.users ?? DEFAULT_USERS;
  const mechanisms = opts.mechanisms ?? DEFAULT_MECHANISMS;
  for (const u of users) {
    checkName('user name', u.name);
    if (/[:\r\n]/.test(u.password) || u.password === '') throw new Error(`unsupported password for ${u.name}: non-empty, no ':' or line breaks`);
  }
  for (const m of mechanisms) checkName('mechanism', m);

  const tmpRoot = tempRoot();
  const dir = await mkdtemp(path.join(tmpRoot, 'popbox-dovecot-'));
  const instance = new MasterInstance(dir, { name: 'dovecot', timeoutMs: STOP_TIMEOUT_MS });
  try {
    await chmod(dir, 0o755); // auth (user dovecot) and pop3 (user nobody) must traverse it
    const caPem = await makeCert(dir);
    const fingerprint256 = new X509Certificate(caPem).fingerprint256;

    const usersFile = path.join(dir, 'users');
    await writeFile(usersFile, users.map((u) => `${u.name}:{PLAIN}${u.password}::::::\n`).join(''), { mode: 0o640 });
    await chown(usersFile, 0, dovecotGid);
    await chmod(usersFile, 0o640);

    await mkdir(path.join(dir, 'home'), { mode: 0o755 });
    for (const u of users) await ensureMaildir(dir, u.name, account);

    const logPath = path.join(dir, 'dovecot.log');
    const stderrPath = path.join(dir, 'dovecot.stderr');
    const confPath = path.join(dir, 'dovecot.conf');
    const pidFile = path.join(dir, 'run', 'master.pid');
    const instanceName = `popbox-${path.basename(dir).slice('popbox-dovecot-'.length)}`;

    let plainPort = 0;
    let tlsPort = 0;
    for (let attempt = 1; ; attempt++) {
      [plainPort, tlsPort] = await twoFreePorts();
      const conf = renderConfig({ dir, instance: instanceName, plainPort, tlsPort, mechanisms, uid: account.uid, gid: account.gid, extraConfig: opts.extraConfig ?? '', lmtp: opts.lmtp === true });
      await writeFile(confPath, conf);
      const m = instance.launch(() => launchMaster(dovecot, confPath, stderrPath));
      const r = await waitUntilServing(m, plainPort, tlsPort, caPem);
      if (r.ok) break;
      await instance.drop();
      const stderr = tail(stderrPath, 20);
      // Another process may have taken a port between our probe and Dovecot's bind: pick new ones.
      if (r.exited && /address already in use/i.test(`${stderr}\n${tail(logPath, 10)}`) && attempt < 5) continue;
      throw new Error(`${r.why}\n--- stderr ---\n${stderr}\n--- ${logPath} ---\n${tail(logPath)}`);
    }
    const m = instance.master;
    const pidInFile = Number.parseInt(await readFile(pidFile, 'utf8').catch(() => ''), 10);
    if (pidInFile !== m.pid) throw new Error(`${pidFile} says ${pidInFile}, but the master we started is ${m.pid}`);
    if (opts.lmtp) await waitForLmtp(path.join(dir, 'run', LMTP_SOCKET), logPath);

    const server: DovecotServer = {
      host: HOST,
      plainPort,
      tlsPort,
      caPem,
      fingerprint256,
      dir,
      logPath,
      masterPid: m.pid,
      users: users.map((u) => u.name),
      ...(opts.lmtp ? { lmtpSocket: path.join(dir, 'run', LMTP_SOCKET), authSocket: path.join(dir, 'run', AUTH_SOCKET) } : {}),
      deliver: (user, messages, dopts) => deliver(dir, account, user, messages, dopts?.folder ?? 'cur'),
      mailbox: (user) => mailbox(dir, user),
      clear: async (user) => {
        checkName('user name', user);
        await rm(path.join(dir, 'home', user), { recursive: true, force: true });
        await ensureMaildir(dir, user, account);
      },
      stop: () => instance.stop([plainPort, tlsPort]),
    };
    return server;
  } catch (e) {
    await instance.abort();
    throw e;
  }
}

// ---------------------------------------------------------------------------------------------
// Maildir access

const ensureMaildir = (dir: string, user: string, acc: Account): Promise<string> => ensureMaildirIn(path.join(dir, 'home', user), acc);

async function deliver(dir: string, acc: Account, user: string, messages: Buffer[], folder: 'cur' | 'new'): Promise<string[]> {
  checkName('user name', user);
  const maildir = await ensureMaildir(dir, user, acc);
  const names: string[] = [];
  for (const msg of messages) {
    const base = `${nextMaildirName()},S=${msg.length},W=${crlfSize(msg)}`;
    const name = folder === 'cur' ? `${base}:2,` : base;
    const tmp = path.join(maildir, 'tmp', base);
    await writeFile(tmp, msg, { mode: 0o600 });
    await chown(tmp, acc.uid, acc.gid);
    await rename(tmp, path.join(maildir, folder, name));
    names.push(name);
  }
  return names;
}

async function mailbox(dir: string, user: string): Promise<{ name: string; bytes: Buffer }[]> {
  checkName('user name', user);
  const maildir = path.join(dir, 'home', user, 'Maildir');
  const files: { name: string; file: string }[] = [];
  for (const sub of ['new', 'cur']) {
    let entries: string[] = [];
    try {
      entries = await readdir(path.join(maildir, sub));
    } catch {
      // no such dir yet
    }
    for (const name of entries) if (!name.startsWith('.')) files.push({ name, file: path.join(maildir, sub, name) });
  }
  // Known files in UID order (Dovecot's uidlist), then new ones the way Dovecot will number them.
  const uids = await readUidlist(maildir);
  files.sort((a, b) => {
    const ua = uids.get(baseName(a.name));
    const ub = uids.get(baseName(b.name));
    if (ua !== undefined && ub !== undefined) return ua - ub;
    if (ua !== undefined) return -1;
    if (ub !== undefined) return 1;
    return maildirSortCmp(a.name, b.name);
  });
  const out: { name: string; bytes: Buffer }[] = [];
  for (const f of files) {
    try {
      out.push({ name: f.name, bytes: await readFile(f.file) });
    } catch {
      // renamed (new → cur) or expunged meanwhile: read it from cur/ under any flags
      const cur = path.join(maildir, 'cur');
      const again = (await readdir(cur)).find((n) => baseName(n) === baseName(f.name));
      if (again) out.push({ name: again, bytes: await readFile(path.join(cur, again)) });
    }
  }
  return out;
}
