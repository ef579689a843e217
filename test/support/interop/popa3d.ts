/**
 * popa3d (Debian 12's 1.0.3-1.1) as an interop server.
 *
 * What this build is (checked with `strings`, strace and sessions by hand):
 * - inetd-only for our purposes: `-D` (standalone) exists but binds the well-known port 110 on all
 *   addresses, so it is not used. Instead this file runs a tiny inetd: a Node `net.Server` on
 *   127.0.0.1, port picked at runtime, that spawns one `popa3d` per connection with the socket as
 *   its stdin/stdout, and stops those processes by PID.
 * - USER/PASS only: the greeting is a bare "+OK" (no APOP timestamp), CAPA and AUTH answer "-ERR".
 *   No TLS. Commands pipelined during authorization are kept (popa3d hands them to the session).
 * - Authenticates system users through PAM service `popa3d` (Debian ships
 *   /etc/pam.d/popa3d = common-auth + common-account; without it PAM falls back to `other`).
 *   Refuses uid 0 and empty passwords.
 * - Privilege separation: the AUTHORIZATION state runs as user `popa3d`, chrooted to
 *   /var/lib/popa3d; the TRANSACTION state as the authenticated user (its own group, not `mail`).
 * - Mailbox: mbox at /var/mail/<user>, locked with fcntl(2) whole-file locks (F_RDLCK to read,
 *   F_WRLCK to rewrite; no dotlock, no flock). A message starts at a line beginning "From " that is
 *   the first line of the file or follows an empty line; the empty line before it is not part of the
 *   previous message. `>From ` is served as is (no un-quoting), no Status:/X-Status: header is added
 *   or removed, LIST sizes count CRLF line ends. Deletions are written (truncate + fsync) before the
 *   "+OK" to QUIT.
 * - UIDL is 16 hex digits of an MD5 over the Date:, Message-ID:, Received: and Delivered-To: headers
 *   only (not the body, not the envelope line): messages without those headers, or with the same
 *   ones, get the same UIDL.
 *
 * System changes made by start() (idempotent, all needed by popa3d itself; we run as root on a
 * throwaway machine):
 * - group + system user `popa3d` (home /var/lib/popa3d, no shell), as the package's postinst would;
 * - /var/lib/popa3d (root:root 0755, empty: the chroot of the AUTHORIZATION child);
 * - group + system user `popbox-interop` (no home, no shell) with the password below (chpasswd,
 *   SHA-512 with 5000 rounds, only when /etc/shadow does not already hold it);
 * - /etc/pam.d/popa3d copied from the package, only if absent;
 * - the mailbox /var/mail/popbox-interop (popbox-interop:mail 0660), emptied on start and stop.
 * The binary is never installed (popa3d `Conflicts: pop3-server`, i.e. dovecot-pop3d): it runs from
 * the .deb unpacked by test/interop/fetch-popa3d.sh into /var/cache/popbox-interop/popa3d.
 *
 * The mailbox path is fixed by the build, so one instance runs at a time on the machine: start()
 * takes an instance lock (a PID file in the cache dir, stale ones are taken over) and waits for it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, constants as fsConstants, existsSync, openSync, readFileSync, rmSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { appendFile, chmod, chown, copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { toCrlf } from '../mailgen.js';
import {
  HOST,
  descendantsOf,
  findExecutable,
  isExecutable,
  lookupGroup,
  lookupUser,
  onProcessExit,
  procAlive,
  procOf,
  readGreeting,
  run as runCommand,
  signal,
  sleep,
  tail,
  waitPortsClosed,
  type Proc,
} from '../servers.js';
import { INTEROP_CACHE, type InteropServer, type InteropServerKind } from './server.js';

const PREFIX = path.join(INTEROP_CACHE, 'popa3d');
const BINARY = path.join(PREFIX, 'usr/sbin/popa3d');
const PACKAGE_PAM = path.join(PREFIX, 'etc/pam.d/popa3d');
const DEB_VERSION_FILE = path.join(PREFIX, 'DEB-VERSION');
const INSTANCE_LOCK = path.join(INTEROP_CACHE, 'popa3d.instance');
const FETCH_HINT = 'run test/interop/fetch-popa3d.sh (as root)';

/** popa3d's compiled-in settings (Debian build): POP_USER, its chroot, MAIL_SPOOL_PATH. */
const POP_USER = 'popa3d';
const POP_CHROOT = '/var/lib/popa3d';
const MAIL_SPOOL = '/var/mail';
const PAM_FILE = '/etc/pam.d/popa3d';

