/**
 * Headers by TOP n 0 (pipelined when the client pipelines), read with a bound: the first
 * HEADER_MAX bytes of each are kept, the rest read and dropped, and a session that sends more
 * than `ceiling` bytes of "headers" in all is cut off (a hostile server cannot fill the disk or
 * memory through the On the server view). Parsing the kept block gives what the list shows.
 */
import type { Readable } from 'node:stream';
import { headerFields, splitHeader } from '../mime/headers.js';
import type { Pop3Client } from '../pop3/client.js';
import { AppFailure } from '../errors.js';
import { HEADER_MAX } from './cache.js';

/** Bytes of TOP replies one session reads at most (500 × 16 KB kept, the slack for big headers). */
export const TOP_SESSION_CEILING = 256 * 1024 * 1024;

export interface FetchedHeaders {
  uidl: string;
  raw: Buffer;
  from: string;
  subject: string;
  date: string | null;
}

async function readCapped(body: Readable, keep: number, spent: { bytes: number }, ceiling: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let kept = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    spent.bytes += chunk.length;
    if (spent.bytes > ceiling) {
      body.destroy();
      throw new AppFailure('protocol', 'The server sent far more header data than any mailbox needs, so Popbox stopped reading. Nothing was changed on the server.');
    }
    if (kept < keep) {
      const part = chunk.subarray(0, keep - kept);
      parts.push(part);
      kept += part.length;
    }
  }
  return Buffer.concat(parts, kept);
}

/** What the list shows from a header block. */
export function shownFields(raw: Buffer): { from: string; subject: string; date: string | null } {
  const fields = headerFields(splitHeader(raw).lines);
  const sender = fields.from[0];
  return { from: sender ? sender.name || sender.address : '', subject: fields.subject, date: fields.date };
}

/**
 * TOP n 0 for each message, in the order given; a message the server refuses (deleted by
 * another client meanwhile) is skipped. A broken connection throws.
 */
export async function fetchHeaders(pop: Pop3Client, targets: readonly { num: number; uidl: string }[], ceiling = TOP_SESSION_CEILING): Promise<FetchedHeaders[]> {
  const byNum = new Map(targets.map((t) => [t.num, t.uidl]));
  const spent = { bytes: 0 };
  const out: FetchedHeaders[] = [];
  for await (const item of pop.retrieveMany(
    targets.map((t) => t.num),
    { top: 0 },
  )) {
    if (item.error) continue;
    const raw = await readCapped(item.body, HEADER_MAX, spent, ceiling);
    out.push({ uidl: byNum.get(item.id)!, raw, ...shownFields(raw) });
  }
  return out;
}
