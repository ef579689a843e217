/**
 * Make every directory of an account's Maildir look untouched for a minute: a quick-check stamp
 * is trusted only for directory times well before the session that wrote it (quick-check.ts), and
 * tests cannot wait.
 */
import fs from 'node:fs/promises';
import path from 'node:path';

/** Ages the Maildir of the account whose directory is `accountDir` (`<dataDir>/accounts/<id>`). */
export async function ageMaildir(accountDir: string): Promise<void> {
  const md = path.join(accountDir, 'Maildir');
  const then = new Date(Date.now() - 60_000);
  for (const folder of ['', ...(await fs.readdir(md)).filter((n) => n.startsWith('.'))]) {
    for (const sub of ['', 'cur', 'new']) await fs.utimes(path.join(md, folder, sub), then, then).catch(() => {});
  }
}

/** Ages the Maildir of every account in `dataDir`. */
export async function ageEveryMaildir(dataDir: string): Promise<void> {
  const accounts = path.join(dataDir, 'accounts');
  for (const id of await fs.readdir(accounts)) await ageMaildir(path.join(accounts, id));
}
