/**
 * The Dexie read model against a real MailService (journal and change feed) through the
 * contract: batches and cursor applied together, rebuild when main cannot calculate changes,
 * paging, unread counts and the list queries the views use.
 */
import { IDBKeyRange, indexedDB } from 'fake-indexeddb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PopboxDb } from '../../renderer/src/db/database.js';
import { unreadCount, viewIds } from '../../renderer/src/db/queries.js';
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
    expect(await db.messages.count()).toBe(0);
    const a = record({ subject: 'Alpha', from: 'Ann' });
    const b = record({ subject: 'Re: Beta', from: 'Bob' });
    const c = record({ subject: 'Gamma', from: 'Cy', flags: { seen: true, flagged: false, trashed: false } });
    await s.service.journal.append([a, b, c].map((m) => ({ t: 'add' as const, m })));
    await rm.pull();
    expect(await db.messages.count()).toBe(3);
    expect(await rm.cursor()).toBe(s.service.journal.snapshot().state);
    expect(await unreadCount(db, { kind: 'unified' })).toBe(2);

    await s.api.setFlags({ ids: [a.id], flags: { seen: true } }).catch(() => {});
    await s.service.journal.append([{ t: 'flags', id: a.id, flags: { seen: true, flagged: true, trashed: false } }, { t: 'flags', id: b.id, flags: { seen: false, flagged: false, trashed: true } }, { t: 'remove', id: c.id }]);
    await rm.pull();
    const rows = await db.messages.toArray();
    expect(rows.map((r) => [r.subject, r.folder, r.seen, r.flagged])).toEqual([
      ['Alpha', 'inbox', 1, 1],
      ['Re: Beta', 'trash', 0, 0],
    ]);
    expect(await unreadCount(db, { kind: 'unified' })).toBe(0);
    expect(await viewIds(db, { kind: 'trash' }, 'date', '')).toEqual([b.id]);
    expect((await db.messages.get(b.id))?.subjectKey).toBe('beta');
  });

  it('rebuilds from a snapshot when main cannot calculate the changes', async () => {
    const rm = new ReadModel(db, s.api);
    const m = [record(), record(), record()];
    await s.service.journal.append(m.map((x) => ({ t: 'add' as const, m: x })));
    await rm.pull();
    // A stale row the feed will never mention again, then the journal compacts past our cursor.
    await db.messages.put({ ...(await db.messages.get(m[0]!.id))!, id: 'ghost' });
    await s.service.journal.append([{ t: 'remove', id: m[1]!.id }]);
    await s.service.journal.compact();
    await db.meta.put({ key: 'cursor', value: 0 });
    expect('cannotCalculate' in s.service.changesSince(0) || s.service.changesSince(0)).toBeTruthy();
    await rm.pull();
    expect((await db.messages.toArray()).map((r) => r.id).sort()).toEqual([m[0]!.id, m[2]!.id].sort());
  });

  it('keeps a search index that started loading during a rebuild complete', async () => {
    const many = Array.from({ length: 5_000 }, (_, i) => record({ subject: i % 2 ? 'odd one' : 'even one' }));
    await s.service.journal.append(many.map((m) => ({ t: 'add' as const, m })));
    const rm = new ReadModel(db, s.api);
    // Start loading the index while the rebuild writes its chunks.
    const building = rm.pull();
    await new Promise((r) => setTimeout(r, 5));
    void rm.search.ready();
    await building;
    const all = await viewIds(db, { kind: 'unified' }, 'date', '');
    expect(all).toHaveLength(5_000);
    expect(await viewIds(db, { kind: 'unified' }, 'date', 'odd', rm.search)).toHaveLength(2_500);
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
    await rm.pull();
    expect(await db.messages.count()).toBe(1_000);
    expect(cursors).toHaveLength(3);
    expect(cursors[2]).toBe(s.service.journal.snapshot().state);
  });

  it('orders views by date, sender and subject, and searches sender, subject and snippet', async () => {
    const rm = new ReadModel(db, s.api);
    const old = record({ subject: 'Zebra crossing', from: 'Yolanda', date: '2026-01-01T00:00:00Z', snippet: 'about stripes' });
    const mid = record({ subject: 'Apples', from: 'Xavier', date: '2026-02-01T00:00:00Z', snippet: 'fruit basket' });
    const recent = record({ subject: 'Fwd: Mangoes', from: 'Walter', date: '2026-03-01T00:00:00Z', snippet: 'more fruit', accountId: 'acc2' });
    await s.service.journal.append([old, mid, recent].map((m) => ({ t: 'add' as const, m })));
    await rm.pull();
    expect(await viewIds(db, { kind: 'unified' }, 'date', '')).toEqual([recent.id, mid.id, old.id]);
    expect(await viewIds(db, { kind: 'unified' }, 'from', '')).toEqual([recent.id, mid.id, old.id]);
    expect(await viewIds(db, { kind: 'unified' }, 'subject', '')).toEqual([mid.id, recent.id, old.id]);
    expect(await viewIds(db, { kind: 'account', accountId: 'acc1' }, 'date', '')).toEqual([mid.id, old.id]);
    expect(await viewIds(db, { kind: 'account', accountId: 'acc1' }, 'from', '', rm.search)).toEqual([mid.id, old.id]);
    expect(await viewIds(db, { kind: 'unified' }, 'date', 'fruit', rm.search)).toEqual([recent.id, mid.id]);
    expect(await viewIds(db, { kind: 'unified' }, 'date', 'STRIPES yolanda', rm.search)).toEqual([old.id]);
    expect(await viewIds(db, { kind: 'unified' }, 'date', 'nothing-like-this', rm.search)).toEqual([]);
    expect(await viewIds(db, { kind: 'account', accountId: 'acc2' }, 'subject', 'fruit', rm.search)).toEqual([recent.id]);

    // The in-memory index follows later changes, and a fresh one loads the same from disk.
    const later = record({ subject: 'Fruit salad', from: 'Vera', date: '2026-04-01T00:00:00Z' });
    await s.service.journal.append([{ t: 'add', m: later }, { t: 'remove', id: mid.id }]);
    await rm.pull();
    expect(await viewIds(db, { kind: 'unified' }, 'date', 'fruit', rm.search)).toEqual([later.id, recent.id]);
    const fresh = new ReadModel(db, s.api);
    expect(await viewIds(db, { kind: 'unified' }, 'date', 'fruit', fresh.search)).toEqual([later.id, recent.id]);
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