/** The test user. */
const USER = 'popbox-interop';
const PASSWORD = 'popbox-interop-pw';
const SPOOL = path.join(MAIL_SPOOL, USER);

const START_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 5_000;
const INSTANCE_WAIT_MS = 30_000;
const SYSTEM_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

// ---------------------------------------------------------------------------------------------
// Availability

function popa3dUnavailable(): string | null {
  if (process.platform !== 'linux') return `popa3d needs Linux (this is ${process.platform})`;
  // The mailbox lock is taken by a Perl one-liner with struct flock packed for 64-bit Linux.
  if (process.arch !== 'x64' && process.arch !== 'arm64') return `popa3d harness supports x64/arm64 Linux only (this is ${process.arch})`;
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) {
    return 'popa3d needs root (it starts as root per connection; the harness creates the system users popa3d and popbox-interop)';
  }
  if (!isExecutable(BINARY) || !existsSync(PACKAGE_PAM)) return `popa3d not unpacked in ${PREFIX}: ${FETCH_HINT}`;
  for (const tool of ['useradd', 'groupadd', 'chpasswd', 'perl']) {
    if (!findExecutable(tool)) return `${tool} not found (needed to set up popa3d's users and lock its mailbox)`;
  }
  if (!existsSync(MAIL_SPOOL)) return `${MAIL_SPOOL} missing (popa3d's mail spool)`;
  if (lookupGroup('mail') === null) return "system group 'mail' missing";
  return null;
}

// ---------------------------------------------------------------------------------------------
// Commands: with the system PATH and the C locale only

const run = (file: string, args: string[], input?: string | Buffer) =>
  runCommand(file, args, { input, env: { PATH: SYSTEM_PATH, LC_ALL: 'C' }, timeoutMs: 60_000 });

async function mustRun(file: string, args: string[], input?: string | Buffer): Promise<Buffer> {
  const r = await run(file, args, input);
  if (r.code !== 0) throw new Error(`${path.basename(file)} ${args.join(' ')} failed (${r.code}): ${r.stderr.trim()}`);
  return r.stdout;
}

// ---------------------------------------------------------------------------------------------
// The mbox, as popa3d reads it

/**
 * How a local delivery agent (Postfix local, Exim appendfile) quotes a message for an mbox: every
 * line that begins with "From " gets a '>' (mboxo). popa3d serves the quoted line as is.
 */
export function mboxQuote(message: Buffer): Buffer {
  const FROM = Buffer.from('From ');
  const parts: Buffer[] = [];
  let start = 0;
  for (let i = 0; i < message.length; ) {
    if (message.compare(FROM, 0, FROM.length, i, i + FROM.length) === 0) {
      parts.push(message.subarray(start, i), Buffer.from('>'));
      start = i;
    }
    const nl = message.indexOf(0x0a, i);
    if (nl < 0) break;
    i = nl + 1;
  }
  parts.push(message.subarray(start));
  return Buffer.concat(parts);
}

/**
 * The bytes popa3d serves for a message delivered with deliver() (before dot-stuffing): quoted as
 * above, a final line end added if missing, LF → CRLF.
 */
