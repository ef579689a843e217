/**
 * The POP3 client's public API: connect (TLS, STLS or plain), log in, and the RFC 1939
 * commands, each an async method. Bodies (RETR, TOP) come as byte streams with backpressure;
 * `retrieveMany` and `deleteMany` pipeline batches when the server allows it.
 *
 *   const pop = await Pop3Client.connect({ host, port: 995, security: 'tls' });
 *   await pop.login({ user, password });
 *   for (const { id, uid } of await pop.uidl()) …
 *   for await (const m of pop.retrieveMany(ids)) await pipeline(m.body, file);
 *   await pop.quit();
 */
import type net from 'node:net';
import type { Readable } from 'node:stream';
import type tls from 'node:tls';
import {
  apopDigest,
  b64,
  chooseMechanisms,
  fitsOnAuthLine,
  mechanismsAfterInitialResponse,
  cramMd5Response,
  parseApopTimestamp,
  plainResponse,
  xoauth2Response,
  type AuthMechanism,
  type Credentials,
} from './auth.js';
import { parseCapabilities, type Capabilities } from './capabilities.js';
import { DEFAULT_LIMITS, Pop3Engine, type EngineLimits, type ProtocolLog, type StreamReply } from './engine.js';
import { Pop3Error, isPop3Error, sanitizeServerText } from './errors.js';
import { connectPlain, connectTls, formatFingerprint, type Security, type TlsOptions } from './transport.js';

export interface Pop3ConnectOptions {
  host: string;
  port: number;
  /** 'tls' (implicit, port 995) is preferred; 'starttls' upgrades on 110; 'plain' only when chosen. */
  security: Security;
  tls?: TlsOptions;
  timeouts?: {
    connectMs?: number;
    greetingMs?: number;
    /** No byte from the server for this long while waiting for a reply. */
    idleMs?: number;
  };
  /** Use PIPELINING when the server offers it (default). The per-account switch for broken servers. */
  pipelining?: boolean;
  /** Commands outstanding at once when pipelining. */
  pipelineWindow?: number;
  limits?: Partial<Omit<EngineLimits, 'idleTimeoutMs'>>;
  /** Aborting closes the connection; every pending call fails with code 'cancelled'. */
  signal?: AbortSignal;
  /** Protocol trace (commands and status lines; secrets and bodies are never passed). */
  log?: ProtocolLog;
}

export interface MessageSize {
  id: number;
  size: number;
}

export interface MessageUid {
  id: number;
  uid: string;
}

export type RetrievedMessage =
  | { id: number; body: Readable; error?: undefined }
  /** The server refused this one (typically: deleted by another client since UIDL). */
  | { id: number; body?: undefined; error: Pop3Error };

export interface DeleteResult {
  deleted: number[];
  failed: { id: number; error: Pop3Error }[];
}

const DEFAULT_TIMEOUTS = { connectMs: 30_000, greetingMs: 30_000, idleMs: 60_000 };
export const DEFAULT_PIPELINE_WINDOW = 32;

type State = 'authorization' | 'transaction' | 'closed';

/** One login attempt: the mechanism, and for PLAIN whether the response was on the AUTH line. */
interface LoginAttempt {
  mechanism: AuthMechanism;
  initial: boolean;
}

export class Pop3Client {
  private state: State = 'authorization';
  private caps: Capabilities | null = null;
  private socket: net.Socket;

  private constructor(
    private readonly engine: Pop3Engine,
    socket: net.Socket,
    private readonly options: Pop3ConnectOptions,
    private readonly onAbort: () => void,
    /** The greeting's text, e.g. "Dovecot ready." */
    readonly greeting: string,
    /** The APOP timestamp from the greeting, if any (cleared after STLS: it came in clear). */
    private apopTimestamp: string | null,
  ) {
    this.socket = socket;
  }

