/**
 * Failures of core as typed values (DESIGN §7): a code the UI and the CLI act on, and a message
 * for people that fits on one line. Messages never carry secrets; callers build them from
 * what they know is safe, never from a password or a command's output.
 */
import type { z } from 'zod';
import { ERROR_CODES } from '../../shared/error-codes.js';
import type { AppError, ErrorCode } from '../../shared/errors.js';

// A plain list, not the schema: this module is on the CLI's quick paths, which start without zod.
const CODES: ReadonlySet<unknown> = new Set(ERROR_CODES);

export class AppFailure extends Error {
  override readonly name = 'AppFailure';
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
  }

  /** The form that crosses the IPC boundary (no stack, no cause). */
  toAppError(): AppError {
    return { code: this.code, message: this.message };
  }
}

/**
 * Also one made by another copy of this module (by its name and one of our codes, as
 * pop3/errors.ts isPop3Error does): the CLI's quick paths run from a script of their own
 * (cli/quick-script.ts) with their own copy of what they import, and a failure they hand to the
 * full path must still count as ours, not as a bug.
 */
export function isAppFailure(e: unknown): e is AppFailure {
  return e instanceof AppFailure || (e instanceof Error && e.name === 'AppFailure' && CODES.has((e as { code?: unknown }).code));
}

/**
 * The shape toAppError reads from a protocol's own error (Pop3Error, core/net's NetError, and
 * SMTP's to come) without knowing its class: an Error whose `code` is one of shared/errors.ts's,
 * with whatever the UI can act on alongside.
 */
export interface TypedFailure {
  readonly code: ErrorCode;
  readonly message: string;
  readonly respCode?: string;
  readonly fingerprint256?: string;
  readonly expectedFingerprint256?: string;
  readonly retryAfterSeconds?: number;
}

function isTypedFailure(e: unknown): e is TypedFailure & Error {
  // Node's own errors carry codes too ("ECONNRESET"), never one of ours.
  return e instanceof Error && CODES.has((e as { code?: unknown }).code);
}

/**
 * Any failure as the value that crosses to the UI: a typed one with everything the UI can act
 * on (a POP3 response code, a certificate's fingerprint, when to retry); anything else is a bug
 * and becomes `storage` with `otherwise` as its message.
 */
export function toAppError(e: unknown, otherwise: string): AppError {
  if (isAppFailure(e)) return e.toAppError();
  if (isTypedFailure(e)) {
    const { respCode, fingerprint256, expectedFingerprint256, retryAfterSeconds } = e;
    return {
      code: e.code,
      message: e.message,
      ...(typeof respCode === 'string' && respCode ? { respCode } : {}),
      ...(typeof fingerprint256 === 'string' && fingerprint256 ? { fingerprint256 } : {}),
      ...(typeof expectedFingerprint256 === 'string' && expectedFingerprint256 ? { expectedFingerprint256 } : {}),
      ...(typeof retryAfterSeconds === 'number' ? { retryAfterSeconds } : {}),
    };
  }
  return { code: 'storage', message: otherwise };
}

/** `['accounts', 2, 'port']` → `accounts[2].port`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out;
}

/**
 * The first problem as one line, e.g. `port: must be a whole number from 1 to 65535`. One is
 * enough to act on, and a list would not fit a CLI error line or a form's status.
 */
export function describeZodError(error: z.ZodError, prefix: readonly PropertyKey[] = []): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid input';
  const path = formatPath([...prefix, ...issue.path]);
  // Zod's own text for these is "Unrecognized key: …"; name the field the same way as the rest.
  const message =
    issue.code === 'unrecognized_keys'
      ? `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}`
      : issue.message;
  const line = (path ? `${path}: ${message}` : message).replace(/[\r\n]+/g, ' ');
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}

export function invalidInput(error: z.ZodError): AppFailure {
  return new AppFailure('invalid', describeZodError(error));
}

/** Text from outside (a name someone typed, a stderr line) made safe for a one-line message. */
export function quoteForMessage(s: string, max = 80): string {
  const cut = s.length > max ? `${s.slice(0, max)}…` : s;
  return JSON.stringify(cut);
}
