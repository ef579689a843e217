/**
 * The CLI's side of the control socket (protocol.ts): find the process that holds the data
 * directory, hand it the command, and relay what it prints.
 */
import net from 'node:net';
import type { CommandIo } from './control-server.js';
import { controlSocketPath, type ControlReply, type ControlRequest } from './protocol.js';

/**
 * A connection to the Popbox process holding `dataDir`, or null when none listens: no socket
 * (ENOENT), one left by a process that died (ECONNREFUSED), or any other reason the connect
 * fails; then the command runs here, and a real problem is reported by that run in its words.
 */
export function connectControl(dataDir: string): Promise<net.Socket | null> {
  const file = controlSocketPath(dataDir);
  if (!file) return Promise.resolve(null);
  return new Promise((resolve) => {
    const socket = net.createConnection(file);
    socket.once('error', () => resolve(null));
    socket.once('connect', () => {
      socket.removeAllListeners('error');
      resolve(socket);
    });
  });
}

/** Send one command over `socket` and relay its output; resolves with its exit code. */
export function runInHost(socket: net.Socket, request: ControlRequest, io: CommandIo): Promise<number> {
  return new Promise((resolve) => {
    let pending = '';
    let exit: number | null = null;
    const fail = (why: string) => {
      io.err(`popbox: ${why}\n`);
      exit = 1;
      socket.destroy();
    };
    socket.setEncoding('utf8');
    socket.on('data', (text: string) => {
      pending += text;
      let nl: number;
      while (exit === null && (nl = pending.indexOf('\n')) !== -1) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        let reply: ControlReply;
        try {
          reply = JSON.parse(line) as ControlReply;
        } catch {
          return fail('the running Popbox sent something that is not JSON');
        }
        if ('out' in reply && typeof reply.out === 'string') io.out(reply.out);
        else if ('err' in reply && typeof reply.err === 'string') io.err(reply.err);
        else if ('exit' in reply && typeof reply.exit === 'number') {
          exit = reply.exit;
          socket.end();
        }
      }
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      if (exit === null) io.err('popbox: the running Popbox closed the connection before the command ended\n');
      resolve(exit ?? 1);
    });
    socket.write(`${JSON.stringify(request)}\n`);
  });
}
