/**
 * The reader's view of a stored message, and its attachments on demand. Attachments are
 * streamed, never held: listing them decodes and counts their bytes, saving one writes it
 * straight to disk.
 */
import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { TextEncoder } from 'node:util';
import type { AttachmentInfo, MessageBody } from '../../../shared/messages.js';
import { saveNewFile } from '../store/durable.js';
import { AppFailure } from '../errors.js';
import { parseMessage, SourceReadError, type AttachmentHead, type AttachmentSink, type ParseOptions } from './parse.js';
import { splitHeader } from './headers.js';
import { rawBodyText, readPrefix } from './raw.js';

export const DEFAULT_MAX_TEXT_BYTES = 20 * 1024 * 1024;
const IDLE_TIMEOUT_MS = 30_000;

export interface ReadBodyOptions {
  /**
   * Cap for the text and for the HTML, each, in UTF-8 bytes. Parts are cut while still
   * transfer-encoded, so a base64 or quoted-printable part may come back somewhat shorter.
   */
  maxTextBytes?: number;
}

function readFailure(file: string, e: unknown): AppFailure {
  const cause = e instanceof SourceReadError ? e.cause : (e as NodeJS.ErrnoException);
  return new AppFailure(cause.code === 'ENOENT' ? 'not-found' : 'storage', `cannot read message ${file}: ${cause.message}`, { cause });
}

const encoder = new TextEncoder();

/** `s` cut to at most `maxBytes` of UTF-8 without splitting a character. */
function capUtf8(s: string, maxBytes: number): { value: string; cut: boolean } {
  if (s.length * 3 <= maxBytes) return { value: s, cut: false };
  const { read } = encoder.encodeInto(s, new Uint8Array(maxBytes));
  return read >= s.length ? { value: s, cut: false } : { value: s.slice(0, read), cut: true };
}

/** A part cut mid-character decodes to a replacement character at the end: drop it. */
function tidyCut(s: string | null, truncated: boolean): string | null {
  return s !== null && truncated ? s.replace(/\ufffd+$/, '') : s;
}

async function rawBody(file: string, maxTextBytes: number): Promise<MessageBody> {
  let prefix: Buffer;
  try {
    prefix = await readPrefix(file, maxTextBytes + 1024 * 1024);
  } catch (e) {
    throw readFailure(file, e);
  }
  const { lines, bodyOffset } = splitHeader(prefix);
  let text = '';
  try {
    text = rawBodyText(lines, prefix.subarray(bodyOffset));
  } catch {
    text = '';
  }
  const capped = capUtf8(text, maxTextBytes);
  return { text: capped.value, html: null, attachments: [], cidMap: {}, truncated: capped.cut };
}

/**
 * Text, HTML as received (unsanitized: the renderer sanitizes it) and the list of
 * attachments with their decoded sizes. A message mailparser cannot parse still opens, as
 * its raw text without attachments.
 */
export async function readBody(file: string, opts: ReadBodyOptions = {}): Promise<MessageBody> {
  const max = opts.maxTextBytes ?? DEFAULT_MAX_TEXT_BYTES;
  let parsed;
  try {
    parsed = await parseMessage(file, { maxPlainBytes: max, maxHtmlBytes: max, attachments: 'count', idleTimeoutMs: IDLE_TIMEOUT_MS });
  } catch (e) {
    if (e instanceof SourceReadError) throw readFailure(file, e);
    return rawBody(file, max);
  }
  const text = parsed.text === null ? null : capUtf8(parsed.text, max);
  const html = parsed.html === null ? null : capUtf8(parsed.html, max);
  const truncated = parsed.truncated || !!text?.cut || !!html?.cut;
  const attachments: AttachmentInfo[] = parsed.attachments.map((a) => ({
    id: a.id,
    filename: a.filename,
    contentType: a.contentType,
    size: a.size,
    contentId: a.contentId,
    inline: a.inline,
  }));
  const cidMap: Record<string, string> = {};
  for (const a of attachments) {
    // The first part wins a duplicated Content-ID, as in browsers' handling of duplicate ids.
    if (a.contentId !== null && !Object.hasOwn(cidMap, a.contentId)) cidMap[a.contentId] = a.id;
  }
  return {
    text: tidyCut(text?.value ?? null, truncated),
    html: tidyCut(html?.value ?? null, truncated),
    attachments,
    cidMap,
    truncated,
  };
}

