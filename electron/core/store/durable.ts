/**
 * Durable file operations (DESIGN §3 invariant 1): a file counts as written only after its
 * bytes and the directory entry that names it are both on disk.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';

/** fsync a directory so a rename or create inside it survives a crash. */
export async function fsyncDir(dir: string): Promise<void> {
  const handle = await fs.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Replace `file` atomically: write a temporary file beside it, fsync it, rename it over the
 * target, fsync the directory. Readers see the old content or the new, never a mix; a crash
 * leaves at most a stray temporary file (named `.<name>.<random>.tmp`).
 */
export async function writeFileAtomic(file: string, data: string | Uint8Array, mode = 0o600): Promise<void> {
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await fs.open(tmp, 'wx', mode);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } catch (e) {
    await handle.close().catch(() => {});
    await fs.rm(tmp, { force: true });
    throw e;
  }
  await handle.close();
  try {
    await fs.rename(tmp, file);
  } catch (e) {
    await fs.rm(tmp, { force: true });
    throw e;
  }
  await fsyncDir(dir);
}

/** Append a line and fsync: for append-only logs (ledger, journal). */
export async function appendDurable(file: string, data: string | Uint8Array): Promise<void> {
  const handle = await fs.open(file, 'a', 0o600);
  try {
    await handle.appendFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
}
