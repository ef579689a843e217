/**
 * Failures of a connection itself, whichever protocol runs over it (POP3 now, SMTP later):
 * the codes of shared/errors.ts that a socket can end with, and the certificate's
 * fingerprints so the UI can show what changed. A protocol client turns these into its own
 * error type at its boundary, keeping code, message and fields.
 */
import type { ErrorCode } from '../../../shared/errors.js';
import type { TypedFailure } from '../errors.js';

const NET_CODES = ['network', 'timeout', 'cancelled', 'tls', 'certificate'] as const satisfies readonly ErrorCode[];
export type NetErrorCode = (typeof NET_CODES)[number];

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

const IS_NET_CODE: ReadonlySet<unknown> = new Set(NET_CODES);

/** Also one made by another copy of this module (the CLI's quick script has its own; see core/errors.ts isAppFailure). */
export function isNetError(e: unknown): e is NetError {
  return e instanceof NetError || (e instanceof Error && e.name === 'NetError' && IS_NET_CODE.has((e as { code?: unknown }).code));
}
