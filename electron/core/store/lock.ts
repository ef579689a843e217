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
 * created for an empty, stale one. Where the filesystem has no hard links (exFAT, FAT32, some
 * network shares: EPERM, ENOTSUP) the lock is created with O_EXCL and then written and fsynced;
 * an empty lock younger than EMPTY_GRACE_MS is then one being written, never taken over.
 *
 * Release removes the lock only if it still holds this holder's token (PID and random part): a
 * second release of the same holder, after another owner took the lock, leaves that one alone.
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import { AppFailure } from '../errors.js';
import { storageError } from './durable.js';

/** How often to look again while another live process is in the middle of a takeover. */
const TAKEOVER_RETRIES = 200;
const TAKEOVER_WAIT_MS = 5;

/** An empty lock this young is being written (no-hard-link filesystems), not left by a crash. */
const EMPTY_GRACE_MS = 5000;

const ownContent = (): string => `${process.pid} ${randomBytes(9).toString('hex')}\n`;

/** What the holder of a lock keeps to release it: its file and the content only it wrote. */
export interface HeldLock {
  readonly file: string;
  readonly token: string;
}

export async function acquireLock(lockFile: string, busyMessage: (pid: number) => string): Promise<HeldLock> {
  const mine = ownContent();
  for (let attempt = 0; attempt < TAKEOVER_RETRIES; attempt++) {
    if (await createExclusive(lockFile, mine)) return { file: lockFile, token: mine };
    const seen = await readContent(lockFile);
    if (seen === null) continue; // released between our create and our read: try again
    if (seen === '' && (await youngerThan(lockFile, EMPTY_GRACE_MS))) {
      await sleep(TAKEOVER_WAIT_MS); // being written by its creator
      continue;
    }
    const pid = ownerPid(seen);
    if (pid > 0 && isAlive(pid)) throw new AppFailure('in-use', busyMessage(pid));
    if (!(await removeIfStill(lockFile, seen))) await sleep(TAKEOVER_WAIT_MS);
  }
  throw new AppFailure('in-use', busyMessage(0));
}

/** Removes the lock only if it still holds this holder's token (a second release does nothing). */
export async function releaseLock(lock: HeldLock): Promise<void> {
  // No other process takes a lock whose owner lives, so nothing can replace it between the read and the removal.
  if ((await readContent(lock.file)) === lock.token) await fs.rm(lock.file, { force: true });
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
  let linked: boolean;
  try {
    await fs.link(tmp, file);
    linked = true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (!NO_LINKS.has(code ?? '')) throw storageError(`cannot create the lock ${file}`, e);
    linked = false;
  } finally {
    await fs.rm(tmp, { force: true });
  }
  return linked || createExclusiveWithoutLink(file, content);
}

/** link(2) refused by the filesystem (exFAT, FAT32, some SMB/NFS shares), not by the name existing. */
const NO_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EMLINK']);

/** O_EXCL create, then the content written and fsynced: empty for a moment (see EMPTY_GRACE_MS). */
async function createExclusiveWithoutLink(file: string, content: string): Promise<boolean> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, 'wx', 0o600);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw storageError(`cannot create the lock ${file}`, e);
  }
  try {
    await handle.writeFile(content);
    await handle.sync();
  } catch (e) {
    await handle.close().catch(() => {});
    await fs.rm(file, { force: true });
    throw storageError(`cannot create the lock ${file}`, e);
  }
  await handle.close();
  return true;
}

async function youngerThan(file: string, ms: number): Promise<boolean> {
  try {
    return Date.now() - (await fs.stat(file)).mtimeMs < ms;
  } catch {
    return false;
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
