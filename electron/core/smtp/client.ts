/**
 * Sending a finished message and asking a server what it offers. The message comes ready-made
 * (MIME built elsewhere, by nodemailer's MailComposer); this only hands its exact bytes to the
 * server with an envelope, and says precisely how far it got when something fails:
 *
 *   const r = await sendRaw(settings, { from, to: ['bob@example.org'], raw: fs.createReadStream(file) });
 *   r.accepted, r.rejected, r.response ("250 2.0.0 Ok: queued as …")
 *
 * A failure is an SmtpError whose `maybeSent` is true only when the final dot went out and no
 * answer came back (DESIGN §3, invariant 9): that message must not be sent again silently.
 */
import { isAscii } from 'node:buffer';
import { Readable, Transform, pipeline, type TransformCallback } from 'node:stream';
import { parseEhlo, type SmtpCapabilities } from './capabilities.js';
import { fromNodemailer, refusalOf, SmtpError, type NodemailerErrorFields, type RecipientRefusal } from './errors.js';
import { openSession, type SmtpSession, type SmtpSettings } from './transport.js';

export interface RawMessage {
  /** The envelope sender (MAIL FROM); '' for the null sender. */
  from: string;
  /** The envelope recipients (RCPT TO): every To, Cc and Bcc address. */
  to: string[];
  /** The message exactly as it is to be delivered (CRLF or LF line ends; nodemailer makes them CRLF and dot-stuffs). */
  raw: Buffer | Readable;
  /**
   * The size in bytes, announced with MAIL FROM … SIZE= so that a server refuses a message too
   * big before it is sent. Taken from a Buffer; give it for a stream (the file's size).
   */
  size?: number;
  /**
   * The message may hold 8-bit bytes (BODY=8BITMIME when the server offers it). Found out from a
   * Buffer; for a stream the default is true, which only tells the server to expect them.
   */
  eightBit?: boolean;
  /**
   * Called once the server has read the whole message, just before the final dot goes out; the
   * dot waits until it resolves (a rejection stops the send with nothing more sent). The outbox
   * records "the dot is going" durably here, so that after a crash it can tell a message cut
   * off before its final dot (send again) from one that may have reached the server.
   */
  beforeFinalDot?: () => Promise<void>;
  /**
   * Called once the server answered the final dot with 2xx, before QUIT goes out; QUIT waits for
   * it. The outbox records the acceptance durably here, so that a crash after the 250 finds the
   * message sent rather than "may have been sent". Its failure is the caller's to handle: the
   * message was accepted all the same, and sendRaw still resolves.
   */
  onAccepted?: (result: SendResult) => Promise<void>;
}

export interface SendResult {
  /** Recipients the server took. */
  accepted: string[];
  /** Recipients the server refused while the others were taken (the message went to the rest). */
  rejected: RecipientRefusal[];
  /** The server's answer to the final dot, e.g. "250 2.0.0 Ok: queued as 4XbT1k2Hrvz9t". */
  response: string;
  /** The message's own Message-ID header ("<…@…>"), when it has one. */
  messageId?: string;
  /** The server's queue id from its answer, when it names one. */
  serverId?: string;
  /** What its EHLO said of the largest message (SIZE): bytes, 0 for no fixed limit, null when not offered. */
  sizeLimit?: number | null;
}

export interface ProbeResult extends SmtpCapabilities {
  /** The connection was encrypted (implicit TLS, or STARTTLS done). */
  secure: boolean;
  /** The server certificate's SHA-256 fingerprint, on an encrypted connection. */
  fingerprint256?: string;
  /** Logged in with the settings' credentials (a probe without credentials does not try). */
  authenticated: boolean;
  /** The EHLO keyword lines as the server sent them. */
  ehlo: string[];
}

const HEADER_SNIFF_LIMIT = 256 * 1024;

