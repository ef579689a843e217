/**
 * The accounts file (DESIGN §2): `${dataDir}/accounts.json`, `{ "version": 2, "accounts": [...] }`.
 * Version 1 (before outgoing servers) is read too, and written as version 2 at the next change.
 *
 * A file that cannot be read as this version is reported and left alone, never replaced: it
 * holds the user's settings, possibly from a newer Popbox, and starting afresh would lose them
 * at the next save. Every change is written to disk before it is taken in memory, so a failed
 * write leaves both as they were.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { AccountInput, accountNameKey, AccountPatch, AccountSettings, type IdentityInput } from '../../../shared/accounts.js';
import { AppFailure, describeZodError, invalidInput, quoteForMessage } from '../errors.js';
import { writeFileAtomic } from '../store/durable.js';

export const ACCOUNTS_FILE = 'accounts.json';
export const ACCOUNTS_FILE_VERSION = 2;
/** The oldest format this Popbox still reads (migrated in memory by `migrate`). */
const OLDEST_VERSION = 1;

const nameKey = accountNameKey;

const AccountsFile = z.object({
  version: z.literal(ACCOUNTS_FILE_VERSION, `must be ${ACCOUNTS_FILE_VERSION}`),
  accounts: z.array(AccountSettings, 'must be a list of accounts').superRefine((accounts, ctx) => {
    const ids = new Set<string>();
    const names = new Set<string>();
    accounts.forEach((a, i) => {
      if (ids.has(a.id)) ctx.addIssue({ code: 'custom', path: [i, 'id'], message: `${a.id} appears twice` });
      if (names.has(nameKey(a.name))) {
        ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `${quoteForMessage(a.name)} appears twice` });
      }
      ids.add(a.id);
      names.add(nameKey(a.name));
    });
  }),
});

/** Keys of a patch whose `null` means "remove the setting" rather than "set it to null". */
const REMOVABLE = new Set<string>(['email', 'authMechanism', 'tlsFingerprint']);
/** The same inside a patch of the outgoing server. */
const SMTP_REMOVABLE = new Set<string>(['mechanism', 'tlsFingerprint']);

/** The identity id of the one a version 1 account gets from its email: fixed, so every load gives the same. */
export const MIGRATED_IDENTITY_ID = 'primary';

/**
 * Identities with ids (new ones get one), and, for an account with an outgoing server but no
 * identity, one from its email address: what "send as" starts from.
 */
function withIdentities(account: Record<string, unknown>): Record<string, unknown> {
  const given = (account.identities as IdentityInput[] | undefined) ?? [];
  let identities = given.map((i) => (i.id === undefined ? { ...i, id: randomUUID() } : i));
  if (identities.length === 0 && account.smtp && typeof account.email === 'string') {
    identities = [{ id: randomUUID(), name: '', address: account.email }];
  }
  return { ...account, identities };
}

/**
 * An outgoing server patch applied to the stored one: the fields given replace, null removes an
 * optional one. Without a stored server, the patch is the new server (the schema fills defaults
 * and says what is missing).
 */
function mergeSmtp(current: unknown, patch: Record<string, unknown> | null): unknown {
  if (patch === null) return null;
  const merged: Record<string, unknown> = current && typeof current === 'object' ? structuredClone(current as Record<string, unknown>) : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) continue;
    if (value === null && SMTP_REMOVABLE.has(key)) delete merged[key];
    else merged[key] = value;
  }
  return merged;
}

