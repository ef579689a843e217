/**
 * A private Cyrus POP3 server (Debian 12's cyrus-pop3d 3.6) for the interop suite.
 *
 * The Cyrus packages are not installed: cyrus-pop3d `Conflicts: pop3-server` (installing it would
 * remove dovecot-pop3d) and cyrus-common pulls in an MTA. test/interop/fetch-cyrus.sh downloads
 * cyrus-common, cyrus-pop3d, cyrus-imapd and sasl2-bin and unpacks them with `dpkg-deb -x` into
 * /var/cache/popbox-interop/cyrus/root; it apt-installs only the shared libraries they need and
 * creates the system user `cyrus` the daemons drop to.
 *
 * Each instance lives in its own temp dir: imapd.conf + cyrus.conf (every service started with
 * `-C` that imapd.conf), configdirectory, partition, sockets, a sasldb with the test user, a
 * self-signed cert. The Cyrus `master` runs in the foreground as our child (it binds as root, then
 * drops to `cyrus`), serving pop3 (STLS) and pop3s on 127.0.0.1 on ports picked at runtime, and
 * imapd on a Unix socket in the temp dir only: deliver() and clear() use IMAP APPEND / EXPUNGE
 * there, so the stored bytes are exactly the message with CRLF line ends (LMTP delivery would
 * add Return-Path, Received, X-Cyrus-Session-Id, X-Sieve, and Message-ID/Date when missing).
 * count() reads the `exists` field of the INBOX's cyrus.index. Stopped by PID, never by name.
 */
