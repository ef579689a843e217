/**
 * Authentication mechanisms and the choice between them. The exchanges themselves run in the
 * client; what is here is pure: which mechanism to use, and the bytes each step sends.
 */
import crypto from 'node:crypto';
import type { AuthMechanism } from '../../../shared/accounts.js';
import { AUTH_MECHANISM_NAMES } from '../../../shared/auth-mechanisms.js';
import type { Capabilities } from './capabilities.js';
import { Pop3Error } from './errors.js';

export type { AuthMechanism };

export const AUTH_MECHANISMS: readonly AuthMechanism[] = AUTH_MECHANISM_NAMES;

export interface Credentials {
  user: string;
  password?: string;
  /** OAuth2 access token for XOAUTH2; comes from the caller, never stored by the client. */
  oauth2Token?: string;
  /** Use exactly this mechanism instead of choosing. */
  mechanism?: AuthMechanism;
  /** Allow a password in clear text over a connection without TLS. Off unless the user says so. */
  allowInsecure?: boolean;
  /** Told when the server refused these credentials (a kept password is then asked for afresh). */
  onRefused?: () => void;
  /**
   * For a kept password (not freshly asked for): asked once when the server refuses it, gives
   * the login to try instead on the same connection, or undefined when there is no other.
   */
  refresh?: () => Promise<Credentials | undefined>;
}

/** Mechanisms that put the secret itself on the wire. */
const CLEAR: ReadonlySet<AuthMechanism> = new Set(['PLAIN', 'LOGIN', 'USER', 'XOAUTH2']);

/**
 * Without TLS, strongest first: challenge-response never reveals the password, even to a fake server. On a
 * connection without TLS it still hands an eavesdropper a digest to guess the password from
 * offline (APOP and CRAM-MD5 are MD5), so there every password mechanism needs the account's
 * explicit insecure-login opt-in, like a clear password.
 */
const PASSWORD_ORDER: readonly AuthMechanism[] = ['CRAM-MD5', 'APOP', 'PLAIN', 'LOGIN', 'USER'];

/**
 * On a verified TLS channel (implicit TLS or STLS whose certificate the CA chain and host name,
 * or the pin, vouched for: an unverified handshake never gets this far, net/tls.ts checkPeer)
 * only the server can read the password, so PLAIN comes first: one round trip with its initial
 * response and no hash, where CRAM-MD5 takes two and protects nothing more. PLAIN was already
 * the fallback there, so an account that logs in at all logs in the same way.
 */
const VERIFIED_TLS_ORDER: readonly AuthMechanism[] = ['PLAIN', 'CRAM-MD5', 'APOP', 'LOGIN', 'USER'];

export function offeredMechanisms(caps: Capabilities | null, apopTimestamp: string | null): Set<AuthMechanism> {
  const offered = new Set<AuthMechanism>();
  if (apopTimestamp) offered.add('APOP');
  // Without CAPA (RFC 1939 servers) USER/PASS is the one mechanism every server has.
  if (!caps || caps.user) offered.add('USER');
  for (const m of caps?.sasl ?? []) {
    if (m === 'PLAIN' || m === 'LOGIN' || m === 'CRAM-MD5' || m === 'XOAUTH2') offered.add(m);
  }
  return offered;
}

/**
 * The mechanisms to try, best first. Usually one; a challenge-response mechanism is followed
 * by a clear one on a secure channel, because servers offer CRAM-MD5/APOP even for accounts
 * whose stored password cannot serve them.
 */
