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
 * Whether a failure with this code may pass by itself, for each use, in one table so that where
 * the uses differ the reason is written beside it. A new code must take a side in each column.
 * - `check`: a check for mail (sync/scheduler.ts) is tried again later with backoff; otherwise the
 *   account waits for the person (a password, its settings).
 * - `action`: a filter's action (a move, a copy, a forward queued: rules/forward.ts failsForGood)
 *   leaves its message to do, tried again at the next check; otherwise the refusal is said once
 *   and the message counts as done (it would be refused the same way again). A failure without
 *   one of our codes (an I/O error) may pass there too.
 */
export const MAY_PASS = {
  auth: { check: false, action: false }, // the person must type the password again
  'in-use': { check: true, action: true }, // another session has the mailbox; it ends
  'login-delay': { check: true, action: false }, // the server's wait between logins; no action logs in
  'sys-temp': { check: true, action: true },
  'sys-perm': { check: false, action: false },
  tls: { check: false, action: false }, // settings: the security choice
  certificate: { check: false, action: false }, // blocks until the person has seen it (DESIGN §3.8)
  network: { check: true, action: true },
  timeout: { check: true, action: true },
  protocol: { check: true, action: false }, // a server's bad moment is tried again; no action meets a server
  command: { check: true, action: false }, // a -ERR to an ordinary command, the same
  unsupported: { check: false, action: false },
  insecure: { check: false, action: false },
  cancelled: { check: true, action: true }, // stopped, not refused: nothing said it would fail again
  closing: { check: true, action: true }, // refused only because Popbox was closing: after the next start
  storage: { check: true, action: true }, // a full disk is freed
  invalid: { check: false, action: false }, // words that would be refused again (a folder name)
  'not-found': { check: false, action: false },
  exists: { check: false, action: false },
  // A check that cannot get the password stops and the status asks for it (the keychain may be
  // locked for good); a forward, which never asks the person, waits for the next check, by which
  // time the keychain may be open again.
  secret: { check: false, action: true },
  rejected: { check: false, action: false },
  size: { check: false, action: false },
  // Popbox is asking the person something: a forward waits for the next check; a check never asks.
  busy: { check: false, action: true },
} as const satisfies Record<(typeof ERROR_CODES)[number], { check: boolean; action: boolean }>;

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