  static async connect(options: Pop3ConnectOptions): Promise<Pop3Client> {
    const timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
    const limits: EngineLimits = { ...DEFAULT_LIMITS, ...options.limits, idleTimeoutMs: timeouts.idleMs };
    const base = {
      host: options.host,
      port: options.port,
      connectTimeoutMs: timeouts.connectMs,
      ...(options.signal ? { signal: options.signal } : {}),
    };
    const tlsOpts = options.tls ?? {};
    const socket: net.Socket =
      options.security === 'tls' ? await connectTls({ ...base, tls: tlsOpts }) : await connectPlain(base);

    const engine = new Pop3Engine(limits, options.log);
    const onAbort = () => engine.fail(new Pop3Error('cancelled', 'the POP3 session was cancelled'));
    options.signal?.addEventListener('abort', onAbort, { once: true });
    if (options.signal?.aborted) onAbort();
    engine.attach(socket);
    let client: Pop3Client | undefined;
    try {
      const greeting = await engine.greeting(timeouts.greetingMs);
      client = new Pop3Client(engine, socket, options, onAbort, greeting.text, parseApopTimestamp(greeting.text));
      await client.capa();
      if (options.security === 'starttls') await client.startTls(base, tlsOpts);
      return client;
    } catch (e) {
      if (client) client.close();
      else {
        options.signal?.removeEventListener('abort', onAbort);
        engine.fail(e instanceof Pop3Error ? e : new Pop3Error('network', String(e)));
      }
      throw e;
    }
  }

  /** Capabilities as last read (CAPA is re-read after STLS and after login). Null if CAPA failed. */
  get capabilities(): Capabilities | null {
    return this.caps;
  }

  /** True when the connection is encrypted (implicit TLS or after STLS). */
  get secure(): boolean {
    return 'encrypted' in this.socket && (this.socket as tls.TLSSocket).encrypted === true;
  }

  /** The SHA-256 fingerprint of the server's certificate, when secure. */
  get fingerprint256(): string | undefined {
    if (!this.secure) return undefined;
    const cert = (this.socket as tls.TLSSocket).getPeerCertificate();
    return cert?.fingerprint256 ? formatFingerprint(cert.fingerprint256) : undefined;
  }

  /** Whether the login succeeded and the session is still open (the transaction state). */
  get loggedIn(): boolean {
    return this.state === 'transaction';
  }

  /** Whether batches are pipelined right now (after login, when the server and the account allow it). */
  get pipelining(): boolean {
    return this.engine.window > 1;
  }

  /** CAPA; a server that refuses it is used without capabilities (RFC 1939 servers). */
  async capa(): Promise<Capabilities | null> {
    return this.readCapa(false);
  }

  private async readCapa(pipelinable: boolean): Promise<Capabilities | null> {
    try {
      const reply = await this.engine.lines('CAPA', { pipelinable });
      this.caps = parseCapabilities(reply.lines);
    } catch (e) {
      if (!isPop3Error(e) || e.code !== 'command') throw e;
      this.caps = null;
    }
    return this.caps;
  }

  private async startTls(
    base: { host: string; port: number; connectTimeoutMs: number; signal?: AbortSignal },
    tlsOpts: TlsOptions,
  ): Promise<void> {
    try {
      await this.engine.single('STLS', { mode: 'halt' });
    } catch (e) {
      if (isPop3Error(e) && e.code === 'command') {
        throw new Pop3Error('tls', `the server refused STLS: ${e.serverText ?? ''}`.trim(), {
          ...(e.respCode ? { respCode: e.respCode } : {}),
        });
      }
      throw e;
    }
    // RFC 2595 §4: whatever came before the handshake is not trusted; the engine has stopped
    // reading at the +OK and the rest of that buffer is dropped with the plain socket's reader.
    const plain = this.engine.detach();
    this.caps = null;
    // The greeting came before TLS: a man in the middle could have planted the timestamp.
    this.apopTimestamp = null;
    let secured: tls.TLSSocket;
    try {
      secured = await connectTls({ ...base, tls: tlsOpts }, plain);
    } catch (e) {
      plain.destroy();
      this.engine.fail(e instanceof Pop3Error ? e : new Pop3Error('tls', String(e)));
      throw e;
    }
    this.socket = secured;
    this.engine.attach(secured);
    await this.capa();
  }

  /**
   * Log in with the strongest mechanism the server offers (or the one the account names), then
   * re-read CAPA: PIPELINING and LOGIN-DELAY may only be announced after login.
   */
  async login(creds: Credentials): Promise<void> {
    await this.authenticateAll(creds);
    await this.capa();
    this.pipelineAsAnnounced();
  }

