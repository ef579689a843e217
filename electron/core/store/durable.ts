/**
 * Durable file operations (DESIGN §3 invariant 1): a file counts as written only after its
 * bytes and the directory entry that names it are both on disk.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { AppFailure } from '../errors.js';

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

/**
 * Remove what an interrupted writeFileAtomic of `file` left behind (`.<name>.<random>.tmp`).
 * Called when the owner of `file` opens it, before anyone could be writing a new one.
 */
export async function removeStrayTemps(file: string): Promise<void> {
  const dir = path.dirname(file);
  const prefix = `.${path.basename(file)}.`;
  const names = await fs.readdir(dir).catch(() => [] as string[]);
  await Promise.all(names.filter((n) => n.startsWith(prefix) && n.endsWith('.tmp')).map((n) => fs.rm(path.join(dir, n), { force: true })));
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

/** A 'storage' failure naming what could not be done and why (ENOSPC said in words). */
export function storageError(what: string, e: unknown): AppFailure {
  const err = e as NodeJS.ErrnoException;
  const why = err?.code === 'ENOSPC' ? 'the disk is full' : err?.code ? `${err.code}` : String(e);
  return new AppFailure('storage', `${what}: ${why}`);
}

/**
 * Read an append-only JSON-lines file (ledger, journal): every complete line that parses, in
 * order. A last line without its newline was torn by a crash: it is dropped and cut off the
 * file, so the next append starts on a line of its own. A missing file is empty.
 */
export async function readJsonLines(file: string, what: string): Promise<unknown[]> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw storageError(`cannot read ${what} ${file}`, e);
  }
  const values: unknown[] = [];
  let good = 0;
  let offset = 0;
  for (const line of text.split('\n')) {
    const end = offset + line.length + 1;
    if (end > text.length) break; // no newline: torn by a crash
    offset = end;
    if (line.length === 0) continue;
    try {
      values.push(JSON.parse(line));
    } catch {
      // A broken line in the middle can only come from outside interference: skip it.
      continue;
    }
    good = end;
  }
  const goodBytes = Buffer.byteLength(text.slice(0, good));
  if (goodBytes !== Buffer.byteLength(text)) await fs.truncate(file, goodBytes);
  return values;
}
