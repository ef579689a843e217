/**
 * A lock file holding the owner's PID and a token of its own. A lock whose process is gone (a
 * crash, SIGKILL) is taken over; a live one is refused with 'in-use'.
 *
 * Taking over a stale lock is where two processes starting at once could both win (both see the
 * dead PID, one removes it and creates its own, the other then removes that one): two owners,
 * two senders, a message sent twice. So a stale lock is removed only by the one process that
 * created `LOCK.takeover-<hash of the stale content>` with O_EXCL, and only if the lock still
 * holds that content; everyone then competes for the empty name with an exclusive create again.
 * A takeover marker left by a process that died mid-takeover is itself stale, and is removed the
 * same way (its own marker, keyed by its own content).
 *
 * A lock's content appears at once, never half-written: it is written to a file of its own and
 * linked into place (link fails if the name exists), so a reader never mistakes a lock being
 * created for an empty, stale one.
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import { AppFailure } from '../errors.js';
import { storageError } from './durable.js';

/** How often to look again while another live process is in the middle of a takeover. */
const TAKEOVER_RETRIES = 200;
const TAKEOVER_WAIT_MS = 5;

const ownContent = (): string => `${process.pid} ${randomBytes(9).toString('hex')}\n`;

export async function acquireLock(lockFile: string, busyMessage: (pid: number) => string): Promise<void> {
  const mine = ownContent();
  for (let attempt = 0; attempt < TAKEOVER_RETRIES; attempt++) {
    if (await createExclusive(lockFile, mine)) return;
    const seen = await readContent(lockFile);
    if (seen === null) continue; // released between our create and our read: try again
    const pid = ownerPid(seen);
    if (pid > 0 && isAlive(pid)) throw new AppFailure('in-use', busyMessage(pid));
    if (!(await removeIfStill(lockFile, seen))) await sleep(TAKEOVER_WAIT_MS);
  }
  throw new AppFailure('in-use', busyMessage(0));
}

/** Removes the lock only if it is still the one this process created. */
export async function releaseLock(lockFile: string): Promise<void> {
  const seen = await readContent(lockFile);
  if (seen === null) return;
  if (ownerPid(seen) === process.pid) await fs.rm(lockFile, { force: true });
}

/**
 * Removes `file` if its content is still `stale`, with the right to do so held by one process at
 * a time. Returns false when another live process holds that right (the caller waits and looks
 * again), true when it did its part (removed the file, or found it changed).
 */
async function removeIfStill(file: string, stale: string): Promise<boolean> {
  const marker = `${file}.takeover-${createHash('sha256').update(stale).digest('hex').slice(0, 16)}`;
  const mine = ownContent();
  if (!(await createExclusive(marker, mine))) {
    const holder = await readContent(marker);
    if (holder === null) return true; // just finished: look at the lock again
    const pid = ownerPid(holder);
    if (pid > 0 && isAlive(pid)) return false;
    // Its holder died mid-takeover: clear the marker the same way, then start over.
    await removeIfStill(marker, holder);
    return true;
  }
  try {
    // While we hold the marker nobody else removes `file`, and nobody creates it while it
    // exists: if it still says `stale` now, it is the stale one we are entitled to remove.
    if ((await readContent(file)) === stale) await fs.rm(file, { force: true });
  } finally {
    await fs.rm(marker, { force: true });
  }
  return true;
}

/** Creates `file` holding `content` if no file has that name; false if one has. */
async function createExclusive(file: string, content: string): Promise<boolean> {
  const tmp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await fs.writeFile(tmp, content, { flag: 'wx', mode: 0o600 });
  } catch (e) {
    throw storageError(`cannot create the lock ${file}`, e);
  }
  try {
    await fs.link(tmp, file);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw storageError(`cannot create the lock ${file}`, e);
  } finally {
    await fs.rm(tmp, { force: true });
  }
}

async function readContent(file: string): Promise<string | null> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw storageError(`cannot read the lock ${file}`, e);
  }
}

/** The PID a lock names (older Popbox wrote just the PID); 0 when it names none. */
function ownerPid(content: string): number {
  const pid = Number(content.trim().split(/\s+/)[0]);
  return Number.isInteger(pid) && pid > 0 ? pid : 0;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
