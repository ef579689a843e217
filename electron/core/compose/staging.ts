/**
 * The page's new files, staged in main a chunk at a time (stageAttachment) so that Send and Save
 * draft read them as streams from disk instead of taking a 35 MB base64 string whole (issue 15
 * §5). Each upload is a file `upload-<id>.part` (0600) in the account's `sending/` directory,
 * beside the Maildir, never in it (opening the Maildir cleans its tmp/). The page only ever
 * knows the random id; the path is main's own (DESIGN §3.8: the renderer is untrusted), so
 * everything is bounded: bytes per upload and per account, uploads in all, chunk order, and age.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { COMPOSE_LIMITS, STAGING_LIMITS, type StageAttachment, type StagedAttachment } from '../../../shared/compose.js';
import { AppFailure } from '../errors.js';
import { CONTENT_TYPE, type ComposeAttachment } from './build-message.js';

const MB = 1024 * 1024;
const NAME = /^upload-([0-9a-f]{32})\.part$/;

interface Upload {
  accountId: string;
  file: string;
  filename: string;
  contentType: string | undefined;
  size: number;
  final: boolean;
  startedAt: number;
  /** Taken by a Send or Save draft under way: no more chunks, no second use meanwhile. */
  busy: boolean;
}

export interface StagingDeps {
  /** The account's `sending/` directory. */
  dirFor(accountId: string): string;
  now(): number;
}

const mb = (n: number) => `${(n / MB).toFixed(1)} MB`;

export class AttachmentStaging {
  private readonly uploads = new Map<string, Upload>();
  /** Accounts whose directory was swept of uploads a previous run left (their ids died with it). */
  private readonly swept = new Set<string>();
  /** One chunk at a time per upload: two writes at once could interleave. */
  private readonly queue = new Map<string, Promise<unknown>>();

  constructor(private readonly deps: StagingDeps) {}

  /** Append one chunk (the first makes the upload). */
  async stage(input: StageAttachment): Promise<{ uploadId: string; size: number }> {
    await this.sweep();
    if (input.contentType !== undefined && !CONTENT_TYPE.test(input.contentType)) throw new AppFailure('invalid', `${JSON.stringify(input.contentType.slice(0, 80))} is not a content type`);
    const bytes = decodeChunk(input.chunk);
    if (bytes.length > STAGING_LIMITS.chunkBytes) throw new AppFailure('invalid', `a chunk of ${mb(bytes.length)}: at most ${mb(STAGING_LIMITS.chunkBytes)} at a time`);
    if (input.uploadId === undefined) return this.start(input, bytes);
    const id = input.uploadId;
    const run = (this.queue.get(id) ?? Promise.resolve()).catch(() => {}).then(() => this.append(id, input, bytes));
    this.queue.set(id, run);
    try {
      return await run;
    } finally {
      if (this.queue.get(id) === run) this.queue.delete(id);
    }
  }

  private async start(input: StageAttachment, bytes: Buffer): Promise<{ uploadId: string; size: number }> {
    if (input.offset !== 0) throw new AppFailure('invalid', 'a new upload starts at offset 0');
    if (this.uploads.size >= STAGING_LIMITS.uploads) throw new AppFailure('invalid', `Too many files being attached at once (at most ${STAGING_LIMITS.uploads}): send or close a message first.`);
    this.checkRoom(input.accountId, bytes.length, undefined);
    const dir = this.deps.dirFor(input.accountId);
    const uploadId = randomBytes(16).toString('hex');
    const file = path.join(dir, `upload-${uploadId}.part`);
    // Counted (bytes and number) before anything is awaited, so uploads started together cannot
    // pass the limits together; it takes no chunk before this one is written (busy).
    const upload: Upload = { accountId: input.accountId, file, filename: input.filename, contentType: input.contentType, size: bytes.length, final: false, startedAt: this.deps.now(), busy: true };
    this.uploads.set(uploadId, upload);
    try {
      await fs.mkdir(dir, { recursive: true, mode: 0o700 });
      await this.sweepLeftovers(input.accountId, dir);
      const handle = await fs.open(file, 'wx', 0o600);
      try {
        await handle.write(bytes);
      } finally {
        await handle.close();
      }
    } catch (e) {
      this.uploads.delete(uploadId);
      await fs.rm(file, { force: true }).catch(() => {});
      throw new AppFailure('storage', `cannot stage the attachment: ${(e as NodeJS.ErrnoException).code ?? e}`);
    }
    upload.busy = false;
    upload.final = input.final;
    return { uploadId, size: upload.size };
  }

