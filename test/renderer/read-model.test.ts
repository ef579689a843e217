/**
 * The Dexie read model against a real MailService (journal and change feed) through the
 * contract: batches and cursor applied together, rebuild when main cannot calculate changes,
 * paging, unread counts and the list queries the views use; what is on disk survives a
 * reload, and a write that fails changes nothing.
 */
import { IDBKeyRange, IDBObjectStore, indexedDB } from 'fake-indexeddb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PopboxDb } from '../../renderer/src/db/database.js';
import { viewIds } from '../../renderer/src/db/queries.js';
import { readStoredHead } from '../../renderer/src/db/head.js';
import { foldChanges, PAGE_ROWS } from '../../renderer/src/db/message-store.js';
import { ReadModel } from '../../renderer/src/db/read-model.js';
import { record, serviceApi, type ServiceApi } from './service-api.js';

/** One change as main's journal takes it (a remove and a move in one batch). */
type JournalChange = Parameters<ServiceApi['service']['journal']['append']>[0][number];

let dbn = 0;

/**
 * Runs `fn` while the next `count` read-write transactions on `db` fail as they commit (what a
 * quota error at commit looks like).
 */
async function failingWrites(db: PopboxDb, count: number, fn: () => Promise<unknown>): Promise<void> {
  const backend = db.backendDB();
  const transaction = backend.transaction.bind(backend);
  let left = count;
  backend.transaction = ((...args: Parameters<typeof transaction>) => {
    const tx = transaction(...args);
    if (args[1] === 'readwrite' && left-- > 0) queueMicrotask(() => tx.abort());
    return tx;
  }) as typeof backend.transaction;
  try {
    await fn();
  } finally {
    backend.transaction = transaction;
  }
}
describe('read model', () => {
  let s: ServiceApi;
  let db: PopboxDb;
  beforeEach(async () => {
    s = await serviceApi();
    db = new PopboxDb(`test-${process.pid}-${++dbn}`, { indexedDB, IDBKeyRange });
  });
  afterEach(async () => {
    db.close();
    await s.close();
  });

  it('starts empty, then applies adds, flag changes and removals with their cursor', async () => {
    const rm = new ReadModel(db, s.api);
    await rm.pull();
    expect(rm.store.size).toBe(0);
    const a = record({ subject: 'Alpha', from: 'Ann' });
    const b = record({ subject: 'Re: Beta', from: 'Bob' });
    const c = record({ subject: 'Gamma', from: 'Cy', flags: { seen: true, flagged: false } });
    await s.service.journal.append([a, b, c].map((m) => ({ t: 'add' as const, m })));
    await rm.pull();
    expect(rm.store.size).toBe(3);
    expect(await rm.cursor()).toBe(s.service.journal.snapshot().state);
    expect(rm.store.unreadCount({ kind: 'unified' })).toBe(2);
    expect(rm.store.unreadCount({ kind: 'folder', accountId: a.accountId, folder: 'INBOX' })).toBe(2);

    await s.api.setFlags({ ids: [a.id], flags: { seen: true } }).catch(() => {});
    await s.service.journal.append([{ t: 'flags', id: a.id, flags: { seen: true, flagged: true } }, { t: 'move', id: b.id, folder: 'Trash', trashedFrom: 'INBOX' }, { t: 'remove', id: c.id }]);
    await rm.pull();
    const onDisk = (await rm.pagesOnDisk()).flatMap((p) => p.rows).sort((x, y) => x.subject.localeCompare(y.subject));
    expect(onDisk.map((r) => [r.subject, r.folder, r.seen, r.flagged])).toEqual([
      ['Alpha', 'INBOX', 1, 1],
      ['Re: Beta', 'Trash', 0, 0],
    ]);
    expect(rm.store.unreadCount({ kind: 'unified' })).toBe(0);
    expect(viewIds(rm.store, { kind: 'folder', accountId: b.accountId, folder: 'Trash' }, 'date')).toEqual([b.id]);
    expect(rm.store.get(b.id)?.trashedFrom).toBe('INBOX');
    expect(viewIds(rm.store, { kind: 'unified' }, 'date')).toEqual([a.id]);
    expect(rm.store.get(b.id)?.subjectKey).toBe('beta');
    expect(rm.store.get(c.id)).toBeUndefined();
  });

  it('rebuilds from a snapshot when main cannot calculate the changes', async () => {
    const rm = new ReadModel(db, s.api);
    const m = [record(), record(), record()];
    await s.service.journal.append(m.map((x) => ({ t: 'add' as const, m: x })));
    await rm.pull();
    // A stale row the feed will never mention again, then the journal compacts past our cursor.
    await db.pages.put({ n: 99, json: JSON.stringify([{ ...rm.store.get(m[0]!.id)!, id: 'ghost' }]) });
    await s.service.journal.append([{ t: 'remove', id: m[1]!.id }]);
    await s.service.journal.compact();
    await db.meta.put({ key: 'cursor', value: 0 });
    expect('cannotCalculate' in s.service.changesSince(0)).toBe(true);
    await rm.pull();
    expect(viewIds(rm.store, { kind: 'unified' }, 'date').sort()).toEqual([m[0]!.id, m[2]!.id].sort());
    expect((await rm.pagesOnDisk()).flatMap((p) => p.rows.map((r) => r.id)).sort()).toEqual([m[0]!.id, m[2]!.id].sort());
    // And a fresh start (a reload of the window) reads the same from disk.
    const again = new ReadModel(db, s.api);
    await again.load();
    expect(viewIds(again.store, { kind: 'unified' }, 'date').sort()).toEqual([m[0]!.id, m[2]!.id].sort());
  });

  it('a rebuild fills the list newest first while it writes, and keeps pages of at most PAGE_ROWS', async () => {
    const many = Array.from({ length: 12_000 }, (_, i) => record({ subject: i % 2 ? 'odd one' : 'even one', date: new Date(Date.UTC(2020, 0, 1) + i * 60_000).toISOString() }));
    await s.service.journal.append(many.map((m) => ({ t: 'add' as const, m })));
    const rm = new ReadModel(db, s.api);
    const seen: { size: number; first: string | undefined }[] = [];
    const off = rm.store.subscribe(() => rm.store.size > 0 && seen.push({ size: rm.store.size, first: viewIds(rm.store, { kind: 'unified' }, 'date')[0] }));
    await rm.pull();
    off();
    // The first chunk to show is the newest mail.
    expect(seen[0]).toEqual({ size: 5_000, first: many[many.length - 1]!.id });
    expect(viewIds(rm.store, { kind: 'unified' }, 'date').slice(0, 5_000).sort()).toEqual(many.slice(-5_000).map((m) => m.id).sort());
    expect(viewIds(rm.store, { kind: 'unified' }, 'date')[0]).toBe(many[many.length - 1]!.id);
    expect(viewIds(rm.store, { kind: 'unified' }, 'date', 'odd')).toHaveLength(6_000);
    const pages = await rm.pagesOnDisk();
    expect(pages.every((p) => p.rows.length <= PAGE_ROWS)).toBe(true);
    expect(pages.reduce((n, p) => n + p.rows.length, 0)).toBe(12_000);
    // The head record holds the Unified Inbox's first screenful for the next cold start.
    const head = readStoredHead(db.name)!.rows;
    expect(head).toHaveLength(60);
    expect(head.map((r) => r.id)).toEqual(viewIds(rm.store, { kind: 'unified' }, 'date').slice(0, head.length));
  });

  it('a cold start shows the head record before the pages are read', async () => {
    const m = Array.from({ length: 80 }, (_, i) => record({ date: new Date(Date.UTC(2024, 0, 1) + i * 60_000).toISOString() }));
    await s.service.journal.append(m.map((x) => ({ t: 'add' as const, m: x })));
    await new ReadModel(db, s.api).pull();
    const cold = new ReadModel(db, s.api);
    let first: { loaded: boolean; ids: string[] | null } | null = null;
    const off = cold.store.subscribe(() => (first ??= { loaded: cold.store.loaded, ids: cold.store.headFor({ kind: 'unified' }, 'date') }));
    await cold.load();
    off();
    // The first thing the views hear of is the head, while the pages are not loaded yet.
    expect(first).toEqual({ loaded: false, ids: m.slice(-60).reverse().map((x) => x.id) });
    expect(cold.store.get(m[0]!.id)).toBeDefined();
    // A new page has the same rows before its first render, from localStorage, without IndexedDB.
    const page = new ReadModel(db, s.api);
    page.primeHead();
    expect(page.store.headFor({ kind: 'unified' }, 'date')).toEqual(m.slice(-60).reverse().map((x) => x.id));
    expect(page.store.get(m[79]!.id)?.subject).toBe(m[79]!.summary.subject);
    expect(page.store.headFor({ kind: 'folder', accountId: 'acc1', folder: 'Trash' }, 'date')).toBeNull();

    // A head in a shape this build does not know (an older build's) is not shown.
    const key = Object.keys(localStorage).find((k) => k.endsWith(`:${db.name}`))!;
    localStorage.setItem(key, JSON.stringify({ day: new Date().toDateString(), rows: [{ id: 'x', subject: 1 }], dates: ['today'] }));
    const old = new ReadModel(db, s.api);
    old.primeHead();
    expect(old.store.headFor({ kind: 'unified' }, 'date')).toBeNull();
  });

  it('keeps the head (the start-up snapshot) in step with read and flag changes', async () => {
    const m = Array.from({ length: 3 }, () => record());
    await s.service.journal.append(m.map((x) => ({ t: 'add' as const, m: x })));
    const rm = new ReadModel(db, s.api);
    await rm.pull();
    await s.service.journal.append([{ t: 'flags', id: m[0]!.id, flags: { seen: true, flagged: true } }]);
    await rm.pull();
    const page = new ReadModel(db, s.api);
    page.primeHead();
    expect(page.store.get(m[0]!.id)).toMatchObject({ seen: 1, flagged: 1 });
  });

  it('a batch whose write fails changes neither memory, nor the pages, nor the cursor; the next pull applies it', async () => {
    const rm = new ReadModel(db, s.api);
    await s.service.journal.append([{ t: 'add', m: record({ subject: 'Already here' }) }]);
    await rm.pull();
    const cursor = await rm.cursor();
    const before = await rm.pagesOnDisk();
    expect(before.flatMap((p) => p.rows)).toHaveLength(1);
    const m = record({ subject: 'Lost?' });
    await s.service.journal.append([{ t: 'add', m }]);

    // 1. The disk is full as a put is queued: the transaction is aborted at once.
    const put = IDBObjectStore.prototype.put;
    IDBObjectStore.prototype.put = function (this: IDBObjectStore, ...args: Parameters<typeof put>) {
      if (this.name === 'pages') throw new DOMException('the disk is full', 'QuotaExceededError');
      return put.apply(this, args);
    };
    try {
      await expect(rm.pull()).rejects.toThrow(/disk is full/);
    } finally {
      IDBObjectStore.prototype.put = put;
    }
    // 2. The transaction fails as it commits (what a quota error at commit looks like).
    await failingWrites(db, Infinity, () => expect(rm.pull()).rejects.toThrow());
    expect(rm.store.get(m.id)).toBeUndefined();
    expect(await rm.cursor()).toBe(cursor);
    expect(await rm.pagesOnDisk()).toEqual(before);
    await rm.pull();
    expect(rm.store.get(m.id)?.subject).toBe('Lost?');
    expect(rm.store.pagesMatch(await rm.pagesOnDisk())).toBe(true);
  });

  it('a feed of several pages whose first write fails drops the later writes and goes back to what is on disk', async () => {
    const rm = new ReadModel(db, s.api, 2);
    await s.service.journal.append([{ t: 'add', m: record() }]);
    await rm.pull();
    const cursor = await rm.cursor();
    const five = Array.from({ length: 5 }, () => record());
    await s.service.journal.append(five.map((m) => ({ t: 'add' as const, m })));
    await failingWrites(db, 1, () => expect(rm.pull()).rejects.toThrow());
    expect(five.some((m) => rm.store.get(m.id))).toBe(false);
    expect(await rm.cursor()).toBe(cursor);
    expect(rm.store.pagesMatch(await rm.pagesOnDisk())).toBe(true);
    await rm.pull();
    expect(five.every((m) => rm.store.get(m.id))).toBe(true);
    expect(rm.store.pagesMatch(await rm.pagesOnDisk())).toBe(true);
  });

  it('keeps disk and memory page for page the same through random changes, and a reload reads the same', async () => {
    const rm = new ReadModel(db, s.api, 700);
    let live: string[] = [];
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let round = 0; round < 12; round++) {
      const changes: Parameters<typeof s.service.journal.append>[0] = [];
      const adds = Array.from({ length: Math.floor(rnd() * 900) }, () => record());
      changes.push(...adds.map((m) => ({ t: 'add' as const, m })));
      for (const id of live) {
        const r = rnd();
        if (r < 0.05) changes.push({ t: 'remove', id });
        else if (r < 0.15) changes.push({ t: 'flags', id, flags: { seen: rnd() < 0.5, flagged: rnd() < 0.2 } });
        else if (r < 0.2) changes.push({ t: 'move', id, folder: rnd() < 0.5 ? 'Trash' : 'INBOX' });
      }
      await s.service.journal.append(changes);
      await rm.pull();
      live = [...s.service.journal.snapshot().messages.map((x) => x.id)];
      expect(rm.store.size).toBe(live.length);
      expect(rm.store.pagesMatch(await rm.pagesOnDisk())).toBe(true);
      expect((await rm.pagesOnDisk()).every((p) => p.rows.length > 0 && p.rows.length <= PAGE_ROWS)).toBe(true);
    }
    const again = new ReadModel(db, s.api);
    await again.load();
    for (const view of [{ kind: 'unified' }, { kind: 'folder', accountId: 'acc1', folder: 'Trash' }, { kind: 'folder', accountId: 'acc1', folder: 'INBOX' }] as const) {
      expect(viewIds(again.store, view, 'date')).toEqual(viewIds(rm.store, view, 'date'));
      expect(again.store.unreadCount(view)).toBe(rm.store.unreadCount(view));
    }
  });

  it('after deletions and moves to and from Trash, every list is what a fresh sort gives', async () => {
    const m = Array.from({ length: 300 }, (_, i) => record({ subject: `S${(i * 37) % 300}`, from: `F${(i * 11) % 300}`, accountId: i % 3 ? 'acc1' : 'acc2' }));
    await s.service.journal.append(m.map((x) => ({ t: 'add' as const, m: x })));
    const rm = new ReadModel(db, s.api);
    await rm.pull();
    const views = [{ kind: 'unified' }, { kind: 'folder', accountId: 'acc1', folder: 'Trash' }, { kind: 'folder', accountId: 'acc2', folder: 'Trash' }, { kind: 'folder', accountId: 'acc1', folder: 'INBOX' }, { kind: 'folder', accountId: 'acc2', folder: 'INBOX' }, { kind: 'all' }] as const;
    const sorts = ['date', 'from', 'subject'] as const;
    const all = () => views.flatMap((v) => sorts.map((o) => viewIds(rm.store, v, o)));
    all(); // every list sorted and cached
    for (let round = 0; round < 3; round++) {
      const live = s.service.journal.snapshot().messages;
      await s.service.journal.append(
        live.flatMap((x, i): JournalChange[] =>
          (i + round) % 7 === 0 ? [{ t: 'remove' as const, id: x.id }] : (i + round) % 5 === 0 ? [{ t: 'move' as const, id: x.id, folder: x.folder === 'Trash' ? 'INBOX' : 'Trash' }] : [],
        ),
      );
      await rm.pull();
      const fresh = new ReadModel(db, s.api);
      await fresh.load();
      expect(all()).toEqual(views.flatMap((v) => sorts.map((o) => viewIds(fresh.store, v, o))));
    }
  });

  it('two windows on one database lose nothing: one whose memory is behind reloads before it writes', async () => {
    const a = new ReadModel(db, s.api);
    const b = new ReadModel(db, s.api);
    await a.pull();
    await b.pull();
    const x = record({ subject: 'X' });
    await s.service.journal.append([{ t: 'add', m: x }]);
    await a.pull(); // a writes X; b's memory does not have it
    const y = record({ subject: 'Y' });
    await s.service.journal.append([{ t: 'add', m: y }]);
    await b.pull(); // b must not write a page without X
    expect(b.store.get(x.id)?.subject).toBe('X');
    const fresh = new ReadModel(db, s.api);
    await fresh.load();
    expect(fresh.store.get(x.id)?.subject).toBe('X');
    expect(fresh.store.get(y.id)?.subject).toBe('Y');
    expect(fresh.store.pagesMatch(await fresh.pagesOnDisk())).toBe(true);
  });

  it('a stored list that cannot be read is rebuilt from main, and says so', async () => {
    const m = Array.from({ length: 4 }, () => record());
    await s.service.journal.append(m.map((x) => ({ t: 'add' as const, m: x })));
    await new ReadModel(db, s.api).pull();
    await db.pages.put({ n: 0, json: '{not json' });
    const reports: unknown[] = [];
    const rm = new ReadModel(db, s.api, undefined, (e) => reports.push(e));
    await rm.pull();
    expect(String(reports[0])).toMatch(/could not be read and is rebuilt/);
    expect(viewIds(rm.store, { kind: 'unified' }, 'date').sort()).toEqual(m.map((x) => x.id).sort());
    expect(rm.store.pagesMatch(await rm.pagesOnDisk())).toBe(true);
  });

  it('pages through a long feed, one transaction per page', async () => {
    // Redraws at most once a minute while a feed is read: the test sees the one at its end.
    const rm = new ReadModel(db, s.api, 400, undefined, 60_000);
    await rm.pull();
    const many = Array.from({ length: 1_000 }, () => record());
    await s.service.journal.append(many.map((m) => ({ t: 'add' as const, m })));
    const cursors: number[] = [];
    const apply = rm.apply.bind(rm);
    rm.apply = async (changes, state) => {
      cursors.push(state);
      expect(changes.length).toBeLessThanOrEqual(400);
      return apply(changes, state);
    };
    let redraws = 0;
    const off = rm.store.subscribe(() => redraws++);
    await rm.pull();
    off();
    expect(rm.store.size).toBe(1_000);
    expect(cursors).toHaveLength(3);
    // The views were told once, after the last page (not once per page).
    expect(redraws).toBe(1);
    expect(cursors[2]).toBe(s.service.journal.snapshot().state);
  });

  it('writes changes scattered over many pages together, not once per feed page', async () => {
    const many = Array.from({ length: 2_000 }, () => record());
    await s.service.journal.append(many.map((m) => ({ t: 'add' as const, m })));
    const rm = new ReadModel(db, s.api, 100, undefined, 60_000);
    await rm.pull();
    const writes: number[] = [];
    const apply = rm.apply.bind(rm);
    rm.apply = async (changes, state, opts) => {
      writes.push(changes.length);
      return apply(changes, state, opts);
    };
    // 500 messages marked read in an order unrelated to the pages (as "sorted by sender, select
    // all, mark read" gives): every feed page of 100 touches all 4 pages.
    const picked = many.filter((_, i) => i % 4 === 0).sort((x, y) => ((Number(x.id.slice(1)) * 7919) % 1000) - ((Number(y.id.slice(1)) * 7919) % 1000));
    await s.service.journal.append(picked.map((m) => ({ t: 'flags' as const, id: m.id, flags: { seen: true, flagged: false } })));
    await rm.pull();
    // Held until a write rewrites at most ~4 rows per change: here 2 writes instead of 5.
    expect(writes.reduce((a, b) => a + b, 0)).toBe(500);
    expect(writes.length).toBeLessThanOrEqual(2);
    expect(rm.store.unreadCount({ kind: 'unified' })).toBe(1_500);
    expect(rm.store.pagesMatch(await rm.pagesOnDisk())).toBe(true);
    expect(await rm.cursor()).toBe(s.service.journal.snapshot().state);
  });

  it('orders views by date, sender and subject, and searches sender, subject and snippet', async () => {
    const rm = new ReadModel(db, s.api);
    const old = record({ subject: 'Zebra crossing', from: 'Yolanda', date: '2026-01-01T00:00:00Z', snippet: 'about stripes' });
    const mid = record({ subject: 'Apples', from: 'Xavier', date: '2026-02-01T00:00:00Z', snippet: 'fruit basket' });
    const recent = record({ subject: 'Fwd: Mangoes', from: 'Walter', date: '2026-03-01T00:00:00Z', snippet: 'more fruit', accountId: 'acc2' });
    await s.service.journal.append([old, mid, recent].map((m) => ({ t: 'add' as const, m })));
    await rm.pull();
    expect(viewIds(rm.store, { kind: 'unified' }, 'date', '')).toEqual([recent.id, mid.id, old.id]);
    expect(viewIds(rm.store, { kind: 'unified' }, 'from', '')).toEqual([recent.id, mid.id, old.id]);
    expect(viewIds(rm.store, { kind: 'unified' }, 'subject', '')).toEqual([mid.id, recent.id, old.id]);
    expect(viewIds(rm.store, { kind: 'folder', accountId: 'acc1', folder: 'INBOX' }, 'date', '')).toEqual([mid.id, old.id]);
    expect(viewIds(rm.store, { kind: 'folder', accountId: 'acc1', folder: 'INBOX' }, 'from', '')).toEqual([mid.id, old.id]);
    expect(viewIds(rm.store, { kind: 'unified' }, 'date', 'fruit')).toEqual([recent.id, mid.id]);
    expect(viewIds(rm.store, { kind: 'unified' }, 'date', 'STRIPES yolanda')).toEqual([old.id]);
    expect(viewIds(rm.store, { kind: 'unified' }, 'date', 'nothing-like-this')).toEqual([]);
    expect(viewIds(rm.store, { kind: 'folder', accountId: 'acc2', folder: 'INBOX' }, 'subject', 'fruit')).toEqual([recent.id]);

    // The in-memory index follows later changes, and a fresh one loads the same from disk.
    const later = record({ subject: 'Fruit salad', from: 'Vera', date: '2026-04-01T00:00:00Z' });
    await s.service.journal.append([{ t: 'add', m: later }, { t: 'remove', id: mid.id }]);
    await rm.pull();
    expect(viewIds(rm.store, { kind: 'unified' }, 'date', 'fruit')).toEqual([later.id, recent.id]);
    const fresh = new ReadModel(db, s.api);
    await fresh.load();
    expect(viewIds(fresh.store, { kind: 'unified' }, 'date', 'fruit')).toEqual([later.id, recent.id]);
  });

  it('folds changes in order, including a flag change for a message added in the same batch', () => {
    const m = record();
    const folded = foldChanges(new Map(), [
      { s: 1, t: 'add', m },
      { s: 2, t: 'flags', id: m.id, flags: { seen: true, flagged: false } },
      { s: 3, t: 'flags', id: 'unknown', flags: { seen: true, flagged: false } },
    ]);
    expect(folded.get(m.id)?.seen).toBe(1);
    expect(folded.has('unknown')).toBe(false);
  });
});
