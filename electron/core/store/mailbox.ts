/**
 * One account's storage: its Maildir and its ledger, under `<dataDir>/accounts/<accountId>/`,
 * held by one process at a time (a lock file), so two syncs of one account can never overlap
 * even across the app and the CLI.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { listing } from './dir-listings.js';
import { storageError } from './durable.js';
import { Ledger } from './ledger.js';
import { acquireLock, releaseLock, type HeldLock } from './lock.js';
import { Maildir, folderDir } from './maildir.js';
import { curName, formatFlags, type Flags } from './ids.js';

const exists = (file: string): Promise<boolean> => fs.access(file).then(() => true, () => false);

export class AccountMailbox {
  private constructor(
    readonly accountId: string,
    readonly dir: string,
    readonly maildir: Maildir,
    readonly ledger: Ledger,
    private readonly lock: HeldLock,
    /** When opening began (ms since epoch): the Maildir was read after this (quick-check.ts). */
    readonly openedAt: number,
  ) {}

  static dirFor(dataDir: string, accountId: string): string {
    return path.join(dataDir, 'accounts', accountId);
  }

  /**
   * Where a message with these flags lies in this folder: Popbox keeps every message it stores
   * in its folder's cur/, named after its flags. For readers, who hold no lock and so cannot
   * open the mailbox.
   */
  static messagePath(dataDir: string, accountId: string, id: string, flags: Flags, folder: string): string {
    return path.join(AccountMailbox.dirFor(dataDir, accountId), 'Maildir', folderDir(folder), 'cur', curName(id, formatFlags(flags)));
  }

  /**
   * A message's file found by its id alone, whatever flags its name carries now: in `folder`
   * first, then in every folder (it may have been moved under the reader); undefined if none.
   * `open`: the account's mailbox if its owner (the account's session) has it open now, which
   * knows where its own renames put each file; otherwise the folders' listings are kept between
   * lookups (dir-listings.ts), so a move of many messages reads each folder about once, not once
   * per message. Whatever a listing says is checked on disk, and "none" is said only after every
   * folder was read afresh: another tool (mutt) may have renamed the file since.
   */
  static async findMessage(dataDir: string, accountId: string, id: string, folder: string, open?: AccountMailbox): Promise<string | undefined> {
    const known = open?.accountId === accountId ? open.maildir.pathOf(id) : undefined;
    if (known && (await exists(known))) return known;
    const root = path.join(AccountMailbox.dirFor(dataDir, accountId), 'Maildir');
    const look = async (dir: string, fresh: boolean) => {
      for (const sub of ['cur', 'new']) {
        const where = path.join(root, dir, sub);
        let name = (await listing(where, fresh)).byId.get(id);
        if (name !== undefined && !fresh && !(await exists(path.join(where, name)))) name = (await listing(where, true)).byId.get(id);
        if (name !== undefined && (await exists(path.join(where, name)))) return path.join(where, name);
      }
      return undefined;
    };
    const pass = async (fresh: boolean) => {
      const first = await look(folderDir(folder), fresh);
      if (first) return first;
      const dirs = (await listing(root, fresh)).names;
      for (const dir of ['', ...dirs.filter((d) => d.startsWith('.') && d.length > 1 && d !== '..')]) {
        if (dir === folderDir(folder)) continue;
        const found = await look(dir, fresh);
        if (found) return found;
      }
      return undefined;
    };
    return (await pass(false)) ?? (await pass(true));
  }

  /**
   * Open for writing (sync, delete): takes the account's lock, or fails with 'in-use'. `held`:
   * the account's lock, already taken by this process (the quick check, which found mail to
   * fetch): the mailbox owns it from here on, released at close or if opening fails.
   */
  static async open(dataDir: string, accountId: string, held?: HeldLock): Promise<AccountMailbox> {
    const dir = AccountMailbox.dirFor(dataDir, accountId);
    try {
      await fs.mkdir(dir, { recursive: true, mode: 0o700 });
    } catch (e) {
      if (held) await releaseLock(held).catch(() => {});
      throw storageError(`cannot create ${dir}`, e);
    }
    const lockFile = path.join(dir, 'lock');
    const openedAt = Date.now();
    const lock = held ?? (await acquireLock(lockFile, (pid) => `another Popbox process${pid ? ` (pid ${pid})` : ''} is using this account right now`));
    try {
      const maildir = await Maildir.open(path.join(dir, 'Maildir'), { cleanTmp: true });
      const ledger = await Ledger.open(path.join(dir, 'ledger.jsonl'));
      return new AccountMailbox(accountId, dir, maildir, ledger, lock, openedAt);
    } catch (e) {
      await releaseLock(lock);
      throw e;
    }
  }

  async close(): Promise<void> {
    try {
      await this.ledger.commit();
    } finally {
      await releaseLock(this.lock);
    }
  }
}
