/**
 * The account rules that need no schema library, as plain values and functions. shared/accounts.ts
 * builds its zod schemas on them, and the CLI's quick paths (issue 18), which start without zod,
 * check accounts.json by the same ones (electron/cli/quick-accounts.ts): one copy, so that
 * `popbox account list` says the same for a bad file whichever path answers (review F9). A rule
 * added to the schema belongs here when the quick paths must know it.
 */

export const SECURITIES = ['tls', 'starttls', 'plain'] as const;
export const SMTP_MECHANISM_NAMES = ['PLAIN', 'LOGIN', 'CRAM-MD5', 'XOAUTH2'] as const;
export const SMTP_AUTHS = ['password', 'none'] as const;

/** Account and identity ids: safe as a keychain entry name and as a directory name. */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
/** Characters a name may not hold: they would break the one-line reports the name is printed in. */
export const NAME_FORBIDDEN = /[\p{Cc}\p{Zl}\p{Zp}\p{Cs}]/u;
export const ACCOUNT_NAME_MAX = 64;
export const HOST_MAX = 253;
/** Host names and IPv4 addresses as zod's z.regexes has them (IPv6 is the schema's alone). */
export const HOSTNAME_PATTERN = /^(?=.{1,253}\.?$)[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[-0-9a-zA-Z]{0,61}[0-9a-zA-Z])?)*\.?$/;
export const IPV4_PATTERN = /^(?:(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])$/;
export const USER_MAX = 256;
/** It goes into USER/AUTH commands: a line break would end the command early. */
// eslint-disable-next-line no-control-regex
export const USER_PATTERN = /^[^\x00-\x1f\x7f]+$/;
/** A SHA-256 fingerprint as people paste it; stored as FINGERPRINT_STORED ("AB:CD:…"). */
export const FINGERPRINT_INPUT = /^(?:[0-9a-fA-F]{64}|[0-9a-fA-F]{2}(?::[0-9a-fA-F]{2}){31})$/;
export const FINGERPRINT_STORED = /^[0-9A-F]{2}(?::[0-9A-F]{2}){31}$/;
export const PASSWORD_COMMAND_MAX = 4096;
export const ADDRESS_MAX = 254;
/** The browser's rule for an account's own address (alice@localhost included), as zod's html5Email. */
export const EMAIL_PATTERN = /^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;
/** Text that goes into a header: one line, no control characters. */
// eslint-disable-next-line no-control-regex
export const HEADER_TEXT_PATTERN = /^[^\x00-\x1f\x7f]*$/;
export const IDENTITY_NAME_MAX = 128;
export const SIGNATURE_MAX = 10_000;
export const IDENTITIES_MAX = 100;
export const CHECK_MINUTES_MAX = 1440;

/** The stored form of a fingerprint: "AB:CD:…" as node's X509Certificate#fingerprint256 prints it. */
export function storedFingerprint(s: string): string {
  return (s.replace(/:/g, '').toUpperCase().match(/../g) ?? []).join(':');
}

export interface RuleProblem {
  path: (string | number)[];
  message: string;
}

const PIN_WITHOUT_TLS = 'pins a TLS certificate, but security is "plain" (no TLS): use "tls" or "starttls", or remove the fingerprint';

/** Account settings that only mean something together; refusing them beats silently ignoring them. */
export function combinationProblems(a: { security: string; tlsFingerprint?: string | undefined; leaveOnServer: boolean; deleteAfterDays: number | null; deleteWhenDeletedLocally: boolean }): RuleProblem[] {
  const out: RuleProblem[] = [];
  const deletesAnyway = 'needs leaveOnServer: without it every message is deleted from the server as soon as it is downloaded';
  if (!a.leaveOnServer && a.deleteAfterDays !== null) out.push({ path: ['deleteAfterDays'], message: deletesAnyway });
  if (!a.leaveOnServer && a.deleteWhenDeletedLocally) out.push({ path: ['deleteWhenDeletedLocally'], message: deletesAnyway });
  if (a.security === 'plain' && a.tlsFingerprint !== undefined) out.push({ path: ['tlsFingerprint'], message: PIN_WITHOUT_TLS });
  return out;
}

/** The outgoing server's settings that only mean something together. */
export function smtpProblems(s: { security: string; tlsFingerprint?: string | undefined; auth: string; user?: string | undefined }): RuleProblem[] {
  const out: RuleProblem[] = [];
  if (s.auth === 'password' && s.user === undefined) out.push({ path: ['user'], message: 'is required to log in (or choose auth "none": no login)' });
  if (s.security === 'plain' && s.tlsFingerprint !== undefined) out.push({ path: ['tlsFingerprint'], message: PIN_WITHOUT_TLS });
  return out;
}

/** An account's identities together: each address and id once, at most one default. */
export function identitiesProblems(list: readonly { address: string; default?: boolean | undefined; id?: string | undefined }[]): RuleProblem[] {
  const out: RuleProblem[] = [];
  const seen = new Set<string>();
  const ids = new Set<string>();
  list.forEach((identity, i) => {
    const key = identity.address.toLowerCase();
    if (seen.has(key)) out.push({ path: [i, 'address'], message: `${identity.address} appears twice` });
    seen.add(key);
    if (identity.id !== undefined) {
      if (ids.has(identity.id)) out.push({ path: [i, 'id'], message: `${identity.id} appears twice` });
      ids.add(identity.id);
    }
  });
  if (list.filter((identity) => identity.default).length > 1) out.push({ path: [], message: 'only one identity can be the default' });
  return out;
}

/**
 * A stored account that sends has an identity to send as (`emailWillDo`: a new account or a patch
 * may leave it to the store, which makes one from the account's email address).
 */
export function sendsAsProblems(a: { smtp: unknown; identities: readonly unknown[]; email?: string | undefined }, emailWillDo: boolean): RuleProblem[] {
  if (a.smtp !== null && a.identities.length === 0 && !(emailWillDo && a.email !== undefined)) {
    return [{ path: ['identities'], message: 'an account with an outgoing server needs at least one identity (an address to send from)' }];
  }
  return [];
}
