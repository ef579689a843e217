/**
 * The search index when it cannot be written (issue 17; found as an unhandled SQLITE_FULL during
 * disk-full.test.ts): another program holds the index file's write lock (as an sqlite3 shell or
 * a backup tool would) while mail arrives, is deleted and moved. Mail must not notice: the sync
 * succeeds, deleting and moving work, nothing surfaces as an unhandled error; a search answers
 * from what is indexed and says in words why the rest is not searched; once the lock is gone the
 * index catches up by itself (a planned retry, nobody asking), deleted mail included.
 * The full-disk form of the same failure runs in disk-full.test.ts (a real 3 MB tmpfs).
 */
import Database from 'better-sqlite3';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MailService } from '../../electron/core/mail-service.js';
import { SearchIndex } from '../../electron/core/search/search-index.js';
import { MemorySecretStore } from '../../electron/core/secrets/index.js';
import { dovecotUnavailable, startDovecot, type DovecotServer } from '../support/dovecot.js';

const unavailable = dovecotUnavailable();
if (unavailable && process.env.CI) throw new Error(`Dovecot is required in CI: ${unavailable}`);
if (unavailable) console.warn(`Skipping the search-index-failure suite: ${unavailable}`);
const suite = unavailable ? describe.skip : describe;

function message(i: number, word: string): Buffer {
  return Buffer.from(
    `From: Sender ${i} <s${i}@example.org>\r\nTo: Ann <ann@example.net>\r\nSubject: Note ${i}\r\nDate: Mon, 0${i} Jun 2026 10:00:00 +0000\r\nMessage-ID: <fail${i}@example.org>\r\n\r\nThe ${word} came back today.\r\n`,
  );
}

suite('the search index when its file cannot be written', () => {
  let dc: DovecotServer;
  let dataDir: string;
  const unhandled: unknown[] = [];
  const collect = (e: unknown): void => void unhandled.push(e);

  beforeAll(async () => {
    dc = await startDovecot({ users: [{ name: 'ann', password: 'ann-pw' }] });
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'popbox-search-fail-'));
    process.on('unhandledRejection', collect);
    process.on('uncaughtException', collect);
  });
  afterAll(async () => {
    process.off('unhandledRejection', collect);
    process.off('uncaughtException', collect);
    await dc?.stop();
    await fs.rm(dataDir, { recursive: true, force: true });
  });

  it('mail syncs, deletes and moves; search says why words miss the new mail; the index catches up once the file is free', async () => {
    await dc.deliver('ann', [message(1, 'albatross'), message(2, 'albatross')]);
    const service = await MailService.open({ dataDir, secrets: new MemorySecretStore() });
    await service.addAccount({ name: 'ann', host: '127.0.0.1', port: dc.plainPort, security: 'plain', allowInsecureAuth: true, user: 'ann', password: { source: 'keychain' } }, 'ann-pw');
    const [first] = await service.sync();
    expect(first?.ok).toBe(true);
    await service.searchIndexed();
    const albatross = (await service.search({ query: 'albatross' })).ids;
    expect(albatross).toHaveLength(2);

    const file = SearchIndex.file(dataDir);
    const blocker = new Database(file);
    blocker.exec('BEGIN IMMEDIATE');
    try {
      await dc.deliver('ann', [message(3, 'cormorant'), message(4, 'cormorant')]);
      const [second] = await service.sync();
      expect(second?.ok, second?.ok ? '' : `${second?.error.code}: ${second?.error.message}`).toBe(true);
      expect(service.messages()).toHaveLength(4);
      expect(await dc.mailbox('ann')).toEqual([]);
      // Deleting and moving mail does not wait for (or fail with) the index.
      await service.deleteForGood([albatross[0]!]);
      await service.moveToTrash([albatross[1]!]);
      expect(service.messages()).toHaveLength(3);
      // Waiting for the index (as popbox search does) tries once more and then answers anyway.
      await service.searchIndexed();
      const during = await service.search({ query: 'cormorant' });
      expect(during.ids).toEqual([]);
      expect(during.ignored.join('\n')).toMatch(/the search index could not be updated \(the index file is busy\): 2 messages are not searched by words yet/);
      // What was indexed still answers; the deleted message is not among it.
      expect((await service.search({ query: 'albatross in:trash' })).ids).toEqual([albatross[1]]);
      expect((await service.search({ query: 'albatross' })).ids).toEqual([]);
    } finally {
      blocker.exec('COMMIT');
      blocker.close();
    }

    // Nobody asks: the planned retry brings the index up to date.
    await expect.poll(async () => (await service.search({ query: 'cormorant' })).ids.length, { timeout: 20_000, interval: 200 }).toBe(2);
    expect((await service.search({ query: 'cormorant' })).ignored).toEqual([]);
    // The deleted message left the file too: one document per message the journal has.
    const check = new Database(file, { readonly: true });
    try {
      expect(check.prepare('SELECT count(*) FROM docs').pluck().get()).toBe(3);
    } finally {
      check.close();
    }
    await service.close();
    expect(unhandled).toEqual([]);
  });
});