import { existsSync, readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { chmod, chown, mkdir, mkdtemp, open, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import type { AuthMechanism } from '../../../electron/core/pop3/index.js';
import { toCrlf } from '../mailgen.js';
import {
  HOST,
  MasterInstance,
  isFile,
  lookupGroup,
  lookupUser,
  makeCert,
  opensslBinary,
  readGreeting,
  run,
  sleep,
  spawnDaemon,
  tail,
  tempRoot,
  twoFreePorts,
  type Account,
  type Daemon,
  type GreetingTarget,
} from '../servers.js';
import { INTEROP_CACHE, type InteropServer, type InteropServerKind } from './server.js';

const USER = 'interop';
const PASSWORD = 'interop-pw';
/** Everything our client can do that this Cyrus accepts (APOP works: the sasldb holds the plain secret). */
const MECHANISMS: AuthMechanism[] = ['USER', 'APOP', 'PLAIN', 'LOGIN', 'CRAM-MD5'];
const START_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 10_000;
const IMAP_TIMEOUT_MS = 60_000;
const FETCH_HINT = 'run test/interop/fetch-cyrus.sh as root';

const ROOT = path.join(INTEROP_CACHE, 'cyrus', 'root');
const BIN = path.join(ROOT, 'usr', 'lib', 'cyrus', 'bin');
const SASLPASSWD2 = path.join(ROOT, 'usr', 'sbin', 'saslpasswd2');
const LIB_DIRS = ['/usr/lib/x86_64-linux-gnu', '/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/lib/aarch64-linux-gnu', '/usr/lib', '/lib'];

// ---------------------------------------------------------------------------------------------
// Availability

/** The unpacked libcyrus*.so.0 live in ROOT/usr/lib/<multiarch>. */
function cyrusLibDir(): string | null {
  const base = path.join(ROOT, 'usr', 'lib');
  let entries: string[] = [];
  try {
    entries = readdirSync(base);
  } catch {
    return null;
  }
  for (const e of entries) if (isFile(path.join(base, e, 'libcyrus.so.0'))) return path.join(base, e);
  return null;
}

/** A system library or SASL plugin, looked up in the usual multiarch dirs. */
const systemLib = (rel: string): boolean => LIB_DIRS.some((d) => existsSync(path.join(d, rel)));

/** The user the Cyrus daemons run as (cyrus_user/cyrus_group in imapd.conf). */
function cyrusAccount(): Account | null {
  const cyrus = lookupUser('cyrus');
  const mail = lookupGroup('mail');
  return cyrus && mail !== null ? { uid: cyrus.uid, gid: mail } : null;
}

/** null if a private Cyrus can be started here, else a one-line reason. */
export function cyrusUnavailable(): string | null {
  if (process.platform !== 'linux') return `private Cyrus needs Linux (this is ${process.platform})`;
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return 'private Cyrus needs root (its master binds as root and drops to the cyrus user)';
  for (const b of ['master', 'pop3d', 'imapd', 'ctl_cyrusdb']) {
    if (!isFile(path.join(BIN, b))) return `Cyrus ${b} not found in ${BIN}: ${FETCH_HINT}`;
  }
  if (!isFile(SASLPASSWD2)) return `${SASLPASSWD2} not found: ${FETCH_HINT}`;
  if (!cyrusLibDir()) return `libcyrus.so.0 not found under ${ROOT}/usr/lib: ${FETCH_HINT}`;
  for (const lib of ['libical.so.3', 'libxapian.so.30', 'libpcreposix.so.3', 'libsasl2.so.2', 'sasl2/libsasldb.so', 'sasl2/libplain.so', 'sasl2/liblogin.so', 'sasl2/libcrammd5.so']) {
    if (!systemLib(lib)) return `${lib} missing (libraries of the unpacked Cyrus): ${FETCH_HINT}`;
  }
  if (!cyrusAccount()) return `system user 'cyrus' (group mail) missing: ${FETCH_HINT}`;
  if (!opensslBinary()) return 'openssl CLI not found: apt-get install openssl';
  return null;
}

// ---------------------------------------------------------------------------------------------
// Small helpers

/**
 * Whether process `pid` holds the listening socket on 127.0.0.1:`port` (from /proc/net/tcp and
 * /proc/PID/fd). The master only logs a failed bind to syslog and carries on, so this is how we
 * know the port we picked is really ours and not another process's.
 */
function listensOn(pid: number, port: number): boolean {
  const local = `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  let inode: string | null = null;
  try {
    for (const line of readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f[1] === local && f[3] === '0A') inode = f[9] ?? null;
    }
  } catch {
    return false;
  }
  if (!inode) return false;
  try {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        if (readlinkSync(`/proc/${pid}/fd/${fd}`) === `socket:[${inode}]`) return true;
      } catch {
        // closed meanwhile
      }
    }
  } catch {
    // process gone
  }
  return false;
}

async function chownTree(p: string, acc: Account): Promise<void> {
  await chown(p, acc.uid, acc.gid);
  if (!statSync(p).isDirectory()) return;
  for (const e of await readdir(p)) await chownTree(path.join(p, e), acc);
}

// ---------------------------------------------------------------------------------------------
// A minimal IMAP session over the instance's private Unix socket (deliver and clear)

class ImapLink {
  private buf: Buffer = Buffer.alloc(0);
  private waiter: (() => void) | null = null;
  private failure: Error | null = null;
  private seq = 0;

  private constructor(private readonly sock: net.Socket) {
    sock.on('data', (d: Buffer) => {
      this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
      this.wake();
    });
    sock.on('error', (e) => this.fail(e));
    sock.on('close', () => this.fail(new Error('IMAP connection closed')));
    sock.setTimeout(IMAP_TIMEOUT_MS, () => {
      this.fail(new Error(`IMAP: no answer within ${IMAP_TIMEOUT_MS} ms`));
      sock.destroy();
    });
  }

  static async open(socketPath: string, user: string, password: string): Promise<ImapLink> {
    const sock = net.connect({ path: socketPath });
    const link = new ImapLink(sock);
    try {
      const greeting = await link.line();
      if (!greeting.startsWith('* OK')) throw new Error(`IMAP greeting: ${greeting}`);
      await link.command(`LOGIN ${quote(user)} ${quote(password)}`);
      return link;
    } catch (e) {
      sock.destroy();
      throw e;
    }
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }

  private fail(e: Error): void {
    this.failure ??= e;
    this.wake();
  }

  private async line(): Promise<string> {
    for (;;) {
      const i = this.buf.indexOf('\r\n');
      if (i >= 0) {
        const l = this.buf.subarray(0, i).toString('latin1');
        this.buf = this.buf.subarray(i + 2);
        return l;
      }
      if (this.failure) throw this.failure;
      await new Promise<void>((r) => (this.waiter = r));
    }
  }

  /** Sends a command (with an optional LITERAL+ literal appended); returns the untagged lines, throws unless OK. */
  async command(text: string, literal?: Buffer): Promise<string[]> {
    const tag = `p${++this.seq}`;
    if (literal) {
      this.sock.write(`${tag} ${text} {${literal.length}+}\r\n`);
      this.sock.write(literal);
      this.sock.write('\r\n');
    } else {
      this.sock.write(`${tag} ${text}\r\n`);
    }
    const untagged: string[] = [];
    for (;;) {
      const l = await this.line();
      if (l.startsWith(`${tag} `)) {
        if (!l.startsWith(`${tag} OK`)) throw new Error(`IMAP ${text.split(' ')[0]} failed: ${l.slice(tag.length + 1)}`);
        return untagged;
      }
      untagged.push(l);
    }
  }

  async close(): Promise<void> {
    try {
      await this.command('LOGOUT');
    } catch {
      // the server may close first
    }
    this.sock.destroy();
  }
}

const quote = (s: string): string => `"${s.replace(/["\\]/g, (c) => `\\${c}`)}"`;

