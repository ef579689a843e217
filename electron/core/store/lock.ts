/**
 * A lock file holding the owner's PID. A lock whose process is gone (a crash, SIGKILL) is
 * taken over; a live one is refused with 'in-use'.
 */
import fs from 'node:fs/promises';
import { AppFailure } from '../errors.js';
import { storageError } from './durable.js';

export async function acquireLock(lockFile: string, busyMessage: (pid: number) => string): Promise<void> {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await fs.writeFile(lockFile, `${process.pid}\n`, { flag: 'wx', mode: 0o600 });
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw storageError(`cannot create the lock ${lockFile}`, e);
      }
    }
    const pid = Number((await fs.readFile(lockFile, 'utf8').catch(() => '')).trim());
    if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) throw new AppFailure('in-use', busyMessage(pid));
    await fs.rm(lockFile, { force: true });
  }
  throw new AppFailure('in-use', busyMessage(0));
}

export async function releaseLock(lockFile: string): Promise<void> {
  await fs.rm(lockFile, { force: true });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
