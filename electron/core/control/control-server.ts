/**
 * The control server: the process that holds a data directory (the Electron shell, the web
 * host) listens on `<dataDir>/popbox.sock` and runs the CLI's commands there, on its own
 * MailService, so a change made by `popbox` shows in an open window through the events the
 * host already forwards (protocol.ts says why this never reaches the renderer).
 *
 * Bounded: one request per connection, at most MAX_REQUEST_BYTES, sent within
 * REQUEST_TIMEOUT_MS; a few connections at once. A client never brings the host down: bad
 * input gets one error line and the connection closes; a client that goes away mid-command
 * only loses the output (the command ends as it would have, like `popbox … | head`).
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import net from 'node:net';
import { MAX_REQUEST_BYTES, REQUEST_TIMEOUT_MS, controlSocketPath, parseRequest, type ControlReply, type ControlRequest } from './protocol.js';

export interface CommandIo {
  out(text: string): void;
  err(text: string): void;
}

/** Runs one command; resolves with its exit code. */
export type CommandHandler = (request: ControlRequest, io: CommandIo) => Promise<number>;

export interface ControlServer {
  /** The socket file (or named pipe). */
  path: string;
  /** Stop accepting, let commands at work finish, remove the socket. Call before MailService.close. */
  close(): Promise<void>;
}

export interface ControlServerOptions {
  /** Where to say that the socket could not be made (default console.warn). */
  log?: (message: string) => void;
  /** How long a new connection has to send its request (tests shorten it). */
  requestTimeoutMs?: number;
}

const MAX_CONNECTIONS = 16;

/**
 * Listen for the CLI on `dataDir`, which this process holds (its lock). Never throws: where the
 * socket cannot be made, `log` says why and the result is null; the app runs on without it and
 * the CLI fails on the lock as before. (No fallback to a socket in the temp directory: there
 * another user could put a socket of theirs first and read a password sent to it.)
 */
export async function startControlServer(dataDir: string, handler: CommandHandler, opts: ControlServerOptions = {}): Promise<ControlServer | null> {
  const log = opts.log ?? console.warn;
  const requestTimeoutMs = opts.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
  const file = controlSocketPath(dataDir);
  if (!file) {
    log(`popbox: the command line cannot run commands in this process: the data directory's path is too long for a socket (${dataDir})`);
    return null;
  }
  const running = new Set<Promise<void>>();
  const sockets = new Set<net.Socket>();
  /** Connections whose command is at work. */
  const busy = new WeakSet<net.Socket>();
  const server = net.createServer((socket) => serve(socket));
  server.maxConnections = MAX_CONNECTIONS;

  function serve(socket: net.Socket): void {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {}); // a client that went away is no failure of the host
    const deadline = setTimeout(() => socket.destroy(), requestTimeoutMs);
    deadline.unref();
    const send = (reply: ControlReply) => {
      if (socket.writable) socket.write(`${JSON.stringify(reply)}\n`);
    };
    const refuse = (reason: string) => {
      // The rest of what the client sends is read and dropped, so it gets to read this answer.
      socket.removeAllListeners('data');
      socket.on('data', () => {});
      socket.resume();
      send({ err: `popbox: the running Popbox refused the request: ${reason}\n` });
      send({ exit: 2 });
      socket.end();
    };
    const chunks: Buffer[] = [];
    let size = 0;
    socket.on('data', (chunk: Buffer) => {
      const nl = chunk.indexOf(0x0a);
      size += nl === -1 ? chunk.length : nl;
      if (size > MAX_REQUEST_BYTES) return refuse(`more than ${MAX_REQUEST_BYTES} bytes`);
      if (nl === -1) {
        chunks.push(chunk);
        return;
      }
      chunks.push(chunk.subarray(0, nl));
      // One command per connection: nothing more is read from it.
      socket.removeAllListeners('data');
      socket.pause();
      const request = parseRequest(Buffer.concat(chunks).toString('utf8'));
      if (typeof request === 'string') return refuse(request);
      clearTimeout(deadline);
      busy.add(socket);
      const job = (async () => {
        let code: number;
        try {
          code = await handler(request, { out: (text) => text && send({ out: text }), err: (text) => text && send({ err: text }) });
        } catch (e) {
          send({ err: `popbox: unexpected error in the running Popbox: ${e instanceof Error ? e.message : String(e)}\n` });
          code = 1;
        }
        send({ exit: code });
        // A client that never closes its side is cut off.
        socket.end();
        const cutOff = setTimeout(() => socket.destroy(), requestTimeoutMs).unref();
        socket.once('close', () => clearTimeout(cutOff));
      })();
      running.add(job);
      void job.finally(() => running.delete(job));
    });
  }

  const listen = (where: string) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(where, () => {
        server.off('error', reject);
        resolve();
      });
    });

  try {
    if (process.platform === 'win32') await listen(file);
    else {
      // This process holds the data directory, so a socket there is left from one that died.
      const old = await fs.lstat(file).catch(() => null);
      if (old && !old.isSocket()) throw new Error(`${file} exists and is not a socket`);
      if (old) await fs.rm(file, { force: true });
      // Bound under a temporary name, made 0600, then renamed: no moment when another user
      // could connect (the data directory is 0700 too, but an older one may not be).
      const temp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
      await listen(temp);
      try {
        await fs.chmod(temp, 0o600);
        await fs.rename(temp, file);
      } catch (e) {
        server.close();
        await fs.rm(temp, { force: true });
        throw e;
      }
    }
  } catch (e) {
    log(`popbox: the command line cannot run commands in this process: ${e instanceof Error ? e.message : String(e)}`);
    return null;
  }
  server.on('error', (e) => log(`popbox: command line socket: ${e.message}`));

  return {
    path: file,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Connections that have not sent a command yet are dropped; commands at work finish.
        for (const s of sockets) if (!busy.has(s)) s.destroy();
        void Promise.allSettled([...running]).then(() => {
          for (const s of sockets) s.destroy();
        });
      });
      if (process.platform !== 'win32') await fs.rm(file, { force: true });
    },
  };
}
