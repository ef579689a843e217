/**
 * Error codes every layer agrees on (DESIGN §7). The renderer decides what to show and offer
 * from the code alone; the message is for people, the code is for code.
 */
import { z } from 'zod';
import { ERROR_CODES } from './error-codes.js';

export const ErrorCode = z.enum(ERROR_CODES);
export type ErrorCode = z.infer<typeof ErrorCode>;

/** An error as it crosses the IPC boundary. */
export const AppError = z.object({
  code: ErrorCode,
  message: z.string(),
  /** The server's response code (RFC 2449), e.g. "SYS/TEMP". */
  respCode: z.string().optional(),
  /** The fingerprint of the certificate the server presented. */
  fingerprint256: z.string().optional(),
  /**
   * The certificate the account expected (its pin, or the one last seen when the CA chain
   * vouched for it): present when the certificate changed under an existing account.
   */
  expectedFingerprint256: z.string().optional(),
  /** Seconds until a retry can succeed. */
  retryAfterSeconds: z.number().optional(),
});
export type AppError = z.infer<typeof AppError>;