  /**
   * Log in, then UIDL: what a check for mail asks first. Where the CAPA before login announced
   * PIPELINING (and the account allows it), the CAPA after login and UIDL go out together, one
   * round trip instead of two: UIDL's answer does not depend on CAPA's. If the new CAPA no longer
   * says PIPELINING, nothing after UIDL is pipelined. The capabilities are the new ones when this
   * resolves, as after login.
   */
  async loginThenUidl(creds: Credentials): Promise<MessageUid[]> {
    return parseUidl(await this.loginThenUidlLines(creds));
  }

  /**
   * loginThenUidl with the listing's lines as the server sent them (parseUidl reads them): a caller
   * that compares a whole listing with one it read before need not parse it again (the quick
   * check, sync/quick-check-digest.ts).
   */
  async loginThenUidlLines(creds: Credentials): Promise<string[]> {
    await this.authenticateAll(creds);
    if (this.options.pipelining === false || this.caps?.pipelining !== true) {
      await this.capa();
      this.pipelineAsAnnounced();
      return this.uidlLines();
    }
    this.engine.window = 2;
    const capa = this.readCapa(true);
    const uidl = this.uidlLines();
    uidl.catch(() => {}); // awaited below, after CAPA (a failed CAPA is thrown first)
    try {
      await capa;
    } finally {
      this.pipelineAsAnnounced();
    }
    return uidl;
  }

  private pipelineAsAnnounced(): void {
    const wanted = this.options.pipelining !== false && this.caps?.pipelining === true;
    this.engine.window = wanted ? Math.max(2, this.options.pipelineWindow ?? DEFAULT_PIPELINE_WINDOW) : 1;
  }

  /** The login exchange itself (the mechanisms in order), ending in the transaction state. */
  private async authenticateAll(creds: Credentials): Promise<void> {
    if (this.state !== 'authorization') throw new Pop3Error('protocol', 'already logged in');
    if (this.caps?.utf8) {
      // RFC 6856: lets a UTF-8 user name and password through; a refusal changes nothing.
      await this.engine.single('UTF8').catch((e: unknown) => {
        if (!isPop3Error(e) || e.code !== 'command') throw e;
      });
    }
    const first = await this.tryMechanisms(creds);
    let failure = first.failure;
    if (failure?.code === 'auth' && creds.refresh && !this.engine.closed && first.last) {
      // A kept password refused: the caller may have a newer one (see Credentials.refresh). It is
      // tried with only the mechanism and form last refused, not the whole chain again: a server
      // that counts refusals must not see a wrong password cost more than one more attempt.
      const refused = failure;
      const fresh = await creds.refresh();
      if (fresh) {
        // The password command may take long enough for the server to drop the connection: what
        // happened first (the refusal) is what the user must be told, not the drop. The fresh
        // password was not judged, so it is not reported refused (the next check tries it).
        if (this.engine.closed) throw refused;
        const retry = (await this.tryMechanisms(fresh, first.last)).failure;
        if (retry && retry.code !== 'auth' && this.engine.closed) throw refused;
        creds = fresh;
        failure = retry;
      }
    }
    if (failure) {
      if (failure.code === 'auth') creds.onRefused?.();
      throw failure;
    }
    this.state = 'transaction';
  }

