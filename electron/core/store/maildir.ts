/**
 * One account's Maildir (tmp/ → cur/), written so that other tools (mutt, notmuch, Dovecot)
 * can read it: the file holds the message exactly as RETR delivered it after dot-unstuffing,
 * flags live in the name ("<id>:2,FST").
 *
 * Delivery is split in two so the download never waits for the disk: `write` streams a body
 * into tmp/ (bounded memory), `finish` fsyncs it and renames it into cur/. The directory fsync
 * that makes renames durable is batched by the caller (`syncDirs`), before any DELE.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { AppFailure } from '../errors.js';
import { fsyncDir, storageError } from './durable.js';

import { curName, formatFlags, parseFlags, parseName, type Flags } from './ids.js';

export interface StoredFile {
  id: string;
  /** Path relative to the Maildir: "cur/<name>" or "new/<name>". */
  rel: string;
  flags: Flags;
  /** Flag letters we don't manage (R, D, P…), kept through renames. */
  otherFlags: string;
}

export interface StagedMessage {
  id: string;
  size: number;
  tmpPath: string;
  handle: FileHandle;
}

/**
 * Room a download must leave on the disk: 100 MB, or 5% of a small filesystem. A server that
 * sends without end (or mail bigger than the disk) stops with `storage` while the rest of the
 * computer still has room, instead of filling the disk. Checked before each message and then
 * again after half the room left above the reserve has been written (at most every 8 MB).
 */
const KEEP_FREE_BYTES = 100 * 1024 * 1024;
const ROOM_CHECK_MAX = 8 * 1024 * 1024;

/** Bytes gathered before one write: few system calls, bounded memory. */
const WRITE_BATCH = 1024 * 1024;


export class Maildir {
  private readonly files = new Map<string, StoredFile>();

  private constructor(readonly dir: string) {}

  /** Create (if needed) and index the Maildir. Leftovers in tmp/ are from interrupted deliveries. */
  static async open(dir: string, opts: { cleanTmp: boolean }): Promise<Maildir> {
    try {
      for (const sub of ['tmp', 'new', 'cur']) await fs.mkdir(path.join(dir, sub), { recursive: true, mode: 0o700 });
    } catch (e) {
      throw storageError(`cannot create the Maildir ${dir}`, e);
    }
    const md = new Maildir(dir);
    await md.scan();
    // Nothing in tmp/ was ever acknowledged (the ledger and DELE only follow the rename), so
    // removing it loses nothing. Only the holder of the account lock may do it.
    if (opts.cleanTmp) {
      for (const name of await fs.readdir(path.join(dir, 'tmp'))) await fs.rm(path.join(dir, 'tmp', name), { force: true });
    }
    return md;
  }

  private async scan(): Promise<void> {
    this.files.clear();
    const duplicates: string[] = [];
    for (const sub of ['new', 'cur'] as const) {
      for (const name of await fs.readdir(path.join(this.dir, sub))) {
        const parsed = parseName(name);
        if (!parsed) continue; // not ours: left alone
        const { flags, other } = parseFlags(parsed.info);
        if (this.files.has(parsed.id)) {
          // The same message twice (e.g. another tool moved a copy): keep one, it is the same mail.
          duplicates.push(path.join(sub, name));
          continue;
        }
        this.files.set(parsed.id, { id: parsed.id, rel: path.join(sub, name), flags, otherFlags: other });
      }
    }
    for (const rel of duplicates) await fs.rm(path.join(this.dir, rel), { force: true });
  }

  get size(): number {
    return this.files.size;
  }

  has(id: string): boolean {
    return this.files.has(id);
  }

  get(id: string): StoredFile | undefined {
    return this.files.get(id);
  }

  all(): IterableIterator<StoredFile> {
    return this.files.values();
  }

  pathOf(id: string): string | undefined {
    const f = this.files.get(id);
    return f ? path.join(this.dir, f.rel) : undefined;
  }

  /**
   * Stream a body into tmp/. On any failure (the server's or the disk's) the temporary file is
   * removed and the body destroyed, so nothing half-written is left and the session can go on.
   */
  async write(id: string, body: Readable, onChunk?: (chunk: Buffer) => void): Promise<StagedMessage> {
    const tmpPath = path.join(this.dir, 'tmp', `${id}.${process.pid}.${randomBytes(4).toString('hex')}`);
    let handle: FileHandle;
    let checkAfter: number;
    try {
      checkAfter = await this.ensureRoom(0);
      handle = await fs.open(tmpPath, 'wx', 0o600);
    } catch (e) {
      body.destroy();
      if (e instanceof AppFailure) throw e;
      throw storageError('cannot create a file for a new message', e);
    }
    let size = 0;
    let batch: Buffer[] = [];
    let batchBytes = 0;
    let sinceCheck = 0;
    const flush = async () => {
      sinceCheck += batchBytes;
      if (sinceCheck >= checkAfter) {
        sinceCheck = 0;
        checkAfter = await this.ensureRoom(batchBytes);
      }
      try {
        await writeAll(handle, batch);
      } catch (e) {
        throw storageError('cannot write a new message', e);
      }
      batch = [];
      batchBytes = 0;
    };
    try {
      for await (const chunk of body) {
        const buf = chunk as Buffer;
        onChunk?.(buf);
        batch.push(buf);
        batchBytes += buf.length;
        size += buf.length;
        if (batchBytes >= WRITE_BATCH) await flush();
      }
      if (batchBytes > 0) await flush();
    } catch (e) {
      body.destroy();
      await handle.close().catch(() => {});
      await fs.rm(tmpPath, { force: true });
      throw e;
    }
    return { id, size, tmpPath, handle };
  }

