/**
 * A private Courier POP3 server (Debian's courier-pop) for the interop suite.
 *
 * courier-pop cannot be installed next to dovecot-pop3d (Conflicts: pop3-server) and depends on
 * an MTA, so test/interop/fetch-courier.sh downloads the .debs and unpacks them into
 * /var/cache/popbox-interop/courier/root (or $POPBOX_INTEROP_CACHE/courier/root); nothing is installed.
 *
 * Courier's programs look for /etc/courier/*, /usr/lib/courier-authlib and
 * /run/courier/authdaemon/socket at compiled-in paths, with no override. So every process of an
 * instance runs in its own mount namespace (`unshare --mount`, private propagation) where
 * - /usr is a read-only overlay of the unpacked tree on top of the host's /usr,
 * - /etc is a read-only overlay of the instance's etc/ (courier/authdaemonrc, the userdb, a
 *   passwd/group with a `courier` user) on top of the host's /etc,
 * - /run is the instance's run/ (authdaemond's socket),
 * so the host's /etc, /usr and /run are never written and several instances can coexist.
 *
 * Per instance: authdaemond (authuserdb), and two couriertcpd listeners on 127.0.0.1 on ports
 * picked at runtime: plain POP3 with STLS, and implicit TLS through couriertls. The test user's
 * Maildir is owned by `nobody`. Everything is stopped by PID (with the sessions they forked).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { chmod, chown, mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { AuthMechanism } from '../../../electron/core/pop3/index.js';
import {
  HOST,
  commOf,
  descendantsOf,
  ensureMaildir,
  findExecutable,
  lookupGroup,
  lookupUser,
  makeCert,
  nextMaildirName,
  nobodyAccount,
  onProcessExit,
  procAlive,
  readGreeting,
  run,
  settlesWithin,
  signal,
  sleep,
  spawnDaemon,
  tail,
  twoFreePorts,
  waitPortsClosed,
  type Account,
  type Daemon,
  type Proc,
} from '../servers.js';
import { INTEROP_CACHE, type InteropServer, type InteropServerKind } from './server.js';

const USER = 'interop';
const PASSWORD = 'interop-pw';
/** What courierpop3login offers (POP3AUTH); the CRAM-SHA ones are offered but our client has no use for them. */
const SASL_OFFERED = ['PLAIN', 'LOGIN', 'CRAM-MD5', 'CRAM-SHA1', 'CRAM-SHA256'];
/** Verified with Pop3Client on every transport (test/integration/interop-courier-smoke.test.ts). No APOP: Courier has none. */
const MECHANISMS: AuthMechanism[] = ['USER', 'PLAIN', 'LOGIN', 'CRAM-MD5'];
const START_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 5_000;
/** How long count() waits for logged-in sessions to end (see sessionsSettled). */
const SETTLE_MS = 1_000;
const FETCH_SCRIPT = 'test/interop/fetch-courier.sh';

const CACHE = path.join(INTEROP_CACHE, 'courier');
const ROOT = path.join(CACHE, 'root');

/** Paths as the processes see them inside the namespace (the unpacked tree laid over /usr). */
const BIN = {
  couriertcpd: '/usr/sbin/couriertcpd',
  couriertls: '/usr/bin/couriertls',
  pop3login: '/usr/lib/courier/courier/courierpop3login',
  pop3d: '/usr/lib/courier/courier/courierpop3d',
  authdaemond: '/usr/lib/courier/courier-authlib/authdaemond',
  userdbpw: '/usr/sbin/userdbpw',
  makeuserdb: '/usr/sbin/makeuserdb',
} as const;
const UNPACKED_REQUIRED = [...Object.values(BIN), '/usr/lib/courier-authlib/libauthuserdb.so'];

// ---------------------------------------------------------------------------------------------
// Availability

let namespaceProbe: string | null | undefined;
/** null if `unshare --mount` works here, else why not (containers without CAP_SYS_ADMIN). Probed once. */
function namespaceUnavailable(unshare: string): string | null {
  if (namespaceProbe === undefined) {
    const r = spawnSync(unshare, ['--mount', '--propagation', 'private', '--', 'true'], { encoding: 'utf8', timeout: 10_000 });
    namespaceProbe = r.status === 0 ? null : `mount namespaces unavailable here (unshare --mount: ${(r.stderr || r.error?.message || `exit ${r.status}`).trim()})`;
  }
  return namespaceProbe;
}

