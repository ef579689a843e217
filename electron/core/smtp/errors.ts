/**
 * Typed SMTP errors. Every failure of sending or probing is an SmtpError with a code the outbox
 * and the UI act on (DESIGN §7), the server's reply kept alongside, and — for the outbox —
 * where in the exchange it happened: whether the message may have reached the server decides
 * between "send it again" and "may have been sent" (DESIGN §3, invariant 9).
 *
 * nodemailer reports failures as Errors with `code` (ECONNECTION, EAUTH, EENVELOPE, …),
 * `command` (the SMTP command in flight, 'CONN' for the connection, 'API' for a local refusal),
 * `response`/`responseCode` (the server's reply) and, for refused recipients, `rejectedErrors`.
 * Those fields do not say whether the final dot went out: that comes from the client's own
 * record of the stage it had reached (client.ts), handed to fromNodemailer().
 */
import type { ErrorCode } from '../../../shared/errors.js';
import type { TypedFailure } from '../errors.js';
import type { NetError } from '../net/errors.js';

/** The codes an SMTP exchange can end with; see shared/errors.ts for their meanings. */
export type SmtpErrorCode = Extract<
  ErrorCode,
  | 'auth'
  | 'tls'
  | 'certificate'
  | 'network'
  | 'timeout'
  | 'protocol'
  | 'rejected'
  | 'size'
  | 'sys-temp'
  | 'insecure'
  | 'unsupported'
  | 'invalid'
  | 'cancelled'
  | 'storage'
>;

/**
 * How far the exchange had got when it failed:
 * - `connect`: TCP, TLS, the greeting, EHLO, STARTTLS (nothing about the message was said);
 * - `auth`: logging in;
 * - `envelope`: MAIL FROM, RCPT TO, DATA (the server has not seen a byte of the message);
 * - `data`: the message's bytes were going out; the final dot had not;
 * - `final-reply`: the whole message and the final dot were handed to the connection, and the
 *   server's answer to it was awaited.
 */
export type SmtpStage = 'connect' | 'auth' | 'envelope' | 'data' | 'final-reply';

/** A recipient the server refused, with its reply. */
export interface RecipientRefusal {
  address: string;
  /** `rejected` for a 5xx reply, `sys-temp` for a 4xx one (try again later). */
  code: 'rejected' | 'sys-temp';
  responseCode?: number;
  /** The server's reply, sanitized. */
  serverText?: string;
}

export interface SmtpErrorDetails {
  stage: SmtpStage;
  /** The reply's number, e.g. 552. */
  responseCode?: number;
  /** The RFC 3463 enhanced status code, e.g. "5.3.4". */
  enhancedCode?: string;
  /** The server's reply text, sanitized (never contains our secrets). */
  serverText?: string;
  /** The SMTP command that failed ("RCPT TO", "DATA", "AUTH PLAIN", …), when there was one. */
  command?: string;
  /** The recipients the server refused, when that is why the message failed. */
  recipients?: RecipientRefusal[];
  fingerprint256?: string;
  expectedFingerprint256?: string;
  cause?: unknown;
}

export class SmtpError extends Error implements TypedFailure {
  override readonly name = 'SmtpError';
  readonly code: SmtpErrorCode;
  readonly stage: SmtpStage;
  readonly responseCode?: number;
  readonly enhancedCode?: string;
  readonly serverText?: string;
  readonly command?: string;
  readonly recipients?: RecipientRefusal[];
  readonly fingerprint256?: string;
  readonly expectedFingerprint256?: string;

  constructor(code: SmtpErrorCode, message: string, details: SmtpErrorDetails) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.stage = details.stage;
    if (details.responseCode !== undefined) this.responseCode = details.responseCode;
    if (details.enhancedCode !== undefined) this.enhancedCode = details.enhancedCode;
    if (details.serverText !== undefined) this.serverText = details.serverText;
    if (details.command !== undefined) this.command = details.command;
    if (details.recipients !== undefined) this.recipients = details.recipients;
    if (details.fingerprint256 !== undefined) this.fingerprint256 = details.fingerprint256;
    if (details.expectedFingerprint256 !== undefined) this.expectedFingerprint256 = details.expectedFingerprint256;
  }

  /** The final dot was (or may have been) sent: the failure came while its answer was awaited. */
  get afterFinalDot(): boolean {
    return this.stage === 'final-reply';
  }

  /**
   * The server may have accepted the message: the final dot went out and no answer came back.
   * Such a message must not be sent again without the user's say (invariant 9). When the server
   * did answer the final dot with a refusal, it has not taken the message: not "may have been sent".
   */
  get maybeSent(): boolean {
    return this.stage === 'final-reply' && this.responseCode === undefined;
  }

  /** Worth trying again later without asking the user anything (and without risking a second copy). */
  get retryable(): boolean {
    return !this.maybeSent && (this.code === 'network' || this.code === 'timeout' || this.code === 'sys-temp');
  }
}

