/**
 * What the CLI's quick path (cli/quick-sync.ts) found and still holds, handed to the full path of
 * the same command (DESIGN §7: one object the command creates and passes down, not module-global
 * state): the data directory's lock (MailService.open takes it instead of locking again, so no
 * other Popbox gets the directory in between) and each checked account's outcome (AccountSync takes
 * it instead of checking again: a found answer is not asked twice, and a session with work goes on
 * without a second login, its account lock held from the quick check to the full sync's end,
 * DESIGN §3.4). Each is taken at most once; whatever is never taken is let go by releaseAll.
 *
 * Light on purpose: cli/index.ts creates one before it knows the command (`account list` loads
 * nothing more for it); the lock and quick-check modules are loaded only to release something.
 */
import path from 'node:path';
import type { HeldLock } from '../store/lock.js';
import type { QuickCheckOutcome } from './quick-check.js';

type Outcome = NonNullable<QuickCheckOutcome>;
type Work = Extract<Outcome, { kind: 'work' }>;

export class HandOver {
  private readonly locks = new Map<string, HeldLock>();
  private readonly outcomes = new Map<string, Outcome>();

  /** Keep `lock` (held on `dataDir`) for the full path of this command. */
  parkLock(dataDir: string, lock: HeldLock): void {
    this.locks.set(path.resolve(dataDir), lock);
  }

  /** The lock parked for `dataDir`, at most once; undefined when none is. */
  takeLock(dataDir: string): HeldLock | undefined {
    const key = path.resolve(dataDir);
    const lock = this.locks.get(key);
    this.locks.delete(key);
    return lock;
  }

  /** Keep what the quick check found for `accountDir`; a session with work waits idle (it does not keep the process alive). */
  parkOutcome(accountDir: string, outcome: Outcome): void {
    const key = path.resolve(accountDir);
    const before = this.outcomes.get(key);
    if (before?.kind === 'work') void drop(before);
    if (outcome.kind === 'work') outcome.loggedIn.keepProcessAlive(false);
    this.outcomes.set(key, outcome);
  }

  /** The outcome parked for `accountDir`, at most once; a session with work is the taker's from here (kept alive again). */
  takeOutcome(accountDir: string): QuickCheckOutcome | undefined {
    const key = path.resolve(accountDir);
    const outcome = this.outcomes.get(key);
    this.outcomes.delete(key);
    if (outcome?.kind === 'work') outcome.loggedIn.keepProcessAlive(true);
    return outcome;
  }

  /**
   * Everything never taken (the full path stopped before opening the data directory or syncing
   * the account), let go: sessions closed without QUIT (nothing was asked of the server, so
   * nothing is deleted), their account locks and the data directory's lock released.
   */
  async releaseAll(): Promise<void> {
    const sessions = [...this.outcomes.values()].filter((o): o is Work => o.kind === 'work');
    const locks = [...this.locks.values()];
    this.outcomes.clear();
    this.locks.clear();
    if (sessions.length === 0 && locks.length === 0) return;
    const { releaseLock } = await import('../store/lock.js');
    await Promise.all([...sessions.map(drop), ...locks.map((l) => releaseLock(l).catch(() => {}))]);
  }
}

/** quick-check.ts dropHandOver, loaded only when a session is let go (it brings the POP3 client). */
async function drop(work: Work): Promise<void> {
  const { dropHandOver } = await import('./quick-check.js');
  await dropHandOver(work);
}
