/**
 * accounts.json read without the schema, for the CLI's quick paths (issue 18): `account list`
 * (here) and the quick sync (quick-sync.ts). Only a file as this Popbox writes it is taken; any
 * other, and the full path reads it with the schema (zod) and says what is wrong with it.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { AccountSettings } from '../../shared/accounts.js';
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

const isText = (v: unknown): v is string => typeof v === 'string' && v.length > 0;
const isBool = (v: unknown): v is boolean => typeof v === 'boolean';
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 1;
const isPort = (v: unknown): v is number => isCount(v) && v <= 65535;
const isSecurity = (v: unknown) => v === 'tls' || v === 'starttls' || v === 'plain';

function quickAccount(v: unknown): QuickAccount | null {
  if (typeof v !== 'object' || v === null) return null;
  const a = v as Record<string, unknown>;
  const pw = a.password as Record<string, unknown> | undefined;
  const smtp = a.smtp as Record<string, unknown> | null | undefined;
  const ok =
    isText(a.id) && isText(a.name) && isText(a.host) && isPort(a.port) && isSecurity(a.security) && isText(a.user) &&
    typeof pw === 'object' && pw !== null && (pw.source === 'keychain' || (pw.source === 'command' && isText(pw.command))) &&
    (a.authMechanism === undefined || isText(a.authMechanism)) && isBool(a.allowInsecureAuth) &&
    (a.tlsFingerprint === undefined || isText(a.tlsFingerprint)) && isBool(a.leaveOnServer) &&
    (a.deleteAfterDays === null || isCount(a.deleteAfterDays)) && isBool(a.deleteWhenDeletedLocally) &&
    (a.maxMessageSizeKB === null || isCount(a.maxMessageSizeKB)) && isBool(a.pipelining) &&
    // Written by every Popbox that has the setting; absent in older files, where the schema's default is off.
    (a.junkOnServer === undefined || isBool(a.junkOnServer)) &&
    (smtp === null || (typeof smtp === 'object' && smtp !== undefined && isText(smtp.host) && isPort(smtp.port) && isText(smtp.security) && (smtp.auth === 'none' || (smtp.auth === 'password' && isText(smtp.user)))));
  return ok ? ({ ...a, junkOnServer: a.junkOnServer === true } as QuickAccount) : null;
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

/** `account list` without --json: one line per account. */
export async function quickAccountList(dataDir: string, args: string[], io: QuickIo): Promise<number | null> {
  if (args.length !== 0) return null; // --json prints what the schema makes of the file: the full path's
  const accounts = await readAccounts(dataDir);
  if (!accounts) return null;
  io.out(accounts.map((a) => `${describeAccount(a)}\n`).join(''));
  return 0;
}

