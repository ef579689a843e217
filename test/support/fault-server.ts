/**
 * A scriptable POP3 server on 127.0.0.1 for what real servers do not do on purpose: split
 * terminators, bare LF, lying LIST sizes, floods, stalls, drops and STLS injection.
 *
 * Each connection runs a script: `async (conn) => { … }` with line-level reads and raw writes.
 * `miniPop3` is a small well-behaved server that scripts can delegate to and override.
 */
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import { fileURLToPath } from 'node:url';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');
export const FAULT_CERT = fs.readFileSync(path.join(fixtures, 'fault-server-cert.pem'), 'utf8');
export const FAULT_KEY = fs.readFileSync(path.join(fixtures, 'fault-server-key.pem'), 'utf8');
export const FAULT_FINGERPRINT = new X509Certificate(FAULT_CERT).fingerprint256;

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class FaultConn {
  private buffer = Buffer.alloc(0);
  private waiters: (() => void)[] = [];
  private ended = false;
  /** Every command line received, in order (for assertions). */
  readonly received: string[] = [];
  /** Sizes of the reads in which commands arrived (pipelining shows as several per read). */
  readonly commandsPerRead: number[] = [];

  constructor(public socket: net.Socket) {
    this.listen(socket);
  }

  private listen(socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.commandsPerRead.push(chunk.toString('latin1').split('\n').length - 1);
      this.wake();
    });
    socket.on('close', () => {
      this.ended = true;
      this.wake();
    });
    socket.on('error', () => {});
  }

  private wake() {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  get closed(): boolean {
    return this.ended;
  }

  /** The next line from the client without its line ending; null once the client has gone. */
  async readLine(): Promise<string | null> {
    for (;;) {
      const nl = this.buffer.indexOf(0x0a);
      if (nl !== -1) {
        const line = this.buffer.subarray(0, nl).toString('utf8').replace(/\r$/, '');
        this.buffer = this.buffer.subarray(nl + 1);
        this.received.push(line);
        return line;
      }
      if (this.ended) return null;
      await new Promise<void>((r) => this.waiters.push(r));
    }
  }

  /** Resolves true once written, false if the client has gone. */
  write(data: string | Buffer): Promise<boolean> {
    return new Promise((resolve) => {
      if (this.socket.destroyed) return resolve(false);
      this.socket.write(data, (err) => resolve(!err));
    });
  }

  send(line: string): Promise<boolean> {
    return this.write(`${line}\r\n`);
  }

  /** Server side of STLS: switch this connection to TLS with the fixture certificate. */
  async startTls(): Promise<void> {
    const plain = this.socket;
    plain.removeAllListeners('data');
    plain.removeAllListeners('close');
    const secure = new tls.TLSSocket(plain, { isServer: true, cert: FAULT_CERT, key: FAULT_KEY });
    this.socket = secure;
    this.buffer = Buffer.alloc(0);
    this.listen(secure);
    await new Promise<void>((resolve, reject) => {
      secure.once('secure', () => resolve());
      secure.once('error', reject);
    });
  }

  end(): void {
    this.socket.end();
  }

  /** Drop the connection at once (RST where the OS allows it). */
  reset(): void {
    if (typeof this.socket.resetAndDestroy === 'function') this.socket.resetAndDestroy();
    else this.socket.destroy();
  }

  waitClosed(): Promise<void> {
    return new Promise((resolve) => {
      if (this.ended) return resolve();
      this.socket.once('close', () => resolve());
    });
  }

  /** Whether the client has gone within `ms` (a generous bound: a test asserts that it went, never how fast). */
  async closedWithin(ms: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<false>((r) => (timer = setTimeout(() => r(false), ms)));
    const closed = await Promise.race([this.waitClosed().then(() => true), timedOut]);
    clearTimeout(timer);
    return closed;
  }
}

export interface FaultServer {
  port: number;
  connections: FaultConn[];
  /** Errors thrown by scripts (a failing script fails the test through this). */
  errors: unknown[];
  close(): Promise<void>;
}

export async function startFaultServer(
  script: (conn: FaultConn, index: number) => Promise<void>,
  opts: { tls?: boolean } = {},
): Promise<FaultServer> {
  const connections: FaultConn[] = [];
  const errors: unknown[] = [];
  const onSocket = (socket: net.Socket) => {
    const conn = new FaultConn(socket);
    const index = connections.length;
    connections.push(conn);
    script(conn, index)
      .catch((e: unknown) => errors.push(e))
      .finally(() => {
        if (!conn.socket.destroyed) conn.socket.end();
      });
  };
  const server = opts.tls
    ? tls.createServer({ cert: FAULT_CERT, key: FAULT_KEY }, onSocket)
    : net.createServer(onSocket);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    connections,
    errors,
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of connections) c.socket.destroy();
        server.close(() => resolve());
      }),
  };
}

export interface MiniOptions {
  greeting?: string;
  /** CAPA lines; null answers CAPA with -ERR. */
  capa?: string[] | null;
  /** CAPA lines after login (defaults to `capa`). */
  capaAfterLogin?: string[] | null;
  user?: string;
  password?: string;
  /** Messages as served (CRLF), before dot-stuffing. */
  messages?: Buffer[];
  uids?: string[];
  /** LIST sizes to claim instead of the real ones. */
  listSizes?: number[];
  /** Answer a command yourself; return true when handled. */
  override?: (conn: FaultConn, verb: string, args: string[], line: string) => Promise<boolean>;
  /** Answer the PASS of a wrong password with this line, then close the connection. */
  closeAfterWrongPassword?: boolean;
}