/** The Message-ID header of a header block, unfolded; undefined when there is none. */
export function messageIdOf(head: Buffer): string | undefined {
  const text = head.toString('latin1');
  const blank = /\r?\n\r?\n/.exec(text);
  const block = (blank ? text.slice(0, blank.index) : text).replace(/\r?\n[ \t]+/g, ' ');
  const m = /^message-id:[ \t]*(.*?)[ \t]*$/im.exec(block);
  return m && m[1] ? m[1] : undefined;
}

/** Passes the message through untouched, keeping its header block for the Message-ID. */
class HeaderSniffer extends Transform {
  private head: Buffer[] = [];
  private headBytes = 0;

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    if (this.headBytes < HEADER_SNIFF_LIMIT) {
      this.head.push(chunk.subarray(0, HEADER_SNIFF_LIMIT - this.headBytes));
      this.headBytes += chunk.length;
    }
    cb(null, chunk);
  }

  messageId(): string | undefined {
    return messageIdOf(Buffer.concat(this.head));
  }
}

/**
 * The message as nodemailer reads it, its end held back until `hook` resolved. A stream made
 * from a generator reads at most one chunk ahead of its reader, so the generator resumes after
 * its last chunk only once nodemailer's data stream has taken that chunk (after the server's 354);
 * nodemailer appends the final dot only after this stream ends.
 */
function finalDotGate(message: Readable, hook: () => Promise<void>): Readable {
  async function* gated(): AsyncGenerator<Buffer> {
    for await (const chunk of message) yield chunk as Buffer;
    await hook();
  }
  return Readable.from(gated());
}

/**
 * Moves the session's stage along with what really went to the server. nodemailer pipes its
 * dot-stuffing stream into the socket once DATA was answered with 354: from then on it is
 * `data`. That stream ends once its last chunk, the final dot, was handed to socket.write().
 * An empty write queued behind it completes only when everything before it went to the
 * operating system: from then the server may have the dot, `final-reply`. A connection lost
 * while the dot still sat in our buffer never sent it (and a chunk of any size can sit there:
 * backpressure works per chunk, not per byte), so that stays `data`: safe to send again.
 */
function trackData(session: SmtpSession): () => void {
  const socket = session.connection._socket;
  if (!socket) return () => undefined;
  let active = true;
  const onPipe = (src: Readable) => {
    session.stage = 'data';
    src.once('end', () => {
      if (!active || socket.destroyed || socket.writableEnded) return;
      socket.write(Buffer.alloc(0), (err) => {
        if (!err && active) session.stage = 'final-reply';
      });
    });
  };
  socket.once('pipe', onPipe);
  return () => {
    active = false;
    socket.off('pipe', onPipe);
  };
}

const hasEightBit = (b: Buffer): boolean => !isAscii(b);
// eslint-disable-next-line no-control-regex
const nonAscii = (s: string): boolean => /[^\x00-\x7f]/.test(s);

/** "250 2.0.0 Ok: queued as 4XbT1k2Hrvz9t" → "4XbT1k2Hrvz9t" (Postfix, Exim's "id=", Sendmail's "… Message accepted"). */
function serverIdOf(response: string): string | undefined {
  const m = /queued as ([A-Za-z0-9._-]+)/i.exec(response) ?? /\bid=([A-Za-z0-9._-]+)/i.exec(response) ?? /^250 [\d.]+ ([A-Za-z0-9]{6,}) Message accepted/i.exec(response);
  return m?.[1];
}

/**
 * Connect, log in, send one message, QUIT. Resolves once the server answered the final dot with
 * 2xx; every failure is an SmtpError with the stage it happened in.
 */
export async function sendRaw(settings: SmtpSettings, message: RawMessage): Promise<SendResult> {
  if (message.to.length === 0) throw new SmtpError('invalid', 'the message has no recipients', { stage: 'connect' });
  const session = await openSession(settings);
  try {
    return await sendOn(session, message);
  } finally {
    // After a 250 the message is the server's; QUIT failing changes nothing.
    session.quit();
  }
}