  private async append(uploadId: string, input: StageAttachment, bytes: Buffer): Promise<{ uploadId: string; size: number }> {
    const upload = this.own(input.accountId, uploadId);
    if (upload.final || upload.busy) throw new AppFailure('invalid', 'That upload is complete: it takes no more chunks.');
    if (input.offset !== upload.size) throw new AppFailure('invalid', `chunk at offset ${input.offset}: ${upload.size} bytes are staged (chunks go in order, once each)`);
    this.checkRoom(input.accountId, bytes.length, upload);
    upload.size += bytes.length; // counted before the write (see start)
    try {
      await fs.appendFile(upload.file, bytes);
    } catch (e) {
      await this.drop(uploadId);
      throw new AppFailure('storage', `cannot stage the attachment: ${(e as NodeJS.ErrnoException).code ?? e}`);
    }
    upload.final = input.final;
    return { uploadId, size: upload.size };
  }

  private checkRoom(accountId: string, adding: number, upload: Upload | undefined): void {
    const size = (upload?.size ?? 0) + adding;
    if (size > STAGING_LIMITS.uploadBytes) throw new AppFailure('invalid', `The file is too large to attach (at most ${mb(STAGING_LIMITS.uploadBytes)}); share big files by a link.`);
    let account = adding;
    for (const u of this.uploads.values()) if (u.accountId === accountId) account += u.size;
    if (account > STAGING_LIMITS.accountBytes) throw new AppFailure('invalid', `The files being attached are too large together (at most ${mb(STAGING_LIMITS.accountBytes)}): send or close a message first.`);
  }

  /** An upload of this account, or refused in the same words whether unknown or another's (nothing to learn by probing). */
  private own(accountId: string, uploadId: string): Upload {
    const upload = this.uploads.get(uploadId);
    if (!upload || upload.accountId !== accountId) throw new AppFailure('not-found', 'That attachment is no longer staged (unknown upload): attach the file again.');
    return upload;
  }

  /**
   * The staged files for Send or Save draft, as attachments read from disk as the message is
   * built. Taken (busy) until `release` or `consume`: a second Send of the same upload meanwhile
   * is refused. `already`: the bytes of the message's other attachments, for the one limit.
   */
  take(accountId: string, list: readonly StagedAttachment[], already = 0): { attachments: ComposeAttachment[]; ids: string[] } {
    const seen = new Set<string>();
    const uploads: [string, Upload][] = [];
    let total = already;
    for (const { uploadId } of list) {
      if (seen.has(uploadId)) throw new AppFailure('invalid', 'The same staged file is attached twice.');
      seen.add(uploadId);
      const u = this.own(accountId, uploadId);
      if (!u.final) throw new AppFailure('invalid', `“${u.filename}” has not finished uploading: wait for it, then send again.`);
      if (u.busy) throw new AppFailure('invalid', `“${u.filename}” is being sent or saved already (from another window?).`);
      total += u.size;
      uploads.push([uploadId, u]);
    }
    if (total > COMPOSE_LIMITS.attachmentBytes) throw new AppFailure('invalid', `The attachments are too large together (${mb(total)}; at most ${COMPOSE_LIMITS.attachmentBytes / MB} MB).`);
    for (const [, u] of uploads) u.busy = true;
    return {
      ids: uploads.map(([id]) => id),
      attachments: uploads.map(([, u]) => ({ filename: u.filename, ...(u.contentType !== undefined ? { contentType: u.contentType } : {}), content: { file: u.file, size: u.size } })),
    };
  }

  /** Send or Save draft failed: the uploads can be used again. */
  release(ids: readonly string[]): void {
    for (const id of ids) {
      const u = this.uploads.get(id);
      if (u) u.busy = false;
    }
  }

  /** Send or Save draft has them (in the Outbox or in Drafts): the staged files go. */
  async consume(ids: readonly string[]): Promise<void> {
    for (const id of ids) await this.drop(id);
  }

  /** How many uploads are staged (tests, limits). */
  get count(): number {
    return this.uploads.size;
  }

  private async drop(id: string): Promise<void> {
    const u = this.uploads.get(id);
    if (!u) return;
    this.uploads.delete(id);
    await fs.rm(u.file, { force: true }).catch(() => {});
  }

  /** Uploads older than a day (a page that never sent them) go; one being used stays. */
  async sweep(): Promise<void> {
    const cutoff = this.deps.now() - STAGING_LIMITS.maxAgeMs;
    for (const [id, u] of [...this.uploads]) if (u.startedAt < cutoff && !u.busy) await this.drop(id);
  }

  /** Upload files a previous run left: no page can name them any more. */
  private async sweepLeftovers(accountId: string, dir: string): Promise<void> {
    if (this.swept.has(accountId)) return;
    this.swept.add(accountId);
    const known = new Set([...this.uploads.values()].map((u) => u.file));
    for (const name of await fs.readdir(dir).catch(() => [] as string[])) {
      if (NAME.test(name) && !known.has(path.join(dir, name))) await fs.rm(path.join(dir, name), { force: true }).catch(() => {});
    }
  }
}

/** A chunk's bytes; refused unless it is base64 (Buffer.from would skip what is not). */
function decodeChunk(b64: string): Buffer {
  const text = b64.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 === 1) throw new AppFailure('invalid', 'the chunk is not base64');
  return Buffer.from(text, 'base64');
}
