/**
 * The search index off the sync's path (issue 18): in a sync of more than 64 messages the parse
 * worker (started as the plan is made) parses every new message, keeps its text and writes its
 * search rows once the sync's parses are answered, not while it downloads. What a user notices
 * must not change: a search made right after the sync returns finds every new message by its own
 * word, exactly once; a headers-only message is indexed once (by the worker), not a second time
 * by main; and a kill -9 between the worker's transactions, or just after the sync returned,
 * leaves an index that agrees with the journal once Popbox opens again (every message found
 * once, no row of anything else).
 */
import Database from 'better-sqlite3';
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { MailService } from '../../electron/core/mail-service.js';
import { MemorySecretStore } from '../../electron/core/secrets/index.js';
import { IndexDb } from '../../electron/core/search/index-db.js';
import { SearchIndex } from '../../electron/core/search/search-index.js';
import { dovecotUnavailable, startDovecot, type DovecotServer } from '../support/dovecot.js';

const run = promisify(execFile);
const unavailable = dovecotUnavailable();
/** With BIG, more than a worker's 256 per transaction: two transactions. */
const SMALL = 330;
/** Over the account's 40 KB: stored headers-only, after the whole ones (the last parses: the worker's). */
const BIG = 20;
const CHILD = path.resolve('test/support/search-sync-child.ts');

/** Each message has a word of its own: in the body for a whole one, in the subject for a headers-only one. */
function message(i: number): Buffer {
  const big = i >= SMALL;
  const subject = big ? `Report bigword${i}q` : `Note ${i}`;
  const body = big ? `${'filler text of a large message '.repeat(2000)}\r\n` : `Hello,\r\n\r\nthe smallword${i}q is here, with sharedword.\r\n`;
  return Buffer.from(`From: Ann <ann@example.com>\r\nTo: bob@example.com\r\nSubject: ${subject}\r\nMessage-ID: <m${i}@example.com>\r\nDate: Mon, 01 Jun 2026 10:00:00 +0000\r\n\r\n${body}`);
}
const wordOf = (i: number) => (i >= SMALL ? `bigword${i}q` : `smallword${i}q`);
const subjectOf = (i: number) => (i >= SMALL ? `Report bigword${i}q` : `Note ${i}`);