function courierUnavailable(): string | null {
  if (process.platform !== 'linux') return `private Courier needs Linux (this is ${process.platform})`;
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return 'private Courier needs root (mount namespace, and its login drops to the mail user)';
  const missing = UNPACKED_REQUIRED.filter((p) => !existsSync(path.join(ROOT, p)));
  if (missing.length || !existsSync(path.join(ROOT, '.popbox-complete'))) {
    return `Courier not unpacked in ${ROOT}${missing.length ? ` (no ${missing[0]})` : ''}: run ${FETCH_SCRIPT}`;
  }
  if (!/^[A-Za-z0-9._/+-]+$/.test(ROOT)) return `unsupported characters in ${ROOT} (used as an overlay lowerdir)`;
  const unshare = findExecutable('unshare');
  if (!unshare || !findExecutable('mount')) return 'unshare/mount not found: apt-get install util-linux mount';
  if (!findExecutable('openssl')) return 'openssl CLI not found: apt-get install openssl';
  if (!existsSync('/usr/bin/perl')) return '/usr/bin/perl not found (makeuserdb is a Perl script): apt-get install perl-base';
  if (!nobodyAccount()) return "system user 'nobody' missing (used as the mail uid)";
  return namespaceUnavailable(unshare);
}

// ---------------------------------------------------------------------------------------------
// Version and processes

