/**
 * What the private servers tests start have in common (test/support/dovecot.ts and the interop
 * servers in test/support/interop/): finding programs and system accounts, running a command,
 * processes by PID through /proc (never by name), loopback ports, a self-signed certificate
 * (or one a test CA signed, put into a running server), logs, Maildir folders. Linux only, like the servers.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, X509Certificate } from 'node:crypto';
import { accessSync, appendFileSync, closeSync, constants as fsConstants, openSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { chmod, chown, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';

export const HOST = '127.0.0.1' as const;

// ---------------------------------------------------------------------------------------------
// Programs

/** Where system programs live when PATH lacks them (sbin dirs are often missing from a user's PATH). */
export const SYSTEM_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

export function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

export function isExecutable(p: string): boolean {
  try {
    accessSync(p, fsConstants.X_OK);
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

/** The first file called `name` in PATH, then in `extraDirs`. */
export function findExecutable(name: string, extraDirs: readonly string[] = SYSTEM_DIRS): string | null {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter).filter(Boolean), ...extraDirs];
  for (const d of dirs) if (isFile(path.join(d, name))) return path.join(d, name);
  return null;
}

export const opensslBinary = (): string | null => findExecutable('openssl', ['/usr/bin', '/usr/local/bin']);

export interface RunResult {
  /** Exit code; 1 when killed by a signal (e.g. the timeout), -1 when it could not be started. */
  code: number;
  stdout: Buffer;
  /** stderr, or why it failed when stderr is empty. */
  stderr: string;
}

/** Runs a program to its end (killed after `timeoutMs`), stdin = `input` (or nothing). */
export function run(file: string, args: string[], opts: { input?: string | Buffer; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'], env: opts.env ?? process.env });
    const out: Buffer[] = [];
    let stderr = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs ?? 30_000);
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.stdin.on('error', () => undefined); // it may exit before reading everything
    child.once('error', (e) => {
      clearTimeout(timer);
      resolve({ code: -1, stdout: Buffer.concat(out), stderr: stderr || e.message });
    });
    child.once('close', (code, sig) => {
      clearTimeout(timer);
      const why = timedOut ? `${path.basename(file)} timed out` : sig ? `${path.basename(file)} killed by ${sig}` : code ? `${path.basename(file)} exited with ${code}` : '';
      resolve({ code: code ?? 1, stdout: Buffer.concat(out), stderr: stderr || why });
    });
    child.stdin.end(opts.input ?? '');
  });
}

// ---------------------------------------------------------------------------------------------
// System accounts (read from /etc/passwd and /etc/group: no getent, no native modules)

export interface Account {
  uid: number;
  gid: number;
}

export function lookupUser(name: string): Account | null {
  try {
    for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
      const f = line.split(':');
      if (f[0] === name && f.length >= 4) return { uid: Number(f[2]), gid: Number(f[3]) };
    }
  } catch {
    // no /etc/passwd
  }
  return null;
}

export function lookupGroup(name: string): number | null {
  try {
    for (const line of readFileSync('/etc/group', 'utf8').split('\n')) {
      const f = line.split(':');
      if (f[0] === name && f.length >= 3) return Number(f[2]);
    }
  } catch {
    // no /etc/group
  }
  return null;
}

/** The mail uid/gid of the Maildir servers: the existing `nobody` user and its group (`nogroup` on Debian). */
export function nobodyAccount(): Account | null {
  const nobody = lookupUser('nobody');
  if (!nobody) return null;
  return { uid: nobody.uid, gid: lookupGroup('nogroup') ?? nobody.gid };
}

// ---------------------------------------------------------------------------------------------
// Waiting

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Poll `probe` until it gives a truthy value (returned), every `everyMs`, failing with
 * "timed out waiting for <what>" after `ms`. For waiting on servers and queues in tests.
 */
export async function until<T>(
  what: string,
  probe: () => Promise<T | undefined | null | false> | T | undefined | null | false,
  ms = 15_000,
  everyMs = 25,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** Resolves true when `p` settles within `ms`, else false; leaves no timer behind either way. */
export function settlesWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    const done = (): void => {
      clearTimeout(timer);
      resolve(true);
    };
    p.then(done, done);
  });
}

// ---------------------------------------------------------------------------------------------
// Processes, by PID and start time

/** A process, identified by PID and start time (so a recycled PID is never mistaken for it). */
export interface Proc {
  pid: number;
  start: string;
}

/** Fields after "(comm)" in /proc/PID/stat: [0] state, [1] ppid, [2] pgrp, [3] session, …, [19] starttime. */
function statFields(pid: number): string[] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