export function isSmtpError(e: unknown): e is SmtpError {
  return e instanceof SmtpError;
}

/**
 * Server text is untrusted: control characters (and bidi overrides) must not reach a log line
 * or the UI as such, and its length is bounded. Multi-line replies keep their lines, joined.
 */
export function sanitizeServerText(s: string, max = 300): string {
  // eslint-disable-next-line no-control-regex
  const clean = s.replace(/\r?\n/g, ' ').replace(/[\x00-\x1f\x7f\u202a-\u202e\u2066-\u2069]/g, '?');
  return clean.length > max ? `${clean.slice(0, max)}…` : clean;
}

/** "552-5.3.4 first\r\n552 5.3.4 second" → the number, the enhanced code and the text of all lines. */
export function parseReply(response: string): { responseCode?: number; enhancedCode?: string; text: string } {
  const lines = response.split(/\r?\n/).filter((l) => l.length > 0);
  const first = /^(\d{3})[ -]?/.exec(lines[0] ?? '');
  const responseCode = first ? Number(first[1]) : undefined;
  const texts = lines.map((l) => l.replace(/^\d{3}[ -]?/, ''));
  const enhanced = /^([245]\.\d{1,3}\.\d{1,3})\s+/.exec(texts[0] ?? '');
  const text = texts.map((t) => t.replace(/^[245]\.\d{1,3}\.\d{1,3}\s+/, '')).join(' ').trim();
  return {
    ...(responseCode !== undefined ? { responseCode } : {}),
    ...(enhanced ? { enhancedCode: enhanced[1] } : {}),
    text,
  };
}

/** The fields nodemailer puts on its errors (NodemailerError), read defensively. */
export interface NodemailerErrorFields {
  message?: string;
  code?: string;
  originalCode?: string;
  command?: string;
  response?: string;
  responseCode?: number;
  rejected?: string[];
  rejectedErrors?: NodemailerErrorFields[];
  recipient?: string;
}

/**
 * RFC 3463 x.3.4 "message too big for system" and x.2.3 "message length exceeds administrative
 * limit"; without an enhanced code, 552 where only the size can be meant (MAIL FROM, the final
 * dot). 552 at RCPT TO is a full mailbox, a refusal of that recipient.
 */
function isSizeReply(responseCode: number | undefined, enhancedCode: string | undefined, command: string | undefined): boolean {
  if (enhancedCode) return /^[45]\.(3\.4|2\.3)$/.test(enhancedCode);
  return responseCode === 552 && command !== 'RCPT TO';
}

/** The code for a reply the server sent: 4xx temporary, 5xx for good (size refusals apart). */
function codeForReply(responseCode: number, enhancedCode: string | undefined, command: string | undefined, otherwise: SmtpErrorCode): SmtpErrorCode {
  if (isSizeReply(responseCode, enhancedCode, command)) return 'size';
  if (responseCode >= 400 && responseCode < 500) return 'sys-temp';
  if (responseCode >= 500 && responseCode < 600) return otherwise;
  return 'protocol';
}

function recipientRefusals(e: NodemailerErrorFields): RecipientRefusal[] | undefined {
  if (!Array.isArray(e.rejectedErrors) || e.rejectedErrors.length === 0) {
    return Array.isArray(e.rejected) && e.rejected.length ? e.rejected.map((address) => ({ address: String(address), code: 'rejected' as const })) : undefined;
  }
  return e.rejectedErrors.map((r) => refusalOf(r, String(r.recipient ?? '')));
}

/** One refused recipient from nodemailer's per-recipient error (or its reply text). */
export function refusalOf(r: NodemailerErrorFields, address: string): RecipientRefusal {
  const reply = typeof r.response === 'string' ? parseReply(r.response) : undefined;
  const responseCode = typeof r.responseCode === 'number' ? r.responseCode : reply?.responseCode;
  return {
    address,
    code: responseCode !== undefined && responseCode >= 400 && responseCode < 500 ? 'sys-temp' : 'rejected',
    ...(responseCode !== undefined ? { responseCode } : {}),
    ...(reply ? { serverText: sanitizeServerText(reply.text) } : {}),
  };
}

const NETWORK_CODES = new Set(['ECONNECTION', 'ESOCKET', 'EDNS', 'EPROXY']);

/**
 * A nodemailer error as an SmtpError. `stage` is how far the client had got (client.ts keeps
 * it); `where` ("host:port") goes into messages. A reply from the server always decides the
 * code; without one, nodemailer's own code does.
 */