// ---------------------------------------------------------------------------------------------
// Storage: the INBOX's cyrus.index

/** cyrus.index header (imap/mailbox.h, Cyrus 3.6): big-endian 32-bit fields. */
const OFFSET_MINOR_VERSION = 8;
const OFFSET_EXISTS = 84;

/** The user's INBOX directory (spool/uuid/x/y/<uuid> in 3.6); the only mailbox in the partition. */
async function findIndex(spool: string): Promise<string | null> {
  const walk = async (d: string, depth: number): Promise<string | null> => {
    let entries: string[];
    try {
      entries = await readdir(d);
    } catch {
      return null;
    }
    if (entries.includes('cyrus.index')) return path.join(d, 'cyrus.index');
    if (depth === 0) return null;
    for (const e of entries.sort()) {
      const found = await walk(path.join(d, e), depth - 1);
      if (found) return found;
    }
    return null;
  };
  return walk(spool, 6);
}

async function readExists(indexPath: string): Promise<number> {
  const fh = await open(indexPath, 'r');
  try {
    const head = Buffer.alloc(OFFSET_EXISTS + 4);
    const { bytesRead } = await fh.read(head, 0, head.length, 0);
    if (bytesRead < head.length) throw new Error(`${indexPath}: short header (${bytesRead} bytes)`);
    const minor = head.readUInt32BE(OFFSET_MINOR_VERSION);
    if (minor < 12 || minor > 20) throw new Error(`${indexPath}: unexpected cyrus.index version ${minor}`);
    return head.readUInt32BE(OFFSET_EXISTS);
  } finally {
    await fh.close();
  }
}

// ---------------------------------------------------------------------------------------------
// The server

function renderImapdConf(dir: string): string {
  return `# Private Cyrus for Popbox interop tests (generated)
configdirectory: ${dir}/config
partition-default: ${dir}/spool
sievedir: ${dir}/sieve
servername: localhost
cyrus_user: cyrus
cyrus_group: mail
lmtpsocket: ${dir}/socket/lmtp
idlesocket: ${dir}/socket/idle
notifysocket: ${dir}/socket/notify

# The test user is in a private sasldb (plain secrets: PLAIN, LOGIN, CRAM-MD5 and APOP work).
sasl_pwcheck_method: auxprop
sasl_auxprop_plugin: sasldb
sasl_sasldb_path: ${dir}/sasldb2
sasl_mech_list: PLAIN LOGIN CRAM-MD5
# Tests also log in with USER/PASS, PLAIN and LOGIN on loopback without TLS.
allowplaintext: yes
allowapop: yes

tls_server_cert: ${dir}/cert.pem
tls_server_key: ${dir}/key.pem
tls_versions: tls1_2 tls1_3

# INBOX created at the first login (POP3 or IMAP).
autocreate_quota: 0
# Keep bytes as given: no 8-bit munging in headers.
munge8bit: no
reject8bit: no
# Expunged messages leave the disk when the last session closes (no cyr_expire needed).
expunge_mode: immediate
delete_mode: immediate
duplicatesuppression: no
`;
}

function renderCyrusConf(dir: string, plainPort: number, tlsPort: number): string {
  const c = `-C ${dir}/imapd.conf`;
  return `# Private Cyrus for Popbox interop tests (generated)
START {
  recover cmd="${BIN}/ctl_cyrusdb ${c} -r"
}
SERVICES {
  pop3 cmd="${BIN}/pop3d ${c}" listen="${HOST}:${plainPort}" prefork=0 maxchild=50
  pop3s cmd="${BIN}/pop3d ${c} -s" listen="${HOST}:${tlsPort}" prefork=0 maxchild=50
  imap cmd="${BIN}/imapd ${c}" listen="${dir}/socket/imap" prefork=0 maxchild=5
}
EVENTS {
}
DAEMON {
}
`;
}

