/**
 * Stored messages as files: finding one by its id and reading it (body, source, parts, saving a
 * copy). The store says where a message lies; this only asks it, so the layout of the data
 * directory is known in one place. Readers hold no account lock: a sync or a flag change may run
 * at the same time, which is why a file renamed under a reader is looked up again.
 */
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import type { MessageRecord } from '../../../shared/changes.js';
import { INLINE_PART_MAX_BYTES } from '../../../shared/contract.js';
import { AppFailure } from '../errors.js';
import { safeFileName } from '../files/save-name.js';
import { openAttachment, readBody, saveAttachment } from '../mime/body.js';
import { decodeSource } from '../mime/charset.js';
import { saveNewFile } from '../store/durable.js';
import { AccountMailbox } from '../store/mailbox.js';

/** "View source" shows at most this much of a message. */
const RAW_SOURCE_LIMIT = 8 * 1024 * 1024;

/** What the files need to know of a message: the journal answers it. */
export interface MessageLookup {
  get(id: string): MessageRecord | undefined;
}

const exists = (file: string): Promise<boolean> => fs.access(file).then(() => true, () => false);

export class MessageFiles {
  constructor(
    private readonly dataDir: string,
    private readonly messages: MessageLookup,
    /** The account's mailbox if its owner has it open now (it knows where its own renames put each file). */
    private readonly openMailbox: (accountId: string) => AccountMailbox | undefined = () => undefined,
  ) {}

  /** The message's record, or a 'not-found' failure a user can read. */
  record(id: string): MessageRecord {
    const m = this.messages.get(id);
    if (!m) throw new AppFailure('not-found', `no message with id ${JSON.stringify(id.slice(0, 40))}`);
    return m;
  }

  /** Where the message lies according to its record (its folder, and its name follows its flags). */
  pathOf(m: MessageRecord): string {
    return AccountMailbox.messagePath(this.dataDir, m.accountId, m.id, m.flags, m.folder);
  }

  /**
   * The message's file as it is now. A flag change renames the file before the journal records
   * it, so a reader that opens a message while it is being marked read may hold the old name:
   * then the file is found by its id (the name's part before the flags).
   */
  async locate(id: string): Promise<string> {
    const m = this.record(id);
    const expected = this.pathOf(m);
    if (await exists(expected)) return expected;
    return (await AccountMailbox.findMessage(this.dataDir, m.accountId, m.id, m.folder, this.openMailbox(m.accountId))) ?? expected;
  }

  /** Run a reader on the message's file; if the file was renamed under it, find it again. */
  private async withFile<T>(id: string, read: (file: string) => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const file = await this.locate(id);
      try {
        return await read(file);
      } catch (e) {
        const gone = !(await exists(file));
        if (attempt < 3 && gone && this.messages.get(id)) continue;
        throw e;
      }
    }
  }

  async body(id: string) {
    const body = await this.withFile(id, (file) => readBody(file));
    const m = this.messages.get(id);
    // Ledgers written before they kept a headers-only message's server size hold the headers' size.
    return m?.partial && m.serverSize !== undefined && m.serverSize > m.summary.size ? { ...body, serverSize: m.serverSize } : body;
  }

  /** The stored bytes for "View source" and the header view, capped; each line UTF-8 when valid, else windows-1252 (charset.ts). */
  rawSource(id: string): Promise<{ text: string; truncated: boolean }> {
    return this.withFile(id, (file) => readSource(file));
  }

  /** Save one attachment to `dest` (chosen by the user through the host's save dialog). */
  saveAttachment(id: string, attachmentId: string, dest: string): Promise<{ size: number }> {
    return this.withFile(id, (file) => saveAttachment(file, attachmentId, dest));
  }

  /** Save the message exactly as stored (an .eml file) to `dest`, chosen by the user through the host. */
  saveMessage(id: string, dest: string): Promise<{ size: number }> {
    return this.withFile(id, (file) => saveNewFile(dest, 'message', (write) => write(createReadStream(file))));
  }

  /** The name a save dialog suggests for a message: its subject, safe as a file name. */
  fileName(id: string): string {
    return `${safeFileName(this.record(id).summary.subject, 'message')}.eml`;
  }

  /** An inline part's bytes (a cid: image) for the reading pane; refused above the cap. */
  inlinePart(id: string, attachmentId: string): Promise<{ contentType: string; base64: string }> {
    return this.withFile(id, (file) => readInlinePart(file, attachmentId));
  }
}

async function readSource(file: string): Promise<{ text: string; truncated: boolean }> {
  const handle = await fs.open(file, 'r').catch((e: NodeJS.ErrnoException) => {
    throw new AppFailure('storage', `cannot read the message: ${e.code ?? e}`);
  });
  try {
    const { size } = await handle.stat();
    const buf = Buffer.alloc(Math.min(size, RAW_SOURCE_LIMIT));
    await handle.read(buf, 0, buf.length, 0);
    return { text: decodeSource(buf), truncated: size > RAW_SOURCE_LIMIT };
  } finally {
    await handle.close();
  }
}

async function readInlinePart(file: string, attachmentId: string): Promise<{ contentType: string; base64: string }> {
  const info = (await readBody(file, { maxTextBytes: 0 })).attachments.find((a) => a.id === attachmentId);
  if (!info) throw new AppFailure('not-found', `no attachment ${attachmentId} in this message`);
  if (info.size > INLINE_PART_MAX_BYTES) throw new AppFailure('invalid', `attachment ${attachmentId} is too big to show inline (${info.size} bytes)`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of await openAttachment(file, attachmentId)) {
    size += (chunk as Buffer).length;
    if (size > INLINE_PART_MAX_BYTES) throw new AppFailure('invalid', `attachment ${attachmentId} is too big to show inline`);
    chunks.push(chunk as Buffer);
  }
  return { contentType: info.contentType, base64: Buffer.concat(chunks).toString('base64') };
}