function versions(): string {
  try {
    const v = new Map(
      readFileSync(path.join(ROOT, '.popbox-versions'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => l.split(' ') as [string, string]),
    );
    const pop = v.get('courier-pop') ?? '?';
    return `Courier ${pop.replace(/-.*$/, '')} pop3d (Debian courier-pop ${pop}, courier-authlib ${v.get('courier-authlib') ?? '?'})`;
  } catch {
    return 'Courier pop3d';
  }
}

// ---------------------------------------------------------------------------------------------
// Processes in the instance's mount namespace

/** A daemon started as our child (unshare and sh exec into it, so its PID is the child's). */
interface CourierDaemon extends Daemon {
  name: string;
  logPath: string;
}

/** The shell script every process of the instance starts through: lays the overlays, then execs. */
function namespaceScript(dir: string): string {
  return `#!/bin/sh
# Courier's compiled-in paths, mapped into this instance (generated by test/support/interop/courier.ts).
set -e
mount -t overlay popbox-courier -o ro,lowerdir=${ROOT}/usr:/usr /usr
mount -t overlay popbox-courier -o ro,lowerdir=${dir}/etc:/etc /etc
mount --bind ${dir}/run /run
exec "$@"
`;
}

/** Runs a short command in a fresh namespace of the instance (userdbpw, makeuserdb). */
function runInNamespace(dir: string, args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return run(findExecutable('unshare') as string, ['--mount', '--propagation', 'private', '--', '/bin/sh', path.join(dir, 'ns.sh'), ...args], {
    input,
    env: baseEnv(),
  }).then((r) => ({ ...r, stdout: r.stdout.toString('utf8') }));
}

function baseEnv(): NodeJS.ProcessEnv {
  return { PATH: '/usr/bin:/bin:/usr/sbin:/sbin', SHELL: '/bin/sh', LANG: 'C' };
}

function launch(dir: string, name: string, args: string[], env: NodeJS.ProcessEnv): CourierDaemon {
  const logPath = path.join(dir, `${name}.log`);
  const unshare = findExecutable('unshare') as string;
  const d = spawnDaemon(unshare, ['--mount', '--propagation', 'private', '--', '/bin/sh', path.join(dir, 'ns.sh'), ...args], {
    logPath,
    append: true,
    env,
    cwd: dir,
    // Its own session and process group: authdaemond signals its whole group when it stops
    // (kill(0, SIGTERM)), which would otherwise take the test process along.
    detached: true,
  });
  return { ...d, name, logPath };
}

/**
 * Every process of a daemon: its descendants (couriertcpd → couriertls → pop3login → pop3d, …)
 * and whatever else is in its session (the daemon was started with setsid, so the session id
 * is its PID): pop3login double-forks couriertls for STLS, which then hangs off PID 1.
 */
const familyOf = (pid: number): Proc[] => descendantsOf(pid, { sameSession: true });

/**
 * Stops a daemon and everything it forked: freeze it (so it forks no new session meanwhile),
 * list its descendants, SIGTERM them all, thaw it; SIGKILL what is left after a while.
 */
async function stopDaemon(d: CourierDaemon): Promise<void> {
  if (d.pid <= 0) return;
  let family: Proc[] = [];
  if (!d.hasExited()) {
    signal(d.pid, 'SIGSTOP');
    family = familyOf(d.pid);
    for (const p of family) signal(p.pid, 'SIGTERM');
    signal(d.pid, 'SIGTERM');
    signal(d.pid, 'SIGCONT');
  }
  if (!(await settlesWithin(d.exited, STOP_TIMEOUT_MS))) {
    if (!d.hasExited()) signal(d.pid, 'SIGKILL');
    await settlesWithin(d.exited, 2000);
  }
  const deadline = Date.now() + 2000;
  while (family.some(procAlive) && Date.now() < deadline) await sleep(20);
  for (const p of family) if (procAlive(p)) signal(p.pid, 'SIGKILL');
  const left = [...(d.hasExited() ? [] : [d.pid]), ...family.filter(procAlive).map((p) => p.pid)];
  if (left.length) throw new Error(`courier ${d.name} processes still alive after stop: ${left.join(', ')}`);
}

/** SIGTERM, at process exit, to the daemons of an instance that was not stopped, and everything they forked. */
function terminateSync(daemons: CourierDaemon[]): void {
  for (const d of daemons) {
    if (d.hasExited()) continue;
    for (const p of familyOf(d.pid)) signal(p.pid, 'SIGTERM');
    signal(d.pid, 'SIGTERM');
  }
}

// ---------------------------------------------------------------------------------------------
// Instance setup

/**
 * etc/ of the instance, laid over /etc: the host's passwd/group plus a `courier` user if the host
 * has none (couriertls, started by pop3login for STLS, drops to it: without one STLS fails with
 * "getpwnam: Success" in the log), authdaemonrc (authuserdb only), and the userdb with the test user.
 */
async function makeEtc(dir: string, mail: Account, home: string): Promise<Account> {
  const etc = path.join(dir, 'etc');
  await mkdir(path.join(etc, 'courier'), { recursive: true, mode: 0o755 });
  let tlsAccount = lookupUser('courier');
  if (!tlsAccount || lookupGroup('courier') === null) {
    tlsAccount = mail;
    const passwd = await readFile('/etc/passwd', 'utf8');
    const group = await readFile('/etc/group', 'utf8');
    const nl = (s: string): string => (s === '' || s.endsWith('\n') ? s : `${s}\n`);
    await writeFile(path.join(etc, 'passwd'), `${nl(passwd)}courier:x:${mail.uid}:${mail.gid}:Courier (Popbox test instance):/nonexistent:/usr/sbin/nologin\n`, { mode: 0o644 });
    await writeFile(path.join(etc, 'group'), `${nl(group)}courier:x:${mail.gid}:\n`, { mode: 0o644 });
  }
  await writeFile(
    path.join(etc, 'courier', 'authdaemonrc'),
    ['# Private Courier authdaemond for Popbox tests (generated)', 'authmodulelist="authuserdb"', 'daemons=2', 'authdaemonvar=/run/courier/authdaemon', 'DEBUG_LOGIN=0', 'DEFAULTOPTIONS=""', 'LOGGEROPTS=""', ''].join('\n'),
    { mode: 0o644 },
  );

  // userdb: a crypt() password for USER/PASS, PLAIN and LOGIN, and the HMAC pre-computations
  // the CRAM mechanisms need (userdb stores no clear text).
  const fields = [`uid=${mail.uid}`, `gid=${mail.gid}`, `home=${home}`, `mail=${path.join(home, 'Maildir')}`];
  for (const [field, flag] of [['systempw', '-md5'], ['hmac-md5pw', '-hmac-md5'], ['hmac-sha1pw', '-hmac-sha1'], ['hmac-sha256pw', '-hmac-sha256']] as const) {
    const r = await runInNamespace(dir, [BIN.userdbpw, flag], `${PASSWORD}\n`);
    const value = r.stdout.trim();
    if (r.code !== 0 || !value || /[|\s]/.test(value)) throw new Error(`userdbpw ${flag} failed (exit ${r.code}): ${r.stderr.trim() || value}`);
    fields.push(`${field}=${value}`);
  }
  const userdb = path.join(etc, 'courier', 'userdb');
  await writeFile(userdb, `${USER}\t${fields.join('|')}\n`, { mode: 0o600 });
  await chmod(userdb, 0o600); // makeuserdb refuses a userdb with group or world permissions
  const r = await runInNamespace(dir, [BIN.makeuserdb, '-f', userdb]);
  if (r.code !== 0 || !existsSync(`${userdb}.dat`)) throw new Error(`makeuserdb failed (exit ${r.code}): ${(r.stderr + r.stdout).trim()}`);
  return tlsAccount;
}

/** Waits until authdaemond's socket exists (or it exits). */
async function waitForAuthdaemon(d: CourierDaemon, socket: string): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (existsSync(socket)) return;
    if (d.hasExited()) break;
    await sleep(20);
  }
  throw new Error(`authdaemond did not create ${socket}${d.hasExited() ? ' (it exited)' : ` within ${START_TIMEOUT_MS} ms`}\n--- ${d.logPath} ---\n${tail(d.logPath)}`);
}