function cyrusEnv(): NodeJS.ProcessEnv {
  const lib = cyrusLibDir() as string;
  const env: NodeJS.ProcessEnv = { ...process.env, LD_LIBRARY_PATH: [lib, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':') };
  // cyrus_user()/cyrus_group() prefer these over imapd.conf.
  delete env.CYRUS_USER;
  delete env.CYRUS_GROUP;
  return env;
}

/** A Cyrus master run in the foreground (-D) as our child. */
function launchMaster(dir: string, stderrPath: string): Daemon {
  return spawnDaemon(
    path.join(BIN, 'master'),
    ['-D', '-C', path.join(dir, 'imapd.conf'), '-M', path.join(dir, 'cyrus.conf'), '-p', path.join(dir, 'master.pid'), '-L', path.join(dir, 'master.log')],
    { logPath: stderrPath, env: cyrusEnv() },
  );
}

/** An IMAP greeting is followed by LOGOUT, not QUIT. */
const readImapGreeting = (to: GreetingTarget): Promise<string> => readGreeting(to, 3000, 'x LOGOUT\r\n');

type StartResult = { ok: true; greeting: string } | { ok: false; exited: boolean; portTaken: boolean; why: string };

/** Waits until the master holds both ports, both greet with +OK and imapd answers on its socket. */
async function waitUntilServing(master: Daemon, dir: string, plainPort: number, tlsPort: number, caPem: string): Promise<StartResult> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  let lastErr = '';
  const exitedEarly = master.exited.then((): string => {
    throw new Error('master exited');
  });
  exitedEarly.catch(() => undefined);
  while (Date.now() < deadline) {
    if (master.hasExited()) return { ok: false, exited: true, portTaken: false, why: 'the Cyrus master exited during startup' };
    try {
      // The master binds before it starts anything; if it could not, it logs to syslog and goes on.
      if (existsSync(path.join(dir, 'socket', 'imap'))) {
        for (const port of [plainPort, tlsPort]) {
          if (!listensOn(master.pid, port)) return { ok: false, exited: false, portTaken: true, why: `port ${port} is not held by the Cyrus master` };
        }
      } else {
        throw new Error('the master has not bound its sockets yet');
      }
      const g = await Promise.race([readGreeting({ port: plainPort, secure: false, caPem }), exitedEarly]);
      if (!g.startsWith('+OK')) throw new Error(`unexpected greeting on ${plainPort}: ${g}`);
      const gs = await Promise.race([readGreeting({ port: tlsPort, secure: true, caPem }), exitedEarly]);
      if (!gs.startsWith('+OK')) throw new Error(`unexpected greeting on ${tlsPort}: ${gs}`);
      const gi = await Promise.race([readImapGreeting({ socketPath: path.join(dir, 'socket', 'imap') }), exitedEarly]);
      if (!gi.startsWith('* OK')) throw new Error(`unexpected IMAP greeting: ${gi}`);
      return { ok: true, greeting: g };
    } catch (e) {
      lastErr = (e as Error).message;
      await sleep(50);
    }
  }
  return {
    ok: false,
    exited: false,
    portTaken: false,
    why: `Cyrus did not serve POP3 on ${HOST}:${plainPort} and pop3s on ${HOST}:${tlsPort} within ${START_TIMEOUT_MS} ms (${lastErr})`,
  };
}

/** 'Cyrus POP3 3.6.1-Debian-3.6.1-4+deb12u5 server ready' → 'Cyrus 3.6.1 (Debian 3.6.1-4+deb12u5)'. */
function labelFrom(greeting: string): string {
  const v = /Cyrus POP3 (\S+)/.exec(greeting)?.[1];
  if (!v) return 'Cyrus';
  const deb = /^(\d+(?:\.\d+)+)-Debian-(\S+)$/.exec(v);
  return deb ? `Cyrus ${deb[1]} (Debian ${deb[2]})` : `Cyrus ${v}`;
}

