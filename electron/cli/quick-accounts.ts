/**
 * accounts.json read without the schema, for the CLI's quick paths (issue 18): `account list`
 * (here) and the quick sync (quick-sync.ts). Only a file as this Popbox writes it is taken, by the
 * schema's own rules (shared/account-rules.ts: cross-field ones included); any other, and the
 * full path reads it with the schema (zod) and says what is wrong with it.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import {
  ACCOUNT_NAME_MAX,
  ADDRESS_MAX,
  CHECK_MINUTES_MAX,
  combinationProblems,
  EMAIL_PATTERN,
  FINGERPRINT_STORED,
  HEADER_TEXT_PATTERN,
  HOST_MAX,
  HOSTNAME_PATTERN,
  ID_PATTERN,
  IDENTITIES_MAX,
  IDENTITY_NAME_MAX,
  identitiesProblems,
  IPV4_PATTERN,
  NAME_FORBIDDEN,
  PASSWORD_COMMAND_MAX,
  SECURITIES,
  sendsAsProblems,
  SIGNATURE_MAX,
  SMTP_AUTHS,
  SMTP_MECHANISM_NAMES,
  smtpProblems,
  USER_MAX,
  USER_PATTERN,
} from '../../shared/account-rules.js';
import type { AccountSettings } from '../../shared/accounts.js';
import { isMailAddress } from '../../shared/address.js';
import { AUTH_MECHANISM_NAMES } from '../../shared/auth-mechanisms.js';
import { describeAccount, type DescribedAccount } from './describe.js';

export interface QuickIo {
  out(text: string): void;
  err(text: string): void;
}

/** The fields a quick path reads, each checked to have the type Popbox writes. */
export type QuickAccount = DescribedAccount &
  Pick<AccountSettings, 'id' | 'password' | 'authMechanism' | 'allowInsecureAuth' | 'tlsFingerprint' | 'maxMessageSizeKB' | 'pipelining'> & {
    junkOnServer: boolean;
  };

type Rec = Record<string, unknown>;
const isObject = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v);
const isText = (v: unknown): v is string => typeof v === 'string' && v.length > 0;
const isBool = (v: unknown): v is boolean => typeof v === 'boolean';
const isInt = (v: unknown, min: number, max = Number.MAX_SAFE_INTEGER): v is number => typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
const isPort = (v: unknown): v is number => isInt(v, 1, 65535);
const isOneOf = <T extends string>(list: readonly T[], v: unknown): v is T => typeof v === 'string' && (list as readonly string[]).includes(v);
const optional = (v: unknown, ok: (v: unknown) => boolean) => v === undefined || ok(v);
/** Only these keys (the schema's strict objects refuse any other). */
const onlyKeys = (o: Rec, keys: readonly string[]) => Object.keys(o).every((k) => keys.includes(k));

// Each check takes only what the schema takes *unchanged*: a value it would refuse or rewrite
// (a name with spaces around it, a fingerprint in lower case, an IPv6 host) is not recognised,
// and the full path answers (review F9). Rules from shared/account-rules.ts, as the schema's.
const isName = (v: unknown) =>
  typeof v === 'string' && v !== '' && v === v.trim().normalize('NFC') && [...v].length <= ACCOUNT_NAME_MAX && !NAME_FORBIDDEN.test(v);
const isHost = (v: unknown) => typeof v === 'string' && v.length <= HOST_MAX && (HOSTNAME_PATTERN.test(v) || IPV4_PATTERN.test(v));
const isUser = (v: unknown) => typeof v === 'string' && v.length <= USER_MAX && USER_PATTERN.test(v);
const isPin = (v: unknown) => typeof v === 'string' && FINGERPRINT_STORED.test(v);
const isEmail = (v: unknown) => typeof v === 'string' && v.length <= ADDRESS_MAX && EMAIL_PATTERN.test(v);
const isAddress = (v: unknown) => typeof v === 'string' && v.length <= ADDRESS_MAX && isMailAddress(v);
const isDays = (v: unknown) => v === null || isInt(v, 1);
const isCommand = (v: unknown) => isText(v) && v.length <= PASSWORD_COMMAND_MAX && !v.includes('\0');
const isPassword = (v: unknown, incoming = false) =>
  isObject(v) &&
  ((v.source === 'keychain' && onlyKeys(v, ['source'])) ||
    (v.source === 'command' && isCommand(v.command) && onlyKeys(v, ['source', 'command'])) ||
    (incoming && v.source === 'incoming' && onlyKeys(v, ['source'])));