export function procOf(pid: number): Proc | null {
  const f = statFields(pid);
  return f ? { pid, start: f[19] ?? '' } : null;
}

/** Still running (not gone, not a zombie) and still the same process. */
export function procAlive(p: Proc): boolean {
  const f = statFields(p.pid);
  return f !== null && f[19] === p.start && f[0] !== 'Z' && f[0] !== 'X';
}

/** Whether a process with this PID is running (not gone, not a zombie). */
export function pidAlive(pid: number): boolean {
  const p = procOf(pid);
  return p !== null && procAlive(p);
}

/** Sends a signal to one process; never to a process group, never to init. */
export function signal(pid: number, sig: NodeJS.Signals): void {
  if (!Number.isInteger(pid) || pid <= 1) return;
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

/** The program name of a process (/proc/PID/comm), '' when it is gone. */
export function commOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

interface ProcRow extends Proc {
  ppid: number;
  session: number;
}

function processTable(): ProcRow[] {
  let entries: string[] = [];
  try {
    entries = readdirSync('/proc');
  } catch {
    // no procfs
  }
  const out: ProcRow[] = [];
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    const f = statFields(Number(e));
    if (f) out.push({ pid: Number(e), start: f[19] ?? '', ppid: Number(f[1]), session: Number(f[3]) });
  }
  return out;
}

const asProc = (r: ProcRow): Proc => ({ pid: r.pid, start: r.start });

/** Direct children of a PID (a master's services). */
export function childrenOf(pid: number): Proc[] {
  return processTable()
    .filter((r) => r.ppid === pid)
    .map(asProc);
}

/**
 * Every descendant of a PID; with `sameSession`, also every other process in the session it leads
 * (what a daemon started with setsid double-forked, which then hangs off PID 1).
 */
export function descendantsOf(pid: number, opts: { sameSession?: boolean } = {}): Proc[] {
  const table = processTable().filter((r) => r.pid !== pid);
  const byParent = new Map<number, ProcRow[]>();
  for (const r of table) byParent.set(r.ppid, [...(byParent.get(r.ppid) ?? []), r]);
  const out = new Map<number, Proc>();
  const todo = [pid];
  while (todo.length) {
    for (const c of byParent.get(todo.pop() as number) ?? []) {
      if (out.has(c.pid)) continue;
      out.set(c.pid, asProc(c));
      todo.push(c.pid);
    }
  }
  if (opts.sameSession) for (const r of table) if (r.session === pid) out.set(r.pid, asProc(r));
  return [...out.values()];
}

/** Clock ticks per second of /proc's CPU times (USER_HZ: 100 on every Linux build node runs on). */
const USER_HZ = 100;

/**
 * CPU seconds (user + system) a process tree has used so far: the process itself, its children
 * that have exited and been waited for (cutime/cstime), and every live descendant. A bench reads it
 * before and after a client's run to know what the server spent serving that client.
 */
export function treeCpuSeconds(pid: number): number {
  let ticks = 0;
  for (const p of [pid, ...descendantsOf(pid).map((d) => d.pid)]) {
    // [11] utime, [12] stime, [13] cutime, [14] cstime (fields after "(comm)").
    const f = statFields(p);
    if (f) ticks += Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
  }
  return ticks / USER_HZ;
}

/** A server process run as our child (in the foreground), so that Node reaps it when it exits. */
export interface Daemon {
  pid: number;
  exited: Promise<void>;
  hasExited: () => boolean;
}

/**
 * Starts `file` with stdout and stderr going to `logPath` (truncated, or appended to with
 * `append`); a failure to start is written there too. The child is unref'd: a forgotten server
 * must not keep the test process alive (register an onProcessExit clean-up for it).
 */
export function spawnDaemon(
  file: string,
  args: string[],
  opts: { logPath: string; append?: boolean; env?: NodeJS.ProcessEnv; cwd?: string; detached?: boolean },
): Daemon {
  const fd = openSync(opts.logPath, opts.append ? 'a' : 'w');
  let child: ChildProcess;
  try {
    child = spawn(file, args, { stdio: ['ignore', fd, fd], env: opts.env ?? process.env, cwd: opts.cwd, detached: opts.detached ?? false });
  } finally {
    closeSync(fd);
  }
  let done = false;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      done = true;
      resolve();
    });
    child.once('error', (e) => {
      done = true;
      try {
        appendFileSync(opts.logPath, `spawn failed: ${e.message}\n`);
      } catch {
        // dir gone
      }
      resolve();
    });
  });
  child.unref();
  return { pid: child.pid ?? -1, exited, hasExited: () => done || child.pid === undefined };
}