export function popa3dServes(message: Buffer): Buffer {
  const b = mboxQuote(message);
  return toCrlf(b.length > 0 && b[b.length - 1] !== 0x0a ? Buffer.concat([b, Buffer.from('\n')]) : b);
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** The envelope line, asctime style: "From MAILER-DAEMON Thu Jan  1 00:00:00 2026". */
function envelopeLine(d: Date): string {
  const p2 = (n: number): string => String(n).padStart(2, '0');
  const time = `${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())}`;
  return `From MAILER-DAEMON ${DAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')} ${time} ${d.getUTCFullYear()}\n`;
}

/** One mbox entry: envelope line, the quoted message ending in LF, the empty separator line. */
function mboxEntry(message: Buffer, when: Date): Buffer {
  const body = mboxQuote(message);
  const eol = body.length > 0 && body[body.length - 1] === 0x0a ? [] : [Buffer.from('\n')];
  return Buffer.concat([Buffer.from(envelopeLine(when)), body, ...eol, Buffer.from('\n')]);
}

/** Messages in an mbox, split the way popa3d splits it ("From " on the first line or after an empty line). */
export function countMbox(mbox: Buffer): number {
  if (mbox.length === 0) return 0;
  let n = mbox.subarray(0, 5).toString('latin1') === 'From ' ? 1 : 0;
  const sep = Buffer.from('\n\nFrom ');
  for (let i = mbox.indexOf(sep); i >= 0; i = mbox.indexOf(sep, i + 1)) n++;
  return n;
}

/**
 * The mailbox under popa3d's own lock: fcntl(F_SETLKW) on the whole file, F_WRLCK to change it and
 * F_RDLCK to read it, released on close. Perl (perl-base, always on Debian) does the fcntl call that
 * Node lacks. Modes: append (stdin → end of file, fsync), truncate (to 0, fsync), read (→ stdout).
 */
const LOCKED_IO = String.raw`
use strict; use warnings; use IO::Handle;
use Fcntl qw(O_RDWR F_SETLKW F_RDLCK F_WRLCK SEEK_SET SEEK_END);
my ($mode, $path) = @ARGV;
binmode STDIN; binmode STDOUT;
my $data = '';
if ($mode eq 'append') { local $/; $data = <STDIN>; $data = '' unless defined $data; }
sysopen(my $fh, $path, O_RDWR) or die "open $path: $!\n";
binmode $fh;
# struct flock on 64-bit Linux: short l_type, short l_whence, off_t l_start, off_t l_len, pid_t l_pid
my $lk = pack('s s x4 q q i x4', $mode eq 'read' ? F_RDLCK : F_WRLCK, SEEK_SET, 0, 0, 0);
fcntl($fh, F_SETLKW, $lk) or die "fcntl lock $path: $!\n";
if ($mode eq 'append') {
  defined sysseek($fh, 0, SEEK_END) or die "seek: $!\n";
  my $off = 0;
  while ($off < length $data) { my $w = syswrite($fh, $data, length($data) - $off, $off); die "write: $!\n" unless defined $w; $off += $w; }
  $fh->sync or die "fsync: $!\n";
} elsif ($mode eq 'truncate') {
  truncate($fh, 0) or die "truncate: $!\n";
  $fh->sync or die "fsync: $!\n";
} elsif ($mode eq 'read') {
  while (1) { my $n = sysread($fh, my $buf, 1 << 16); die "read: $!\n" unless defined $n; last unless $n; print STDOUT $buf or die "stdout: $!\n"; }
} else { die "bad mode $mode\n"; }
close $fh or die "close: $!\n";
`;

async function lockedIo(mode: 'append' | 'truncate' | 'read', input?: Buffer): Promise<Buffer> {
  await ensureSpool();
  return mustRun(findExecutable('perl') ?? 'perl', ['-e', LOCKED_IO, mode, SPOOL], input);
}

/** /var/mail/popbox-interop, owned by the user, group mail, 0660 (what popa3d and an MDA expect). */
async function ensureSpool(): Promise<void> {
  const acc = lookupUser(USER);
  const mailGid = lookupGroup('mail');
  if (!acc || mailGid === null) throw new Error(`user ${USER} or group mail missing`);
  const fd = openSync(SPOOL, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_NOFOLLOW, 0o660);
  closeSync(fd);
  const st = statSync(SPOOL);
  if (st.uid !== acc.uid || st.gid !== mailGid) await chown(SPOOL, acc.uid, mailGid);
  if ((st.mode & 0o7777) !== 0o660) await chmod(SPOOL, 0o660);
}

// ---------------------------------------------------------------------------------------------
// System setup (idempotent)

async function ensureSystem(): Promise<void> {
  const useradd = findExecutable('useradd') as string;
  const groupadd = findExecutable('groupadd') as string;
  // popa3d's privilege-separation user and its (empty) chroot, as the package's postinst makes them.
  if (lookupGroup(POP_USER) === null) await mustRun(groupadd, ['--system', POP_USER]);
  if (!lookupUser(POP_USER)) {
    await mustRun(useradd, ['--system', '--gid', POP_USER, '--home-dir', POP_CHROOT, '--no-create-home', '--shell', '/usr/sbin/nologin', '--comment', 'popa3d', POP_USER]);
  }
  await mkdir(POP_CHROOT, { recursive: true, mode: 0o755 });
  await chown(POP_CHROOT, 0, 0);
  await chmod(POP_CHROOT, 0o755);

  // The test user: a system account with no home and no shell; only PAM's password check matters.
  if (lookupGroup(USER) === null) await mustRun(groupadd, ['--system', USER]);
  if (!lookupUser(USER)) {
    await mustRun(useradd, ['--system', '--gid', USER, '--home-dir', '/nonexistent', '--no-create-home', '--shell', '/usr/sbin/nologin', '--comment', 'Popbox interop tests (popa3d)', USER]);
  }
  // SHA-512 with its default 5000 rounds: every POP3 login runs crypt(3), and yescrypt (Debian's
  // default) costs ~4× more CPU per session on this 2-core machine. A loopback-only test account.
  if (!(await passwordIsSet())) await mustRun(findExecutable('chpasswd') as string, ['--crypt-method', 'SHA512', '--sha-rounds', '5000'], `${USER}:${PASSWORD}\n`);

  // The package's PAM service (common-auth + common-account), so that no fallback to `other` is relied on.
  if (!existsSync(PAM_FILE)) {
    await copyFile(PACKAGE_PAM, PAM_FILE);
    await chmod(PAM_FILE, 0o644);
  }
  await ensureSpool();
}

/** Whether /etc/shadow already holds PASSWORD for USER as a SHA-512 hash (checked with crypt(3) through Perl). */
async function passwordIsSet(): Promise<boolean> {
  let hash = '';
  try {
    for (const line of readFileSync('/etc/shadow', 'utf8').split('\n')) {
      const f = line.split(':');
      if (f[0] === USER) hash = f[1] ?? '';
    }
  } catch {
    return false;
  }
  if (!hash.startsWith('$6$')) return false;
  const r = await run(findExecutable('perl') ?? 'perl', ['-e', 'my $h = $ARGV[1]; my $c = crypt($ARGV[0], $h); exit(defined $c && $c eq $h ? 0 : 1)', PASSWORD, hash]);
  return r.code === 0;
}

// ---------------------------------------------------------------------------------------------
// One instance at a time (the mailbox path is compiled in)

function acquireInstanceLockOnce(): boolean {
  const me = procOf(process.pid);
  try {
    const fd = openSync(INSTANCE_LOCK, 'wx', 0o644);
    try {
      writeSync(fd, `${process.pid} ${me?.start ?? ''}\n`);
    } finally {
      closeSync(fd);
    }
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  let owner: Proc | null = null;
  try {
    const [pid, start] = readFileSync(INSTANCE_LOCK, 'utf8').trim().split(' ');
    if (pid && /^\d+$/.test(pid)) owner = { pid: Number(pid), start: start ?? '' };
  } catch {
    return false; // removed meanwhile: try again
  }
  if (owner && procAlive(owner)) return false;
  try {
    unlinkSync(INSTANCE_LOCK); // left by a process that is gone
  } catch {
    // someone else took it over
  }
  return false;
}

async function acquireInstanceLock(): Promise<void> {
  const deadline = Date.now() + INSTANCE_WAIT_MS;
  while (!acquireInstanceLockOnce()) {
    if (Date.now() > deadline) {
      throw new Error(`another popa3d interop instance is running (${INSTANCE_LOCK}: ${tail(INSTANCE_LOCK, 1)}); popa3d's mailbox path is fixed, so only one can run`);
    }
    await sleep(100);
  }
}

function releaseInstanceLock(): void {
  try {
    const [pid] = readFileSync(INSTANCE_LOCK, 'utf8').trim().split(' ');
    if (Number(pid) === process.pid) unlinkSync(INSTANCE_LOCK);
  } catch {
    // not ours or gone
  }
}

// ---------------------------------------------------------------------------------------------
// The inetd

interface Session {
  child: ChildProcess;
  proc: Proc | null;
  socket: net.Socket;
  exited: Promise<void>;
  hasExited: () => boolean;
}

interface Inetd {
  server: net.Server;
  port: number;
  sessions: Set<Session>;
}

let sessionSeq = 0;

function startSession(inetd: Inetd, socket: net.Socket, logPath: string): void {
  const n = ++sessionSeq;
  const log = (line: string): void => void appendFile(logPath, `${new Date().toISOString()} #${n} ${line}\n`).catch(() => undefined);
  socket.on('error', () => undefined);
  let child: ChildProcess;
  try {
    // The socket's fd becomes popa3d's stdin and stdout (as inetd does it). Node never reads it:
    // the server pauses sockets on connect.
    child = spawn(BINARY, [], { stdio: [socket, socket, 'pipe'], cwd: '/', env: { PATH: SYSTEM_PATH } });
  } catch (e) {
    log(`spawn failed: ${(e as Error).message}`);
    socket.destroy();
    return;
  }
  let done = false;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code, sig) => {
      done = true;
      log(`popa3d pid ${child.pid} exited (${sig ?? code})`);
      resolve();
    });
    child.once('error', (e) => {
      done = true;
      log(`popa3d failed: ${e.message}`);
      resolve();
    });
  });
  child.stderr?.on('data', (d: Buffer) => log(`stderr: ${d.toString('utf8').trimEnd()}`));
  const session: Session = { child, proc: child.pid ? procOf(child.pid) : null, socket, exited, hasExited: () => done || child.pid === undefined };
  inetd.sessions.add(session);
  log(`connection from ${socket.remotePort}, popa3d pid ${child.pid}`);
  void exited.then(() => {
    // Our copy of the socket: closing it (popa3d's copies are closed) ends the TCP connection.
    socket.destroy();
    inetd.sessions.delete(session);
  });
}

