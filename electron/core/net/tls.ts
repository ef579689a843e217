/**
 * TLS for any mail protocol: implicit TLS on a fresh connection (RFC 8314) or an upgrade of a
 * plain socket after the protocol's own STARTTLS command (POP3's STLS, SMTP's STARTTLS).
 * Certificates are checked against the host name with TLS 1.2 as the floor; a pinned SHA-256
 * fingerprint replaces the CA chain for self-signed home servers.
 */
import net from 'node:net';
import tls from 'node:tls';
import { withDeadline } from './deadline.js';
import { NetError } from './errors.js';
import type { ConnectOptions } from './tcp.js';

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

export function normalizeFingerprint(fp: string): string {
  return fp.replace(/[^0-9a-fA-F]/g, '').toUpperCase();
}

export function formatFingerprint(fp: string): string {
  return (normalizeFingerprint(fp).match(/../g) ?? []).join(':');
}

/**
 * Start TLS, either on a fresh connection (implicit TLS) or over an existing plain socket
 * (after the protocol's STARTTLS exchange). The caller must have stopped reading the plain
 * socket: whatever it had buffered is never looked at again.
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
      const socket = tls.connect({
        ...(over ? { socket: over } : { host: opts.host, port: opts.port }),
        ...handshakeOptions(opts.host, opts.tls),
        ...(opts.tls.ca ? {} : { secureContext: sharedContext(opts.tls.pinnedFingerprint256 !== undefined) }),
      });
      const onError = (err: NodeJS.ErrnoException) => {
        const code = err.code ?? '';
        // Errors from the operating system (connect, read, DNS) are the network's; the rest
        // (handshake alerts, protocol versions, ciphers) are TLS's.
        const network = err.syscall !== undefined || code.startsWith('EAI_') || ['ECONNRESET', 'EPIPE', 'ETIMEDOUT'].includes(code);
        reject(
          new NetError(
            network ? 'network' : 'tls',
            network ? `could not connect to ${where}: ${code}` : `TLS with ${where} failed: ${err.message}`,
            { cause: err },
          ),
        );
      };
      socket.once('error', onError);
      socket.once('secureConnect', () => {
        socket.off('error', onError);
        const failure = checkPeer(socket, where, opts.tls);
        if (failure) {
          socket.destroy();
          reject(failure);
          return;
        }
        socket.setNoDelay(true);
        resolve(socket);
      });
      return () => socket.destroy();
    },
  );
}

/**
 * One OpenSSL context (SSL_CTX: the TLS 1.2 floor, the system's roots) for every connection that
 * adds no CA of its own, instead of a new one per connection: making one costs milliseconds, a
 * good part of a check that finds nothing new. It holds no per-connection state (the host name,
 * SNI and certificate checks stay per connection; Node does not resume sessions from it on its own).
 */
const shared: { roots?: tls.SecureContext; pinned?: tls.SecureContext } = {};
function sharedContext(pinned: boolean): tls.SecureContext {
  // A pinned certificate alone decides (checkPeer): the chain is never looked at, so its context
  // trusts no CA (`ca: []`) and OpenSSL never builds the root store for it. Building it (node's
  // ~140 roots parsed) cost the first connection of a process ~30 ms CPU (Node 20.20; 47 -> 16 ms
  // for a connect + handshake to a pinned server), paid by every `popbox sync` of a self-signed
  // home server. Where NODE_EXTRA_CA_CERTS is set, node builds the store at its start anyway.
  if (pinned) return (shared.pinned ??= tls.createSecureContext({ minVersion: 'TLSv1.2', ca: [] }));
  return (shared.roots ??= tls.createSecureContext({ minVersion: 'TLSv1.2' }));
}

/**
 * The handshake options every connection uses, for a library that runs the TLS handshake itself
 * (nodemailer's STARTTLS): TLS 1.2 at least, the host name as SNI, extra CAs beside the system's
 * roots. Nothing is refused during the handshake, so that checkPeer can report an untrusted
 * certificate with its fingerprint; nothing may be sent or read before that check.
 */
export function handshakeOptions(host: string, opts: TlsOptions): tls.ConnectionOptions {
  const servername = opts.servername ?? host;
  return {
    rejectUnauthorized: false,
    minVersion: 'TLSv1.2',
    ...(net.isIP(servername) ? {} : { servername }),
    // Extra CAs are added to the system's roots, not put in their place.
    ...(opts.ca ? { ca: [...tls.rootCertificates, ...[opts.ca].flat()] } : {}),
    checkServerIdentity: (_host, cert) => tls.checkServerIdentity(servername, cert),
  };
}

/**
 * After a handshake made with handshakeOptions: the pin alone decides when there is one;
 * otherwise the CA chain and host name do. A refusal carries the presented certificate's
 * fingerprint and the expected one, so the user can compare. `where` is "host:port" for messages.
 */
export function checkPeer(socket: tls.TLSSocket, where: string, opts: TlsOptions): NetError | undefined {
  const pinned = opts.pinnedFingerprint256 ? normalizeFingerprint(opts.pinnedFingerprint256) : undefined;
  const lastSeenFingerprint256 = opts.lastSeenFingerprint256;
  const cert = socket.getPeerCertificate();
  const fingerprint256 = cert && cert.fingerprint256 ? formatFingerprint(cert.fingerprint256) : undefined;
  if (pinned !== undefined) {
    if (fingerprint256 && normalizeFingerprint(fingerprint256) === pinned) return undefined;
    return new NetError('certificate', `the certificate of ${where} does not match the pinned fingerprint`, {
      ...(fingerprint256 ? { fingerprint256 } : {}),
      expectedFingerprint256: formatFingerprint(pinned),
    });
  }
  if (socket.authorized) return undefined;
  const reason = String(socket.authorizationError ?? 'unknown reason');
  return new NetError('certificate', `the certificate of ${where} is not trusted (${reason})`, {
    ...(fingerprint256 ? { fingerprint256 } : {}),
    ...(lastSeenFingerprint256 ? { expectedFingerprint256: formatFingerprint(lastSeenFingerprint256) } : {}),
    serverText: reason,
  });
}
