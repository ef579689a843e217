/**
 * One account's storage: its Maildir and its ledger, under `<dataDir>/accounts/<accountId>/`,
 * held by one process at a time (a lock file), so two syncs of one account can never overlap
 * even across the app and the CLI.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { AppFailure } from '../errors.js';
import { Ledger } from './ledger.js';
import { Maildir } from './maildir.js';

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

  /** Open for writing (sync, delete): takes the account's lock, or fails with 'in-use'. */
  static async open(dataDir: string, accountId: string): Promise<AccountMailbox> {
    const dir = AccountMailbox.dirFor(dataDir, accountId);
    try {
      await fs.mkdir(dir, { recursive: true, mode: 0o700 });
    } catch (e) {
      throw new AppFailure('storage', `cannot create ${dir}: ${(e as NodeJS.ErrnoException).code ?? e}`);
    }
    const lockFile = path.join(dir, 'lock');
    await acquireLock(lockFile);
    try {
      const maildir = await Maildir.open(path.join(dir, 'Maildir'), { cleanTmp: true });
      const ledger = await Ledger.open(path.join(dir, 'ledger.jsonl'));
      return new AccountMailbox(accountId, dir, maildir, ledger, lockFile);
    } catch (e) {
      await fs.rm(lockFile, { force: true });
      throw e;
    }
  }

  async close(): Promise<void> {
    await this.ledger.commit();
    await fs.rm(this.lockFile, { force: true });
  }
}

async function acquireLock(lockFile: string): Promise<void> {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await fs.writeFile(lockFile, `${process.pid}\n`, { flag: 'wx', mode: 0o600 });
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new AppFailure('storage', `cannot lock ${lockFile}: ${(e as NodeJS.ErrnoException).code ?? e}`);
      }
    }
    const pid = Number((await fs.readFile(lockFile, 'utf8').catch(() => '')).trim());
    if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) {
      throw new AppFailure('in-use', `another Popbox process (pid ${pid}) is using this account right now`);
    }
    // A lock left by a process that died (a crash, SIGKILL): take it over.
    await fs.rm(lockFile, { force: true });
  }
  throw new AppFailure('in-use', 'another Popbox process is using this account right now');
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