export function fromNodemailer(err: unknown, stage: SmtpStage, where: string): SmtpError {
  if (err instanceof SmtpError) return err;
  const e: NodemailerErrorFields = typeof err === 'object' && err !== null ? (err as NodemailerErrorFields) : { message: String(err) };
  const nmCode = typeof e.code === 'string' ? e.code : '';
  const command = typeof e.command === 'string' && e.command !== 'CONN' && e.command !== 'API' ? e.command : undefined;
  const reply = typeof e.response === 'string' && e.response ? parseReply(e.response) : undefined;
  const responseCode = typeof e.responseCode === 'number' ? e.responseCode : reply?.responseCode;
  const enhancedCode = reply?.enhancedCode;
  const serverText = reply ? sanitizeServerText(reply.text) : undefined;
  const recipients = recipientRefusals(e);
  const said = serverText !== undefined ? `: the server said ${responseCode ?? ''} ${serverText}`.replace(/ {2,}/g, ' ') : '';

  let code: SmtpErrorCode;
  let message: string;
  switch (nmCode) {
    case 'EAUTH':
    case 'ENOAUTH':
    case 'EOAUTH2':
      code = responseCode === undefined ? 'auth' : responseCode === 538 ? 'insecure' : responseCode < 500 ? 'sys-temp' : 'auth';
      message = code === 'sys-temp' ? `logging in to ${where} failed for now${said}` : `${where} refused the user name or password${said}`;
      break;
    case 'ETLS':
      code = 'tls';
      message = `TLS with ${where} failed${said || `: ${sanitizeServerText(String(e.message ?? ''))}`}`;
      break;
    case 'ETIMEDOUT':
      code = 'timeout';
      message = `${where} did not answer in time`;
      break;
    case 'EPROTOCOL':
      code = 'protocol';
      message = `${where} broke the SMTP protocol${said}`;
      break;
    case 'EABORT':
      code = 'cancelled';
      message = `sending through ${where} was cancelled`;
      break;
    case 'ESTREAM':
      // Our own message file could not be read: nothing went out after what was read.
      code = 'storage';
      message = `the message could not be read while sending it: ${sanitizeServerText(String(e.message ?? ''))}`;
      break;
    case 'EREQUIRETLS':
      code = 'unsupported';
      message = `${where} does not offer what the message needs: ${sanitizeServerText(String(e.message ?? ''))}`;
      break;
    case 'EENVELOPE':
    case 'EMESSAGE':
      if (responseCode !== undefined) {
        code = codeForReply(responseCode, enhancedCode, command, 'rejected');
        const what = command === 'RCPT TO' ? (recipients?.length ? `refused ${recipients.map((r) => r.address).join(', ')}` : 'refused the recipients') : command === 'MAIL FROM' ? 'refused the sender' : 'refused the message';
        message = code === 'size' ? `the message is larger than ${where} accepts${said}` : `${where} ${what}${said}`;
      } else if ((nmCode === 'EMESSAGE' && e.command === 'MAIL FROM') || /size larger than allowed/i.test(String(e.message ?? ''))) {
        // nodemailer's own check against the SIZE the server announced ("Message size larger
        // than allowed N", the only EMESSAGE it raises at MAIL FROM): nothing was sent.
        code = 'size';
        message = `the message is larger than ${where} accepts (${sanitizeServerText(String(e.message ?? ''))})`;
      } else {
        // Refused before anything was sent: no recipients, an address nodemailer will not put on the wire.
        code = 'invalid';
        message = sanitizeServerText(String(e.message ?? 'the message or its addresses are not valid'));
      }
      break;
    default:
      if (responseCode !== undefined) {
        code = responseCode === 421 || (responseCode >= 400 && responseCode < 500) ? 'sys-temp' : 'protocol';
        message = `${where} ended the session${said}`;
      } else if (NETWORK_CODES.has(nmCode)) {
        code = 'network';
        message = `the connection to ${where} was lost${e.originalCode ? ` (${e.originalCode})` : ''}`;
      } else if (nmCode === 'ECONFIG') {
        code = 'invalid';
        message = sanitizeServerText(String(e.message ?? 'invalid SMTP settings'));
      } else {
        code = 'protocol';
        message = `sending through ${where} failed: ${sanitizeServerText(String(e.message ?? 'unknown error'))}`;
      }
  }
  return new SmtpError(code, message, {
    stage,
    ...(responseCode !== undefined ? { responseCode } : {}),
    ...(enhancedCode !== undefined ? { enhancedCode } : {}),
    ...(serverText !== undefined ? { serverText } : {}),
    ...(command !== undefined ? { command } : {}),
    ...(recipients !== undefined ? { recipients } : {}),
    cause: err,
  });
}

/** A failure of the connection itself (core/net) at the given stage, keeping its code and fingerprints. */
export function fromNetError(e: NetError, stage: SmtpStage): SmtpError {
  return new SmtpError(e.code, e.message, {
    stage,
    ...(e.serverText !== undefined ? { serverText: e.serverText } : {}),
    ...(e.fingerprint256 !== undefined ? { fingerprint256: e.fingerprint256 } : {}),
    ...(e.expectedFingerprint256 !== undefined ? { expectedFingerprint256: e.expectedFingerprint256 } : {}),
    cause: e,
  });
}
