/**
 * One account's Maildir++ tree (tmp/ → cur/), written so that other tools (mutt, notmuch,
 * Dovecot) can read it: the root is the inbox, each folder a `.Name` directory beside it
 * (`.Work.Projects/cur/…`); the file holds the message exactly as RETR delivered it after
 * dot-unstuffing, flags live in the name ("<id>:2,FS"). A message keeps its id (its file name)
 * in whatever folder it is filed: moving is one rename, so after any crash it is in exactly one.
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

import { INBOX, SPECIAL_FOLDERS, isWithin, parentKey, roleKey } from '../../../shared/folders.js';
import { curName, formatFlags, newLocalId, parseFlags, parseName, type Flags } from './ids.js';

export interface StoredFile {
  id: string;
  /** The key of the folder it is filed in ("INBOX", "Work.Projects"; see shared/folders.ts). */
  folder: string;
  /** Path relative to the Maildir root: "cur/<name>" in the inbox, ".Work/cur/<name>" in a folder. */
  rel: string;
  flags: Flags;
  /** Flag letters we don't manage (R, D, P…), kept through renames. */
  otherFlags: string;
}

/** The directory of a folder under the Maildir root (Maildir++: the inbox is the root itself). */
export function folderDir(key: string): string {
  return key === INBOX ? '' : `.${key}`;
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
  /** Every folder's key, the inbox's included. */
  private readonly folderKeys = new Set<string>([INBOX]);
  /** Folders whose cur/ got new files since the last syncDirs (beside the inbox's own). */
  private readonly unsynced = new Set<string>();

  private constructor(readonly dir: string) {}

  /**
   * Create (if needed) and index the Maildir++ tree. Leftovers in tmp/ are from interrupted
   * deliveries. The holder of the account lock (`cleanTmp`) also makes the special folders and
   * files in Trash whatever is marked T (trashed).
   */
  static async open(dir: string, opts: { cleanTmp: boolean }): Promise<Maildir> {
    try {
      for (const sub of ['tmp', 'new', 'cur']) await fs.mkdir(path.join(dir, sub), { recursive: true, mode: 0o700 });
    } catch (e) {
      throw storageError(`cannot create the Maildir ${dir}`, e);
    }
    const md = new Maildir(dir);
    const trashed = await md.scan();
    // Nothing in tmp/ was ever acknowledged (the ledger and DELE only follow the rename), so
    // removing it loses nothing. Only the holder of the account lock may do it.
    if (opts.cleanTmp) {
      for (const key of md.folderKeys) {
        const tmp = path.join(dir, folderDir(key), 'tmp');
        for (const name of await fs.readdir(tmp).catch(() => [] as string[])) await fs.rm(path.join(tmp, name), { force: true });
      }
      for (const f of SPECIAL_FOLDERS) if (f.key !== INBOX && !md.folderKeys.has(f.key)) await md.createFolder(f.key);
      if (trashed.length > 0) await md.fileTrashed(trashed);
    }
    return md;
  }

  /** Index every folder; returns the ids of files marked T. */
  private async scan(): Promise<string[]> {
    this.files.clear();
    const duplicates: string[] = [];
    const trashed: string[] = [];
    const keys = [INBOX];
    for (const entry of await fs.readdir(this.dir, { withFileTypes: true })) {
      if (entry.isDirectory() && entry.name.startsWith('.') && entry.name.length > 1 && entry.name !== '..') keys.push(entry.name.slice(1));
    }
    for (const key of keys) {
      this.folderKeys.add(key);
      for (const sub of ['new', 'cur'] as const) {
        const folderRel = path.join(folderDir(key), sub);
        let names: string[];
        try {
          names = await fs.readdir(path.join(this.dir, folderRel));
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue; // a folder another tool left half made
          throw storageError(`cannot read the folder ${key}`, e);
        }
        for (const name of names) {
          const parsed = parseName(name);
          if (!parsed) continue; // not ours: left alone
          const { flags, other, trashed: t } = parseFlags(parsed.info);
          const rel = path.join(folderRel, name);
          if (this.files.has(parsed.id)) {
            // The same message twice (e.g. another tool copied a file): keep one, it is the same mail.
            duplicates.push(rel);
            continue;
          }
          this.files.set(parsed.id, { id: parsed.id, folder: key, rel, flags, otherFlags: other });
          if (t) trashed.push(parsed.id);
        }
      }
    }
    for (const rel of duplicates) await fs.rm(path.join(this.dir, rel), { force: true });
    return trashed;
  }

  /** Files marked T go to Trash, without the T (in Trash a message is simply there). */
  private async fileTrashed(ids: string[]): Promise<void> {
    const trash = roleKey('trash');
    const inTrash = new Set(ids.filter((id) => this.files.get(id)!.folder === trash));
    // moveMany and setFlagsMany rename to the name our flags give, which has no T.
    await this.moveMany(
      ids.filter((id) => !inTrash.has(id)),
      trash,
    );
    await this.setFlagsMany([...inTrash], {});
  }

  /** Every folder's key (the inbox's "INBOX" too). */
  folders(): string[] {
    return [...this.folderKeys];
  }

  hasFolder(key: string): boolean {
    return this.folderKeys.has(key);
  }

  /** The messages filed in a folder (or below it, with `within`). */
  inFolder(key: string, opts: { within?: boolean } = {}): StoredFile[] {
    const out: StoredFile[] = [];
    for (const f of this.files.values()) if (opts.within ? isWithin(f.folder, key) : f.folder === key) out.push(f);
    return out;
  }

  /**
   * Make a folder (and the folders above it) as Maildir++ does: `.Key/{tmp,new,cur}` and a
   * `maildirfolder` file, then fsync the root so the folder survives a crash.
   */
  async createFolder(key: string): Promise<void> {
    if (this.folderKeys.has(key)) return;
    const parent = parentKey(key);
    if (parent !== null) await this.createFolder(parent);
    const dir = path.join(this.dir, folderDir(key));
    try {
      for (const sub of ['tmp', 'new', 'cur']) await fs.mkdir(path.join(dir, sub), { recursive: true, mode: 0o700 });
      await fs.writeFile(path.join(dir, 'maildirfolder'), '', { mode: 0o600 });
      await fsyncDir(this.dir);
    } catch (e) {
      throw storageError('cannot create the folder', e);
    }
    this.folderKeys.add(key);
  }

  /**
   * Rename a folder and every folder below it (each is a directory of its own in Maildir++).
   * A crash part-way leaves some of them under the new name and some under the old: every
   * message is still in one folder, and renaming again finishes the job.
   */
  async renameFolder(from: string, to: string): Promise<void> {
    const moving = [...this.folderKeys].filter((k) => isWithin(k, from)).sort();
    const parent = parentKey(to);
    if (parent !== null) await this.createFolder(parent);
    try {
      for (const key of moving) {
        const next = to + key.slice(from.length);
        await fs.rename(path.join(this.dir, folderDir(key)), path.join(this.dir, folderDir(next)));
        this.folderKeys.delete(key);
        this.folderKeys.add(next);
        for (const f of this.files.values()) {
          if (f.folder !== key) continue;
          this.files.set(f.id, { ...f, folder: next, rel: path.join(folderDir(next), path.relative(folderDir(key), f.rel)) });
        }
      }
      await fsyncDir(this.dir);
    } catch (e) {
      throw storageError('cannot rename the folder', e);
    }
  }

  /** Remove an empty folder and the empty folders below it. */
  async removeFolder(key: string): Promise<void> {
    if (key === INBOX) throw new AppFailure('invalid', 'the inbox cannot be removed');
    const left = this.inFolder(key, { within: true });
    if (left.length > 0) throw new AppFailure('invalid', `the folder still holds ${left.length} message${left.length === 1 ? '' : 's'}`);
    try {
      for (const k of [...this.folderKeys].filter((k) => isWithin(k, key)).sort().reverse()) {
        await fs.rm(path.join(this.dir, folderDir(k)), { recursive: true, force: true });
        this.folderKeys.delete(k);
      }
      await fsyncDir(this.dir);
    } catch (e) {
      throw storageError('cannot remove the folder', e);
    }
  }

  /**
   * File messages in another folder: one rename each (the name, so the id and flags, stays),
   * then one fsync per directory touched. `onMoved` hears each move as its rename is done, so a
   * failure part-way can still be recorded for the ones that happened. Messages already in the
   * folder are left alone. All ids and the folder are checked before anything moves.
   */
  async moveMany(ids: readonly string[], folder: string, onMoved?: (file: StoredFile, from: string) => void): Promise<void> {
    if (!this.folderKeys.has(folder)) throw new AppFailure('not-found', `no folder ${folder} in this mailbox`);
    for (const id of ids) if (!this.files.has(id)) throw new AppFailure('not-found', `no message ${id} in this mailbox`);
    const touched = new Set<string>();
    try {
      for (const id of ids) {
        const f = this.files.get(id)!;
        if (f.folder === folder) continue;
        const rel = path.join(folderDir(folder), 'cur', curName(id, formatFlags(f.flags, f.otherFlags)));
        await fs.rename(path.join(this.dir, f.rel), path.join(this.dir, rel));
        touched.add(path.dirname(rel)).add(path.dirname(f.rel));
        const moved = { ...f, folder, rel };
        this.files.set(id, moved);
        onMoved?.(moved, f.folder);
      }
    } catch (e) {
      for (const sub of touched) await fsyncDir(path.join(this.dir, sub)).catch(() => {});
      throw storageError('cannot move the messages', e);
    }
    try {
      for (const sub of touched) await fsyncDir(path.join(this.dir, sub));
    } catch (e) {
      throw storageError('cannot move the messages', e);
    }
  }

  /**
   * Copy messages into a folder under new ids (a copy is a message of its own: deleting it
   * never touches the original or the server). Each copy is written to tmp/, fsynced and renamed
   * in, so a crash leaves a whole copy or none.
   */
  async copyMany(ids: readonly string[], folder: string, onCopied?: (file: StoredFile, from: StoredFile) => void): Promise<void> {
    if (!this.folderKeys.has(folder)) throw new AppFailure('not-found', `no folder ${folder} in this mailbox`);
    for (const id of ids) if (!this.files.has(id)) throw new AppFailure('not-found', `no message ${id} in this mailbox`);
    const dest = path.join(this.dir, folderDir(folder));
    let copied = 0;
    try {
      for (const id of ids) {
        const from = this.files.get(id)!;
        const copyId = newLocalId();
        const tmp = path.join(dest, 'tmp', `${copyId}.${process.pid}`);
        await fs.copyFile(path.join(this.dir, from.rel), tmp, fs.constants.COPYFILE_EXCL);
        const handle = await fs.open(tmp, 'r+');
        try {
          await handle.sync();
        } finally {
          await handle.close();
        }
        const rel = path.join(folderDir(folder), 'cur', curName(copyId, formatFlags(from.flags, from.otherFlags)));
        await fs.rename(tmp, path.join(this.dir, rel));
        const file: StoredFile = { id: copyId, folder, rel, flags: { ...from.flags }, otherFlags: from.otherFlags };
        this.files.set(copyId, file);
        copied++;
        onCopied?.(file, from);
      }
    } catch (e) {
      if (copied > 0) await fsyncDir(path.join(dest, 'cur')).catch(() => {});
      throw storageError('cannot copy the messages', e);
    }
    try {
      await fsyncDir(path.join(dest, 'cur'));
    } catch (e) {
      throw storageError('cannot copy the messages', e);
    }
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

  /**
   * Make a staged message durable and visible in its folder's cur/ (the inbox unless `folder`
   * says). A message already here (the rest of a headers-only one) keeps its flags and folder.
   */
  async finish(staged: StagedMessage, flags: Flags = { seen: false, flagged: false }, folder: string = INBOX): Promise<StoredFile> {
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
    const into = existing?.folder ?? folder;
    if (!this.folderKeys.has(into)) await this.createFolder(into);
    const rel = path.join(folderDir(into), 'cur', curName(staged.id, flagLetters));
    try {
      await fs.rename(staged.tmpPath, path.join(this.dir, rel));
      if (existing && existing.rel !== rel) await fs.rm(path.join(this.dir, existing.rel), { force: true });
    } catch (e) {
      await fs.rm(staged.tmpPath, { force: true });
      throw storageError('cannot save a new message', e);
    }
    const file: StoredFile = existing ? { ...existing, rel } : { id: staged.id, folder: into, rel, flags, otherFlags: '' };
    this.files.set(staged.id, file);
    if (into !== INBOX) this.unsynced.add(into);
    return file;
  }

  /** Throw a staged message away (the download failed after it was written, or was cancelled). */
  async discard(staged: StagedMessage): Promise<void> {
    await staged.handle.close().catch(() => {});
    await fs.rm(staged.tmpPath, { force: true });
  }

  /** fsync cur/ and new/ (and any folder a message was finished into): every rename and unlink before this call is now durable. */
  async syncDirs(): Promise<void> {
    try {
      await fsyncDir(path.join(this.dir, 'cur'));
      await fsyncDir(path.join(this.dir, 'new'));
      for (const key of [...this.unsynced]) {
        await fsyncDir(path.join(this.dir, folderDir(key), 'cur'));
        this.unsynced.delete(key);
      }
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
        const rel = path.join(folderDir(f.folder), 'cur', curName(id, formatFlags(flags, f.otherFlags)));
        if (rel !== f.rel) {
          await fs.rename(path.join(this.dir, f.rel), path.join(this.dir, rel));
          touched.add(path.dirname(rel)).add(path.dirname(f.rel));
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