  /**
   * The mechanisms in order until one logs in (failure undefined) or the failure to report, with
   * the last attempt made (its mechanism and form). `only`: that one attempt and nothing else.
   * Each refused attempt is one refused login a server may count against the account, so no
   * mechanism is tried twice and a bare -ERR ends the chain after at most one more PLAIN form.
   */
  private async tryMechanisms(creds: Credentials, only?: LoginAttempt): Promise<{ failure?: Pop3Error; last?: LoginAttempt }> {
    let mechanisms = only ? [only.mechanism] : chooseMechanisms(creds, this.caps, this.apopTimestamp, this.secure);
    let failure: Pop3Error | undefined;
    let last: LoginAttempt | undefined;
    // Set once a one-line AUTH PLAIN was answered with a -ERR without a response code.
    let twoStep = only?.mechanism === 'PLAIN' && !only.initial;
    for (let i = 0; i < mechanisms.length; i++) {
      const mechanism = mechanisms[i]!;
      const initial = mechanism === 'PLAIN' && !twoStep && fitsOnAuthLine('PLAIN', plainResponse(creds.user, creds.password ?? ''));
      last = { mechanism, initial };
      try {
        await this.authenticate(mechanism, creds, initial);
        return {};
      } catch (e) {
        if (!isPop3Error(e)) throw e;
        // A plain -ERR ([AUTH] or [SYS/...] would say what it was) to the response on the AUTH
        // line: maybe a server of the older RFC 1734 form. Once: PLAIN in two steps, and nothing
        // after it (a wrong password at a server without response codes looks the same, and each
        // further mechanism would be one more refusal). That -ERR is not what the user is told.
        const bare = this.isBareLoginRefusal(e);
        if (!only && initial && bare && !this.engine.closed) {
          twoStep = true;
          mechanisms = [...mechanisms.slice(0, i + 1), ...mechanismsAfterInitialResponse()];
          continue;
        }
        // The first refusal says most about the credentials; anything else (a drop, a busy
        // mailbox) is what the caller must act on instead, so it wins. After the fallback a bare
        // -ERR may only mean "not this form", so any other answer says more.
        const saysLittle = twoStep && bare;
        if (!failure || (e.code !== 'auth' && !saysLittle)) failure = e;
        // Only a plain refusal is worth a second mechanism; a dropped link or a busy box is not;
        // after the two-step PLAIN nothing more is tried.
        if ((e.code !== 'auth' && !saysLittle) || this.engine.closed || twoStep) break;
      }
    }
    return failure ? (last ? { failure, last } : { failure }) : {};
  }

  /** A -ERR at login with no response code (our own refusals carry no server text). */
  private isBareLoginRefusal(e: Pop3Error): boolean {
    return e.respCode === undefined && e.serverText !== undefined && e.code === this.loginErrorContext;
  }

  /**
   * What a -ERR without a response code means at login. RFC 3206: a server announcing
   * AUTH-RESP-CODE marks credential failures with [AUTH], so without it the cause is elsewhere.
   */
  private get loginErrorContext(): 'auth' | 'sys-temp' {
    return this.caps?.authRespCode ? 'sys-temp' : 'auth';
  }

  private async authenticate(mechanism: AuthMechanism, creds: Credentials, initialResponse = true): Promise<void> {
    const password = creds.password ?? '';
    const auth = { errorContext: this.loginErrorContext };
    switch (mechanism) {
      case 'USER':
        await this.engine.single(`USER ${creds.user}`, auth);
        await this.engine.single(`PASS ${password}`, { ...auth, label: 'PASS' });
        return;
      case 'APOP':
        await this.engine.single(`APOP ${creds.user} ${apopDigest(this.apopTimestamp ?? '', password)}`, {
          ...auth,
          label: 'APOP',
        });
        return;
      case 'PLAIN': {
        // With the response on the AUTH line (RFC 5034 §4): one round trip instead of two.
        const response = plainResponse(creds.user, password);
        await this.sasl('PLAIN', () => response, 1, initialResponse ? response : undefined);
        return;
      }
      case 'LOGIN': {
        let step = 0;
        await this.sasl('LOGIN', () => (step++ === 0 ? b64(creds.user) : b64(password)), 2);
        return;
      }
      case 'CRAM-MD5':
        await this.sasl('CRAM-MD5', (challenge) => cramMd5Response(creds.user, password, challenge));
        return;
      case 'XOAUTH2': {
        if (creds.oauth2Token === undefined) throw new Pop3Error('auth', 'XOAUTH2 needs an access token');
        let sent = false;
        let serverError: string | undefined;
        // The two-step form: AUTH XOAUTH2, "+", then the token. A second "+" carries the
        // server's JSON error; the answer to it is an empty line, after which -ERR follows.
        try {
          await this.sasl('XOAUTH2', (challenge) => {
            if (sent) {
              serverError = sanitizeServerText(Buffer.from(challenge, 'base64').toString('utf8'), 1000);
              return '';
            }
            sent = true;
            return xoauth2Response(creds.user, creds.oauth2Token!);
          }, 2);
        } catch (e) {
          // Keep the provider's JSON ({"status":"401",…}): it tells "refresh the token" apart.
          if (isPop3Error(e) && e.code === 'auth' && serverError !== undefined) {
            throw new Pop3Error('auth', `${e.message} (${serverError})`, {
              ...(e.respCode ? { respCode: e.respCode } : {}),
              serverText: serverError,
              command: 'AUTH XOAUTH2',
            });
          }
          throw e;
        }
        return;
      }
    }
  }

