/**
 * Durable file operations (DESIGN §3 invariant 1): a file counts as written only after its
 * bytes and the directory entry that names it are both on disk.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { AppFailure, isAppFailure } from '../errors.js';

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

/**
 * Append a line and fsync: for append-only logs (ledger, journal, outbox state). The append that
 * creates the file also fsyncs its directory, else a power loss could keep later files (a queued
 * message) and lose the log that says what they are.
 */
export async function appendDurable(file: string, data: string | Uint8Array): Promise<void> {
  const created = await fs.access(file).then(
    () => false,
    () => true,
  );
  const handle = await fs.open(file, 'a', 0o600);
  try {
    await handle.appendFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  if (created) await fsyncDir(path.dirname(file));
}

/** A 'storage' failure naming what could not be done and why (ENOSPC said in words). */
export function storageError(what: string, e: unknown): AppFailure {
  const err = e as NodeJS.ErrnoException;
  const why = err?.code === 'ENOSPC' ? 'the disk is full' : err?.code ? `${err.code}` : String(e);
  return new AppFailure('storage', `${what}: ${why}`);
}

/** A file as read: its bytes, or null when there was no such file. */
export interface FileRead {
  readonly file: string;
  readonly bytes: Buffer | null;
}

/** `file`'s bytes (null: no such file); any other failure to read it is a storage error. */
export async function readFileOrNone(file: string, what: string): Promise<FileRead> {
  try {
    return { file, bytes: await fs.readFile(file) };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { file, bytes: null };
    throw storageError(`cannot read ${what} ${file}`, e);
  }
}

/** Read an append-only JSON-lines file (ledger, journal, outbox state): jsonLinesOf what it holds now. */
export async function readJsonLines(file: string, what: string): Promise<unknown[]> {
  return jsonLinesOf(await readFileOrNone(file, what));
}

/**
 * An append-only JSON-lines file as read: every complete line that parses, in order. A last line
 * without its newline was torn by a crash: it is dropped and cut off the file, so the next append
 * starts on a line of its own. No file is empty. `read` must be the file as it is now (its
 * writers hold the account's lock, and so does every reader that folds it): the cut is made only
 * while the file still has the length that was read, so records appended since are never cut;
 * a file that changed under the reader is a storage error.
 */
export async function jsonLinesOf({ file, bytes }: FileRead): Promise<unknown[]> {
  if (bytes === null) return [];
  const values: unknown[] = [];
  // Byte offsets, not string lengths: a stray invalid UTF-8 byte must not move the cut.
  let good = 0;
  for (let start = 0, nl = bytes.indexOf(0x0a); nl >= 0; start = nl + 1, nl = bytes.indexOf(0x0a, start)) {
    if (nl === start) continue;
    try {
      values.push(JSON.parse(bytes.toString('utf8', start, nl)));
    } catch {
      // A broken line in the middle can only come from outside interference: skip it.
      continue;
    }
    good = nl + 1;
  }
  if (good !== bytes.length) await cutTo(file, good, bytes.length);
  return values;
}

/** Cuts `file` back to `length` bytes if it still has the `readLength` it was read with. */
async function cutTo(file: string, length: number, readLength: number): Promise<void> {
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(file, 'r+');
    const { size } = await handle.stat();
    if (size !== readLength) throw new Error(`it is ${size} bytes long, not the ${readLength} read`);
    await handle.truncate(length);
  } catch (e) {
    throw storageError(`cannot cut the torn last line off ${file}`, e);
  } finally {
    await handle?.close();
  }
}

function alreadyExists(dest: string, cause?: unknown): AppFailure {
  return new AppFailure('exists', `${dest} already exists`, cause === undefined ? {} : { cause });
}

async function pathExists(p: string): Promise<boolean> {
  try {
    await fs.lstat(p);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
}

/** Writes the stream to a new file and fsyncs it; returns the byte count. */
async function writeSynced(content: Readable, file: string): Promise<number> {
  const handle = await fs.open(file, 'wx', 0o666);
  let size = 0;
  try {
    for await (const chunk of content) {
      const buf = chunk as Buffer;
      for (let off = 0; off < buf.length; ) off += (await handle.write(buf, off)).bytesWritten;
      size += buf.length;
    }
    await handle.sync();
  } finally {
    await handle.close();
  }
  return size;
}

/**
 * Publishes `tmp` as `dest` unless `dest` exists. A hard link fails atomically on an existing
 * name, which a rename would silently replace; filesystems without hard links get a
 * check-then-rename, racy only against another writer of the same name.
 */
async function publishNoClobber(tmp: string, dest: string): Promise<void> {
  try {
    await fs.link(tmp, dest);
    await fs.rm(tmp, { force: true });
    return;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw alreadyExists(dest, e);
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw e;
  }
  if (await pathExists(dest)) throw alreadyExists(dest);
  await fs.rename(tmp, dest);
}

/**
 * Saves what `produce` hands to its writer as a new file `dest` (a place the user chose),
 * durably: written to a temporary file beside it, fsynced, moved into place, directory fsynced.
 * `dest` is either complete or absent, and an existing `dest` is never overwritten (code
 * 'exists'). `what` names the thing in errors ("cannot save attachment to …").
 */
export async function saveNewFile(
  dest: string,
  what: string,
  produce: (write: (content: Readable) => Promise<void>) => Promise<void>,
): Promise<{ size: number }> {
  if (await pathExists(dest).catch(() => false)) throw alreadyExists(dest);
  const dir = path.dirname(dest);
  const tmp = path.join(dir, `.${path.basename(dest)}.${randomBytes(6).toString('hex')}.tmp`);
  let size = 0;
  try {
    await produce(async (content) => {
      try {
        size = await writeSynced(content, tmp);
      } catch (e) {
        throw new AppFailure('storage', `cannot write ${dest}: ${(e as Error).message}`, { cause: e });
      }
    });
    await publishNoClobber(tmp, dest);
    await fsyncDir(dir);
  } catch (e) {
    await fs.rm(tmp, { force: true }).catch(() => {});
    if (isAppFailure(e)) throw e;
    throw new AppFailure('storage', `cannot save ${what} to ${dest}: ${(e as Error).message}`, { cause: e });
  }
  return { size };
}
