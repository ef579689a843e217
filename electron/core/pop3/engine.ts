/**
 * The command engine: queues commands, writes them (pipelined within a bounded window when the
 * server allows it, RFC 2449 §6.6), matches each reply to its command in order, and hands
 * multi-line bodies on as streams with backpressure or as size-limited line lists.
 *
 * It reads while it writes, so a pipelined batch can never deadlock on full socket buffers,
 * and every wait for the server runs under an idle timeout that is suspended only while our
 * own consumer is the slow side.
 */
import { Readable } from 'node:stream';
import type net from 'node:net';
import { Pop3Error, errorFromReply, sanitizeServerText, type Pop3ErrorCode } from './errors.js';
import { ReplyScanner, type AfterStatus, type StatusLine } from './scanner.js';

export type ProtocolLog = (direction: 'C' | 'S', line: string) => void;

export interface EngineLimits {
  /** Idle time allowed while waiting for the server (no byte received). */
  idleTimeoutMs: number;
  /** Longest status line. */
  maxStatusLine: number;
  /** Longest line in a listing (CAPA, LIST, UIDL). Message lines have no limit. */
  maxListingLine: number;
  /** Largest listing as a whole, in bytes and in lines. */
  maxListingBytes: number;
  maxListingLines: number;
  /**
   * Longest a status line or a listing may take in total, however steadily it drips in: the
   * idle timeout alone would let one byte a minute hold a session for days.
   */
  replyDeadlineMs: number;
  /** Largest message body accepted from RETR/TOP (a body that never ends must not fill the disk). */
  maxMessageBytes: number;
}

export const DEFAULT_LIMITS: EngineLimits = {
  idleTimeoutMs: 60_000,
  maxStatusLine: 8 * 1024,
  maxListingLine: 4 * 1024,
  // 500,000 UIDL lines of 70 characters fit; a flood does not.
  maxListingBytes: 48 * 1024 * 1024,
  maxListingLines: 1_000_000,
  replyDeadlineMs: 5 * 60_000,
  maxMessageBytes: 2 * 1024 * 1024 * 1024,
};

/**
 * RFC 2449 limits commands to 255 octets; SASL responses (RFC 5034) and long passwords are
 * allowed past that, but nothing unbounded is ever written.
 */
const MAX_COMMAND_BYTES = 16 * 1024;

/** Pipelining windows from this wide send their commands in batches (see pump). */
const MIN_BATCHED_WINDOW = 8;

export interface LinesReply {
  status: StatusLine;
  lines: string[];
}

export interface StreamReply {
  status: StatusLine;
  body: Readable;
}

type Mode = 'single' | 'sasl' | 'lines' | 'stream' | 'halt';

interface Command {
  /** Bytes to send (with CRLF), or null for the greeting, which is only read. */
  wire: Buffer | null;
  /** What the command is called in errors and the protocol log; never holds a secret. */
  label: string;
  mode: Mode;
  pipelinable: boolean;
  /** The error code a plain -ERR to this command means. */
  errorContext: Pop3ErrorCode;
  /** Overrides the idle timeout while this command is the one awaited. */
  timeoutMs?: number;
  resolve: (value: never) => void;
  reject: (err: Pop3Error) => void;
  collector?: LineCollector;
  body?: BodyStream;
}

export interface CommandOptions {
  mode?: Mode;
  pipelinable?: boolean;
  errorContext?: Pop3ErrorCode;
  /** Text for errors and logs instead of the command itself (for secrets). */
  label?: string;
  timeoutMs?: number;
}

class BodyStream extends Readable {
  /** The consumer gave up; the rest of the body is read and dropped. */
  abandoned = false;
  /** Bytes received so far, against the message size cap. */
  received = 0;
  constructor(private readonly demand: () => void) {
    super({ highWaterMark: 256 * 1024 });
    // A body read ahead (pipelining) may fail before anyone holds it; its error must not be
    // an uncaught 'error' event. Whoever reads it later still gets the error.
    this.on('error', () => {});
  }
  override _read(): void {
    this.demand();
  }
  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    if (!this.readableEnded) this.abandoned = true;
    this.demand();
    cb(err);
  }
}

class LineCollector {
  readonly lines: string[] = [];
  /** The end of a line whose rest is still to come, already decoded (latin1 is byte for byte). */
  private partial = '';
  private total = 0;
  constructor(private readonly limits: EngineLimits) {}