/**
 * Stops a master daemon whose services are its direct children (Dovecot, Cyrus): SIGTERM to the
 * master and to its services, wait for them, SIGKILL (by PID) whatever is left, then wait until
 * the ports refuse connections. Throws if a process of it is still alive.
 */
export async function stopMaster(master: Daemon, ports: number[], opts: { name: string; timeoutMs: number }): Promise<void> {
  if (master.pid <= 0) return;
  // Once Node has reaped the master its PID may be recycled: only signal it while it hasn't exited.
  const services = master.hasExited() ? [] : childrenOf(master.pid);
  if (!master.hasExited()) signal(master.pid, 'SIGTERM');
  // Terminating the services along with the master is quicker than the master waiting for them.
  for (const p of services) if (procAlive(p)) signal(p.pid, 'SIGTERM');
  if (!(await settlesWithin(master.exited, opts.timeoutMs))) {
    if (!master.hasExited()) signal(master.pid, 'SIGKILL');
    for (const p of services) if (procAlive(p)) signal(p.pid, 'SIGKILL');
    await settlesWithin(master.exited, 2000);
  }
  const deadline = Date.now() + 3000;
  while (services.some(procAlive) && Date.now() < deadline) await sleep(20);
  for (const p of services) if (procAlive(p)) signal(p.pid, 'SIGKILL');
  await waitPortsClosed(ports);
  const left = [...(master.hasExited() ? [] : [master.pid]), ...services.filter(procAlive).map((p) => p.pid)];
  if (left.length) throw new Error(`${opts.name} processes still alive after stop: ${left.join(', ')}`);
}

/**
 * The life of a private server made of one master daemon (Dovecot, Cyrus) in its own temp dir:
 * start attempts, stop by PID, and the clean-up at process exit for an instance never stopped.
 */
export class MasterInstance {
  private current: Daemon | null = null;
  private forgetOnExit: () => void = () => undefined;
  private stopping: Promise<void> | null = null;

  constructor(
    readonly dir: string,
    private readonly opts: { name: string; timeoutMs: number },
  ) {}

  /** The running master, after a successful launch(). */
  get master(): Daemon {
    if (!this.current) throw new Error(`${this.opts.name}: no master running`);
    return this.current;
  }

  /** Starts a master (`spawn` starts it) and makes sure it is stopped and the dir removed if the test process exits first. */
  launch(spawnMaster: () => Daemon): Daemon {
    const m = spawnMaster();
    this.current = m;
    this.forgetOnExit = onProcessExit(() => {
      // Synchronous: SIGTERM to a master that is still running and to its services.
      if (!m.hasExited()) {
        for (const c of childrenOf(m.pid)) signal(c.pid, 'SIGTERM');
        signal(m.pid, 'SIGTERM');
      }
      rmSync(this.dir, { recursive: true, force: true });
    });
    return m;
  }

  /** Stops a master that failed to start, without waiting for its ports (another process may hold one of them). */
  async drop(): Promise<void> {
    const m = this.current;
    if (!m) return;
    try {
      await stopMaster(m, [], this.opts);
    } finally {
      this.current = null;
      this.forgetOnExit();
    }
  }

  /** After a failed start: stop whatever runs, remove the dir. */
  async abort(): Promise<void> {
    await this.drop().catch(() => undefined);
    await rm(this.dir, { recursive: true, force: true });
  }

  /** Stop the master by PID, wait until its processes are gone and the ports closed, remove the dir. Idempotent. */
  stop(ports: number[]): Promise<void> {
    return (this.stopping ??= (async () => {
      try {
        if (this.current) await stopMaster(this.current, ports, this.opts);
      } finally {
        this.forgetOnExit();
        await rm(this.dir, { recursive: true, force: true });
      }
    })());
  }
}

const exitCleanups = new Set<() => void>();
let exitHookInstalled = false;

/**
 * Runs `cleanup` (synchronous, best effort) when the test process exits, so that one that exits
 * without stop() still takes its servers along. Returns the function that unregisters it.
 */
export function onProcessExit(cleanup: () => void): () => void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', runExitCleanups);
  }
  exitCleanups.add(cleanup);
  return () => exitCleanups.delete(cleanup);
}

function runExitCleanups(): void {
  for (const c of exitCleanups) {
    try {
      c();
    } catch {
      // best effort
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Ports

/** A free loopback port: bind port 0, read it, close. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, HOST, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => (port ? resolve(port) : reject(new Error('could not get a free port'))));
    });
  });
}

export async function twoFreePorts(): Promise<[number, number]> {
  for (;;) {
    const a = await freePort();
    const b = await freePort();
    if (a !== b) return [a, b];
  }
}

/** Resolves true once a TCP connect is refused (nothing listens any more). */
export function portClosed(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: HOST, port });
    s.setTimeout(1000);
    s.once('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.once('timeout', () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', () => resolve(true));
  });
}

