/**
 * An SMTP session from settings, on nodemailer's SMTPConnection (what its SMTP transport runs
 * on): the socket comes from core/net (connect deadline, cancellation, implicit TLS with the same
 * certificate checks and pinning as POP3), nodemailer speaks SMTP (EHLO, STARTTLS, AUTH), and
 * after a STARTTLS handshake the certificate is checked by core/net's checkPeer before any
 * password goes out. Settings come in whole: nothing here knows accounts or keychains.
 *
 * Not nodemailer's createTransport: its transport runs connect → login → send in one call, with
 * no point between the STARTTLS handshake and AUTH where a pinned certificate could be checked,
 * and no record of how far a failed send had got (client.ts needs both).
 */
import net from 'node:net';
import tls from 'node:tls';
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import XOAuth2 from 'nodemailer/lib/xoauth2';
import type { Security } from '../../../shared/accounts.js';
import { isNetError } from '../net/errors.js';
import { connectPlain } from '../net/tcp.js';
import { checkPeer, connectTls, handshakeOptions, type TlsOptions } from '../net/tls.js';
import { fromNetError, fromNodemailer, SmtpError, type SmtpStage } from './errors.js';

export type { Security } from '../../../shared/accounts.js';
export type { TlsOptions } from '../net/tls.js';

/** A password login (PLAIN, LOGIN or CRAM-MD5: the first the server offers, unless one is named). */
export interface PasswordAuth {
  user: string;
  password: string;
  method?: 'PLAIN' | 'LOGIN' | 'CRAM-MD5';
}

/** An OAuth 2 access token (XOAUTH2); getting and refreshing it is the caller's business. */
export interface TokenAuth {
  user: string;
  accessToken: string;
}

export interface SmtpSettings {
  host: string;
  port: number;
  /** 'tls' (implicit, 465) is preferred; 'starttls' (587) must upgrade before AUTH; 'plain' only when chosen. */
  security: Security;
  /** None: no SMTP authentication. */
  auth?: PasswordAuth | TokenAuth;
  /**
   * With security 'plain', send the password anyway (the CLI's --smtp-allow-insecure-auth).
   * Without it a plain session with auth is refused before connecting, with code 'insecure'.
   */
  allowInsecureAuth?: boolean;
  tls?: TlsOptions;
  timeouts?: {
    /** TCP connect (and the TLS handshake of implicit TLS). */
    connectMs?: number;
    /** From connected to the greeting. */
    greetingMs?: number;
    /** No byte from the server for this long while waiting for a reply (the final dot's included). */
    idleMs?: number;
  };
  /**
   * The EHLO name. Default: the address literal of our end of the connection ("[192.0.2.7]"),
   * so the computer's name is not told to every server.
   */
  clientName?: string;
  /** Aborting closes the connection; the pending call fails with code 'cancelled'. */
  signal?: AbortSignal;
}

/**
 * RFC 5321 §4.5.3.2 lets a server take 10 minutes over the final dot; a desktop client that
 * waits that long looks hung, and one that gives up early makes "may have been sent" common.
 */
export const DEFAULT_TIMEOUTS = { connectMs: 30_000, greetingMs: 30_000, idleMs: 120_000 };

/** An open, verified (and, with auth, logged-in) session. */
export interface SmtpSession {
  readonly connection: SMTPConnection;
  /** "host:port", for messages. */
  readonly where: string;
  /** True once the connection is encrypted (implicit TLS or after STARTTLS). */
  readonly secure: boolean;
  /** SHA-256 fingerprint of the server's certificate ("AB:CD:…") on an encrypted session. */
  readonly fingerprint256?: string;
  /** The EHLO keyword lines the server sent last (after STARTTLS when there was one). */
  readonly ehlo: string[];
  /** Whether the server offered STARTTLS on the plain connection (or it was used). */
  readonly offeredStartTls: boolean;
  readonly authenticated: boolean;
  /**
   * The stage the session is in; client.ts moves it along while sending. A failure, and
   * closing the session, are reported against it.
   */
  stage: SmtpStage;
  /** Fails pending work with this error (or cancellation), closes the connection. */
  readonly failed: Promise<SmtpError>;
  /** QUIT, then close (best effort: the work is done by then). */
  quit(): void;
  close(): void;
}

