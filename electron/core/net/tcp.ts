/** Plain TCP connections with a deadline, for any protocol that starts in clear (or upgrades later). */
import net from 'node:net';
import { withDeadline } from './deadline.js';
import { NetError } from './errors.js';

export interface ConnectOptions {
  host: string;
  port: number;
  connectTimeoutMs: number;
  signal?: AbortSignal;
}

export function connectPlain(opts: ConnectOptions): Promise<net.Socket> {
  return withDeadline<net.Socket>(`connecting to ${opts.host}:${opts.port}`, opts.connectTimeoutMs, opts.signal, (resolve, reject) => {
    const socket = net.connect({ host: opts.host, port: opts.port });
    const onError = (err: NodeJS.ErrnoException) =>
      reject(new NetError('network', `could not connect to ${opts.host}:${opts.port}: ${err.code ?? err.message}`, { cause: err }));
    socket.once('error', onError);
    socket.once('connect', () => {
      socket.off('error', onError);
      socket.setNoDelay(true);
      resolve(socket);
    });
    return () => socket.destroy();
  });
}
