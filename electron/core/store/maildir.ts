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
import fsc from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { AppFailure, isAppFailure } from '../errors.js';
import { fsyncDir, storageError } from './durable.js';
import { SMALL_WRITE, writeBody } from './write-body.js';

import { INBOX, SPECIAL_FOLDERS, isWithin, parentKey, pathOf, roleKey } from '../../../shared/folders.js';
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
  /** The open temporary file (a plain descriptor: see `write`). */
  fd: number;
}

/**
 * Room a download must leave on the disk: 100 MB, or 5% of a small filesystem. A server that
 * sends without end (or mail bigger than the disk) stops with `storage` while the rest of the
 * computer still has room, instead of filling the disk. Checked before each message and then
 * again after half the room left above the reserve has been written (at most every 8 MB).
 */
const KEEP_FREE_BYTES = 100 * 1024 * 1024;
const ROOM_CHECK_MAX = 8 * 1024 * 1024;

/**
 * Temporary files a sync keeps opened ahead (see Maildir.openAhead): as many as it has messages
 * finishing at once (sync-engine's MAX_FINISHING), so an open requested in the pool has the
 * fsyncs queued before it done by the time its message starts.
 */
const OPEN_AHEAD = 8;

interface OpenedAhead {
  file: Promise<{ fd: number; tmpPath: string }>;
  /** The open is done (either way): taking it does not wait. */
  settled: boolean;
}

// A new message costs a handful of file operations and little else, and on a busy machine each
// round trip through the thread pool costs more than the work (about 100 µs of CPU each on a
// loaded 2-core VM; mime/reader.ts measured the same). So delivery uses plain callbacks on a
// descriptor rather than fs.promises' FileHandle. On a local disk it sends through the pool only
// what waits for the disk (the fsync, and writes larger than SMALL_WRITE), and opens, writes small
// bodies, closes and renames in place; elsewhere all of it goes through the pool (onLocalDisk).
const fsyncFd = (fd: number) => new Promise<void>((resolve, reject) => fsc.fsync(fd, (e) => (e ? reject(e) : resolve())));
const openFd = (file: string, flags: string, mode: number) =>
  new Promise<number>((resolve, reject) => fsc.open(file, flags, mode, (e, fd) => (e ? reject(e) : resolve(fd))));
const renameFile = (from: string, to: string) => new Promise<void>((resolve, reject) => fsc.rename(from, to, (e) => (e ? reject(e) : resolve())));

/**
 * Linux filesystems on a local disk (statfs f_type): ext2/3/4, XFS, Btrfs, tmpfs, F2FS, ZFS,
 * bcachefs, overlayfs (containers). Only on these are the open, small writes and rename of a new message done on this
 * thread (see SMALL_WRITE): a network or FUSE filesystem whose server stopped answering blocks
 * an open or a rename with no timeout, and on the app's main thread that would freeze the whole
 * app, not just the sync (review of 16c4813). Anywhere else (NFS, SMB, FUSE, another OS, a
 * filesystem that cannot say) everything goes through the thread pool, as before.
 */
const LOCAL_FILESYSTEMS = new Set([0xef53, 0x58465342, 0x9123683e, 0x01021994, 0xf2f52010, 0x2fc12fc1, 0xca451a4e, 0x794c7630]);

/** Whether `dir` is on a local disk (LOCAL_FILESYSTEMS); false when it cannot be told. */
export async function onLocalDisk(dir: string): Promise<boolean> {
  if (process.platform !== 'linux') return false;
  try {
    return LOCAL_FILESYSTEMS.has(Number((await fs.statfs(dir)).type));
  } catch {
    return false;
  }
}

/**
 * A name in tmp/ no other delivery uses: the id, this process's id and a random tag (both taken
 * once: process.pid is a system call each time, and random bytes per message showed in profiles),
 * and a counter for this process's deliveries.
 */
const TMP_TAG = `${process.pid}.${randomBytes(4).toString('hex')}`;
let tmpCount = 0;
function tmpName(id: string): string {
  return `${id}.${TMP_TAG}.${(tmpCount++).toString(36)}`;
}

function closeFd(fd: number): void {
  try {
    fsc.closeSync(fd);
  } catch {
    // only after a failure (or a discard): the file is removed anyway
  }
}