async function sendOn(session: SmtpSession, message: RawMessage): Promise<SendResult> {
  const caps = parseEhlo(session.ehlo);
  const international = [message.from, ...message.to].filter(nonAscii);
  if (international.length && !caps.smtpUtf8) {
    // Refused before MAIL FROM, for good ('unsupported' is not retried): trying later will not
    // change what the server offers. The words name the addresses, so the user knows what to change.
    const who = international.length === 1 ? `${international[0]} needs` : `${international.slice(0, -1).join(', ')} and ${international.at(-1)} need`;
    throw new SmtpError('unsupported', `${who} a server that accepts international addresses (SMTPUTF8); this one (${session.where}) does not`, { stage: 'envelope' });
  }
  const size = message.size ?? (Buffer.isBuffer(message.raw) ? message.raw.length : undefined);
  const eightBit = message.eightBit ?? (Buffer.isBuffer(message.raw) ? hasEightBit(message.raw) : true);
  session.stage = 'envelope';
  const progress = new HeaderSniffer();
  const source = Buffer.isBuffer(message.raw) ? Readable.from([message.raw]) : message.raw;
  // A source that fails (a file read error) fails `progress`, which nodemailer reports as ESTREAM.
  pipeline(source, progress, () => undefined);
  const gate = message.beforeFinalDot ? finalDotGate(progress, message.beforeFinalDot) : null;
  const untrack = trackData(session);

  const info = await new Promise<{ accepted: string[]; rejected: string[]; rejectedErrors?: NodemailerErrorFields[]; response: string }>((resolve, reject) => {
    session.failed.then(reject, reject);
    session.connection.send(
      {
        from: message.from,
        to: message.to,
        ...(size !== undefined ? { size } : {}),
        ...(eightBit ? { use8BitMime: true } : {}),
      },
      gate ?? progress,
      (err, result) => {
        if (err) {
          // EMESSAGE on DATA is the server's answer to the final dot (the DATA command's own
          // refusal is EENVELOPE): it had the dot, even if our write's completion is still queued.
          const answeredDot = err.code === 'EMESSAGE' && err.command === 'DATA' && typeof err.responseCode === 'number';
          reject(fromNodemailer(err, answeredDot ? 'final-reply' : session.stage, session.where));
          return;
        }
        resolve(result);
      },
    );
  }).catch((e: unknown) => {
    untrack();
    progress.destroy();
    gate?.destroy();
    const failure = e instanceof SmtpError ? e : fromNodemailer(e, session.stage, session.where);
    // Inside DATA, or after a dot that got no answer, nothing more may go out (a QUIT would be
    // read as the message's text): close. Otherwise sendRaw's QUIT ends the session politely.
    if (failure.stage === 'data' || failure.maybeSent) session.close();
    throw failure;
  });

  untrack();
  const rejectedErrors = info.rejectedErrors ?? [];
  const rejected: RecipientRefusal[] = info.rejected.map((address) => {
    const err = rejectedErrors.find((r) => r.recipient === address);
    return err ? refusalOf(err, address) : { address, code: 'rejected' as const };
  });
  const messageId = progress.messageId();
  const serverId = serverIdOf(info.response);
  const result: SendResult = {
    accepted: info.accepted,
    rejected,
    response: info.response,
    ...(messageId ? { messageId } : {}),
    ...(serverId ? { serverId } : {}),
    sizeLimit: caps.sizeLimit,
  };
  if (message.onAccepted) await message.onAccepted(result).catch(() => undefined);
  return result;
}

/**
 * What the server offers, as a client sees it after TLS (and, with credentials in the
 * settings, whether they are accepted). Sends no message.
 */
export async function probe(settings: SmtpSettings): Promise<ProbeResult> {
  const session = await openSession(settings);
  try {
    const caps = parseEhlo(session.ehlo);
    return {
      ...caps,
      startTls: caps.startTls || session.offeredStartTls,
      secure: session.secure,
      ...(session.fingerprint256 ? { fingerprint256: session.fingerprint256 } : {}),
      authenticated: session.authenticated,
      ehlo: [...session.ehlo],
    };
  } finally {
    session.quit();
  }
}