async function startCyrus(): Promise<InteropServer> {
  const unavailable = cyrusUnavailable();
  if (unavailable) throw new Error(unavailable);
  const account = cyrusAccount() as Account;

  const dir = await mkdtemp(path.join(tempRoot(), 'popbox-cyrus-'));
  const instance = new MasterInstance(dir, { name: 'Cyrus', timeoutMs: STOP_TIMEOUT_MS });
  try {
    await chmod(dir, 0o755); // the services (user cyrus) must traverse it
    for (const d of ['config', 'config/socket', 'spool', 'sieve', 'socket']) await mkdir(path.join(dir, d), { mode: 0o750 });
    const caPem = await makeCert(dir);

    // The sasldb realm is the servername ('localhost'), which is what pop3d/imapd look users up in.
    const sasldb = path.join(dir, 'sasldb2');
    const r = await run(SASLPASSWD2, ['-p', '-c', '-f', sasldb, '-u', 'localhost', USER], { input: PASSWORD, env: cyrusEnv() });
    if (r.code !== 0) throw new Error(`saslpasswd2 failed: ${r.stderr.trim()}`);
    await writeFile(path.join(dir, 'imapd.conf'), renderImapdConf(dir));

    const logPath = path.join(dir, 'master.log');
    const stderrPath = path.join(dir, 'master.stderr');
    const imapSocket = path.join(dir, 'socket', 'imap');
    let plainPort = 0;
    let tlsPort = 0;
    let greeting = '';
    for (let attempt = 1; ; attempt++) {
      [plainPort, tlsPort] = await twoFreePorts();
      await writeFile(path.join(dir, 'cyrus.conf'), renderCyrusConf(dir, plainPort, tlsPort));
      await rm(imapSocket, { force: true }); // its appearance tells us the master has bound its sockets
      await chownTree(dir, account);
      const m = instance.launch(() => launchMaster(dir, stderrPath));
      const res = await waitUntilServing(m, dir, plainPort, tlsPort, caPem);
      if (res.ok) {
        greeting = res.greeting;
        break;
      }
      await instance.drop();
      // Another process may have taken a port between our probe and the master's bind: pick new ones.
      if (res.portTaken && attempt < 5) continue;
      throw new Error(`${res.why}\n--- stderr ---\n${tail(stderrPath, 20)}\n--- ${logPath} ---\n${tail(logPath)}`);
    }
    const m = instance.master;
    const pidInFile = Number.parseInt(await readFile(path.join(dir, 'master.pid'), 'utf8').catch(() => ''), 10);
    if (pidInFile !== m.pid) throw new Error(`master.pid says ${pidInFile}, but the master we started is ${m.pid}`);

    // Log in once over IMAP: checks the sasldb and creates the INBOX (autocreate_quota).
    const link = await ImapLink.open(imapSocket, USER, PASSWORD);
    await link.command('SELECT INBOX');
    await link.close();

    let indexPath: string | null = null;
    const index = async (): Promise<string | null> => (indexPath ??= await findIndex(path.join(dir, 'spool')));

    const server: InteropServer = {
      label: labelFrom(greeting),
      host: HOST,
      plainPort,
      tlsPort,
      stls: true,
      caPem,
      user: USER,
      password: PASSWORD,
      mechanisms: [...MECHANISMS],
      uidl: true,
      deliver: async (messages) => {
        if (messages.length === 0) return;
        const imap = await ImapLink.open(imapSocket, USER, PASSWORD);
        try {
          for (const msg of messages) await imap.command('APPEND INBOX', toCrlf(msg));
        } finally {
          await imap.close();
        }
      },
      count: async () => {
        const p = await index();
        return p ? readExists(p) : 0;
      },
      clear: async () => {
        const imap = await ImapLink.open(imapSocket, USER, PASSWORD);
        try {
          const untagged = await imap.command('SELECT INBOX');
          const exists = Number(untagged.map((l) => /^\* (\d+) EXISTS$/.exec(l)?.[1]).find((n) => n !== undefined) ?? 0);
          if (exists > 0) {
            await imap.command('STORE 1:* +FLAGS.SILENT (\\Deleted)');
            await imap.command('EXPUNGE');
          }
        } finally {
          await imap.close();
        }
      },
      stop: () => instance.stop([plainPort, tlsPort]),
    };
    return server;
  } catch (e) {
    await instance.abort();
    throw e;
  }
}

export const cyrus: InteropServerKind = {
  name: 'cyrus',
  unavailable: cyrusUnavailable,
  start: startCyrus,
};