export class Maildir {
  private readonly files = new Map<string, StoredFile>();
  /** Every folder's key, the inbox's included. */
  private readonly folderKeys = new Set<string>([INBOX]);
  /** Folders whose cur/ got new files since the last syncDirs (beside the inbox's own). */
  private readonly unsynced = new Set<string>();
  /**
   * Changes to the index and the files (renames, new folders, removals) run one at a time. A
   * sync lets quick commands work beside it, and two of them interleaving at an await (a move
   * into a folder while it is removed or renamed, a flag change while the file is moved) each
   * wrote back what they had read before the other's rename: files were removed with their
   * folder, or indexed in a folder that no longer existed.
   */
  private queue: Promise<unknown> = Promise.resolve();
  /**
   * Bytes new messages may take before the free space is looked at again (see ensureRoom):
   * counted across messages, so a sync of many small ones does not ask the filesystem once each.
   */
  private roomAllowance = 0;
  /** Whether new messages are opened, written (when small) and renamed on this thread (onLocalDisk). */
  private localDisk = false;
  /**
   * Sees a new message's whole body when it was written in one go (writeBody's onWhole), before
   * it is durable: ingest parses those bytes instead of reading the file back (set by a sync's
   * IngestRun for its life).
   */
  onWholeBody: ((id: string, buffers: readonly Buffer[], size: number) => void) | null = null;
  /** Temporary files opened ahead in the thread pool (see openAhead), oldest first. */
  private ahead: OpenedAhead[] = [];
  /** Messages the caller said it will still write, beyond those opened ahead. */
  private aheadWanted = 0;

