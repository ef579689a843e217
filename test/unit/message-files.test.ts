import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { MessageFlags, MessageRecord } from '../../shared/changes.js';
import { MessageFiles } from '../../electron/core/messages/message-files.js';
import { AccountMailbox } from '../../electron/core/store/mailbox.js';
import { summarize } from '../../electron/core/mime/summary.js';
import { base64Lines, eml, messageFolder, noise } from '../support/mime.js';

const folder = messageFolder('popbox-message-files-');
const UNREAD: MessageFlags = { seen: false, flagged: false };
let n = 0;

/** A data directory of its own, a message file named as the store names it, and the record the journal would hold. */
async function stored(message: Buffer, onDisk: MessageFlags, record: Partial<MessageRecord> = {}) {
  const dataDir = folder.path(`data${++n}`);
  const id = (0x1000000000000000 + n).toString(16);
  const file = AccountMailbox.messagePath(dataDir, 'acct', id, onDisk, 'INBOX');
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, message);
  const m: MessageRecord = { id, accountId: 'acct', uidl: `u${n}`, receivedAt: 0, partial: false, flags: UNREAD, folder: 'INBOX', summary: await summarize(file), ...record };
  const records = new Map([[id, m]]);
  return { id, file, records, files: new MessageFiles(dataDir, records) };
}

const plain = eml(`From: Ann <ann@example.com>
Subject: Lunch on Friday?
Content-Type: text/plain; charset=utf-8

See you at noon.
`);

const logo = noise(300, 5);
const withImage = eml(`From: Ann <ann@example.com>
Subject: Logo
MIME-Version: 1.0
Content-Type: multipart/related; boundary="b"

--b
Content-Type: text/html; charset=utf-8

<p>Our logo: <img src="cid:logo@x"></p>
--b
Content-Type: image/png
Content-ID: <logo@x>
Content-Transfer-Encoding: base64

${base64Lines(logo)}--b--
`);

describe('MessageFiles', () => {
  it('reads a message whose file a flag change renamed before the journal recorded it', async () => {
    // On disk already read and flagged; the record still says unread.
    const { id, file, files } = await stored(plain, { seen: true, flagged: true });
    expect(files.pathOf(files.record(id))).not.toBe(file);
    expect(await files.locate(id)).toBe(file);
    expect((await files.rawSource(id)).text).toBe(plain.toString('latin1'));
    expect((await files.body(id)).text).toContain('See you at noon.');
  });

  it('answers not-found for an id it does not know, before touching the disk', async () => {
    const { files } = await stored(plain, UNREAD);
    for (const read of [() => files.rawSource('ffffffffffffffff'), () => files.body('ffffffffffffffff'), async () => files.fileName('ffffffffffffffff')]) {
      await expect(read()).rejects.toMatchObject({ name: 'AppFailure', code: 'not-found' });
    }
  });

  it('reports a storage failure in plain words when the file is gone', async () => {
    const { id, file, files } = await stored(plain, UNREAD);
    await fs.rm(file);
    await expect(files.rawSource(id)).rejects.toMatchObject({ code: 'storage', message: expect.stringContaining('cannot read the message') });
  });

  it("gives a headers-only message's body the size it has on the server", async () => {
    const { id, files } = await stored(plain, UNREAD, { partial: true, serverSize: 5_000_000 });
    expect((await files.body(id)).serverSize).toBe(5_000_000);
  });

  it('gives an inline image by its part id, and not-found for a part that is not there', async () => {
    const { id, files } = await stored(withImage, UNREAD);
    const part = await files.inlinePart(id, '1');
    expect(part.contentType).toBe('image/png');
    expect(Buffer.from(part.base64, 'base64').equals(logo)).toBe(true);
    await expect(files.inlinePart(id, '9')).rejects.toMatchObject({ code: 'not-found' });
  });

  it('saves the message byte for byte under a name made from its subject', async () => {
    const { id, files } = await stored(plain, { seen: true, flagged: false });
    expect(files.fileName(id)).toBe('Lunch on Friday_.eml');
    const dest = folder.path(`saved${n}.eml`);
    await files.saveMessage(id, dest);
    expect((await fs.readFile(dest)).equals(plain)).toBe(true);
  });
});
