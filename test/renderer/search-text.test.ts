/**
 * The search text in memory (message-store.ts): built in the background once the app asks for
 * it, and kept through what resets the store — a rebuild from main's snapshot (the first fill)
 * and a reload from disk after another window wrote — so the first search after either does
 * not build 100,000 texts while the user waits (the renderer bench's first search took ~2 s).
 * A search typed while the build is under way, with changes arriving between its slices,
 * finds exactly what a search of every row finds.
 */
import { IDBKeyRange, indexedDB } from 'fake-indexeddb';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Change } from '../../shared/changes.js';
import { PopboxDb } from '../../renderer/src/db/database.js';
import { MessageStore } from '../../renderer/src/db/message-store.js';
import { viewIds } from '../../renderer/src/db/queries.js';
import { ReadModel } from '../../renderer/src/db/read-model.js';
import { toRow } from '../../renderer/src/db/rows.js';
import { record, serviceApi, type ServiceApi } from './service-api.js';

let dbn = 0;
const adds = (n: number, subject: (i: number) => string) => Array.from({ length: n }, (_, i) => record({ subject: subject(i) }));

describe('search text', () => {
  let s: ServiceApi;
  let db: PopboxDb;
  beforeEach(async () => {
    s = await serviceApi();
    db = new PopboxDb(`search-${process.pid}-${++dbn}`, { indexedDB, IDBKeyRange });
  });
  afterEach(async () => {
    db.close();
    await s.close();
  });

  it('asked for before the first fill, it is complete when the fill from the snapshot ends', async () => {
    const many = adds(3_000, (i) => (i % 3 ? 'garden party' : 'invoice'));
    await s.service.journal.append(many.map((m) => ({ t: 'add' as const, m })));
    const rm = new ReadModel(db, s.api);
    // What the app does: the (empty) cache loads, the list asks for the search text, then the
    // pull finds no cursor and rebuilds from main's snapshot, which resets the store.
    await rm.load();
    rm.store.prepareSearch();
    expect(rm.store.searchReady).toBe(true);
    await rm.pull();
    expect(rm.store.size).toBe(3_000);
    expect(rm.store.searchReady).toBe(true);
    expect(viewIds(rm.store, { kind: 'unified' }, 'date', 'invoice')).toHaveLength(1_000);
  });

  it('after a reload from disk (another window wrote), it is built again without a search', async () => {
    const many = adds(6_000, (i) => (i % 2 ? 'odd one' : 'even one'));
    await s.service.journal.append(many.map((m) => ({ t: 'add' as const, m })));
    const a = new ReadModel(db, s.api);
    const b = new ReadModel(db, s.api);
    await a.pull();
    await b.pull();
    a.store.prepareSearch();
    await vi.waitFor(() => expect(a.store.searchReady).toBe(true), { timeout: 20_000 });
    const x = record({ subject: 'odd news' });
    await s.service.journal.append([{ t: 'add', m: x }]);
    await b.pull(); // b writes; a's memory is behind the cursor on disk
    await s.service.journal.append([{ t: 'remove', id: many[1]!.id }]);
    await a.pull(); // a reloads every page, then applies the removal
    await vi.waitFor(() => expect(a.store.searchReady).toBe(true), { timeout: 20_000 });
    const odd = viewIds(a.store, { kind: 'unified' }, 'date', 'odd');
    expect(odd).toHaveLength(3_000);
    expect(odd).toContain(x.id);
    expect(odd).not.toContain(many[1]!.id);
  });
});

describe('search text built in slices', () => {
  it('a search during the build, with adds, edits and removals between slices, finds what a full scan finds', () => {
    const store = new MessageStore();
    store.reset(true);
    const many = adds(20_000, (i) => (i % 4 ? `report ${i}` : `garden ${i}`));
    store.commit(store.stage(many.map((m, i): Change => ({ s: i + 1, t: 'add', m }))));
    store.prepareSearch();
    // The first slice is done at once, the rest later (at most a few thousand texts a slice).
    expect(store.searchReady).toBe(false);

    const later = adds(50, () => 'garden gnome');
    const edited = many.slice(1, 40).map((m) => ({ ...m, summary: { ...m.summary, subject: 'garden hose' } }));
    const removed = many.slice(-40).map((m) => m.id).concat(many.slice(4, 8).map((m) => m.id));
    store.commit(
      store.stage([
        ...later.map((m, i): Change => ({ s: 30_000 + i, t: 'add', m })),
        ...edited.map((m, i): Change => ({ s: 31_000 + i, t: 'partial', id: m.id, partial: false, summary: m.summary })),
        ...removed.map((id, i): Change => ({ s: 32_000 + i, t: 'remove', id })),
      ]),
    );

    const gone = new Set(removed);
    const current = new Map([...many, ...later].filter((m) => !gone.has(m.id)).map((m) => [m.id, toRow(m)]));
    for (const m of edited) if (!gone.has(m.id)) current.set(m.id, toRow(m));
    const ids = store.viewIds({ kind: 'unified' }, 'date');
    expect(ids).toHaveLength(current.size);
    const expected = ids.filter((id) => current.get(id)!.subject.includes('garden'));
    expect(store.filter(ids, ['garden'])).toEqual(expected);
    expect(store.searchReady).toBe(true);
    // 5,000 gardens, less 10 of the last 40 and 1 of 4..7 removed, plus 27 edited (1..39 without
    // 4..7 and the 8 that were gardens already) and 50 new.
    expect(expected).toHaveLength(5_066);
  });
});
