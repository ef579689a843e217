/**
 * The POP3 side of core/net: the same sockets (plain, implicit TLS, the TLS half of STLS),
 * with a connection's failure reported as a Pop3Error of the same code, message and
 * certificate fingerprints, so the session and its callers see one error type. The STLS
 * command exchange itself is the client's (client.ts).
 */
import type net from 'node:net';
import type tls from 'node:tls';
import { isNetError, type NetError } from '../net/errors.js';
import { connectPlain as netConnectPlain, type ConnectOptions } from '../net/tcp.js';
import { connectTls as netConnectTls, type TlsOptions } from '../net/tls.js';
import { Pop3Error } from './errors.js';

export type { Security } from '../../../shared/accounts.js';
export type { ConnectOptions } from '../net/tcp.js';
export type { TlsOptions } from '../net/tls.js';
export { formatFingerprint } from '../net/tls.js';

function asPop3Error(e: NetError): Pop3Error {
  return new Pop3Error(e.code, e.message, {
    ...(e.serverText !== undefined ? { serverText: e.serverText } : {}),
    ...(e.fingerprint256 !== undefined ? { fingerprint256: e.fingerprint256 } : {}),
    ...(e.expectedFingerprint256 !== undefined ? { expectedFingerprint256: e.expectedFingerprint256 } : {}),
    ...(e.cause !== undefined ? { cause: e.cause } : {}),
  });
}

async function asPop3<T>(p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (e) {
    throw isNetError(e) ? asPop3Error(e) : e;
  }
}

export function connectPlain(opts: ConnectOptions): Promise<net.Socket> {
  return asPop3(netConnectPlain(opts));
}

/** Implicit TLS, or (with `over`) the handshake after the server accepted STLS. */
export function connectTls(opts: ConnectOptions & { tls: TlsOptions }, over?: net.Socket): Promise<tls.TLSSocket> {
  return asPop3(netConnectTls(opts, over));
}
