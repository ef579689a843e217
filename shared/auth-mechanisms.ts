/**
 * POP3 login mechanisms as a plain list: shared/accounts.ts's AuthMechanism is the schema of it,
 * and the POP3 client reads it here, so the CLI's quick paths (issue 18) start without zod.
 */
export const AUTH_MECHANISM_NAMES = ['XOAUTH2', 'CRAM-MD5', 'APOP', 'PLAIN', 'LOGIN', 'USER'] as const;
