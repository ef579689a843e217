/**
 * One account's storage: its Maildir and its ledger, under `<dataDir>/accounts/<accountId>/`,
 * held by one process at a time (a lock file), so two syncs of one account can never overlap
 * even across the app and the CLI.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { storageError } from './durable.js';
import { Ledger } from './ledger.js';
import { acquireLock, releaseLock } from './lock.js';
import { Maildir } from './maildir.js';
import { curName, formatFlags, type Flags } from './ids.js';

export class AccountMailbox {
  private constructor(
    readonly accountId: string,
    readonly dir: string,
    readonly maildir: Maildir,
    readonly ledger: Ledger,
    private readonly lockFile: string,
  ) {}

  static dirFor(dataDir: string, accountId: string): string {
    return path.join(dataDir, 'accounts', accountId);
  }

  /**
   * Where a message with these flags lies: Popbox keeps every message it stores in cur/, named
   * after its flags. For readers, who hold no lock and so cannot open the mailbox.
   */
  static messagePath(dataDir: string, accountId: string, id: string, flags: Flags): string {
    return path.join(AccountMailbox.dirFor(dataDir, accountId), 'Maildir', 'cur', curName(id, formatFlags(flags)));
  }

  /** A message's file found by its id alone, whatever flags its name carries now; undefined if none. */
  static async findMessage(dataDir: string, accountId: string, id: string): Promise<string | undefined> {
    const cur = path.dirname(AccountMailbox.messagePath(dataDir, accountId, id, { seen: false, flagged: false, trashed: false }));
    const prefix = curName(id, '');
    const found = (await fs.readdir(cur).catch(() => [] as string[])).find((n) => n.startsWith(prefix));
    return found ? path.join(cur, found) : undefined;
  }

  /** Open for writing (sync, delete): takes the account's lock, or fails with 'in-use'. */
  static async open(dataDir: string, accountId: string): Promise<AccountMailbox> {
    const dir = AccountMailbox.dirFor(dataDir, accountId);
    try {
      await fs.mkdir(dir, { recursive: true, mode: 0o700 });
    } catch (e) {
      throw storageError(`cannot create ${dir}`, e);
    }
    const lockFile = path.join(dir, 'lock');
    await acquireLock(lockFile, (pid) => `another Popbox process${pid ? ` (pid ${pid})` : ''} is using this account right now`);
    try {
      const maildir = await Maildir.open(path.join(dir, 'Maildir'), { cleanTmp: true });
      const ledger = await Ledger.open(path.join(dir, 'ledger.jsonl'));
      return new AccountMailbox(accountId, dir, maildir, ledger, lockFile);
    } catch (e) {
      await releaseLock(lockFile);
      throw e;
    }
  }

  async close(): Promise<void> {
    try {
      await this.ledger.commit();
    } finally {
      await releaseLock(this.lockFile);
    }
  }
}
