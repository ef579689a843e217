/**
 * Inbox summaries. Broken MIME never fails a summary: whatever mailparser cannot handle is
 * described from the raw headers and the first bytes of the body instead. Only an unreadable
 * file is an error, because then there is nothing to describe.
 *
 * mailparser's answer is the definition; most messages get it from fast-summary.ts, which
 * reaches the same answer several times faster and hands everything it is not sure of here.
 */
import fs from 'node:fs/promises';
import type { MessageSummary } from '../../../shared/messages.js';
import { AppFailure } from '../errors.js';
import { fastSummary, HTML_BUDGET, PLAIN_BUDGET } from './fast-summary.js';
import { headerFields, splitHeader } from './headers.js';
import { parseMessage, SourceReadError, type MessageSource } from './parse.js';
import { looksLikeItHasAttachments, rawBodyText, readPrefix } from './raw.js';
import { htmlToText, snippet } from './text.js';

// What the fallback looks at: enough for any sane header block and the first text part.
const RAW_PREFIX = 256 * 1024;
const IDLE_TIMEOUT_MS = 30_000;

async function sizeOf(source: MessageSource): Promise<number> {
  if (Buffer.isBuffer(source)) return source.length;
  try {
    return (await fs.stat(source)).size;
  } catch (e) {
    throw new AppFailure((e as NodeJS.ErrnoException).code === 'ENOENT' ? 'not-found' : 'storage', `cannot read message ${describe(source)}`, { cause: e });
  }
}

function describe(source: MessageSource): string {
  return typeof source === 'string' ? source : `(${source.length} bytes in memory)`;
}

async function rawSummary(source: MessageSource, size: number): Promise<MessageSummary> {
  let prefix: Buffer;
  try {
    prefix = await readPrefix(source, RAW_PREFIX);
  } catch (e) {
    throw new AppFailure('storage', `cannot read message ${describe(source)}`, { cause: e });
  }
  const { lines, bodyOffset } = splitHeader(prefix);
  let text = '';
  try {
    text = rawBodyText(lines, prefix.subarray(bodyOffset));
  } catch {
    // a snippet is a nicety; the headers are what matters
  }
  return {
    ...headerFields(lines),
    size,
    hasAttachments: looksLikeItHasAttachments(prefix),
    snippet: snippet(text),
  };
}

/** Summarizes a stored message (a file path) or message bytes. Throws only when the file cannot be read. */
export async function summarize(source: MessageSource): Promise<MessageSummary> {
  return (await fastSummary(source)) ?? mailparserSummary(source, await sizeOf(source));
}

/** The fast path alone: null where summarize() would hand the message to mailparser. For tests and benchmarks. */
export async function summarizeFast(source: MessageSource): Promise<MessageSummary | null> {
  return fastSummary(source);
}

/** The mailparser path alone, which defines what a summary is. For tests and benchmarks. */
export async function summarizeWithMailparser(source: MessageSource): Promise<MessageSummary> {
  return mailparserSummary(source, await sizeOf(source));
}

async function mailparserSummary(source: MessageSource, size: number): Promise<MessageSummary> {
  try {
    const parsed = await parseMessage(source, {
      maxPlainBytes: PLAIN_BUDGET,
      maxHtmlBytes: HTML_BUDGET,
      attachments: 'skip',
      summaryOnly: true,
      idleTimeoutMs: IDLE_TIMEOUT_MS,
    });
    const lines = parsed.headerLines ?? splitHeader(await readPrefix(source, RAW_PREFIX)).lines;
    return {
      ...headerFields(lines),
      size,
      hasAttachments: parsed.attachments.some((a) => !a.inline),
      snippet: snippet(parsed.text ?? '') || snippet(htmlToText(parsed.html ?? '')),
    };
  } catch (e) {
    if (e instanceof SourceReadError) {
      throw new AppFailure(e.cause.code === 'ENOENT' ? 'not-found' : 'storage', `cannot read message ${describe(source)}`, { cause: e.cause });
    }
    return rawSummary(source, size);
  }
}