export function dotStuff(message: Buffer): Buffer {
  const out: Buffer[] = [];
  let start = 0;
  let lineStart = 0;
  for (;;) {
    if (message[lineStart] === 0x2e) {
      out.push(message.subarray(start, lineStart), Buffer.from('.'));
      start = lineStart;
    }
    const nl = message.indexOf(0x0a, lineStart);
    if (nl === -1 || nl + 1 >= message.length) break;
    lineStart = nl + 1;
  }
  out.push(message.subarray(start));
  return Buffer.concat(out);
}

/** A small, correct POP3 server; `override` bends it where a test needs a fault. */
export async function miniPop3(conn: FaultConn, o: MiniOptions = {}): Promise<void> {
  const messages = o.messages ?? [];
  const uids = o.uids ?? messages.map((_, i) => `uid-${i + 1}`);
  const deleted = new Set<number>();
  const capa = o.capa === undefined ? ['USER', 'UIDL', 'TOP', 'PIPELINING', 'RESP-CODES', 'AUTH-RESP-CODE', 'SASL PLAIN'] : o.capa;
  const capaAfter = o.capaAfterLogin === undefined ? capa : o.capaAfterLogin;
  let user = '';
  let authed = false;
  const password = o.password ?? 'pw';
  const expectedUser = o.user ?? 'alice';
  await conn.send(o.greeting ?? '+OK fault server ready');
  for (;;) {
    const line = await conn.readLine();
    if (line === null) return;
    const [verbRaw = '', ...args] = line.split(' ');
    const verb = verbRaw.toUpperCase();
    if (o.override && (await o.override(conn, verb, args, line))) continue;
    const n = Number(args[0]);
    const exists = Number.isInteger(n) && n >= 1 && n <= messages.length && !deleted.has(n);
    switch (verb) {
      case 'CAPA': {
        const lines = authed ? capaAfter : capa;
        if (lines === null) await conn.send('-ERR unknown command');
        else await conn.write(`+OK\r\n${lines.map((l) => `${l}\r\n`).join('')}.\r\n`);
        break;
      }
      case 'USER':
        user = args.join(' ');
        await conn.send('+OK');
        break;
      case 'PASS':
        if (user === expectedUser && args.join(' ') === password) {
          authed = true;
          await conn.send('+OK logged in');
        } else {
          await conn.send('-ERR [AUTH] invalid credentials');
          if (o.closeAfterWrongPassword) {
            conn.end();
            return;
          }
        }
        break;
      case 'AUTH': {
        if ((args[0] ?? '').toUpperCase() !== 'PLAIN') {
          await conn.send('-ERR unsupported mechanism');
          break;
        }
        await conn.send('+ ');
        const resp = await conn.readLine();
        if (resp === null) return;
        const [, u, p] = Buffer.from(resp, 'base64').toString('utf8').split('\0');
        if (u === expectedUser && p === password) {
          authed = true;
          await conn.send('+OK logged in');
        } else {
          await conn.send('-ERR [AUTH] invalid credentials');
        }
        break;
      }
      case 'STAT': {
        const live = messages.filter((_, i) => !deleted.has(i + 1));
        await conn.send(`+OK ${live.length} ${live.reduce((s, m) => s + m.length, 0)}`);
        break;
      }
      case 'LIST':
        if (args.length) {
          if (exists) await conn.send(`+OK ${n} ${o.listSizes?.[n - 1] ?? messages[n - 1]!.length}`);
          else await conn.send('-ERR no such message');
        } else {
          const rows = messages
            .map((m, i) => (deleted.has(i + 1) ? '' : `${i + 1} ${o.listSizes?.[i] ?? m.length}\r\n`))
            .join('');
          await conn.write(`+OK\r\n${rows}.\r\n`);
        }
        break;
      case 'UIDL':
        if (args.length) {
          if (exists) await conn.send(`+OK ${n} ${uids[n - 1]}`);
          else await conn.send('-ERR no such message');
        } else {
          const rows = uids.map((u, i) => (deleted.has(i + 1) ? '' : `${i + 1} ${u}\r\n`)).join('');
          await conn.write(`+OK\r\n${rows}.\r\n`);
        }
        break;
      case 'RETR':
      case 'TOP': {
        if (!exists) {
          await conn.send('-ERR no such message');
          break;
        }
        let msg = messages[n - 1]!;
        if (verb === 'TOP') {
          const headerEnd = msg.indexOf('\r\n\r\n');
          msg = headerEnd === -1 ? msg : msg.subarray(0, headerEnd + 4);
        }
        await conn.write(Buffer.concat([Buffer.from('+OK message follows\r\n'), dotStuff(msg), Buffer.from('.\r\n')]));
        break;
      }
      case 'DELE':
        if (exists) {
          deleted.add(n);
          await conn.send(`+OK message ${n} deleted`);
        } else await conn.send('-ERR no such message');
        break;
      case 'RSET':
        deleted.clear();
        await conn.send('+OK');
        break;
      case 'NOOP':
        await conn.send('+OK');
        break;
      case 'QUIT':
        await conn.send('+OK bye');
        conn.end();
        return;
      default:
        await conn.send('-ERR unknown command');
    }
  }
}
