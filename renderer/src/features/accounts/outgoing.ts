/**
 * The outgoing server and identities as the forms hold them (text as typed), the checks said
 * beside each field as the user types, and the values the contract takes. The rules are the
 * contract's own (shared/accounts.ts), said in the words of the form.
 */
import { isMailAddress } from '../../../../shared/address.js';
import { Host, TlsFingerprint, type Identity, type IdentityInput, type Security, type SmtpMechanism, type SmtpServerPatch } from '../../../../shared/accounts.js';
import type { PublicAccount, SmtpReport } from '../../../../shared/contract.js';
import { formatBytes } from '../../app/format.js';

export interface SmtpDraft {
  /** Off: the account only receives (no outgoing server). */
  enabled: boolean;
  host: string;
  port: string;
  security: Security;
  /** Off: the server takes mail without a login (a home relay). */
  login: boolean;
  user: string;
  mechanism: SmtpMechanism | '';
  allowInsecureAuth: boolean;
  tlsFingerprint: string;
  /** The incoming server's password serves for sending too (the common case with a provider). */
  useIncoming: boolean;
  /**
   * The outgoing password comes from a command set on the command line. The screens cannot set
   * one (it runs a shell command), so a Save leaves it as it is rather than turning it into a
   * keychain password nobody typed.
   */
  command: boolean;
}

export const SMTP_DEFAULT_PORT: Record<Security, string> = { tls: '465', starttls: '587', plain: '25' };

export const EMPTY_SMTP: SmtpDraft = { enabled: false, host: '', port: '465', security: 'tls', login: true, user: '', mechanism: '', allowInsecureAuth: false, tlsFingerprint: '', useIncoming: true, command: false };

export function smtpDraftOf(a: Pick<PublicAccount, 'smtp' | 'user'>): SmtpDraft {
  const s = a.smtp;
  if (!s) return { ...EMPTY_SMTP, user: a.user };
  return {
    enabled: true,
    host: s.host,
    port: String(s.port),
    security: s.security,
    login: s.auth === 'password',
    user: s.user ?? a.user,
    mechanism: s.mechanism ?? '',
    allowInsecureAuth: s.allowInsecureAuth,
    tlsFingerprint: s.tlsFingerprint ?? '',
    useIncoming: s.password.source === 'incoming',
    command: s.password.source === 'command',
  };
}

export type SmtpProblems = Partial<Record<'host' | 'port' | 'user' | 'tlsFingerprint', string>>;

/** What is wrong with each field, in words for the person typing (empty: nothing). */
export function smtpProblems(d: SmtpDraft): SmtpProblems {
  if (!d.enabled) return {};
  const p: SmtpProblems = {};
  if (d.host === '') p.host = 'Enter the outgoing server’s host name, e.g. smtp.example.com.';
  else if (!Host.safeParse(d.host).success) p.host = 'Enter a host name or an IP address, without spaces.';
  const port = /^\d+$/.test(d.port) ? Number(d.port) : NaN;
  if (!(port >= 1 && port <= 65535)) p.port = 'Enter a port number from 1 to 65535 (465 for SSL/TLS, 587 for STARTTLS).';
  if (d.login && d.user.trim() === '') p.user = 'Enter the user name you log in with, or choose “No login”.';
  if (d.security !== 'plain' && d.tlsFingerprint !== '' && !TlsFingerprint.safeParse(d.tlsFingerprint).success) {
    p.tlsFingerprint = 'A SHA-256 fingerprint is 64 hex digits (colons between pairs are fine).';
  }
  return p;
}

export function firstProblem(p: Record<string, string | undefined>): string | null {
  return Object.values(p).find((v) => v !== undefined) ?? null;
}

/** Where a password typed in the screens is kept: the keychain, or Popbox's memory until it closes. */
export type TypedPasswordSource = 'keychain' | 'session';

/**
 * The outgoing server as the contract takes it (a full patch: every field the form shows). A
 * password command is kept by sending no password at all: main leaves the source as it is. An
 * outgoing password of its own is kept where the account keeps its incoming one (`own`).
 */
export function smtpValue(
  d: SmtpDraft,
  own: TypedPasswordSource = 'keychain',
): Omit<SmtpServerPatch, 'password'> & { password?: { source: 'incoming' | TypedPasswordSource } } & { host: string; port: number; security: Security; auth: 'password' | 'none'; allowInsecureAuth: boolean } {
  return {
    host: d.host,
    port: Number(d.port),
    security: d.security,
    auth: d.login ? 'password' : 'none',
    ...(d.login ? { user: d.user.trim() } : {}),
    mechanism: d.login && d.mechanism !== '' ? d.mechanism : null,
    allowInsecureAuth: d.security === 'plain' && d.allowInsecureAuth,
    tlsFingerprint: d.security === 'plain' || d.tlsFingerprint === '' ? null : d.tlsFingerprint,
    ...(d.useIncoming ? { password: { source: 'incoming' as const } } : d.command ? {} : { password: { source: own } }),
  };
}

