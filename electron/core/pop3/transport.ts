/**
 * Sockets for POP3: plain TCP, implicit TLS (RFC 8314, port 995) and the STLS upgrade
 * (RFC 2595). Certificates are checked against the host name with TLS 1.2 as the floor; a
 * pinned SHA-256 fingerprint replaces the CA chain for self-signed home servers.
 */
import net from 'node:net';
import tls from 'node:tls';
import { Pop3Error } from './errors.js';

export type { Security } from '../../../shared/accounts.js';

export interface TlsOptions {
  /**
   * SHA-256 fingerprint of the certificate to accept ("AB:CD:…", case and colons ignored).
   * When set, the pin alone decides: the CA chain and the host name are not consulted.
   */
  pinnedFingerprint256?: string;
  /** Extra trusted CA certificates (PEM), e.g. a home server's own CA. */
  ca?: string | Buffer | Array<string | Buffer>;
  /** Name to verify the certificate against and send as SNI; defaults to the host. */
  servername?: string;
  /**
   * The certificate this server presented the last time the CA chain vouched for it: when
   * validation now fails, the error names it, because a certificate that changed under an
   * existing account may mean someone is intercepting the connection.
   */
  lastSeenFingerprint256?: string;
}

export interface ConnectOptions {
  host: string;
  port: number;
  connectTimeoutMs: number;
  signal?: AbortSignal;
}

export function normalizeFingerprint(fp: string): string {
  return fp.replace(/[^0-9a-fA-F]/g, '').toUpperCase();
}

export function formatFingerprint(fp: string): string {
  return (normalizeFingerprint(fp).match(/../g) ?? []).join(':');
}

/** Run `start` with a deadline and an abort signal; `cleanup` undoes whatever it started. */
function withDeadline<T>(
  what: string,
  timeoutMs: number,
  signal: AbortSignal | undefined,
  start: (resolve: (v: T) => void, reject: (e: Pop3Error) => void) => () => void,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let done = false;
    let cleanup: () => void = () => {};
    const finish = (fn: () => void) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      fn();
    };
    const fail = (e: Pop3Error) =>
      finish(() => {
        cleanup();
        reject(e);
      });
    const onAbort = () => fail(new Pop3Error('cancelled', `${what} was cancelled`));
    const timer = setTimeout(
      () => fail(new Pop3Error('timeout', `${what} timed out after ${Math.round(timeoutMs / 1000)} s`)),
      timeoutMs,
    );
    if (signal?.aborted) {
      onAbort();
      return;
    }
    signal?.addEventListener('abort', onAbort, { once: true });
    cleanup = start((v) => finish(() => resolve(v)), fail);
  });
}

export function connectPlain(opts: ConnectOptions): Promise<net.Socket> {
  return withDeadline<net.Socket>(`connecting to ${opts.host}:${opts.port}`, opts.connectTimeoutMs, opts.signal, (resolve, reject) => {
    const socket = net.connect({ host: opts.host, port: opts.port });
    const onError = (err: NodeJS.ErrnoException) =>
      reject(new Pop3Error('network', `could not connect to ${opts.host}:${opts.port}: ${err.code ?? err.message}`, { cause: err }));
    socket.once('error', onError);
    socket.once('connect', () => {
      socket.off('error', onError);
      socket.setNoDelay(true);
      resolve(socket);
    });
    return () => socket.destroy();
  });
}

/**
 * Start TLS, either on a fresh connection (implicit TLS) or over an existing plain socket
 * (STLS). The caller must have stopped reading the plain socket: whatever it had buffered is
 * never looked at again.
 */
export function connectTls(
  opts: ConnectOptions & { tls: TlsOptions },
  over?: net.Socket,
): Promise<tls.TLSSocket> {
  const where = `${opts.host}:${opts.port}`;
  return withDeadline<tls.TLSSocket>(
    over ? `the TLS handshake with ${where}` : `connecting to ${where} over TLS`,
    opts.connectTimeoutMs,
    opts.signal,
    (resolve, reject) => {
      const pinned = opts.tls.pinnedFingerprint256 ? normalizeFingerprint(opts.tls.pinnedFingerprint256) : undefined;
      const servername = opts.tls.servername ?? opts.host;
      const socket = tls.connect({
        ...(over ? { socket: over } : { host: opts.host, port: opts.port }),
        // Verification happens below so that an untrusted certificate can be reported with
        // its fingerprint; nothing is sent or read before that check.
        rejectUnauthorized: false,
        minVersion: 'TLSv1.2',
        ...(net.isIP(servername) ? {} : { servername }),
        // Extra CAs are added to the system's roots, not put in their place.
        ...(opts.tls.ca ? { ca: [...tls.rootCertificates, ...[opts.tls.ca].flat()] } : {}),
        checkServerIdentity: (_host, cert) => tls.checkServerIdentity(servername, cert),
      });
      const onError = (err: NodeJS.ErrnoException) => {
        const code = err.code ?? '';
        // Errors from the operating system (connect, read, DNS) are the network's; the rest
        // (handshake alerts, protocol versions, ciphers) are TLS's.
        const network = err.syscall !== undefined || code.startsWith('EAI_') || ['ECONNRESET', 'EPIPE', 'ETIMEDOUT'].includes(code);
        reject(
          new Pop3Error(
            network ? 'network' : 'tls',
            network ? `could not connect to ${where}: ${code}` : `TLS with ${where} failed: ${err.message}`,
            { cause: err },
          ),
        );
      };
      socket.once('error', onError);
      socket.once('secureConnect', () => {
        socket.off('error', onError);
        const cert = socket.getPeerCertificate();
        const fingerprint256 = cert && cert.fingerprint256 ? formatFingerprint(cert.fingerprint256) : undefined;
        if (pinned !== undefined) {
          if (!fingerprint256 || normalizeFingerprint(fingerprint256) !== pinned) {
            socket.destroy();
            reject(
              new Pop3Error('certificate', `the certificate of ${where} does not match the pinned fingerprint`, {
                ...(fingerprint256 ? { fingerprint256 } : {}),
                expectedFingerprint256: formatFingerprint(pinned),
              }),
            );
            return;
          }
        } else if (!socket.authorized) {
          socket.destroy();
          const reason = String(socket.authorizationError ?? 'unknown reason');
          reject(
            new Pop3Error('certificate', `the certificate of ${where} is not trusted (${reason})`, {
              ...(fingerprint256 ? { fingerprint256 } : {}),
              ...(opts.tls.lastSeenFingerprint256 ? { expectedFingerprint256: formatFingerprint(opts.tls.lastSeenFingerprint256) } : {}),
              serverText: reason,
            }),
          );
          return;
        }
        socket.setNoDelay(true);
        resolve(socket);
      });
      return () => socket.destroy();
    },
  );
}
