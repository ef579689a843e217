/**
 * One POP3 server the interop suite (test/integration/interop.test.ts) runs its scenarios
 * against. Each kind starts a private instance in a temp dir, listening only on 127.0.0.1 on
 * ports picked at runtime, with one test user, and stops it by PID (never by name).
 */
import type { AuthMechanism } from '../../../electron/core/pop3/index.js';

export interface InteropServer {
  /** Product and version as the report shows it, e.g. 'Dovecot 2.3.19'. */
  label: string;
  host: '127.0.0.1';
  /** Plain POP3 (RFC 1939), with STLS where `stls` is true. */
  plainPort: number;
  /** Implicit TLS (pop3s), or null when the server has none. */
  tlsPort: number | null;
  /** STLS offered on plainPort. */
  stls: boolean;
  /** The self-signed certificate (SAN DNS:localhost, IP:127.0.0.1), to be used as `ca`; null without TLS. */
  caPem: string | null;
  /** The test user's login. */
  user: string;
  password: string;
  /** Every way this instance lets the user log in, as our client names them ('USER', 'APOP', 'PLAIN', 'LOGIN', 'CRAM-MD5', …). */
  mechanisms: AuthMechanism[];
  /** Whether the server answers UIDL (every real one here does). */
  uidl: boolean;
  /**
   * Append raw messages (LF line endings, as a local delivery agent would get them) to the
   * user's mailbox, in order; POP3 lists them after anything delivered earlier.
   */
  deliver(messages: Buffer[]): Promise<void>;
  /**
   * The bytes a RETR of a delivered message gives, when the server's delivery changes them
   * (e.g. a Return-Path it adds). Default: the delivered bytes with LF turned into CRLF.
   */
  served?(delivered: Buffer): Buffer;
  /** How many messages the user's mailbox holds now, read from the server's own storage (not over POP3). */
  count(): Promise<number>;
  /** Empty the user's mailbox (and any index the server keeps of it). */
  clear(): Promise<void>;
  /** Stop every process of the instance by PID, wait until the ports are closed, remove the temp dir. Idempotent. */
  stop(): Promise<void>;
}

export interface InteropServerKind {
  /** Short name: 'dovecot', 'courier', 'cyrus', 'popa3d'. */
  name: string;
  /** null if this kind can be started here, else a one-line reason naming what to install (e.g. 'needs root', 'run test/interop/fetch-servers.sh'). */
  unavailable(): string | null;
  start(): Promise<InteropServer>;
}

/**
 * Where test/interop/fetch-*.sh unpack the servers that cannot be installed next to
 * dovecot-pop3d (they Conflict with it): $POPBOX_INTEROP_CACHE or /var/cache/popbox-interop.
 */
export const INTEROP_CACHE = process.env.POPBOX_INTEROP_CACHE ?? '/var/cache/popbox-interop';