  /**
   * RFC 5034 exchange: AUTH <mech> (with `initial`, the first response on the same line), then
   * one response per "+ challenge" until +OK or -ERR.
   */
  private async sasl(mech: string, respond: (challengeB64: string) => string, maxSteps = 1, initial?: string): Promise<void> {
    const opts = { mode: 'sasl' as const, errorContext: this.loginErrorContext };
    // RFC 5034 §4: an AUTH line with its initial response stays within 255 octets; a longer
    // one (a long user name) waits for the server's empty challenge instead.
    const withInitial = initial !== undefined && fitsOnAuthLine(mech, initial);
    // The label keeps the response (the password, encoded) out of the protocol trace.
    let reply = withInitial
      ? await this.engine.single(`AUTH ${mech} ${initial}`, { ...opts, label: `AUTH ${mech}` })
      : await this.engine.single(`AUTH ${mech}`, opts);
    // A server that ignored the initial response and still sends "+" gets it once more.
    let steps = 0;
    while (reply.kind === 'continue') {
      if (steps++ >= maxSteps) {
        // More challenges than the mechanism has: cancel the exchange (RFC 5034 §4). Whatever
        // the server answers to that, we are not logged in.
        await this.engine.single('*', { ...opts, label: 'AUTH cancel' }).catch(() => {});
        throw new Pop3Error('auth', `AUTH ${mech}: the server asked for more than the mechanism has; login cancelled`);
      }
      reply = await this.engine.single(respond(reply.text.trim()), { ...opts, label: `AUTH ${mech} response` });
    }
    if (reply.kind !== 'ok') throw new Pop3Error('auth', `AUTH ${mech} did not succeed`);
  }

  async stat(): Promise<{ count: number; size: number }> {
    const reply = await this.engine.single('STAT', { pipelinable: true });
    const [count, size] = parseNumbers(reply.text, 2, 'STAT');
    return { count: count!, size: size! };
  }

  /** LIST: message numbers and sizes. Sizes are hints for progress, never used for framing. */
  async list(): Promise<MessageSize[]> {
    const reply = await this.engine.lines('LIST', { pipelinable: true });
    return reply.lines.filter((l) => l.length > 0).map((l) => {
      const [id, size] = parseNumbers(l, 2, 'LIST');
      return { id: id!, size: size! };
    });
  }

  async listOne(id: number): Promise<MessageSize> {
    const reply = await this.engine.single(`LIST ${messageNumber(id)}`, { pipelinable: true });
    const [n, size] = parseNumbers(reply.text, 2, 'LIST');
    return { id: n!, size: size! };
  }

  /** UIDL: message numbers and their unique ids (RFC 1939: 1–70 printable characters; longer ones are kept). */
  async uidl(): Promise<MessageUid[]> {
    return parseUidl(await this.uidlLines());
  }

  private async uidlLines(): Promise<string[]> {
    return (await this.engine.lines('UIDL', { pipelinable: true })).lines;
  }

  async uidlOne(id: number): Promise<MessageUid> {
    const reply = await this.engine.single(`UIDL ${messageNumber(id)}`, { pipelinable: true });
    return parseUidLine(reply.text);
  }

  /** RETR: the message as a byte stream (dot-unstuffed, line endings as served). Read it to the end or destroy it. */
  async retr(id: number): Promise<Readable> {
    return (await this.engine.stream(`RETR ${messageNumber(id)}`, { pipelinable: true })).body;
  }

  /** TOP: the header and the first `lines` body lines. */
  async top(id: number, lines: number): Promise<Readable> {
    if (!Number.isInteger(lines) || lines < 0) throw new Pop3Error('protocol', `bad TOP line count ${lines}`);
    return (await this.engine.stream(`TOP ${messageNumber(id)} ${lines}`, { pipelinable: true })).body;
  }