function listen(logPath: string): Promise<Inetd> {
  return new Promise((resolve, reject) => {
    const sessions = new Set<Session>();
    const server = net.createServer({ pauseOnConnect: true });
    const inetd: Inetd = { server, port: 0, sessions };
    server.on('connection', (socket) => startSession(inetd, socket, logPath));
    server.once('error', reject);
    server.listen({ host: HOST, port: 0, exclusive: true }, () => {
      const addr = server.address();
      inetd.port = typeof addr === 'object' && addr ? addr.port : 0;
      server.unref(); // a forgotten instance must not keep the test process alive (the exit hook stops it)
      resolve(inetd);
    });
  });
}

/** SIGTERM every popa3d of the instance (and the children they forked) by PID, then SIGKILL what is left. */
async function stopSessions(inetd: Inetd): Promise<void> {
  const sessions = [...inetd.sessions];
  const procs = new Map<number, Proc>();
  for (const s of sessions) {
    if (s.hasExited() || !s.proc || !procAlive(s.proc)) continue;
    for (const d of descendantsOf(s.proc.pid)) procs.set(d.pid, d);
    procs.set(s.proc.pid, s.proc);
  }
  for (const p of procs.values()) if (procAlive(p)) signal(p.pid, 'SIGTERM');
  const deadline = Date.now() + STOP_TIMEOUT_MS;
  while ([...procs.values()].some(procAlive) && Date.now() < deadline) await sleep(20);
  for (const p of procs.values()) if (procAlive(p)) signal(p.pid, 'SIGKILL');
  await Promise.race([Promise.all(sessions.map((s) => s.exited)), sleep(2000)]);
  for (const s of sessions) s.socket.destroy();
  const left = [...procs.values()].filter(procAlive).map((p) => p.pid);
  if (left.length) throw new Error(`popa3d processes still alive after stop: ${left.join(', ')}`);
}