type StartResult = { ok: true } | { ok: false; why: string };

/** Waits until the port greets with +OK, the daemon exits, or the timeout passes. */
async function waitUntilServing(d: CourierDaemon, port: number, secure: boolean, caPem: string): Promise<StartResult> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  let lastErr = '';
  while (Date.now() < deadline) {
    if (d.hasExited()) return { ok: false, why: `${d.name} exited during startup` };
    try {
      const g = await readGreeting({ port, secure, caPem });
      if (!g.startsWith('+OK')) throw new Error(`unexpected greeting on ${port}: ${g}`);
      return { ok: true };
    } catch (e) {
      lastErr = (e as Error).message;
      await sleep(25);
    }
  }
  return { ok: false, why: `${d.name} did not greet on ${HOST}:${port} within ${START_TIMEOUT_MS} ms (${lastErr})` };
}

// ---------------------------------------------------------------------------------------------
// Maildir access

async function deliver(maildir: string, acc: Account, messages: Buffer[]): Promise<void> {
  for (const msg of messages) {
    // Strictly increasing: courierpop3d sorts by the leading number, then the name.
    const name = nextMaildirName();
    const tmp = path.join(maildir, 'tmp', name);
    await writeFile(tmp, msg, { mode: 0o600 });
    await chown(tmp, acc.uid, acc.gid);
    await rename(tmp, path.join(maildir, 'new', name));
  }
}

/**
 * courierpop3d answers QUIT with +OK first and only then unlinks the messages marked deleted
 * (RFC 1939 §6 has it the other way round), so a count taken the moment the client has its +OK
 * can still see them. Before counting, wait (bounded) until the instance has no logged-in
 * session left: one that has said QUIT or lost its client is gone within milliseconds.
 */
async function sessionsSettled(daemons: CourierDaemon[], maxMs = SETTLE_MS): Promise<void> {
  const deadline = Date.now() + maxMs;
  for (;;) {
    const sessions = daemons.flatMap((d) => (d.hasExited() ? [] : familyOf(d.pid))).filter((p) => commOf(p.pid) === 'courierpop3d' && procAlive(p));
    if (sessions.length === 0 || Date.now() >= deadline) return;
    await sleep(10);
  }
}

async function countMessages(maildir: string): Promise<number> {
  let n = 0;
  for (const sub of ['new', 'cur']) {
    try {
      n += (await readdir(path.join(maildir, sub))).filter((f) => !f.startsWith('.')).length;
    } catch {
      // not there yet
    }
  }
  return n;
}

/**
 * Removes every message and courierpop3dsizelist's entries. The list's header (next UID number,
 * UID validity) is kept, so UIDLs are never reused within an instance: courierpop3d starts a
 * missing list at UID1 with validity = the current second, so a clear and a new delivery within
 * one second would otherwise bring back UIDLs the client has seen ("UID1-<t>").
 */