/** The same without the nulls, for a new account (AccountInput leaves out what is not set). */
export function newSmtpValue(d: SmtpDraft, own: TypedPasswordSource = 'keychain') {
  const { mechanism, tlsFingerprint, ...rest } = smtpValue(d, own);
  return { ...rest, ...(mechanism ? { mechanism } : {}), ...(tlsFingerprint ? { tlsFingerprint } : {}) };
}

/** What the outgoing server offers, in plain words (the Test button's answer). */
export function smtpReportLines(r: SmtpReport): string[] {
  const lines: string[] = [];
  lines.push(r.secure ? 'The connection is encrypted (TLS).' : 'The connection is not encrypted.');
  lines.push(r.authenticated ? 'Popbox logged in.' : r.authMechanisms.length ? 'Popbox did not log in (no login chosen).' : 'The server asks for no login.');
  if (r.authMechanisms.length) lines.push(`Login methods offered: ${r.authMechanisms.join(', ')}.`);
  if (r.sizeLimit === null) lines.push('It does not say how big a message may be.');
  else if (r.sizeLimit === 0) lines.push('It sets no fixed limit on message size.');
  else lines.push(`It accepts messages up to ${sizeText(r.sizeLimit)}.`);
  lines.push(r.smtpUtf8 ? 'It takes addresses with non-Latin characters (SMTPUTF8).' : 'It does not take addresses with non-Latin characters (no SMTPUTF8).');
  return lines;
}

/** Sizes as providers announce them: 10 MB, 35 MB; smaller ones exactly. */
function sizeText(bytes: number): string {
  const mb = bytes / 1024 / 1024;
  if (mb >= 1 && Number.isInteger(mb)) return `${mb} MB`;
  if (mb >= 1) return `${mb.toFixed(1)} MB`;
  return formatBytes(bytes);
}

// ---- identities ----

export interface IdentityDraft {
  /** Unset for a new one (the store makes its id). */
  id?: string;
  name: string;
  address: string;
  replyTo: string;
  signature: string;
  default: boolean;
}

export function identityDraftOf(i: Identity): IdentityDraft {
  return { id: i.id, name: i.name, address: i.address, replyTo: i.replyTo ?? '', signature: i.signature ?? '', default: i.default === true };
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\x00-\x1f\x7f]/;

export type IdentityProblems = Partial<Record<'name' | 'address' | 'replyTo' | 'signature', string>>;

/** Each field's problem as the user types; `others`: the other identities' addresses. */
export function identityProblems(d: IdentityDraft, others: readonly string[]): IdentityProblems {
  const p: IdentityProblems = {};
  if (CONTROL.test(d.name)) p.name = 'A name cannot hold line breaks or tabs.';
  else if (d.name.trim().length > 128) p.name = 'Use at most 128 characters.';
  const address = d.address.trim();
  if (address === '') p.address = 'Enter the address you send from, e.g. name@example.com.';
  else if (!isMailAddress(address)) p.address = 'That is not an email address: it looks like name@example.com, without spaces.';
  else if (others.some((o) => o.toLowerCase() === address.toLowerCase())) p.address = 'Another identity of this account has this address.';
  const replyTo = d.replyTo.trim();
  if (replyTo !== '' && !isMailAddress(replyTo)) p.replyTo = 'That is not an email address: it looks like name@example.com (or leave it empty).';
  if (d.signature.length > 10_000) p.signature = `A signature holds at most 10,000 characters (this one has ${d.signature.length.toLocaleString()}).`;
  return p;
}

/** The list's problems, identity by identity (index → problems). */
export function identitiesProblems(list: readonly IdentityDraft[]): IdentityProblems[] {
  return list.map((d, i) => identityProblems(d, list.filter((_, j) => j !== i).map((o) => o.address.trim())));
}

export function identityValue(d: IdentityDraft): IdentityInput {
  return {
    ...(d.id ? { id: d.id } : {}),
    name: d.name.trim(),
    address: d.address.trim(),
    ...(d.replyTo.trim() ? { replyTo: d.replyTo.trim() } : {}),
    ...(d.signature.trim() ? { signature: d.signature.replace(/\s+$/, '') } : {}),
    ...(d.default ? { default: true } : {}),
  };
}