/** SIGKILL, at process exit, to the sessions of an instance that was not stopped (and what they forked). */
function killSessionsSync(inetd: Inetd): void {
  inetd.server.close();
  for (const s of inetd.sessions) {
    if (s.hasExited() || !s.proc || !procAlive(s.proc)) continue;
    for (const d of descendantsOf(s.proc.pid)) signal(d.pid, 'SIGKILL');
    signal(s.proc.pid, 'SIGKILL');
  }
}

function label(): string {
  let deb = '';
  try {
    deb = readFileSync(DEB_VERSION_FILE, 'utf8').trim();
  } catch {
    // fetched by hand
  }
  const upstream = /^(\d+(?:\.\d+)+)/.exec(deb)?.[1] ?? '1.0.3';
  return deb ? `popa3d ${upstream} (Debian ${deb})` : `popa3d ${upstream}`;
}

async function startPopa3d(): Promise<InteropServer> {
  const why = popa3dUnavailable();
  if (why) throw new Error(why);
  await acquireInstanceLock();
  let dir: string | null = null;
  let inetd: Inetd | null = null;
  let forgetOnExit = (): void => undefined;
  try {
    await ensureSystem();
    await lockedIo('truncate');
    dir = await mkdtemp(path.join(os.tmpdir(), 'popbox-popa3d-'));
    const logPath = path.join(dir, 'sessions.log');
    inetd = await listen(logPath);
    const started = inetd;
    const startedDir = dir;
    forgetOnExit = onProcessExit(() => {
      killSessionsSync(started);
      rmSync(startedDir, { recursive: true, force: true });
      releaseInstanceLock();
    });

    // popa3d really answers: a greeting through a spawned session.
    const deadline = Date.now() + START_TIMEOUT_MS;
    for (;;) {
      try {
        const g = await readGreeting({ port: inetd.port });
        if (!g.startsWith('+OK')) throw new Error(`unexpected greeting: ${g}`);
        break;
      } catch (e) {
        if (Date.now() > deadline) throw new Error(`popa3d did not greet on ${HOST}:${inetd.port}: ${(e as Error).message}\n--- ${logPath} ---\n${tail(logPath)}`);
        await sleep(50);
      }
    }

    const live = inetd;
    const liveDir = dir;
    let stopping: Promise<void> | null = null;
    return {
      label: label(),
      host: HOST,
      plainPort: live.port,
      tlsPort: null,
      stls: false,
      caPem: null,
      user: USER,
      password: PASSWORD,
      mechanisms: ['USER'],
      uidl: true,
      served: popa3dServes,
      deliver: async (messages) => {
        if (stopping) throw new Error('popa3d instance stopped');
        const when = new Date();
        await lockedIo('append', Buffer.concat(messages.map((m) => mboxEntry(m, when))));
      },
      count: async () => countMbox(await lockedIo('read')),
      clear: async () => {
        await lockedIo('truncate');
      },
      stop: () =>
        (stopping ??= (async () => {
          try {
            const closed = new Promise<void>((resolve) => live.server.close(() => resolve()));
            await stopSessions(live);
            await closed;
            await waitPortsClosed([live.port]);
            await lockedIo('truncate').catch(() => undefined);
          } finally {
            forgetOnExit();
            releaseInstanceLock();
            await rm(liveDir, { recursive: true, force: true });
          }
        })()),
    };
  } catch (e) {
    if (inetd) {
      inetd.server.close();
      await stopSessions(inetd).catch(() => undefined);
    }
    forgetOnExit();
    releaseInstanceLock();
    if (dir) await rm(dir, { recursive: true, force: true });
    throw e;
  }
}

export const popa3d: InteropServerKind = {
  name: 'popa3d',
  unavailable: popa3dUnavailable,
  start: startPopa3d,
};