/** Waits (up to `ms` for each) until nothing listens on the ports any more. */
export async function waitPortsClosed(ports: number[], ms = 3000): Promise<void> {
  for (const port of ports) {
    const deadline = Date.now() + ms;
    while (!(await portClosed(port)) && Date.now() < deadline) await sleep(20);
  }
}

export type GreetingTarget = { port: number; secure?: boolean; caPem?: string } | { socketPath: string };

/**
 * Connects (plain TCP, implicit TLS trusting `caPem`, or a Unix socket), reads the first line and
 * says `bye` (default POP3's QUIT); resolves the line or rejects.
 */
export function readGreeting(to: GreetingTarget, timeoutMs = 3000, bye = 'QUIT\r\n'): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock: net.Socket =
      'socketPath' in to
        ? net.connect({ path: to.socketPath })
        : to.secure
          ? tls.connect({ host: HOST, port: to.port, ca: to.caPem, servername: 'localhost' })
          : net.connect({ host: HOST, port: to.port });
    const where = 'socketPath' in to ? to.socketPath : `port ${to.port}`;
    let buf = '';
    let settled = false;
    const done = (err: Error | null, line?: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sock.removeAllListeners('data');
      if (!err) sock.end(bye);
      sock.destroy();
      if (err) reject(err);
      else resolve(line ?? '');
    };
    const timer = setTimeout(() => done(new Error(`no greeting on ${where} within ${timeoutMs} ms`)), timeoutMs);
    sock.setEncoding('latin1');
    sock.on('data', (d: string) => {
      buf += d;
      const i = buf.indexOf('\r\n');
      if (i >= 0) done(null, buf.slice(0, i));
    });
    sock.once('error', (e) => done(e));
    sock.once('close', () => done(new Error(`${where} closed before a greeting`)));
  });
}

// ---------------------------------------------------------------------------------------------
// Files

/** The last lines of a log, for error messages. */
export function tail(file: string, lines = 30): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/**
 * os.tmpdir(), unless its path is long (Unix sockets live in the servers' temp dirs and sun_path
 * is 108 bytes) or some folder above it is not traversable by others (the servers' processes
 * drop to unprivileged users).
 */
export function tempRoot(): string {
  const t = path.resolve(os.tmpdir());
  if (t.length > 40) return '/tmp';
  for (let d = t; ; d = path.dirname(d)) {
    try {
      if ((statSync(d).mode & 0o001) === 0) return '/tmp';
    } catch {
      return '/tmp';
    }
    if (d === path.dirname(d)) return t;
  }
}

/**
 * A self-signed certificate for localhost (SAN DNS:localhost, IP:127.0.0.1) as `dir`/cert.pem,
 * its key as `dir`/key.pem (0600). Returns the certificate (PEM), to be trusted as `ca`.
 */
export async function makeCert(dir: string): Promise<string> {
  const openssl = opensslBinary();
  if (!openssl) throw new Error('openssl CLI not found: apt-get install openssl');
  const r = await run(openssl, [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem'),
    '-days', '30', '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
  ]);
  if (r.code !== 0) throw new Error(`openssl failed: ${r.stderr.trim()}`);
  await chmod(path.join(dir, 'key.pem'), 0o600);
  return readFile(path.join(dir, 'cert.pem'), 'utf8');
}

/** A certificate authority of a test's own: what a public CA is to a provider, trusted only where the test says so. */
export interface TestCa {
  /** The CA's certificate (PEM), to be trusted as `ca` or through NODE_EXTRA_CA_CERTS (`certPath`). */
  certPem: string;
  certPath: string;
  keyPath: string;
}

/** A certificate and its key, as a server is configured with them. */
export interface CertAndKey {
  certPem: string;
  keyPem: string;
  /** As node's X509Certificate#fingerprint256 ('AB:CD:…'). */
  fingerprint256: string;
}