export function chooseMechanisms(
  creds: Credentials,
  caps: Capabilities | null,
  apopTimestamp: string | null,
  /** Encrypted with a verified certificate (every TLS socket the client keeps is: net/tls.ts). */
  secure: boolean,
): AuthMechanism[] {
  const offered = offeredMechanisms(caps, apopTimestamp);
  const unencryptedAllowed = secure || creds.allowInsecure === true;

  if (creds.mechanism) {
    const m = creds.mechanism;
    // A named mechanism is tried even if CAPA does not list it: servers under-report.
    if (m === 'APOP' && !apopTimestamp) {
      throw new Pop3Error('unsupported', 'APOP was chosen but the server did not send an APOP timestamp in its greeting');
    }
    if (!unencryptedAllowed) throw insecure(m);
    return [m];
  }

  if (creds.oauth2Token !== undefined) {
    if (!offered.has('XOAUTH2')) throw new Pop3Error('unsupported', 'the server does not offer XOAUTH2 (OAuth2) login');
    if (!unencryptedAllowed) throw insecure('XOAUTH2');
    return ['XOAUTH2'];
  }

  return pick(secure ? VERIFIED_TLS_ORDER : PASSWORD_ORDER, offered, unencryptedAllowed);
}

function pick(order: readonly AuthMechanism[], offered: Set<AuthMechanism>, unencryptedAllowed: boolean): AuthMechanism[] {
  const usable = order.filter((m) => offered.has(m));
  if (usable.length === 0) throw new Pop3Error('unsupported', 'the server offers no login mechanism Popbox supports');
  if (!unencryptedAllowed) throw insecure(usable[0]!);
  const first = usable[0]!;
  if (first === 'CRAM-MD5' || first === 'APOP') {
    const fallback = usable.find((m) => CLEAR.has(m));
    if (fallback) return [first, fallback];
  }
  return [first];
}

/**
 * After a one-line AUTH PLAIN (its response on the AUTH line, RFC 5034) that the server answered
 * with a -ERR carrying no response code: maybe a server of the older RFC 1734 form, which does
 * not take a response there. Then PLAIN once more in the two-step form (AUTH PLAIN, "+", the
 * response), and nothing after it: at a server without AUTH-RESP-CODE a wrong password gets the
 * same bare -ERR, and each further mechanism would be one more refused login counted against the
 * account (some servers lock it after a few).
 */
export function mechanismsAfterInitialResponse(): AuthMechanism[] {
  return ['PLAIN'];
}

function insecure(m: AuthMechanism): Pop3Error {
  const risk = CLEAR.has(m) ? 'would send the password unencrypted' : 'without encryption would let an eavesdropper guess the password offline';
  return new Pop3Error('insecure', `logging in with ${m} ${risk}; use TLS, or allow insecure login for this account`);
}

/** RFC 1939 §7: the timestamp is a msg-id ("<...@...>") somewhere in the greeting. Bounded. */
export function parseApopTimestamp(greeting: string): string | null {
  if (greeting.length > 1024) return null;
  const m = /<[\x21-\x3b\x3d\x3f-\x7e]{1,200}@[\x21-\x3b\x3d\x3f-\x7e]{1,200}>/.exec(greeting);
  return m ? m[0] : null;
}

export function apopDigest(timestamp: string, password: string): string {
  return crypto.createHash('md5').update(timestamp + password, 'utf8').digest('hex');
}

export function cramMd5Response(user: string, password: string, challengeB64: string): string {
  const challenge = Buffer.from(challengeB64, 'base64');
  const digest = crypto.createHmac('md5', Buffer.from(password, 'utf8')).update(challenge).digest('hex');
  return Buffer.from(`${user} ${digest}`, 'utf8').toString('base64');
}

/** RFC 5034 §4: an AUTH line with its initial response stays within 255 octets. */
export function fitsOnAuthLine(mech: string, initial: string): boolean {
  return `AUTH ${mech} ${initial}\r\n`.length <= 255;
}

export function plainResponse(user: string, password: string): string {
  return Buffer.from(`\0${user}\0${password}`, 'utf8').toString('base64');
}

export function xoauth2Response(user: string, token: string): string {
  return Buffer.from(`user=${user}\x01auth=Bearer ${token}\x01\x01`, 'utf8').toString('base64');
}

export function b64(s: string): string {
  return Buffer.from(s, 'utf8').toString('base64');
}