  push(bytes: Buffer): void {
    this.total += bytes.length;
    if (this.total > this.limits.maxListingBytes) {
      throw new Pop3Error('protocol', `the server sent a listing larger than ${this.limits.maxListingBytes} bytes`);
    }
    // One decode per chunk and string slices per line, not a Buffer and a decode per line: a
    // 2,000-line UIDL cost the CLI's empty check ~20 ms CPU the per-line way, ~5 ms this way
    // (issue 18). latin1 keeps every byte: a UIDL with 8-bit bytes stays stable and distinct.
    const text = bytes.toString('latin1');
    let pos = 0;
    while (pos < text.length) {
      const nl = text.indexOf('\n', pos);
      const stop = nl === -1 ? text.length : nl;
      if (this.partial.length + (stop - pos) > this.limits.maxListingLine) {
        throw new Pop3Error('protocol', `the server sent a listing line longer than ${this.limits.maxListingLine} bytes`);
      }
      if (nl === -1) {
        this.partial += text.slice(pos);
        return;
      }
      let line = this.partial.length ? this.partial + text.slice(pos, nl) : text.slice(pos, nl);
      this.partial = '';
      if (line.endsWith('\r')) line = line.slice(0, -1);
      if (this.lines.length >= this.limits.maxListingLines) {
        throw new Pop3Error('protocol', `the server sent a listing of more than ${this.limits.maxListingLines} lines`);
      }
      this.lines.push(line);
      pos = nl + 1;
    }
  }

  finish(): string[] {
    if (this.partial.length > 0) this.lines.push(this.partial);
    return this.lines;
  }
}

export class Pop3Engine {
  private socket: net.Socket | null = null;
  private readonly scanner: ReplyScanner;
  private readonly waiting: Command[] = [];
  private readonly inflight: Command[] = [];
  private failure: Pop3Error | null = null;
  private timer: NodeJS.Timeout | null = null;
  private timerMs = 0;
  /** The total deadline for the reply now awaited (status lines and listings, not bodies). */
  private deadline: NodeJS.Timeout | null = null;
  private deadlineFor: Command | null = null;
  /** Paused because a body consumer is full, not because the server is slow. */
  private backpressured = false;
  /** Commands in flight that must not have others pipelined alongside. */
  private barriersInflight = 0;
  /** Pipelining window; 1 means one command at a time. */
  window = 1;

  constructor(
    private readonly limits: EngineLimits = DEFAULT_LIMITS,
    private readonly log?: ProtocolLog,
  ) {
    this.scanner = new ReplyScanner(
      {
        onStatus: (s) => this.onStatus(s),
        onData: (b) => this.onBody(b),
        onEnd: () => this.onBodyEnd(),
      },
      limits.maxStatusLine,
    );
  }

  get closed(): boolean {
    return this.failure !== null;
  }

  get pending(): number {
    return this.waiting.length + this.inflight.length;
  }

  attach(socket: net.Socket): void {
    this.socket = socket;
    this.scanner.reset();
    socket.on('data', this.onSocketData);
    socket.on('error', this.onSocketError);
    socket.on('close', this.onSocketClose);
    this.pump();
    this.armTimer();
  }

  /** Stop reading the socket and give it up (for the TLS upgrade). */
  detach(): net.Socket {
    const socket = this.socket;
    if (!socket) throw new Pop3Error('network', 'not connected');
    socket.off('data', this.onSocketData);
    socket.off('error', this.onSocketError);
    socket.off('close', this.onSocketClose);
    this.socket = null;
    this.clearTimer();
    return socket;
  }

  /** Wait for the server's greeting (the one reply nobody asked for). */
  greeting(timeoutMs: number): Promise<StatusLine> {
    return this.enqueue<StatusLine>(null, { mode: 'single', errorContext: 'sys-temp', label: 'greeting', timeoutMs });
  }

  single(command: string, opts: CommandOptions = {}): Promise<StatusLine> {
    return this.enqueue<StatusLine>(command, { ...opts, mode: opts.mode ?? 'single' });
  }

  lines(command: string, opts: CommandOptions = {}): Promise<LinesReply> {
    return this.enqueue<LinesReply>(command, { ...opts, mode: 'lines' });
  }

  stream(command: string, opts: CommandOptions = {}): Promise<StreamReply> {
    return this.enqueue<StreamReply>(command, { ...opts, mode: 'stream' });
  }