function hostPort(s: SmtpSettings): string {
  return `${net.isIPv6(s.host) ? `[${s.host}]` : s.host}:${s.port}`;
}

/** "[127.0.0.1]" or "[IPv6:::1]" (RFC 5321 §4.1.3), or a safe default when the address is unknown. */
function addressLiteral(socket: net.Socket): string {
  const ip = socket.localAddress ?? '';
  if (net.isIPv4(ip)) return `[${ip}]`;
  if (net.isIPv6(ip)) return ip.startsWith('::ffff:') && net.isIPv4(ip.slice(7)) ? `[${ip.slice(7)}]` : `[IPv6:${ip}]`;
  return '[127.0.0.1]';
}

/**
 * The nodemailer options for these settings around an already connected socket: pure, so the
 * mapping of security modes is testable without a server.
 */
export function connectionOptions(settings: SmtpSettings, socket: net.Socket): SMTPConnection.Options {
  const timeouts = { ...DEFAULT_TIMEOUTS, ...settings.timeouts };
  const common: SMTPConnection.Options = {
    host: settings.host,
    port: settings.port,
    connection: socket,
    name: settings.clientName ?? addressLiteral(socket),
    greetingTimeout: timeouts.greetingMs,
    socketTimeout: timeouts.idleMs,
    // Covers the rest of the setup (greeting, EHLO, STARTTLS); the TCP connect had its own deadline.
    connectionTimeout: timeouts.greetingMs + timeouts.connectMs,
    // nodemailer logs nothing (and so no credentials) unless given a logger.
    logger: false,
    debug: false,
  };
  switch (settings.security) {
    case 'tls':
      // core/net made and verified the TLS connection already.
      return { ...common, secure: true, secured: true };
    case 'starttls':
      // requireTLS: no STARTTLS offered, or refused, fails the session instead of going on in clear.
      return { ...common, secure: false, requireTLS: true, tls: handshakeOptions(settings.host, settings.tls ?? {}) };
    case 'plain':
      return { ...common, secure: false, ignoreTLS: true };
  }
}

function nodemailerAuth(auth: PasswordAuth | TokenAuth): SMTPConnection.AuthenticationType {
  // A token only, no refresh: nodemailer's XOAuth2 hands it out as it is (the caller renews it).
  if ('accessToken' in auth) return { type: 'OAuth2', user: auth.user, method: 'XOAUTH2', oauth2: new XOAuth2({ user: auth.user, accessToken: auth.accessToken }, false) };
  return { user: auth.user, pass: auth.password, ...(auth.method ? { method: auth.method } : {}) };
}

/** The EHLO lines nodemailer keeps (it does not publish them before a send: see the note at read). */
function ehloLinesOf(conn: SMTPConnection): string[] {
  // nodemailer parses EHLO into private fields and hands the lines out only with a send's
  // result; a probe needs them without sending. Read them defensively: a nodemailer that
  // renamed the field gives an empty list (probe then reports nothing offered), not a crash.
  const lines = (conn as unknown as { _ehloLines?: unknown })._ehloLines;
  return Array.isArray(lines) ? lines.filter((l): l is string => typeof l === 'string') : [];
}

/**
 * Connect, check the certificate, read EHLO, log in when the settings carry credentials. On
 * failure nothing stays open. With security 'plain' and auth, refuses (code 'insecure') before
 * connecting unless allowInsecureAuth says otherwise.
 */
