/**
 * "Empty Trash / delete junk after N days" looks at most once an hour per account and folder
 * (folder-service.ts purgeAged). When each last ran is kept in `<account>/purged.json`, not only
 * in memory: a new process (a cron `popbox sync`, the CLI's quick path) knows a purge ran within
 * the hour and need not open the account's mailbox to run it again. A cache, not state: a
 * missing, torn or odd file only means the next check purges.
 */
import fs from 'node:fs/promises';
import path from 'node:path';

export const PURGE_EVERY_MS = 3_600_000;
const FILE = 'purged.json';

/** Per Maildir++ folder key ('Trash', 'Junk'): the last purge that ran to its end, and with which N. */
export type PurgeMarks = Record<string, { at: number; days: number }>;

export async function readPurgeMarks(accountDir: string): Promise<PurgeMarks> {
  try {
    const raw = JSON.parse(await fs.readFile(path.join(accountDir, FILE), 'utf8')) as unknown;
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return {};
    const marks: PurgeMarks = {};
    for (const [folder, m] of Object.entries(raw as Record<string, unknown>)) {
      const { at, days } = (m ?? {}) as { at?: unknown; days?: unknown };
      if (typeof at === 'number' && typeof days === 'number') marks[folder] = { at, days };
    }
    return marks;
  } catch {
    return {};
  }
}

export async function writePurgeMarks(accountDir: string, marks: PurgeMarks): Promise<void> {
  // Loaded here: the CLI's quick path reads marks and never writes them.
  const { writeFileAtomic } = await import('../store/durable.js');
  await writeFileAtomic(path.join(accountDir, FILE), JSON.stringify(marks));
}

/**
 * Whether a purge with `days` must run now, after `last`: none yet, N changed, an hour gone, or
 * a clock set back (now < last.at: it purges rather than waiting out the difference).
 */
export function purgeDue(last: { at: number; days: number } | undefined, days: number, now: number): boolean {
  if (days <= 0) return false;
  return !(last && last.days === days && now >= last.at && now - last.at < PURGE_EVERY_MS);
}
