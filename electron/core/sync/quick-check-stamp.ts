/**
 * The quick check's stamp (quick-check.ts): how the Maildir's folder directories looked at the end
 * of the last full session, in `<account>/quick-check.json`. Its own module: it needs only node's
 * file system, not the POP3 client or the ledger behind the check.
 */
import fs from 'node:fs/promises';
import path from 'node:path';

const STAMP_FILE = 'quick-check.json';
/** Changes closer than this to a stamp's session start are not trusted to show in the times. */
const RACY_MS = 2000;

interface Stamp {
  /** When the session that wrote it started (ms since epoch, the file system's clock). */
  since: number;
  /** The server announced LOGIN-DELAY: a second login right after a quick check could be refused. */
  loginDelay: boolean;
  /** Maildir-relative directory → mtimeMs. */
  dirs: Record<string, number>;
}

/** The Maildir's folder directories and their times: the root, each `.Folder`, and their cur/ and new/. */
async function maildirTimes(maildir: string): Promise<Record<string, number>> {
  const times: Record<string, number> = {};
  const entries = await fs.readdir(maildir, { withFileTypes: true });
  const folders = ['', ...entries.filter((e) => e.isDirectory() && e.name.startsWith('.') && e.name !== '.' && e.name !== '..').map((e) => e.name)];
  const rels = folders.flatMap((f) => (f === '' ? ['', 'cur', 'new'] : [f, `${f}/cur`, `${f}/new`]));
  await Promise.all(
    rels.map(async (rel) => {
      const st = await fs.stat(path.join(maildir, rel)).catch(() => null);
      if (st) times[rel] = st.mtimeMs;
    }),
  );
  return times;
}

/**
 * After a full session (reconcile and sync done, the account's lock still held): remember how the
 * Maildir looks, so the next check may be a quick one. `since` is when the session started.
 */
export async function recordQuickCheckStamp(accountDir: string, since: number, loginDelay: boolean): Promise<void> {
  const stamp: Stamp = { since, loginDelay, dirs: await maildirTimes(path.join(accountDir, 'Maildir')) };
  // A cache, not state: a torn or missing file only means the next check is a full one.
  await fs.writeFile(path.join(accountDir, STAMP_FILE), JSON.stringify(stamp), { mode: 0o600 });
}

/** Whether the Maildir is still as the last full session left it (and that session's view can be trusted). */
export async function maildirUnchanged(accountDir: string): Promise<boolean> {
  let stamp: Stamp;
  try {
    stamp = JSON.parse(await fs.readFile(path.join(accountDir, STAMP_FILE), 'utf8')) as Stamp;
  } catch {
    return false;
  }
  if (typeof stamp.since !== 'number' || stamp.loginDelay !== false || typeof stamp.dirs !== 'object' || stamp.dirs === null) return false;
  const recorded = Object.entries(stamp.dirs);
  if (recorded.length === 0 || recorded.some(([, t]) => typeof t !== 'number' || t > stamp.since - RACY_MS)) return false;
  const now = await maildirTimes(path.join(accountDir, 'Maildir')).catch(() => null);
  if (!now || Object.keys(now).length !== recorded.length) return false;
  return recorded.every(([rel, t]) => now[rel] === t);
}