  /**
   * RETR (or TOP with `top` lines) for many messages, pipelined. Messages arrive in the order
   * asked; each body must be consumed (or destroyed) before the next one is yielded. A message
   * the server refuses is yielded with its error; a broken connection throws.
   */
  async *retrieveMany(ids: readonly number[], opts: { top?: number } = {}): AsyncGenerator<RetrievedMessage> {
    const queue: { id: number; reply: Promise<StreamReply> }[] = [];
    let next = 0;
    const fill = () => {
      const ahead = Math.max(1, this.engine.window);
      while (next < ids.length && queue.length < ahead) {
        const id = ids[next++]!;
        const command = opts.top === undefined ? `RETR ${messageNumber(id)}` : `TOP ${messageNumber(id)} ${opts.top}`;
        const reply = this.engine.stream(command, { pipelinable: true });
        reply.catch(() => {}); // awaited below; a failure is reported there, never unhandled
        queue.push({ id, reply });
      }
    };
    try {
      fill();
      while (queue.length > 0) {
        const { id, reply } = queue.shift()!;
        let body: Readable;
        try {
          body = (await reply).body;
        } catch (e) {
          if (isPop3Error(e) && e.code === 'command') {
            fill();
            yield { id, error: e };
            continue;
          }
          throw e;
        }
        fill();
        try {
          yield { id, body };
        } finally {
          if (!body.readableEnded) body.destroy();
        }
      }
    } finally {
      // Stopped early: the replies already asked for are read and dropped.
      for (const { reply } of queue) reply.then((r) => r.body.destroy(), () => {});
    }
  }

  async dele(id: number): Promise<void> {
    await this.engine.single(`DELE ${messageNumber(id)}`, { pipelinable: true });
  }

  /** DELE for many messages, pipelined. A refused DELE is reported, not thrown; a broken link throws. */
  async deleteMany(ids: readonly number[]): Promise<DeleteResult> {
    const results = await Promise.allSettled(ids.map((id) => this.dele(id)));
    const out: DeleteResult = { deleted: [], failed: [] };
    results.forEach((r, i) => {
      const id = ids[i]!;
      if (r.status === 'fulfilled') out.deleted.push(id);
      else if (isPop3Error(r.reason) && r.reason.code === 'command') out.failed.push({ id, error: r.reason });
      else throw r.reason;
    });
    return out;
  }

  async rset(): Promise<void> {
    await this.engine.single('RSET');
  }

  async noop(): Promise<void> {
    await this.engine.single('NOOP', { pipelinable: true });
  }

  /**
   * QUIT. Deletions take effect only when this resolves (RFC 1939 §6): if it throws, the
   * server removed nothing.
   */
  async quit(): Promise<string> {
    try {
      const reply = await this.engine.single('QUIT');
      return reply.text;
    } finally {
      this.close();
    }
  }

  /**
   * Whether this connection, idle, keeps the process running (the socket's ref/unref): a session
   * the CLI's quick path hands to its full path must not hold a process open if it is never taken.
   */
  keepProcessAlive(keep: boolean): void {
    if (keep) this.socket.ref();
    else this.socket.unref();
  }

  /** Drop the connection without QUIT: the server rolls back every DELE of this session. */
  close(): void {
    this.state = 'closed';
    this.options.signal?.removeEventListener('abort', this.onAbort);
    this.engine.close();
  }
}

function messageNumber(id: number): number {
  if (!Number.isSafeInteger(id) || id < 1) throw new Pop3Error('protocol', `bad message number ${id}`);
  return id;
}

function parseNumbers(text: string, count: number, what: string): number[] {
  const parts = text.trim().split(/\s+/).slice(0, count);
  const nums = parts.map((p) => (/^\d{1,15}$/.test(p) ? Number(p) : NaN));
  if (nums.length < count || nums.some((n) => Number.isNaN(n))) {
    throw new Pop3Error('protocol', `malformed ${what} line: ${sanitizeServerText(text)}`);
  }
  return nums;
}

/** A UIDL listing's lines (as loginThenUidlLines gives them) read; a malformed line is a 'protocol' error. */
export function parseUidl(lines: readonly string[]): MessageUid[] {
  return lines.filter((l) => l.length > 0).map((l) => parseUidLine(l));
}

function parseUidLine(line: string): MessageUid {
  const m = /^\s*(\d{1,15})\s+(\S+)\s*$/.exec(line);
  if (!m) throw new Pop3Error('protocol', `malformed UIDL line: ${sanitizeServerText(line)}`);
  return { id: Number(m[1]), uid: m[2]! };
}