  /**
   * Refuses to write `incoming` more bytes when that would leave less than the reserve free (see
   * KEEP_FREE_BYTES); else says how many bytes may be written before the next look.
   */
  private async ensureRoom(incoming: number): Promise<number> {
    let free: number;
    let total: number;
    try {
      const st = await fs.statfs(this.dir);
      free = st.bavail * st.bsize;
      total = st.blocks * st.bsize;
    } catch {
      return ROOM_CHECK_MAX; // a filesystem that cannot say: the write itself reports ENOSPC
    }
    const reserve = Math.min(KEEP_FREE_BYTES, total * 0.05);
    if (free - incoming >= reserve) return Math.min(ROOM_CHECK_MAX, (free - incoming - reserve) / 2);
    const mb = (n: number) => `${Math.max(0, Math.round(n / 1024 / 1024))} MB`;
    throw new AppFailure(
      'storage',
      `the disk holding your mail is almost full (${mb(free)} left): Popbox stops downloading while less than ${mb(reserve)} is free, so the rest of the computer keeps working. Free some space and get mail again.`,
    );
  }

  /** Make a staged message durable and visible in cur/. A message already here keeps its flags. */
  async finish(staged: StagedMessage, flags: Flags = { seen: false, flagged: false, trashed: false }): Promise<StoredFile> {
    try {
      await staged.handle.sync();
      await staged.handle.close();
    } catch (e) {
      await staged.handle.close().catch(() => {});
      await fs.rm(staged.tmpPath, { force: true });
      throw storageError('cannot save a new message', e);
    }
    const existing = this.files.get(staged.id);
    const flagLetters = existing ? formatFlags(existing.flags, existing.otherFlags) : formatFlags(flags);
    const rel = path.join('cur', curName(staged.id, flagLetters));
    try {
      await fs.rename(staged.tmpPath, path.join(this.dir, rel));
      if (existing && existing.rel !== rel) await fs.rm(path.join(this.dir, existing.rel), { force: true });
    } catch (e) {
      await fs.rm(staged.tmpPath, { force: true });
      throw storageError('cannot save a new message', e);
    }
    const file: StoredFile = existing ? { ...existing, rel } : { id: staged.id, rel, flags, otherFlags: '' };
    this.files.set(staged.id, file);
    return file;
  }

  /** Throw a staged message away (the download failed after it was written, or was cancelled). */
  async discard(staged: StagedMessage): Promise<void> {
    await staged.handle.close().catch(() => {});
    await fs.rm(staged.tmpPath, { force: true });
  }

  /** fsync cur/ and new/: every rename and unlink before this call is now durable. */
  async syncDirs(): Promise<void> {
    try {
      await fsyncDir(path.join(this.dir, 'cur'));
      await fsyncDir(path.join(this.dir, 'new'));
    } catch (e) {
      throw storageError('cannot make new messages durable', e);
    }
  }

  async setFlags(id: string, flags: Flags): Promise<StoredFile> {
    await this.setFlagsMany([id], flags);
    return this.files.get(id)!;
  }

  /**
   * Applies `patch` to each message's flags as they are on disk (the file name is the truth),
   * renaming the files, then fsyncs each folder touched once (not once per message: marking
   * 10,000 read is 10,000 renames and one or two fsyncs). `onApplied` hears each message's new
   * flags as its rename is done, so a failure part-way can still be recorded for the ones that
   * happened. All ids are checked before anything is renamed.
   */
  async setFlagsMany(ids: readonly string[], patch: Partial<Flags>, onApplied?: (change: { id: string; flags: Flags }) => void): Promise<void> {
    for (const id of ids) if (!this.files.has(id)) throw new AppFailure('not-found', `no message ${id} in this mailbox`);
    const touched = new Set<string>();
    try {
      for (const id of ids) {
        const f = this.files.get(id)!;
        const flags = { ...f.flags, ...patch };
        const rel = path.join('cur', curName(id, formatFlags(flags, f.otherFlags)));
        if (rel !== f.rel) {
          await fs.rename(path.join(this.dir, f.rel), path.join(this.dir, rel));
          touched.add('cur').add(path.dirname(f.rel));
        }
        this.files.set(id, { ...f, rel, flags });
        onApplied?.({ id, flags });
      }
    } catch (e) {
      // The renames that happened stay, and are made durable as far as the disk lets us.
      for (const sub of touched) await fsyncDir(path.join(this.dir, sub)).catch(() => {});
      throw storageError('cannot change the message flags', e);
    }
    try {
      for (const sub of touched) await fsyncDir(path.join(this.dir, sub));
    } catch (e) {
      throw storageError('cannot change the message flags', e);
    }
  }

  /** Delete the local file for good (durably). */
  async remove(id: string): Promise<void> {
    const f = this.files.get(id);
    if (!f) return;
    try {
      await fs.rm(path.join(this.dir, f.rel), { force: true });
      await fsyncDir(path.join(this.dir, path.dirname(f.rel)));
    } catch (e) {
      throw storageError('cannot delete the message', e);
    }
    this.files.delete(id);
  }
}

async function writeAll(handle: FileHandle, buffers: Buffer[]): Promise<void> {
  let pending = buffers;
  while (pending.length > 0) {
    const { bytesWritten } = await handle.writev(pending);
    // Regular files rarely write short, but a filling disk can: carry on from where it stopped.
    let skip = bytesWritten;
    const rest: Buffer[] = [];
    for (const b of pending) {
      if (skip >= b.length) {
        skip -= b.length;
        continue;
      }
      rest.push(skip > 0 ? b.subarray(skip) : b);
      skip = 0;
    }
    if (rest.length === pending.length && bytesWritten === 0) throw Object.assign(new Error('no progress writing'), { code: 'EIO' });
    pending = rest;
  }
}