const SMTP_KEYS = ['host', 'port', 'security', 'auth', 'user', 'mechanism', 'tlsFingerprint', 'allowInsecureAuth', 'password'];
function isSmtp(v: unknown): boolean {
  if (v === null) return true;
  if (!isObject(v) || !onlyKeys(v, SMTP_KEYS)) return false;
  const fields =
    isHost(v.host) && isPort(v.port) && isOneOf(SECURITIES, v.security) && isOneOf(SMTP_AUTHS, v.auth) && optional(v.user, isUser) &&
    optional(v.mechanism, (m) => isOneOf(SMTP_MECHANISM_NAMES, m)) && optional(v.tlsFingerprint, isPin) && isBool(v.allowInsecureAuth) && isPassword(v.password, true);
  return fields && smtpProblems(v as Parameters<typeof smtpProblems>[0]).length === 0;
}

const IDENTITY_KEYS = ['id', 'name', 'address', 'replyTo', 'signature', 'default'];
const isIdentity = (v: unknown) =>
  isObject(v) && onlyKeys(v, IDENTITY_KEYS) && typeof v.id === 'string' && ID_PATTERN.test(v.id) &&
  typeof v.name === 'string' && v.name === v.name.trim() && v.name.length <= IDENTITY_NAME_MAX && HEADER_TEXT_PATTERN.test(v.name) &&
  isAddress(v.address) && optional(v.replyTo, isAddress) && optional(v.signature, (t) => typeof t === 'string' && t.length <= SIGNATURE_MAX) && optional(v.default, isBool);
const isIdentities = (v: unknown): v is Parameters<typeof identitiesProblems>[0] =>
  Array.isArray(v) && v.length <= IDENTITIES_MAX && v.every(isIdentity) && identitiesProblems(v as Parameters<typeof identitiesProblems>[0]).length === 0;

function quickAccount(v: unknown): QuickAccount | null {
  if (!isObject(v)) return null;
  const a = v;
  const ok =
    typeof a.id === 'string' && ID_PATTERN.test(a.id) && isName(a.name) && optional(a.email, isEmail) && isHost(a.host) && isPort(a.port) &&
    isOneOf(SECURITIES, a.security) && isUser(a.user) && optional(a.authMechanism, (m) => isOneOf(AUTH_MECHANISM_NAMES, m)) && isBool(a.allowInsecureAuth) &&
    optional(a.tlsFingerprint, isPin) && isBool(a.leaveOnServer) && isDays(a.deleteAfterDays) && isBool(a.deleteWhenDeletedLocally) &&
    isDays(a.maxMessageSizeKB) && isBool(a.pipelining) &&
    // Written by every Popbox that has the setting; absent in older files, where the schema's default holds.
    optional(a.trustServerVerdict, isBool) && optional(a.junkOnServer, isBool) && optional(a.checkEveryMinutes, (m) => isInt(m, 1, CHECK_MINUTES_MAX)) && optional(a.checkAtStartup, isBool) &&
    isPassword(a.password) && isSmtp(a.smtp) && isIdentities(a.identities);
  if (!ok) return null;
  const cross = a as Parameters<typeof combinationProblems>[0] & Parameters<typeof sendsAsProblems>[0];
  if (combinationProblems(cross).length > 0 || sendsAsProblems(cross, false).length > 0) return null;
  return { ...a, junkOnServer: a.junkOnServer === true } as QuickAccount;
}

/**
 * The accounts as accounts.json holds them, when it is a file this Popbox wrote (version 2, every
 * field the quick paths read of the right type, no name twice); otherwise null: the full path
 * reads it with the schema and says what is wrong.
 */
export async function readAccounts(dataDir: string): Promise<QuickAccount[] | null> {
  try {
    const raw = JSON.parse(await fs.readFile(path.join(dataDir, 'accounts.json'), 'utf8')) as { version?: unknown; accounts?: unknown };
    if (raw.version !== 2 || !Array.isArray(raw.accounts) || raw.accounts.length === 0) return null;
    const accounts = raw.accounts.map(quickAccount);
    if (accounts.some((a) => a === null)) return null;
    const list = accounts as QuickAccount[];
    if (new Set(list.map((a) => a.id)).size !== list.length || new Set(list.map((a) => a.name.trim().normalize('NFC').toLowerCase())).size !== list.length) return null;
    return list;
  } catch {
    return null;
  }
}

/**
 * The accounts `sync [NAME...]` works on: each named by id or exact name (the full path also finds
 * names in another case, and says which is unknown), or every account; null when one is not found
 * or is named twice (the full path's to answer).
 */
export function pickAccounts(all: QuickAccount[] | null, names: string[]): QuickAccount[] | null {
  if (!all) return null;
  const picked = names.length ? names.map((n) => all.find((a) => a.id === n || a.name === n)) : all;
  if (picked.some((a) => a === undefined) || new Set(picked).size !== picked.length) return null;
  return picked as QuickAccount[];
}

/** `account list` without --json: one line per account. */
export async function quickAccountList(dataDir: string, args: string[], io: QuickIo): Promise<number | null> {
  if (args.length !== 0) return null; // --json prints what the schema makes of the file: the full path's
  const accounts = await readAccounts(dataDir);
  if (!accounts) return null;
  io.out(accounts.map((a) => `${describeAccount(a)}\n`).join(''));
  return 0;
}