export async function openSession(settings: SmtpSettings): Promise<SmtpSession> {
  const where = hostPort(settings);
  if (settings.security === 'plain' && settings.auth && !settings.allowInsecureAuth) {
    throw new SmtpError('insecure', `the password for ${where} would travel unencrypted: choose TLS or STARTTLS (or allow insecure authentication)`, { stage: 'connect' });
  }
  const timeouts = { ...DEFAULT_TIMEOUTS, ...settings.timeouts };
  const base = {
    host: settings.host,
    port: settings.port,
    connectTimeoutMs: timeouts.connectMs,
    ...(settings.signal ? { signal: settings.signal } : {}),
  };
  let socket: net.Socket;
  try {
    socket = settings.security === 'tls' ? await connectTls({ ...base, tls: settings.tls ?? {} }) : await connectPlain(base);
  } catch (e) {
    throw isNetError(e) ? fromNetError(e, 'connect') : e;
  }

  const conn = new SMTPConnection(connectionOptions(settings, socket));
  let stage: SmtpStage = 'connect';
  let settle: (e: SmtpError) => void = () => undefined;
  const failed = new Promise<SmtpError>((resolve) => (settle = resolve));
  let failure: SmtpError | null = null;
  const fail = (e: SmtpError): SmtpError => {
    if (!failure) {
      failure = e;
      settle(e);
    }
    conn.close();
    return failure;
  };
  // nodemailer emits 'error' for a connection that fails; without a listener it would throw.
  conn.on('error', (err: unknown) => fail(fromNodemailer(err, stage, where)));
  conn.once('end', () => fail(new SmtpError('network', `the connection to ${where} was closed`, { stage })));
  const onAbort = () => fail(new SmtpError('cancelled', `the SMTP session with ${where} was cancelled`, { stage }));
  settings.signal?.addEventListener('abort', onAbort, { once: true });
  const detach = () => settings.signal?.removeEventListener('abort', onAbort);
  if (settings.signal?.aborted) onAbort();

  /** Run one nodemailer step, or fail with whatever ends the session first. */
  const step = <T>(run: (done: (err: unknown, value?: T) => void) => void): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      if (failure) return reject(failure);
      failed.then(reject, reject);
      run((err, value) => (err ? reject(fail(fromNodemailer(err, stage, where))) : resolve(value as T)));
    });

  let closed = false;
  try {
    await step<void>((done) => conn.connect((err?: unknown) => done(err)));
    const live = conn._socket;
    let fingerprint256: string | undefined;
    if (live instanceof tls.TLSSocket) {
      // After STARTTLS the handshake was nodemailer's (with core/net's options): check the
      // certificate now, before AUTH sends a password or MAIL FROM says anything.
      const bad = settings.security === 'starttls' ? checkPeer(live, where, settings.tls ?? {}) : undefined;
      if (bad) throw fail(fromNetError(bad, 'connect'));
      const fp = live.getPeerCertificate()?.fingerprint256;
      if (fp) fingerprint256 = fp;
    }
    const ehlo = ehloLinesOf(conn);
    const offeredStartTls = settings.security === 'starttls' || ehlo.some((l) => /^STARTTLS\b/i.test(l));
    let authenticated = false;
    if (settings.auth) {
      stage = 'auth';
      if (!conn.allowsAuth) {
        const hint = offeredStartTls && settings.security === 'plain' ? ': it takes a password only after STARTTLS, so choose STARTTLS' : '';
        throw fail(new SmtpError('unsupported', `${where} offers no authentication on this connection${hint}`, { stage }));
      }
      await step<boolean>((done) => conn.login(nodemailerAuth(settings.auth as PasswordAuth | TokenAuth), done));
      authenticated = true;
    }
    const session: SmtpSession = {
      connection: conn,
      where,
      secure: conn.secure,
      ...(fingerprint256 ? { fingerprint256 } : {}),
      ehlo,
      offeredStartTls,
      authenticated,
      get stage() {
        return stage;
      },
      set stage(s: SmtpStage) {
        stage = s;
      },
      failed,
      quit: () => {
        if (closed) return;
        closed = true;
        detach();
        if (!failure) conn.quit();
        // Once QUIT had its time, whatever is left goes.
        setTimeout(() => conn.close(), 2000).unref();
      },
      close: () => {
        closed = true;
        detach();
        conn.close();
      },
    };
    return session;
  } catch (e) {
    detach();
    conn.close();
    throw e instanceof SmtpError ? e : fromNodemailer(e, stage, where);
  }
}