/** A CA (CA:TRUE, may sign certificates) as `dir`/ca.pem with its key `dir`/ca-key.pem (0600). */
export async function makeTestCa(dir: string): Promise<TestCa> {
  const openssl = opensslBinary();
  if (!openssl) throw new Error('openssl CLI not found: apt-get install openssl');
  const certPath = path.join(dir, 'ca.pem');
  const keyPath = path.join(dir, 'ca-key.pem');
  const r = await run(openssl, [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', keyPath, '-out', certPath, '-days', '30', '-subj', '/CN=Popbox Test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  if (r.code !== 0) throw new Error(`openssl failed: ${r.stderr.trim()}`);
  await chmod(keyPath, 0o600);
  return { certPem: await readFile(certPath, 'utf8'), certPath, keyPath };
}

/**
 * A server certificate for localhost (SAN DNS:localhost, IP:127.0.0.1) signed by `ca`, valid
 * under it for both names: made in `dir` as `name`.pem and `name`-key.pem.
 */
export async function makeCaSignedCert(ca: TestCa, dir: string, name: string): Promise<CertAndKey> {
  const openssl = opensslBinary();
  if (!openssl) throw new Error('openssl CLI not found: apt-get install openssl');
  const certPath = path.join(dir, `${name}.pem`);
  const keyPath = path.join(dir, `${name}-key.pem`);
  const csrPath = path.join(dir, `${name}.csr`);
  const extPath = path.join(dir, `${name}.ext`);
  await writeFile(extPath, 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n');
  const req = await run(openssl, ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', keyPath, '-out', csrPath, '-subj', '/CN=localhost']);
  if (req.code !== 0) throw new Error(`openssl failed: ${req.stderr.trim()}`);
  const sign = await run(openssl, [
    'x509', '-req', '-in', csrPath, '-CA', ca.certPath, '-CAkey', ca.keyPath, '-set_serial', `0x${randomBytes(8).toString('hex')}`,
    '-days', '30', '-extfile', extPath, '-out', certPath,
  ]);
  if (sign.code !== 0) throw new Error(`openssl failed: ${sign.stderr.trim()}`);
  await chmod(keyPath, 0o600);
  const certPem = await readFile(certPath, 'utf8');
  return { certPem, keyPem: await readFile(keyPath, 'utf8'), fingerprint256: new X509Certificate(certPem).fingerprint256 };
}

/** The SHA-256 fingerprint of the certificate a TLS server on 127.0.0.1:`port` presents now ('AB:CD:…'), trusting nothing. */
export function presentedFingerprint(port: number, timeoutMs = 3000): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = tls.connect({ host: HOST, port, rejectUnauthorized: false });
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`no TLS handshake on port ${port} within ${timeoutMs} ms`));
    }, timeoutMs);
    sock.once('secureConnect', () => {
      clearTimeout(timer);
      const fp = sock.getPeerCertificate().fingerprint256;
      sock.destroy();
      resolve(fp);
    });
    sock.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

/**
 * Give a running server another certificate: its cert and key files (`dir`/cert.pem, key.pem,
 * which its config names) replaced, its master told to reload (SIGHUP), then wait until every
 * TLS port presents the new certificate (new connections only: a session already open keeps
 * the old one).
 */
export async function replaceCertificate(server: { dir: string; masterPid: number }, tlsPorts: number[], cert: CertAndKey, timeoutMs = 15_000): Promise<void> {
  await writeFile(path.join(server.dir, 'key.pem'), cert.keyPem, { mode: 0o600 });
  await writeFile(path.join(server.dir, 'cert.pem'), cert.certPem);
  signal(server.masterPid, 'SIGHUP');
  const deadline = Date.now() + timeoutMs;
  for (const port of tlsPorts) {
    let seen = '';
    while ((seen = await presentedFingerprint(port).catch((e: Error) => e.message)) !== cert.fingerprint256) {
      if (Date.now() > deadline) throw new Error(`port ${port} still presents ${seen}, not ${cert.fingerprint256}, ${timeoutMs} ms after the reload`);
      await sleep(50);
    }
  }
}

/** `home`/Maildir with cur, new and tmp, every folder owned by `acc` and 0700. Returns the Maildir's path. */
export async function ensureMaildir(home: string, acc: Account): Promise<string> {
  const maildir = path.join(home, 'Maildir');
  for (const d of [home, maildir, path.join(maildir, 'cur'), path.join(maildir, 'new'), path.join(maildir, 'tmp')]) {
    await mkdir(d, { recursive: true, mode: 0o700 });
    await chown(d, acc.uid, acc.gid);
  }
  return maildir;
}

/** Strictly increasing timestamps in Maildir file names, per process, so the servers' name sort = delivery order. */
let nextStamp = Math.floor(Date.now() / 1000) - 30 * 86400;
let nextSeq = 0;

/** A new Maildir base name, '<secs>.M<n>P<pid>Q<n>.popbox', later in every server's sort than the ones before. */
export function nextMaildirName(): string {
  const secs = nextStamp++;
  const seq = nextSeq++;
  return `${secs}.M${seq % 1_000_000}P${process.pid}Q${seq}.popbox`;
}
