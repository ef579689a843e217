/**
 * Typed POP3 errors. Every failure the client reports is a Pop3Error with a `code` the sync
 * engine and the UI can act on (DESIGN §7); the server's own response code (RFC 2449 §8) and
 * text are kept alongside, never dropped.
 */

import type { ErrorCode } from '../../../shared/errors.js';
import type { TypedFailure } from '../errors.js';

/**
 * The codes a POP3 session can end with: not `storage` (the mail store's) nor the codes of
 * accounts and their input (`invalid`, `not-found`, `secret`). See shared/errors.ts for meanings.
 */
export type Pop3ErrorCode = Exclude<ErrorCode, 'storage' | 'invalid' | 'not-found' | 'secret'>;

export interface Pop3ErrorDetails {
  /** The RFC 2449 response code as the server sent it, e.g. "SYS/TEMP" or "IN-USE". */
  respCode?: string;
  /** The human-readable text of the server's reply (never contains our secrets). */
  serverText?: string;
  /** The command verb that failed (e.g. "RETR 3", "PASS"), with secrets removed. */
  command?: string;
  /** SHA-256 fingerprint of the certificate the server presented ("AB:CD:…"). */
  fingerprint256?: string;
  /** The certificate that was expected instead (the pin, or the last one seen), when it changed. */
  expectedFingerprint256?: string;
  /** Seconds before a new login may succeed (from [LOGIN-DELAY] or the LOGIN-DELAY capability). */
  retryAfterSeconds?: number;
  cause?: unknown;
}

export class Pop3Error extends Error implements TypedFailure {
  override readonly name = 'Pop3Error';
  readonly code: Pop3ErrorCode;
  readonly respCode?: string;
  readonly serverText?: string;
  readonly command?: string;
  readonly fingerprint256?: string;
  readonly expectedFingerprint256?: string;
  readonly retryAfterSeconds?: number;

  constructor(code: Pop3ErrorCode, message: string, details: Pop3ErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    if (details.respCode !== undefined) this.respCode = details.respCode;
    if (details.serverText !== undefined) this.serverText = details.serverText;
    if (details.command !== undefined) this.command = details.command;
    if (details.fingerprint256 !== undefined) this.fingerprint256 = details.fingerprint256;
    if (details.expectedFingerprint256 !== undefined) this.expectedFingerprint256 = details.expectedFingerprint256;
    if (details.retryAfterSeconds !== undefined) this.retryAfterSeconds = details.retryAfterSeconds;
  }

  /** Worth trying again later without asking the user anything. */
  get retryable(): boolean {
    return (
      this.code === 'network' ||
      this.code === 'timeout' ||
      this.code === 'in-use' ||
      this.code === 'login-delay' ||
      this.code === 'sys-temp'
    );
  }
}

/**
 * Also one made by another copy of this module: the CLI's quick paths run from a script of their
 * own (cli/quick-script.ts), and a session they hand over fails in the full path with their errors.
 */
export function isPop3Error(e: unknown): e is Pop3Error {
  return e instanceof Pop3Error || (e instanceof Error && e.name === 'Pop3Error' && typeof (e as { code?: unknown }).code === 'string');
}

const RESP_CODE = /^\[([^\]\s]{1,64})\]\s?/;

/**
 * Server text is untrusted: control characters (and bidi overrides) must not reach a log line
 * or the UI as such, and its length is bounded.
 */
export function sanitizeServerText(s: string, max = 200): string {
  // eslint-disable-next-line no-control-regex
  const clean = s.replace(/[\x00-\x1f\x7f\u202a-\u202e\u2066-\u2069]/g, '?');
  return clean.length > max ? `${clean.slice(0, max)}…` : clean;
}

/** The codes we act on; RFC 2449 §8: unknown sub-levels fall back to their known parent. */
const KNOWN_CODES: Record<string, Pop3ErrorCode> = {
  AUTH: 'auth',
  'IN-USE': 'in-use',
  'LOGIN-DELAY': 'login-delay',
  'SYS/TEMP': 'sys-temp',
  'SYS/PERM': 'sys-perm',
};

function codeFor(respCode: string): Pop3ErrorCode | undefined {
  const parts = respCode.split('/');
  for (let n = parts.length; n > 0; n--) {
    const known = KNOWN_CODES[parts.slice(0, n).join('/')];
    if (known) return known;
  }
  return undefined;
}

/** Split "[SYS/TEMP] try later" into the code and the text. */
export function parseRespCode(text: string): { respCode?: string; text: string } {
  const m = RESP_CODE.exec(text);
  if (!m || m[1] === undefined) return { text };
  return { respCode: m[1].toUpperCase(), text: text.slice(m[0].length) };
}

/**
 * Map a -ERR reply to an error code. `context` is what the code would be without a response
 * code: a failed login means `auth`, a refused RETR means `command`. Unknown codes and unknown
 * sub-levels keep the context's code (RFC 2449 §8: ignore what you don't understand) while
 * `respCode` still carries them to the caller.
 */
export function errorFromReply(
  text: string,
  context: Pop3ErrorCode,
  command: string | undefined,
): Pop3Error {
  const { respCode, text: rest } = parseRespCode(text);
  const code: Pop3ErrorCode = (respCode !== undefined ? codeFor(respCode) : undefined) ?? context;
  const what = command ? `${command}: ` : '';
  return new Pop3Error(code, `${what}server said -ERR ${sanitizeServerText(text)}`.trim(), {
    ...(respCode !== undefined ? { respCode } : {}),
    serverText: sanitizeServerText(rest, 1000),
    ...(command !== undefined ? { command } : {}),
  });
}
