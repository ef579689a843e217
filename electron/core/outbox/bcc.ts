/**
 * Undo send and Edit put the message back in Drafts; the file in the Outbox is the one built for
 * sending, whose header carries no Bcc (Bcc recipients are only in the envelope: state.ts). Drafts
 * read Bcc from the header (compose/drafts.ts), so without this the Bcc recipients were lost.
 * Before the file goes to Drafts, the envelope recipients the header does not show (To, Cc) are
 * written back as a Bcc field.
 *
 * Only ever done once the message is decided never to be sent (its cancel record is on disk): a
 * file with a Bcc field must not be what a server receives. Idempotent, so a crash between this
 * rewrite and the move to Drafts is simply done again on recovery.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { addressesOf, readHeaderLines } from '../compose/drafts.js';
import { headerFields } from '../mime/headers.js';
import { fsyncDir, storageError } from '../store/durable.js';

/** The envelope recipients a reader of the header would not see: the Bcc recipients. */
export function hiddenRecipients(envelope: readonly string[], shown: readonly string[]): string[] {
  const seen = new Set(shown.map((a) => a.toLowerCase()));
  const out: string[] = [];
  for (const a of envelope) {
    if (seen.has(a.toLowerCase())) continue;
    seen.add(a.toLowerCase());
    out.push(a);
  }
  return out;
}

/**
 * Adds `Bcc:` with the envelope's hidden recipients to the top of the message in `file`, durably
 * (a new file beside the folder's, fsynced, renamed over it, the directory fsynced), so a crash
 * leaves either the old bytes or the new ones. Nothing is written when none are hidden.
 */
export async function addBccForDrafts(file: string, envelope: readonly string[]): Promise<void> {
  const lines = await readHeaderLines(file);
  const fields = headerFields(lines);
  const shown = [...fields.to, ...fields.cc, ...addressesOf(lines, 'bcc')].map((a) => a.address);
  const bcc = hiddenRecipients(envelope, shown);
  if (bcc.length === 0) return;
  // Maildir: the folder's tmp/ is on the same filesystem as its cur/ (the rename is atomic).
  const tmp = path.join(path.dirname(path.dirname(file)), 'tmp', `${path.basename(file).split(':')[0]}.bcc.${process.pid}.${randomBytes(4).toString('hex')}`);
  try {
    const handle = await fs.open(tmp, 'wx', 0o600);
    try {
      // One address a line: a long Bcc list stays within SMTP's 998-byte lines.
      await handle.write(`Bcc: ${bcc.join(',\r\n ')}\r\n`);
      for await (const chunk of createReadStream(file, { highWaterMark: 256 * 1024 }) as AsyncIterable<Buffer>) await handle.write(chunk);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(tmp, file);
    await fsyncDir(path.dirname(file));
  } catch (e) {
    await fs.rm(tmp, { force: true }).catch(() => {});
    throw storageError('cannot put the Bcc recipients back on the message', e);
  }
}