  private constructor(readonly dir: string) {}

  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => {});
    return run;
  }

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
    md.localDisk = await onLocalDisk(dir);
    const trashed = await md.scan();
    // Nothing in tmp/ was ever acknowledged (the ledger and DELE only follow the rename), so
    // removing it loses nothing. Only the holder of the account lock may do it.
    if (opts.cleanTmp) {
      for (const key of md.folderKeys) {
        const tmp = path.join(dir, folderDir(key), 'tmp');
        for (const name of await fs.readdir(tmp).catch(() => [] as string[])) await fs.rm(path.join(tmp, name), { force: true });
      }
      for (const f of SPECIAL_FOLDERS) if (f.key !== INBOX && !md.folderKeys.has(f.key)) await md.createFolder(f.key);
      // A folder whose parent is missing (a rename or another tool stopped part-way) gets its
      // parent back, so the tree can show it and it can be renamed or removed.
      for (const key of [...md.folderKeys]) {
        const parent = parentKey(key);
        if (parent !== null && !md.folderKeys.has(parent)) await md.createFolder(parent);
      }
      if (trashed.length > 0) await md.fileTrashed(trashed);
    }
    return md;
  }

  /**
   * Index every folder; returns the ids of files marked T. A `.Name` directory is a folder only
   * when it is a Maildir (it has cur/): notmuch keeps its database in `.notmuch`, other tools
   * keep their own state beside the folders.
   */
  private async scan(): Promise<string[]> {
    this.files.clear();
    const trashed: string[] = [];
    const keys = [INBOX];
    for (const entry of await fs.readdir(this.dir, { withFileTypes: true })) {
      if (!entry.isDirectory() || !entry.name.startsWith('.') || entry.name.length < 2 || entry.name === '..' || entry.name === '.notmuch') continue;
      if (await isDirectory(path.join(this.dir, entry.name, 'cur'))) keys.push(entry.name.slice(1));
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
          // The same id twice (another tool copied a file keeping its name, or renamed one while
          // this listing ran): the first is indexed, the other left alone, never deleted.
          if (this.files.has(parsed.id)) continue;
          this.files.set(parsed.id, { id: parsed.id, folder: key, rel, flags, otherFlags: other });
          if (t) trashed.push(parsed.id);
        }
      }
    }
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
  createFolder(key: string): Promise<void> {
    return this.exclusive(() => this.createFolderNow(key));
  }

  private async createFolderNow(key: string): Promise<void> {
    if (this.folderKeys.has(key)) return;
    const parent = parentKey(key);
    if (parent !== null) await this.createFolderNow(parent);
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
   * message is still in one folder, and the next open gives a stranded subfolder its parent.
   */
  renameFolder(from: string, to: string): Promise<void> {
    return this.exclusive(() => this.renameFolderNow(from, to));
  }

  private async renameFolderNow(from: string, to: string): Promise<void> {
    if (!this.folderKeys.has(from)) throw new AppFailure('not-found', `no folder ${from} in this mailbox`);
    if (this.folderKeys.has(to)) throw new AppFailure('invalid', `a folder ${to} exists already`);
    const moving = [...this.folderKeys].filter((k) => isWithin(k, from)).sort();
    const parent = parentKey(to);
    if (parent !== null) await this.createFolderNow(parent);
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

  /**
   * Remove an empty folder and the empty folders below it. Empty on disk, not only in the index:
   * a file another tool put there (mutt, an LMTP delivery) is mail Popbox does not list, and
   * removing the directory would delete it.
   */
  removeFolder(key: string): Promise<void> {
    return this.exclusive(() => this.removeFolderNow(key));
  }

  private async removeFolderNow(key: string): Promise<void> {
    if (key === INBOX) throw new AppFailure('invalid', 'the inbox cannot be removed');
    if (!this.folderKeys.has(key)) throw new AppFailure('not-found', `no folder ${key} in this mailbox`);
    const left = this.inFolder(key, { within: true });
    if (left.length > 0) throw new AppFailure('invalid', `the folder still holds ${left.length} message${left.length === 1 ? '' : 's'}`);
    const keys = [...this.folderKeys].filter((k) => isWithin(k, key)).sort().reverse();
    for (const k of keys) {
      for (const sub of ['cur', 'new']) {
        const names = await fs.readdir(path.join(this.dir, folderDir(k), sub)).catch(() => [] as string[]);
        if (names.length > 0) {
          throw new AppFailure('invalid', `The folder “${pathOf(k).join('/')}” holds ${names.length} file${names.length === 1 ? '' : 's'} Popbox does not list (put there by another program); move or delete them first.`);
        }
      }
    }
    try {
      for (const k of keys) {
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
  moveMany(ids: readonly string[], folder: string, onMoved?: (file: StoredFile, from: string) => void): Promise<void> {
    return this.exclusive(() => this.moveManyNow(ids, folder, onMoved));
  }

  private async moveManyNow(ids: readonly string[], folder: string, onMoved?: (file: StoredFile, from: string) => void): Promise<void> {
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
  copyMany(ids: readonly string[], folder: string, onCopied?: (file: StoredFile, from: StoredFile) => void): Promise<void> {
    return this.exclusive(() => this.copyManyNow(ids, folder, onCopied));
  }

  private async copyManyNow(ids: readonly string[], folder: string, onCopied?: (file: StoredFile, from: StoredFile) => void): Promise<void> {
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
    let tmpPath = path.join(this.dir, 'tmp', tmpName(id));
    let fd: number;
    try {
      if (this.roomAllowance <= 0) this.roomAllowance = await this.ensureRoom(0);
      // A file opened ahead is taken only once its open is done: the download never waits for
      // the pool (whose threads may all be in fsyncs); else this message opens its own, as before.
      const opened = this.ahead[0]?.settled ? this.ahead.shift()! : undefined;
      if (opened) {
        this.refillAhead();
        ({ fd, tmpPath } = await opened.file);
      } else {
        if (this.aheadWanted > 0) this.aheadWanted--;
        // On a local disk created here, not in the thread pool: an open in tmp/ does not wait
        // for the disk, and in the pool it queued behind the fsyncs of the messages before it
        // (see SMALL_WRITE). Elsewhere in the pool (onLocalDisk).
        fd = this.localDisk ? fsc.openSync(tmpPath, 'wx', 0o600) : await openFd(tmpPath, 'wx', 0o600);
      }
    } catch (e) {
      body.destroy();
      if (isAppFailure(e)) throw e;
      throw storageError('cannot create a file for a new message', e);
    }
    let size: number;
    try {
      size = await writeBody(body, fd, {
        onChunk,
        // Looked at again once the allowance is spent: never more than half the room left above
        // the reserve (at most ROOM_CHECK_MAX) is written between two looks.
        // Waits (for statfs) only when the allowance is spent: a batch within it may then be
        // written at once (syncWriteMax).
        beforeWrite: (bytes) => {
          if (bytes > this.roomAllowance) {
            return this.ensureRoom(bytes).then((allowance) => {
              this.roomAllowance = allowance;
            });
          }
          this.roomAllowance -= bytes;
        },
        writeError: (e) => storageError('cannot write a new message', e),
        syncWriteMax: this.localDisk ? SMALL_WRITE : 0,
        onWhole: this.onWholeBody ? (buffers, n) => this.onWholeBody?.(id, buffers, n) : undefined,
      });
    } catch (e) {
      body.destroy();
      closeFd(fd);
      await fs.rm(tmpPath, { force: true });
      throw e;
    }
    return { id, size, tmpPath, fd };
  }

  /**
   * Says that about `count` new messages will be written next: on a local disk their temporary
   * files are then created in the thread pool, up to OPEN_AHEAD before they are needed, instead
   * of on this thread when each body starts. Creating a file is the one step of a delivery
   * whose cost is not the mail's: measured on an 800-message sync on a journal-less ext4, each
   * create spent 150–450 µs of kernel CPU (the inode allocator steps over every inode freed in
   * the last seconds), on the main thread. The open is still in tmp/ and still exclusive; the
   * files not used are removed by closeAhead, and a crash leaves them to the tmp/ clean-up at
   * the next open like any other unfinished delivery. Elsewhere (onLocalDisk) nothing changes.
   */
  openAhead(count: number): void {
    if (!this.localDisk) return;
    this.aheadWanted = count;
    this.refillAhead();
  }

  private refillAhead(): void {
    while (this.aheadWanted > 0 && this.ahead.length < OPEN_AHEAD) {
      this.aheadWanted--;
      const tmpPath = path.join(this.dir, 'tmp', tmpName('ahead'));
      const entry: OpenedAhead = { file: openFd(tmpPath, 'wx', 0o600).then((fd) => ({ fd, tmpPath })), settled: false };
      // A failed open is reported to the write that takes it, or dropped by closeAhead.
      entry.file.then(
        () => (entry.settled = true),
        () => (entry.settled = true),
      );
      this.ahead.push(entry);
    }
  }

  /** Close and remove the temporary files openAhead made and no write took. */
  async closeAhead(): Promise<void> {
    this.aheadWanted = 0;
    const left = this.ahead;
    this.ahead = [];
    for (const opened of left) {
      const got = await opened.file.catch(() => null);
      if (!got) continue;
      closeFd(got.fd);
      await fs.rm(got.tmpPath, { force: true });
    }
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
    this.roomAllowance = 0;
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
  finish(staged: StagedMessage, flags: Flags = { seen: false, flagged: false }, folder: string = INBOX): Promise<StoredFile> {
    // The fsync starts now, outside the queue: it touches only this temporary file, which no one
    // else knows, so the files a sync has in flight are fsynced side by side (the filesystem
    // commits them together) instead of one after another. The rename, in the queue and in
    // order, still waits for this file's own fsync.
    const synced = fsyncFd(staged.fd);
    synced.catch(() => {}); // reported by finishNow
    return this.exclusive(() => this.finishNow(staged, flags, folder, synced));
  }

  private async finishNow(staged: StagedMessage, flags: Flags, folder: string, synced: Promise<void>): Promise<StoredFile> {
    try {
      await synced;
    } catch (e) {
      closeFd(staged.fd);
      await fs.rm(staged.tmpPath, { force: true });
      throw storageError('cannot save a new message', e);
    }
    try {
      // Where fsync said yes, close() can still report a write-back error (NFS, FUSE, quota on
      // close): the file is not safe then, so no rename, no ledger, no DELE (review F10).
      fsc.closeSync(staged.fd);
    } catch (e) {
      await fs.rm(staged.tmpPath, { force: true });
      throw storageError('cannot save a new message', e);
    }
    const existing = this.files.get(staged.id);
    const flagLetters = existing ? formatFlags(existing.flags, existing.otherFlags) : formatFlags(flags);
    const into = existing?.folder ?? folder;
    if (!this.folderKeys.has(into)) await this.createFolderNow(into);
    const rel = path.join(folderDir(into), 'cur', curName(staged.id, flagLetters));
    try {
      // On a local disk on this thread for the same reason as the open (a rename of a file
      // already fsynced is a directory update in memory; the directory fsync in syncDirs makes it
      // durable); elsewhere in the pool.
      if (this.localDisk) fsc.renameSync(staged.tmpPath, path.join(this.dir, rel));
      else await renameFile(staged.tmpPath, path.join(this.dir, rel));
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

  /**
   * File a message Popbox made itself (one being sent, a draft) under a new local id (or the one
   * given, made by newLocalId), exactly
   * these bytes: written to tmp/, fsynced, renamed into the folder's cur/, and that directory
   * fsynced before this resolves, so a crash leaves the whole message or none.
   */
  addMessage(raw: Uint8Array, folder: string, flags: Flags = { seen: false, flagged: false }, id: string = newLocalId(), otherFlags = ''): Promise<StoredFile> {
    return this.exclusive(async () => {
      if (!this.folderKeys.has(folder)) throw new AppFailure('not-found', `no folder ${folder} in this mailbox`);
      if (this.files.has(id)) throw new AppFailure('exists', `a message ${id} is already in this mailbox`);
      const dir = path.join(this.dir, folderDir(folder));
      const tmp = path.join(dir, 'tmp', tmpName(id));
      // otherFlags: letters other tools read (D: a draft, so mutt and Dovecot show it as one).
      const rel = path.join(folderDir(folder), 'cur', curName(id, formatFlags(flags, otherFlags)));
      try {
        const handle = await fs.open(tmp, 'wx', 0o600);
        try {
          await handle.writeFile(raw);
          await handle.sync();
        } finally {
          await handle.close();
        }
        await fs.rename(tmp, path.join(this.dir, rel));
        await fsyncDir(path.join(dir, 'cur'));
      } catch (e) {
        await fs.rm(tmp, { force: true }).catch(() => {});
        throw storageError('cannot save the message', e);
      }
      const file: StoredFile = { id, folder, rel, flags: { ...flags }, otherFlags };
      this.files.set(id, file);
      return file;
    });
  }

  /** Throw a staged message away (the download failed after it was written, or was cancelled). */
  async discard(staged: StagedMessage): Promise<void> {
    closeFd(staged.fd);
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

  /**
   * Applies `patch` to each message's flags as they are on disk (the file name is the truth),
   * renaming the files, then fsyncs each folder touched once (not once per message: marking
   * 10,000 read is 10,000 renames and one or two fsyncs). `onApplied` hears each message's new
   * flags as its rename is done, so a failure part-way can still be recorded for the ones that
   * happened. All ids are checked before anything is renamed.
   */
  setFlagsMany(ids: readonly string[], patch: Partial<Flags>, onApplied?: (change: { id: string; flags: Flags }) => void): Promise<void> {
    return this.exclusive(() => this.setFlagsManyNow(ids, patch, onApplied));
  }

  private async setFlagsManyNow(ids: readonly string[], patch: Partial<Flags>, onApplied?: (change: { id: string; flags: Flags }) => void): Promise<void> {
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
  remove(id: string): Promise<void> {
    return this.removeMany([id]);
  }

  /**
   * Delete local files for good: one unlink each, then one fsync per directory touched (emptying
   * a Trash of 10,000 is not 10,000 directory fsyncs). `onlyIn` keeps messages that have left
   * that folder meanwhile (restored from Trash while Empty Trash waited for its turn).
   * `onRemoved` hears each one as it goes, so a failure part-way can be recorded.
   */
  removeMany(ids: readonly string[], opts: { onlyIn?: string; onRemoved?: (id: string) => void } = {}): Promise<void> {
    return this.exclusive(async () => {
      const touched = new Set<string>();
      try {
        for (const id of ids) {
          const f = this.files.get(id);
          if (!f || (opts.onlyIn !== undefined && f.folder !== opts.onlyIn)) continue;
          await fs.rm(path.join(this.dir, f.rel), { force: true });
          touched.add(path.dirname(f.rel));
          this.files.delete(id);
          opts.onRemoved?.(id);
        }
        for (const sub of touched) await fsyncDir(path.join(this.dir, sub));
      } catch (e) {
        for (const sub of touched) await fsyncDir(path.join(this.dir, sub)).catch(() => {});
        throw storageError('cannot delete the message', e);
      }
    });
  }
}

async function isDirectory(p: string): Promise<boolean> {
  return fs.stat(p).then(
    (st) => st.isDirectory(),
    () => false,
  );
}
