/**
 * The error codes every layer agrees on (DESIGN §7), as a plain list: shared/errors.ts makes the
 * schema of it, and code that must start without zod (the CLI's quick paths, issue 18) checks a
 * code against this list.
 */
export const ERROR_CODES = [
  'auth', // login refused: ask for the password again
  'in-use', // [IN-USE]: another session has the mailbox; retry later
  'login-delay', // [LOGIN-DELAY]: too soon after the last login; retry after the delay
  'sys-temp', // [SYS/TEMP]: temporary server problem; retry with backoff
  'sys-perm', // [SYS/PERM]: permanent server problem; tell the user
  'tls', // TLS could not be set up (or STLS refused)
  'certificate', // untrusted or changed certificate: show its fingerprint(s); trusting one happens only in the account's settings
  'network', // could not connect, or the connection was lost
  'timeout', // the server did not answer in time
  'protocol', // the server broke the protocol
  'command', // an ordinary command was refused (-ERR)
  'unsupported', // the server lacks something needed (UIDL, a mechanism)
  'insecure', // the password would travel unencrypted
  'cancelled', // the user or the app stopped it (a "no" to main's question, an aborted connection)
  'closing', // Popbox is closing: its sessions refuse new work (CLOSING_MESSAGE); nothing failed, ask again after the next start
  'storage', // the mail store could not write (disk full, permissions)
  'invalid', // bad input: a field, an argument; the message names it
  'not-found', // no such account or message
  'exists', // the destination is already there (saving an attachment never overwrites)
  'secret', // the password could not be obtained: keychain unavailable or locked, password command failed
  'rejected', // the outgoing server refused a recipient or the message for good (5xx); its words are in the message
  'size', // the message is larger than the outgoing server accepts
  'busy', // Popbox is already asking the person something (one native question at a time), or was just told Cancel
] as const;

/**
 * The message of the `closing` error: work asked while Popbox is closing (its sessions refuse new
 * work then). The CLI prints it; the screens say it in their own words (renderer/src/app/closing.ts).
 */
export const CLOSING_MESSAGE = 'Popbox is closing: nothing more is done in the mailbox now (ask again once it is open)';

/**
 * Work refused because Popbox is closing, told by its code alone (not by `instanceof` or the
 * message's words): it may cross a realm (the IPC's ApiError, a copy of a module in the CLI's
 * quick script) and is neither a failure to report nor a person's "no".
 */
export function refusedAtClose(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as { code?: unknown }).code === 'closing';
}