  /** Fail everything pending and close the socket. Idempotent. */
  fail(err: Pop3Error): void {
    if (this.failure) return;
    this.failure = err;
    this.clearTimer();
    const all = [...this.inflight, ...this.waiting];
    this.inflight.length = 0;
    this.waiting.length = 0;
    for (const cmd of all) {
      if (cmd.body) {
        if (!cmd.body.destroyed) cmd.body.destroy(err);
      } else {
        cmd.reject(err);
      }
    }
    if (this.socket) {
      this.socket.destroy();
      this.socket = null;
    }
  }

  /** Close after a clean QUIT: no error for anyone, nothing may be pending. */
  close(): void {
    this.fail(new Pop3Error('network', 'the connection is closed'));
  }

  private enqueue<T>(command: string | null, opts: CommandOptions): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.failure) {
        reject(this.failure);
        return;
      }
      const cmd: Command = {
        wire: command === null ? null : Buffer.from(`${command}\r\n`, 'utf8'),
        label: opts.label ?? (command ?? ''),
        mode: opts.mode ?? 'single',
        pipelinable: opts.pipelinable ?? false,
        errorContext: opts.errorContext ?? 'command',
        ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
        resolve: resolve as (v: never) => void,
        reject,
      };
      if (command !== null && /[\r\n\0]/.test(command)) {
        // A user name or argument with a line break would smuggle in a second command.
        reject(new Pop3Error('protocol', `refusing to send a command containing a line break: ${sanitizeServerText(cmd.label)}`));
        return;
      }
      if (cmd.wire && cmd.wire.length > MAX_COMMAND_BYTES) {
        reject(new Pop3Error('protocol', `command too long: ${sanitizeServerText(cmd.label)}`));
        return;
      }
      this.waiting.push(cmd);
      this.schedulePump();
    });
  }

  /**
   * Pumps once the caller's synchronous run is over, so commands queued together (a window of
   * RETRs, a batch of DELEs) leave in one socket write instead of one each.
   */
  private pumpScheduled = false;
  private schedulePump(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    queueMicrotask(() => {
      this.pumpScheduled = false;
      this.pump();
      this.armTimer();
    });
  }

  private pump(): void {
    const socket = this.socket;
    if (!socket || this.failure) return;
    const out: Buffer[] = [];
    // With a wide window, pipelined commands are sent in batches: none while at least half the
    // window is still in flight, then as many as fit. Sent one by one, each RETR (queued as its
    // predecessor's body is taken) was one socket write: on an 800-message sync ~800 writes and
    // ~0.13 s of the main thread (a loopback or TLS write costs 100+ µs of CPU here). Half a
    // window in flight keeps the server busy, and a held command always has a reply ahead of it
    // whose end calls pump again.
    if (this.window >= MIN_BATCHED_WINDOW && this.inflight.length >= this.window >> 1 && this.waiting[0]?.pipelinable) return;
    while (this.waiting.length > 0) {
      const next = this.waiting[0]!;
      if (this.inflight.length > 0) {
        const canPipeline =
          this.window > 1 && next.pipelinable && this.barriersInflight === 0 && this.inflight.length < this.window;
        if (!canPipeline) break;
      }
      this.waiting.shift();
      this.inflight.push(next);
      if (!next.pipelinable) this.barriersInflight++;
      if (next.wire) {
        out.push(next.wire);
        this.log?.('C', next.label);
      }
    }
    if (out.length === 1) socket.write(out[0]!);
    else if (out.length > 1) socket.write(Buffer.concat(out));
  }

  private readonly onSocketData = (chunk: Buffer): void => {
    try {
      this.scanner.feed(chunk);
    } catch (e) {
      this.fail(e instanceof Pop3Error ? e : new Pop3Error('protocol', String(e), { cause: e }));
      return;
    }
    this.armTimer();
  };

  private readonly onSocketError = (err: NodeJS.ErrnoException): void => {
    this.fail(new Pop3Error('network', `connection error: ${err.code ?? err.message}`, { cause: err }));
  };

  private readonly onSocketClose = (): void => {
    const inBody = this.inflight[0]?.body !== undefined;
    this.fail(
      new Pop3Error(
        'network',
        inBody ? 'the server closed the connection in the middle of a message' : 'the server closed the connection',
      ),
    );
  };

  private shiftInflight(): Command {
    const cmd = this.inflight.shift()!;
    if (!cmd.pipelinable) this.barriersInflight--;
    return cmd;
  }

  private onStatus(status: StatusLine): AfterStatus {
    const cmd = this.inflight[0];
    if (!cmd) {
      throw new Pop3Error('protocol', `the server sent a reply nobody asked for: ${sanitizeServerText(status.text)}`);
    }
    this.log?.('S', cmd.mode === 'sasl' && status.kind === 'continue' ? '+ …' : `${status.kind === 'ok' ? '+OK' : status.kind === 'err' ? '-ERR' : '+'} ${sanitizeServerText(status.text, 200)}`);
    if (status.kind === 'err') {
      this.shiftInflight();
      cmd.reject(errorFromReply(status.text, cmd.errorContext, cmd.label || undefined));
      this.pump();
      return 'single';
    }
    if (status.kind === 'continue' && cmd.mode !== 'sasl') {
      throw new Pop3Error('protocol', `the server sent a continuation "+" to ${sanitizeServerText(cmd.label)}`);
    }
    switch (cmd.mode) {
      case 'single':
      case 'sasl':
        this.shiftInflight();
        cmd.resolve(status as never);
        this.pump();
        return 'single';
      case 'halt':
        this.shiftInflight();
        this.clearTimer();
        cmd.resolve(status as never);
        return 'halt';
      case 'lines':
        cmd.collector = new LineCollector(this.limits);
        return 'multi';
      case 'stream': {
        const body = new BodyStream(this.onDemand);
        cmd.body = body;
        cmd.resolve({ status, body } as never);
        return 'multi';
      }
    }
  }

  private onBody(bytes: Buffer): void {
    const cmd = this.inflight[0]!;
    if (cmd.collector) {
      cmd.collector.push(bytes);
      return;
    }
    const body = cmd.body!;
    body.received += bytes.length;
    if (body.received > this.limits.maxMessageBytes) {
      throw new Pop3Error('protocol', `${cmd.label}: the message is larger than ${this.limits.maxMessageBytes} bytes`, {
        command: cmd.label,
      });
    }
    if (body.abandoned || body.destroyed) return;
    if (!body.push(bytes) && !this.backpressured) {
      this.backpressured = true;
      this.socket?.pause();
    }
  }

  private onBodyEnd(): void {
    const cmd = this.shiftInflight();
    if (cmd.collector) {
      cmd.resolve({ status: { kind: 'ok', text: '' }, lines: cmd.collector.finish() } as never);
    } else if (cmd.body && !cmd.body.destroyed) {
      cmd.body.push(null);
    }
    this.pump();
  }

  private readonly onDemand = (): void => {
    // Readable calls _read once per push cycle, so every call must be honoured.
    if (!this.backpressured) return;
    this.backpressured = false;
    this.socket?.resume();
    this.armTimer();
  };

  /** (Re)start the idle timer for the reply now awaited; called on every chunk, so cheap. */
  private armTimer(): void {
    if (this.failure || !this.socket || this.inflight.length === 0 || this.backpressured || this.scanner.halted) {
      this.clearTimer();
      return;
    }
    this.armDeadline(this.inflight[0]!);
    const ms = this.inflight[0]!.timeoutMs ?? this.limits.idleTimeoutMs;
    if (this.timer && this.timerMs === ms) {
      this.timer.refresh();
      return;
    }
    this.clearIdle();
    this.timerMs = ms;
    this.timer = setTimeout(this.onIdleTimeout, ms);
  }

  private readonly onIdleTimeout = (): void => {
    const head = this.inflight[0];
    const label = head?.label || 'in time';
    this.fail(
      new Pop3Error('timeout', `the server did not answer ${label} within ${Math.round(this.timerMs / 1000)} s`, {
        ...(head ? { command: head.label } : {}),
      }),
    );
  };

  private armDeadline(head: Command): void {
    if (head.body) {
      // Bodies are bounded by size and the idle timeout; a large message may take long.
      this.clearDeadline();
      return;
    }
    if (this.deadlineFor === head) return;
    this.clearDeadline();
    this.deadlineFor = head;
    const ms = Math.max(this.limits.replyDeadlineMs, head.timeoutMs ?? 0);
    this.deadline = setTimeout(() => {
      this.fail(
        new Pop3Error('timeout', `the server took more than ${Math.round(ms / 1000)} s to answer ${head.label || 'the connection'}`, {
          command: head.label,
        }),
      );
    }, ms);
  }

  private clearDeadline(): void {
    if (this.deadline) {
      clearTimeout(this.deadline);
      this.deadline = null;
    }
    this.deadlineFor = null;
  }

  private clearIdle(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
  }

  private clearTimer(): void {
    this.clearIdle();
    this.clearDeadline();
  }
}