/**
 * Only the text of a message, for filters' body conditions: its text/plain and text/html parts
 * as received (attachments never decoded), from at most the first `maxReadBytes` of the file
 * (a 25 MB attachment is not read to find the text before it), each cut at `maxTextBytes`.
 * Text after that many bytes is not looked at. Mail mailparser refuses gives its raw text.
 */
export async function readTextParts(file: string, opts: { maxTextBytes: number; maxReadBytes: number }): Promise<{ text: string | null; html: string | null }> {
  let prefix: Buffer;
  try {
    prefix = await readPrefix(file, opts.maxReadBytes);
  } catch (e) {
    throw readFailure(file, e);
  }
  try {
    const parsed = await parseMessage(prefix, { maxPlainBytes: opts.maxTextBytes, maxHtmlBytes: opts.maxTextBytes, attachments: 'skip', idleTimeoutMs: IDLE_TIMEOUT_MS });
    return { text: parsed.text === null ? null : capUtf8(parsed.text, opts.maxTextBytes).value, html: parsed.html === null ? null : capUtf8(parsed.html, opts.maxTextBytes).value };
  } catch {
    const { lines, bodyOffset } = splitHeader(prefix);
    let text = '';
    try {
      text = rawBodyText(lines, prefix.subarray(bodyOffset));
    } catch {
      text = '';
    }
    return { text: capUtf8(text, opts.maxTextBytes).value, html: null };
  }
}

/**
 * Runs the parser with one attachment's bytes going to `sink` and every other body skipped.
 * Resolves once the sink is done (the rest of the message is not read); rejects 'not-found'
 * when the message has no such attachment.
 */
async function withAttachment(file: string, attachmentId: string, sink: AttachmentSink): Promise<void> {
  let found = false;
  let done = false;
  const opts: ParseOptions = {
    maxPlainBytes: 0,
    maxHtmlBytes: 0,
    attachments: (head: AttachmentHead) =>
      head.id === attachmentId
        ? async (content) => {
            found = true;
            await sink(content);
            done = true;
          }
        : 'skip',
    until: () => done,
  };
  try {
    await parseMessage(file, opts);
  } catch (e) {
    if (done) return; // trouble further on in the message cannot spoil what was already delivered
    if (e instanceof SourceReadError) throw readFailure(file, e);
    if (found) throw e; // the sink's own failure, already typed
    // The attachment cannot be located in a message this broken; to the caller it is not there.
    throw new AppFailure('not-found', `cannot extract attachment ${attachmentId} from ${file}: ${(e as Error).message}`, { cause: e });
  }
  if (!found) throw new AppFailure('not-found', `message ${file} has no attachment ${attachmentId}`);
}

/**
 * Saves one attachment to `dest` (chosen by the user), durably and never over an existing file
 * (see saveNewFile).
 */
export async function saveAttachment(file: string, attachmentId: string, dest: string): Promise<{ size: number }> {
  return saveNewFile(dest, 'attachment', (write) => withAttachment(file, attachmentId, write));
}

/**
 * One attachment's decoded bytes as a stream, for callers that forward it (IPC, a preview).
 * Resolves when the attachment is found; the message file stays open until the stream is
 * consumed or destroyed.
 */
export function openAttachment(file: string, attachmentId: string): Promise<Readable> {
  return new Promise<Readable>((resolve, reject) => {
    const out = new PassThrough();
    let opened = false;
    withAttachment(file, attachmentId, async (content) => {
      opened = true;
      resolve(out);
      await pipeline(content, out);
    }).catch((e: unknown) => {
      if (opened) out.destroy(e as Error);
      else reject(e);
    });
  });
}
