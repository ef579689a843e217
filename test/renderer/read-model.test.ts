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
import { PAGE_ROWS } from '../../renderer/src/db/message-store.js';
import { foldChanges, ReadModel } from '../../renderer/src/db/read-model.js';
import { record, serviceApi, type ServiceApi } from './service-api.js';

let dbn = 0;
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
    const c = record({ subject: 'Gamma', from: 'Cy', flags: { seen: true, flagged: false, trashed: false } });
    await s.service.journal.append([a, b, c].map((m) => ({ t: 'add' as const, m })));
    await rm.pull();
    expect(rm.store.size).toBe(3);
    expect(await rm.cursor()).toBe(s.service.journal.snapshot().state);
    expect(rm.store.unreadCount({ kind: 'unified' })).toBe(2);
    expect(rm.store.unreadCount({ kind: 'account', accountId: a.accountId })).toBe(2);

    await s.api.setFlags({ ids: [a.id], flags: { seen: true } }).catch(() => {});
    await s.service.journal.append([{ t: 'flags', id: a.id, flags: { seen: true, flagged: true, trashed: false } }, { t: 'flags', id: b.id, flags: { seen: false, flagged: false, trashed: true } }, { t: 'remove', id: c.id }]);
    await rm.pull();
    const onDisk = (await rm.pagesOnDisk()).flatMap((p) => p.rows).sort((x, y) => x.subject.localeCompare(y.subject));
    expect(onDisk.map((r) => [r.subject, r.folder, r.seen, r.flagged])).toEqual([
      ['Alpha', 'inbox', 1, 1],
      ['Re: Beta', 'trash', 0, 0],
    ]);
    expect(rm.store.unreadCount({ kind: 'unified' })).toBe(0);
    expect(viewIds(rm.store, { kind: 'trash' }, 'date')).toEqual([b.id]);
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
    expect('cannotCalculate' in s.service.changesSince(0) || s.service.changesSince(0)).toBeTruthy();
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
    const seen: number[] = [];
    const off = rm.store.subscribe(() => seen.push(rm.store.size));
    await rm.pull();
    off();
    // The first chunk to arrive is the newest mail.
    expect(seen.filter((n) => n > 0)[0]).toBe(5_000);
    expect(viewIds(rm.store, { kind: 'unified' }, 'date')[0]).toBe(many[many.length - 1]!.id);
    expect(viewIds(rm.store, { kind: 'unified' }, 'date', 'odd')).toHaveLength(6_000);
    const pages = await rm.pagesOnDisk();
    expect(pages.every((p) => p.rows.length <= PAGE_ROWS)).toBe(true);
    expect(pages.reduce((n, p) => n + p.rows.length, 0)).toBe(12_000);
    // The head record holds the Unified Inbox's first screenful for the next cold start.
    const head = (await db.meta.get('head'))?.value as { id: string }[];
    expect(head.map((r) => r.id)).toEqual(viewIds(rm.store, { kind: 'unified' }, 'date').slice(0, head.length));
  });

  it('a cold start shows the head record before the pages are read', async () => {
    const m = Array.from({ length: 80 }, (_, i) => record({ date: new Date(Date.UTC(2024, 0, 1) + i * 60_000).toISOString() }));
    await s.service.journal.append(m.map((x) => ({ t: 'add' as const, m: x })));
    await new ReadModel(db, s.api).pull();
    const cold = new ReadModel(db, s.api);
    let firstView: string[] | null = null;
    const off = cold.store.subscribe(() => (firstView ??= cold.store.headFor({ kind: 'unified' }, 'date')));
    await cold.load();
    off();
    expect(firstView).toEqual(m.slice(-60).reverse().map((x) => x.id));
    expect(cold.store.get(m[0]!.id)).toBeDefined();
    // A new page has the same rows before its first render, from localStorage, without IndexedDB.
    const page = new ReadModel(db, s.api);
    page.primeHead();
    expect(page.store.headFor({ kind: 'unified' }, 'date')).toEqual(m.slice(-60).reverse().map((x) => x.id));
    expect(page.store.get(m[79]!.id)?.subject).toBe(m[79]!.summary.subject);
    expect(page.store.headFor({ kind: 'trash' }, 'date')).toBeNull();
  });

  it('a batch whose write fails changes neither memory nor the cursor, and the next pull applies it', async () => {
    const rm = new ReadModel(db, s.api);
    await rm.pull();
    const cursor = await rm.cursor();
    const m = record({ subject: 'Lost?' });
    await s.service.journal.append([{ t: 'add', m }]);
    // The disk fills up: the page write fails inside the transaction that also holds the cursor.
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
    expect(rm.store.get(m.id)).toBeUndefined();
    expect(await rm.cursor()).toBe(cursor);
    expect(await rm.pagesOnDisk()).toEqual([]);
    await rm.pull();
    expect(rm.store.get(m.id)?.subject).toBe('Lost?');
  });

  it('pages through a long feed, one transaction per page', async () => {
    const rm = new ReadModel(db, s.api, 400);
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
    expect(viewIds(rm.store, { kind: 'account', accountId: 'acc1' }, 'date', '')).toEqual([mid.id, old.id]);
    expect(viewIds(rm.store, { kind: 'account', accountId: 'acc1' }, 'from', '')).toEqual([mid.id, old.id]);
    expect(viewIds(rm.store, { kind: 'unified' }, 'date', 'fruit')).toEqual([recent.id, mid.id]);
    expect(viewIds(rm.store, { kind: 'unified' }, 'date', 'STRIPES yolanda')).toEqual([old.id]);
    expect(viewIds(rm.store, { kind: 'unified' }, 'date', 'nothing-like-this')).toEqual([]);
    expect(viewIds(rm.store, { kind: 'account', accountId: 'acc2' }, 'subject', 'fruit')).toEqual([recent.id]);

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
      { s: 2, t: 'flags', id: m.id, flags: { seen: true, flagged: false, trashed: false } },
      { s: 3, t: 'flags', id: 'unknown', flags: { seen: true, flagged: false, trashed: false } },
    ]);
    expect(folded.get(m.id)?.seen).toBe(1);
    expect(folded.has('unknown')).toBe(false);
  });
});