describe.skipIf(unavailable)('search right after a sync whose index rows the parse worker writes at its end', () => {
  let dc: DovecotServer;
  let base: string;
  let template: string;

  beforeAll(async () => {
    dc = await startDovecot({ users: [{ name: 'ann', password: 'ann-pw' }] });
    await dc.deliver('ann', Array.from({ length: SMALL + BIG }, (_, i) => message(i)));
    base = await fs.mkdtemp(path.join(os.tmpdir(), 'popbox-search-after-sync-'));
    template = path.join(base, 'template');
    const service = await MailService.open({ dataDir: template, secrets: new MemorySecretStore(), sendQueued: false });
    await service.addAccount({
      name: 'Ann',
      host: '127.0.0.1',
      port: dc.plainPort,
      security: 'plain',
      allowInsecureAuth: true,
      user: 'ann',
      leaveOnServer: true,
      checkAtStartup: false,
      maxMessageSizeKB: 40,
      password: { source: 'command', command: 'echo ann-pw' },
    });
    await service.close();
  }, 120_000);

  afterAll(async () => {
    await dc?.stop();
    if (base) await fs.rm(base, { recursive: true, force: true });
  });

  async function copyOfTemplate(name: string): Promise<string> {
    const dir = path.join(base, name);
    await run('cp', ['-a', template, dir]);
    return dir;
  }

  /** Every message found by its own word, once; every whole one by the shared word. */
  async function expectEachFoundOnce(service: MailService): Promise<void> {
    const subjects = new Map(service.messages().map((m) => [m.id, m.summary.subject]));
    expect(subjects.size).toBe(SMALL + BIG);
    const wrong: string[] = [];
    for (let i = 0; i < SMALL + BIG; i++) {
      const { ids } = await service.search({ query: wordOf(i) });
      if (ids.length !== 1 || subjects.get(ids[0]!) !== subjectOf(i)) wrong.push(`${wordOf(i)}: ${ids.map((id) => subjects.get(id)).join(', ') || 'nothing'}`);
    }
    expect(wrong, 'messages not found exactly once by their own word').toEqual([]);
    expect((await service.search({ query: 'sharedword' })).total).toBe(SMALL);
  }

  /** The index file's message ids, as another program reads it. */
  function idsInIndex(dataDir: string): string[] {
    const db = new Database(SearchIndex.file(dataDir), { readonly: true });
    try {
      return (db.prepare('SELECT id FROM docs').pluck().all() as string[]).sort();
    } finally {
      db.close();
    }
  }

  it('finds every new message by its own word right after the sync returns, and writes a headers-only one once', async () => {
    const dataDir = await copyOfTemplate('right-after');
    const service = await MailService.open({ dataDir, secrets: new MemorySecretStore(), sendQueued: false });
    // The documents main's own index writes (the worker writes through its own connection).
    const written: string[] = [];
    const real = IndexDb.prototype.write;
    const write = vi.spyOn(IndexDb.prototype, 'write').mockImplementation(function (this: IndexDb, add, remove, relabel) {
      written.push(...add.map((d) => d.id));
      real.call(this, add, remove, relabel);
    });
    try {
      const [outcome] = await service.sync();
      expect(outcome?.ok).toBe(true);
      // No wait for the index: the search itself must wait for the rows still being written.
      await expectEachFoundOnce(service);
      const headersOnly = new Set(service.messages().filter((m) => m.partial).map((m) => m.id));
      expect(headersOnly.size).toBe(BIG);
      // The headers-only messages came last (parsed in the worker from the bytes the store wrote):
      // the worker's rows are theirs; main wrote none of them again.
      expect(written.filter((id) => headersOnly.has(id)), 'headers-only messages main indexed again').toEqual([]);
      expect(idsInIndex(dataDir)).toEqual(idsInJournal(service));
    } finally {
      write.mockRestore();
      await service.close();
    }
  }, 120_000);

  it('leaves an index that agrees with the journal after a kill -9 while the worker writes the rows', async () => {
    const landed: string[] = [];
    // Killed once while the worker's first transaction is in the file and the rest is not (the
    // worker holds PAUSE rows in it and then stops until killed: the child's PAUSE_AFTER, given to
    // the worker as ParsePoolOptions.indexPauseAfter), and once just after the sync returned.
    const PAUSE = 32;
    for (const when of ['first-batch', 'synced'] as const) {
      const dataDir = await copyOfTemplate(`kill-${landed.length}`);
      const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dataDir, ...(when === 'first-batch' ? [String(PAUSE)] : [])], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stderr.on('data', (c: Buffer) => (err += c.toString()));
      const exited = new Promise<void>((r) => child.on('exit', () => r()));
      const reader = new Database(SearchIndex.file(dataDir), { fileMustExist: true });
      const rows = reader.prepare('SELECT count(*) FROM docs').pluck();
      let rowsAtKill = -1;
      const kill = (): void => {
        if (rowsAtKill >= 0) return;
        rowsAtKill = rows.get() as number;
        child.kill('SIGKILL');
      };
      child.stdout.on('data', (c: Buffer) => {
        out += c.toString();
        if (out.includes('synced') && when === 'synced') kill();
      });
      const poll = setInterval(() => {
        if (when === 'first-batch' && (rows.get() as number) >= PAUSE) kill();
      }, 1);
      await exited;
      clearInterval(poll);
      reader.close();
      if (!out.includes('synced') && rowsAtKill < 0) throw new Error(`the child ended before its sync returned: ${err.slice(-2000)}`);
      landed.push(`${when}: ${rowsAtKill < 0 ? 'not killed' : `${rowsAtKill} of ${SMALL + BIG} rows in the file${out.includes('synced') ? ', after the sync returned' : ', before the sync returned'}`}`);
      if (when === 'first-batch') {
        // The worker's first transaction is in, the rest of its rows are not.
        expect(rowsAtKill, 'rows in the file at the kill').toBeGreaterThanOrEqual(PAUSE);
        expect(rowsAtKill, 'rows in the file at the kill').toBeLessThan(SMALL + BIG);
      } else expect(out, 'killed after the sync returned').toContain('synced');
      const service = await MailService.open({ dataDir, secrets: new MemorySecretStore(), sendQueued: false });
      try {
        await service.searchIndexed();
        expect(idsInIndex(dataDir), 'one row per journaled message, no other').toEqual(idsInJournal(service));
        // The journal may have lost the last messages to the kill; the next sync brings them.
        const [outcome] = await service.sync();
        expect(outcome?.ok).toBe(true);
        await expectEachFoundOnce(service);
        await service.searchIndexed();
        expect(idsInIndex(dataDir), 'one row per journaled message, no other').toEqual(idsInJournal(service));
      } finally {
        await service.close();
      }
    }
    console.log(`search-after-sync kills: ${landed.join('; ')}`);
  }, 900_000);
});

const idsInJournal = (service: MailService): string[] => service.messages().map((m) => m.id).sort();