async function clearMaildir(maildir: string, acc: Account): Promise<void> {
  const list = path.join(maildir, 'courierpop3dsizelist');
  const header = (await readFile(list, 'latin1').catch(() => '')).split('\n')[0] ?? '';
  for (const sub of ['new', 'cur', 'tmp']) {
    const d = path.join(maildir, sub);
    let entries: string[] = [];
    try {
      entries = await readdir(d);
    } catch {
      // not there
    }
    for (const f of entries) await rm(path.join(d, f), { force: true, recursive: true });
  }
  if (/^\/\d+ \d+ \d+$/.test(header)) {
    const tmp = path.join(maildir, 'tmp', `popbox-clear-${process.pid}`);
    await writeFile(tmp, `${header}\n`, { mode: 0o644 });
    await chown(tmp, acc.uid, acc.gid);
    await rename(tmp, list);
  } else {
    await rm(list, { force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// The server

async function startCourier(): Promise<InteropServer> {
  const unavailable = courierUnavailable();
  if (unavailable) throw new Error(unavailable);
  const mail = nobodyAccount() as Account;

  const dir = await mkdtemp('/tmp/popbox-courier-');
  const daemons: CourierDaemon[] = [];
  const forgetOnExit = onProcessExit(() => {
    terminateSync(daemons);
    rmSync(dir, { recursive: true, force: true });
  });
  const stopAll = async (): Promise<void> => {
    const results = await Promise.allSettled(daemons.map(stopDaemon));
    forgetOnExit();
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  };
  try {
    await chmod(dir, 0o755); // pop3d (nobody) must traverse it to the Maildir
    await writeFile(path.join(dir, 'ns.sh'), namespaceScript(dir), { mode: 0o755 });
    await mkdir(path.join(dir, 'run', 'courier', 'authdaemon'), { recursive: true, mode: 0o755 });
    await mkdir(path.join(dir, 'home'), { mode: 0o755 });
    const home = path.join(dir, 'home', USER);
    const maildir = await ensureMaildir(home, mail);

    const caPem = await makeCert(dir);
    const tlsAccount = await makeEtc(dir, mail, home);
    // couriertls reads key and certificate from one file; for STLS it runs as `courier`.
    const pem = path.join(dir, 'pop3d.pem');
    await writeFile(pem, Buffer.concat([await readFile(path.join(dir, 'key.pem')), await readFile(path.join(dir, 'cert.pem'))]), { mode: 0o600 });
    await chown(pem, tlsAccount.uid, tlsAccount.gid);

    const authd = launch(dir, 'authdaemond', [BIN.authdaemond], baseEnv());
    daemons.push(authd);
    await waitForAuthdaemon(authd, path.join(dir, 'run', 'courier', 'authdaemon', 'socket'));

    const popEnv: NodeJS.ProcessEnv = {
      ...baseEnv(),
      POP3AUTH: SASL_OFFERED.join(' '),
      POP3AUTH_TLS: SASL_OFFERED.join(' '),
      POP3_PROXY: '0',
      POP3_TLS_REQUIRED: '0',
      COURIERTLS: BIN.couriertls,
      TLS_CERTFILE: pem,
      TLS_VERIFYPEER: 'NONE',
      MIME_UNICODE_MESSAGE_TYPE: 'message/global', // as in Debian's /etc/courier/pop3d
    };
    const tcpd = (port: number): string[] => [BIN.couriertcpd, `-address=${HOST}`, '-maxprocs=60', '-maxperip=60', '-nodnslookup', '-noidentlookup', String(port)];
    const session = [BIN.pop3login, BIN.pop3d, 'Maildir'];

    let plainPort = 0;
    let tlsPort = 0;
    for (let attempt = 1; ; attempt++) {
      [plainPort, tlsPort] = await twoFreePorts();
      const plain = launch(dir, 'pop3d', [...tcpd(plainPort), ...session], { ...popEnv, POP3_STARTTLS: 'YES' });
      const secure = launch(dir, 'pop3d-ssl', [...tcpd(tlsPort), BIN.couriertls, '-server', '-tcpd', ...session], { ...popEnv, POP3_TLS: '1', POP3_STARTTLS: 'NO' });
      daemons.push(plain, secure);
      const [a, b] = await Promise.all([waitUntilServing(plain, plainPort, false, caPem), waitUntilServing(secure, tlsPort, true, caPem)]);
      if (a.ok && b.ok) break;
      await Promise.allSettled([stopDaemon(plain), stopDaemon(secure)]);
      daemons.splice(daemons.indexOf(plain), 2);
      const logs = `--- ${plain.logPath} ---\n${tail(plain.logPath)}\n--- ${secure.logPath} ---\n${tail(secure.logPath)}`;
      // Another process may have taken a port between our probe and couriertcpd's bind: pick new ones.
      if (/address already in use/i.test(logs) && attempt < 5) continue;
      throw new Error(`${[a, b].map((r) => (r.ok ? '' : r.why)).filter(Boolean).join('; ')}\n${logs}`);
    }

    let stopping: Promise<void> | null = null;
    return {
      label: versions(),
      host: HOST,
      plainPort,
      tlsPort,
      stls: true,
      caPem,
      user: USER,
      password: PASSWORD,
      mechanisms: [...MECHANISMS],
      uidl: true,
      deliver: (messages) => deliver(maildir, mail, messages),
      count: async () => {
        await sessionsSettled(daemons);
        return countMessages(maildir);
      },
      clear: () => clearMaildir(maildir, mail),
      stop: () =>
        (stopping ??= (async () => {
          try {
            await stopAll();
            await waitPortsClosed([plainPort, tlsPort]);
          } finally {
            await rm(dir, { recursive: true, force: true });
          }
        })()),
    };
  } catch (e) {
    await stopAll().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
}

export const courier: InteropServerKind = {
  name: 'courier',
  unavailable: courierUnavailable,
  start: startCourier,
};
