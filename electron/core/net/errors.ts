/**
 * Failures of a connection itself, whichever protocol runs over it (POP3 now, SMTP later):
 * the codes of shared/errors.ts that a socket can end with, and the certificate's
 * fingerprints so the UI can show what changed. A protocol client turns these into its own
 * error type at its boundary, keeping code, message and fields.
 */
import type { ErrorCode } from '../../../shared/errors.js';
import type { TypedFailure } from '../errors.js';

export type NetErrorCode = Extract<ErrorCode, 'network' | 'timeout' | 'cancelled' | 'tls' | 'certificate'>;

export interface NetErrorDetails {
  /** Why the certificate was not trusted, as the TLS stack said it (never contains secrets). */
  serverText?: string;
  /** SHA-256 fingerprint of the certificate the server presented ("AB:CD:…"). */
  fingerprint256?: string;
  /** The certificate that was expected instead (the pin, or the last one seen), when it changed. */
  expectedFingerprint256?: string;
  cause?: unknown;
}

export class NetError extends Error implements TypedFailure {
  override readonly name = 'NetError';
  readonly code: NetErrorCode;
  readonly serverText?: string;
  readonly fingerprint256?: string;
  readonly expectedFingerprint256?: string;

  constructor(code: NetErrorCode, message: string, details: NetErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    if (details.serverText !== undefined) this.serverText = details.serverText;
    if (details.fingerprint256 !== undefined) this.fingerprint256 = details.fingerprint256;
    if (details.expectedFingerprint256 !== undefined) this.expectedFingerprint256 = details.expectedFingerprint256;
  }
}

export function isNetError(e: unknown): e is NetError {
  return e instanceof NetError;
}
