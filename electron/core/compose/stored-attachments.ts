/**
 * Attachments that stay in main: a part of a stored message (a forward's attachments, a draft's
 * files saved earlier) or a whole stored message (forward as attachment, message/rfc822). The
 * page names them by id; main reads the bytes, only from the same account, and counts them
 * against the one limit for all attachments together.
 */
import fs from 'node:fs/promises';
import type { ComposeAttachment as ListedAttachment, StoredAttachment } from '../../../shared/compose.js';
import { COMPOSE_LIMITS, base64DecodedBytes } from '../../../shared/compose.js';
import type { MessageRecord } from '../../../shared/changes.js';
import { AppFailure } from '../errors.js';
import { openAttachment, readBody } from '../mime/body.js';
import { CONTENT_TYPE, type ComposeAttachment } from './build-message.js';

/** What this module needs of MessageFiles: a record, where its file is now, its .eml name. */
export interface StoredFiles {
  record(id: string): MessageRecord;
  locate(id: string): Promise<string>;
  fileName(id: string): string;
}

const MB = 1024 * 1024;

export function tooBig(total: number): AppFailure {
  return new AppFailure('invalid', `The attachments are too large together (${(total / MB).toFixed(1)} MB; at most ${COMPOSE_LIMITS.attachmentBytes / MB} MB).`);
}

/** The record, refused unless it is a complete message of this account. */
function ownRecord(files: StoredFiles, accountId: string, id: string): MessageRecord {
  const m = files.record(id);
  if (m.accountId !== accountId) throw new AppFailure('invalid', 'That attachment belongs to a message of another account: attach it to a message of that account, or save it and attach the file.');
  if (m.partial) throw new AppFailure('invalid', `“${m.summary.subject || 'That message'}” has only been downloaded in part: download the rest first, then attach it.`);
  return m;
}

/** How the compose screen lists stored attachments (names, types, sizes), without reading their bytes. */
export async function describeStored(files: StoredFiles, accountId: string, list: readonly StoredAttachment[]): Promise<ListedAttachment[]> {
  const out: ListedAttachment[] = [];
  const bodies = new Map<string, Awaited<ReturnType<typeof readBody>>>();
  for (const s of list) {
    const m = ownRecord(files, accountId, s.id);
    if (s.attachmentId === undefined) {
      out.push({ id: s.id, filename: files.fileName(s.id), contentType: 'message/rfc822', size: m.summary.size });
      continue;
    }
    let body = bodies.get(s.id);
    if (!body) {
      body = await readBody(await files.locate(s.id), { maxTextBytes: 0 });
      bodies.set(s.id, body);
    }
    const a = body.attachments.find((x) => x.id === s.attachmentId);
    if (!a) throw new AppFailure('not-found', `The message “${m.summary.subject}” has no attachment ${s.attachmentId}.`);
    out.push({ id: s.id, attachmentId: a.id, filename: a.filename ?? `attachment-${a.id}`, contentType: a.contentType, size: a.size });
  }
  return out;
}

/**
 * The bytes of each stored attachment, for MailComposer. `already` is what the page's own files
 * take of the limit; reading stops as soon as the total passes it (never more than that in memory).
 */
export async function readStored(files: StoredFiles, accountId: string, list: readonly StoredAttachment[], already = 0): Promise<ComposeAttachment[]> {
  const described = await describeStored(files, accountId, list);
  let total = already + described.reduce((n, a) => n + a.size, 0);
  if (total > COMPOSE_LIMITS.attachmentBytes) throw tooBig(total);
  total = already;
  const out: ComposeAttachment[] = [];
  for (const a of described) {
    const file = await files.locate(a.id);
    let content: Buffer;
    if (a.attachmentId === undefined) {
      content = await fs.readFile(file).catch((e: NodeJS.ErrnoException) => {
        throw new AppFailure('storage', `cannot read the message to attach: ${e.code ?? e.message}`);
      });
    } else {
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of await openAttachment(file, a.attachmentId)) {
        size += (chunk as Buffer).length;
        if (total + size > COMPOSE_LIMITS.attachmentBytes) throw tooBig(total + size);
        chunks.push(chunk as Buffer);
      }
      content = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
    }
    total += content.length;
    if (total > COMPOSE_LIMITS.attachmentBytes) throw tooBig(total);
    // A type the original wrote oddly still goes, as plain bytes.
    out.push({ filename: a.filename, contentType: CONTENT_TYPE.test(a.contentType) ? a.contentType : 'application/octet-stream', content });
  }
  return out;
}

/** Decoded size of the page's base64 files (as the contract counts them). */
export function base64Bytes(list: readonly { content: string }[] | undefined): number {
  return (list ?? []).reduce((sum, a) => sum + base64DecodedBytes(a.content), 0);
}