export class AccountStore {
  /** Changes run one at a time, so each starts from the state the previous one left. */
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly dataDir: string,
    readonly file: string,
    private accounts: readonly AccountSettings[],
  ) {}

  static async open(dataDir: string): Promise<AccountStore> {
    const file = path.join(dataDir, ACCOUNTS_FILE);
    return new AccountStore(dataDir, file, await load(file));
  }

  list(): AccountSettings[] {
    return this.accounts.map((a) => structuredClone(a));
  }

  /** By id, or else by name (case-insensitive). */
  get(idOrName: string): AccountSettings {
    return structuredClone(this.accounts[this.indexOf(idOrName)]!);
  }

  add(input: AccountInput): Promise<AccountSettings> {
    return this.exclusive(async () => {
      const parsed = AccountInput.safeParse(input);
      if (!parsed.success) throw invalidInput(parsed.error);
      const account = AccountSettings.parse(withIdentities({ id: randomUUID(), ...parsed.data }));
      this.assertNameFree(account.name, null);
      await this.save([...this.accounts, account]);
      return structuredClone(account);
    });
  }

  /**
   * `beforeSave` sees the validated result before it is written, inside the store's queue, and
   * may adjust it (or clean up what must not outlive the old settings) with no window in which a
   * sync could read the new settings first.
   */
  update(
    idOrName: string,
    patch: AccountPatch,
    beforeSave?: (current: AccountSettings, next: AccountSettings) => Promise<AccountSettings>,
  ): Promise<AccountSettings> {
    return this.exclusive(async () => {
      const index = this.indexOf(idOrName);
      const current = this.accounts[index]!;
      const parsed = AccountPatch.safeParse(patch);
      if (!parsed.success) throw invalidInput(parsed.error);
      const merged: Record<string, unknown> = structuredClone(current);
      for (const [key, value] of Object.entries(parsed.data)) {
        if (value === undefined) continue;
        if (key === 'smtp') merged.smtp = mergeSmtp(current.smtp, value as Record<string, unknown> | null);
        else if (value === null && REMOVABLE.has(key)) delete merged[key];
        else merged[key] = value;
      }
      // The patch's fields are valid one by one; this checks how they combine with the rest.
      const next = AccountSettings.safeParse(withIdentities(merged));
      if (!next.success) throw invalidInput(next.error);
      this.assertNameFree(next.data.name, current.id);
      const saved = beforeSave ? await beforeSave(structuredClone(current), next.data) : next.data;
      await this.save(this.accounts.map((a, i) => (i === index ? saved : a)));
      return structuredClone(saved);
    });
  }

  /**
   * Put the accounts in the order the user chose (the file's order is the order everyone
   * shows). `ids` must name every account once: a list made before an add or a remove is
   * refused rather than guessed at.
   */
  reorder(ids: readonly string[]): Promise<AccountSettings[]> {
    return this.exclusive(async () => {
      const byId = new Map(this.accounts.map((a) => [a.id, a]));
      const next = ids.map((id) => byId.get(id));
      if (new Set(ids).size !== ids.length || next.length !== this.accounts.length || next.some((a) => a === undefined)) {
        throw new AppFailure('invalid', 'the accounts changed meanwhile; try again');
      }
      await this.save(next as AccountSettings[]);
      return this.list();
    });
  }

  /** Returns the removed account, so the caller can clean up what is keyed by its id (its secret, its mail). */
  remove(idOrName: string): Promise<AccountSettings> {
    return this.exclusive(async () => {
      const index = this.indexOf(idOrName);
      const removed = this.accounts[index]!;
      await this.save(this.accounts.filter((_, i) => i !== index));
      return structuredClone(removed);
    });
  }

  private indexOf(idOrName: string): number {
    let index = this.accounts.findIndex((a) => a.id === idOrName);
    if (index < 0) {
      const key = nameKey(idOrName);
      index = this.accounts.findIndex((a) => nameKey(a.name) === key);
    }
    if (index < 0) throw new AppFailure('not-found', `no account ${quoteForMessage(idOrName)}`);
    return index;
  }

  private assertNameFree(name: string, exceptId: string | null): void {
    const key = nameKey(name);
    const clash = this.accounts.find((a) => a.id !== exceptId && nameKey(a.name) === key);
    if (clash) throw new AppFailure('invalid', `name: an account named ${quoteForMessage(clash.name)} already exists`);
  }

  private async save(next: AccountSettings[]): Promise<void> {
    const body = `${JSON.stringify({ version: ACCOUNTS_FILE_VERSION, accounts: next }, null, 2)}\n`;
    try {
      await fs.mkdir(this.dataDir, { recursive: true, mode: 0o700 });
      await writeFileAtomic(this.file, body, 0o600);
    } catch (e) {
      throw new AppFailure('storage', `could not save ${this.file}: ${errorText(e)}`, { cause: e });
    }
    this.accounts = next;
  }

  private exclusive<T>(change: () => Promise<T>): Promise<T> {
    const run = this.queue.then(change, change);
    this.queue = run.catch(() => {});
    return run;
  }
}

async function load(file: string): Promise<AccountSettings[]> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new AppFailure('storage', `could not read ${file}: ${errorText(e)}`, { cause: e });
  }
  const broken = (problem: string) =>
    new AppFailure('storage', `${file} is not a valid accounts file (${problem}); it was left as it is`);

  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw broken(`not JSON${jsonErrorPlace(e)}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw broken('expected an object with "version" and "accounts"');
  }
  const version = (raw as { version?: unknown }).version;
  if (typeof version === 'number' && Number.isInteger(version) && version > ACCOUNTS_FILE_VERSION) {
    throw new AppFailure(
      'storage',
      `${file} was written by a newer Popbox (format version ${version}; this one reads version ${ACCOUNTS_FILE_VERSION}); ` +
        'update Popbox to use these accounts. The file was left as it is',
    );
  }
  const parsed = AccountsFile.safeParse(migrate(raw as Record<string, unknown>));
  if (!parsed.success) throw broken(describeZodError(parsed.error));
  return parsed.data.accounts;
}

/**
 * An older file in today's shape, in memory only (the file changes at the next save, so an
 * older Popbox keeps reading it until then). Version 1 had no outgoing server and no
 * identities: each account gets smtp null and, when it has an email address, one identity
 * from it. Anything else is passed on for the schema to report.
 */
function migrate(raw: Record<string, unknown>): unknown {
  if (raw.version !== OLDEST_VERSION) return raw;
  if (!Array.isArray(raw.accounts)) return { ...raw, version: ACCOUNTS_FILE_VERSION };
  const accounts = raw.accounts.map((a: unknown) => {
    if (typeof a !== 'object' || a === null || Array.isArray(a)) return a;
    const account = a as Record<string, unknown>;
    const email = account.email;
    return {
      ...account,
      smtp: null,
      identities: typeof email === 'string' ? [{ id: MIGRATED_IDENTITY_ID, name: '', address: email }] : [],
    };
  });
  return { ...raw, version: ACCOUNTS_FILE_VERSION, accounts };
}

/**
 * Where JSON.parse gave up, without its message: V8 quotes a piece of the text there, and the
 * text may hold something private (a password command with the password in it).
 */
function jsonErrorPlace(e: unknown): string {
  const message = e instanceof Error ? e.message : '';
  const place = /line \d+ column \d+/.exec(message) ?? /position \d+/.exec(message);
  if (place) return ` at ${place[0]}`;
  return /end of JSON input/.test(message) ? ': it ends too early' : '';
}

/** "ENOSPC: no space left on device", without the syscall and path node appends. */
function errorText(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  const message = (err instanceof Error ? err.message : String(e)).split('\n', 1)[0] ?? '';
  if (err.code && message.startsWith(`${err.code}:`)) return message.split(',', 1)[0] ?? err.code;
  return err.code ?? message;
}
