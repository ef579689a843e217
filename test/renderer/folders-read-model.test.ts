/**
 * Folders in the read model (issue 14 §2): every account's tree from the snapshot and from
 * `folders` changes, kept on disk so a restart shows it; `move` changes file rows in another
 * folder with their counts; moving thousands keeps every list what a fresh sort gives. The feed
 * here is a scripted main (snapshot and changesSince), so each case says exactly what main sent.
 */
import { IDBKeyRange, indexedDB } from 'fake-indexeddb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PopboxApi } from '../../shared/api.js';
import type { AccountFolders, Change, MessageRecord } from '../../shared/changes.js';
import type { FolderInfo } from '../../shared/folders.js';
import { PopboxDb } from '../../renderer/src/db/database.js';
import { viewIds } from '../../renderer/src/db/queries.js';
import { ReadModel } from '../../renderer/src/db/read-model.js';
import { record, serviceApi, type ServiceApi } from './service-api.js';

/** A change before main stamps its sequence number (Omit taken per kind, so each keeps its fields). */
type Unstamped = Change extends infer C ? (C extends Change ? Omit<C, 's'> : never) : never;

/** A main process that answers from a list of changes (and a snapshot of what they add up to). */
class ScriptedMain {
  changes: Change[] = [];
  snapshotOnly = false;
  constructor(
    public base: { state: number; messages: MessageRecord[]; folders: AccountFolders[] } = { state: 0, messages: [], folders: [] },
  ) {}
  push(...cs: Unstamped[]): void {
    for (const c of cs) this.changes.push({ ...c, s: this.base.state + this.changes.length + 1 } as Change);
  }
  /** What the changes add up to (the first pull of an empty cache rebuilds from this). */
  snapshot() {
    const messages = new Map(this.base.messages.map((m) => [m.id, m]));
    const folders = new Map(this.base.folders.map((x) => [x.accountId, x.folders]));
    for (const c of this.changes) {
      if (c.t === 'add') messages.set(c.m.id, c.m);
      else if (c.t === 'remove') messages.delete(c.id);
      else if (c.t === 'flags' && messages.has(c.id)) messages.set(c.id, { ...messages.get(c.id)!, flags: c.flags });
      else if (c.t === 'move' && messages.has(c.id)) messages.set(c.id, { ...messages.get(c.id)!, folder: c.folder, trashedFrom: c.trashedFrom });
      else if (c.t === 'folders') folders.set(c.accountId, c.folders);
    }
    return { state: this.base.state + this.changes.length, messages: [...messages.values()], folders: [...folders].map(([accountId, list]) => ({ accountId, folders: list })) };
  }

  get api(): PopboxApi {
    const ok = <T>(value: T) => Promise.resolve({ ok: true as const, value });
    return {
      snapshot: () => ok(this.snapshot()),
      changesSince: ({ state }: { state: number }) => {
        if (this.snapshotOnly || state < this.base.state) return ok({ state: this.base.state + this.changes.length, cannotCalculate: true as const });
        return ok({ state: this.base.state + this.changes.length, changes: this.changes.slice(state - this.base.state), hasMore: false });
      },
      on: () => () => {},
    } as unknown as PopboxApi;
  }
}

const f = (key: string, path: string[], role: FolderInfo['role'] = null): FolderInfo => ({ key, path, role });
const SPECIAL = [f('INBOX', ['Inbox'], 'inbox'), f('Sent', ['Sent'], 'sent'), f('Archive', ['Archive'], 'archive'), f('Trash', ['Trash'], 'trash')];

let dbn = 0;
describe('folders in the read model', () => {
  let db: PopboxDb;
  beforeEach(() => {
    db = new PopboxDb(`folders-${process.pid}-${++dbn}`, { indexedDB, IDBKeyRange });
  });
  afterEach(() => db.close());

  it('keeps each account’s tree from the snapshot and from folders changes, on disk across a restart', async () => {
    const main = new ScriptedMain({
      state: 5,
      messages: [record({ accountId: 'a1' }), record({ accountId: 'a2', folder: 'Work' })],
      folders: [
        { accountId: 'a1', folders: SPECIAL },
        { accountId: 'a2', folders: [...SPECIAL, f('Work', ['Work'])] },
      ],
    });
    main.snapshotOnly = true;
    const rm = new ReadModel(db, main.api);
    await rm.pull();
    expect(rm.store.folders('a1').map((x) => x.key)).toEqual(['INBOX', 'Sent', 'Archive', 'Trash']);
    expect(rm.store.folders('a2').map((x) => x.key)).toContain('Work');
    expect(rm.store.folderCounts('a2', 'Work')).toEqual({ total: 1, unread: 1 });

    main.snapshotOnly = false;
    main.push({ t: 'folders', accountId: 'a1', folders: [...SPECIAL, f('Projects', ['Projects']), f('Projects.2026', ['Projects', '2026'])] });
    await rm.pull();
    expect(rm.store.folders('a1').map((x) => x.key)).toEqual(['INBOX', 'Sent', 'Archive', 'Trash', 'Projects', 'Projects.2026']);

    // A restart reads the trees from IndexedDB before main says anything.
    const again = new ReadModel(db, new ScriptedMain().api);
    await again.load();
    expect(again.store.folders('a1').map((x) => x.key)).toEqual(['INBOX', 'Sent', 'Archive', 'Trash', 'Projects', 'Projects.2026']);
    expect(again.store.folders('a2').map((x) => x.key)).toContain('Work');
    expect((await db.folders.toArray()).map((r) => r.accountId).sort()).toEqual(['a1', 'a2']);
  });

  it('files moved messages in their new folder, with unread counts per folder and trashedFrom for Restore', async () => {
    const main = new ScriptedMain();
    const [a, b, c] = [record({ accountId: 'a1' }), record({ accountId: 'a1' }), record({ accountId: 'a1', flags: { seen: true, flagged: false } })];
    main.push({ t: 'folders', accountId: 'a1', folders: [...SPECIAL, f('Work', ['Work'])] }, ...[a, b, c].map((m) => ({ t: 'add' as const, m })));
    const rm = new ReadModel(db, main.api);
    await rm.pull();
    const inbox = { kind: 'folder', accountId: 'a1', folder: 'INBOX' } as const;
    const work = { kind: 'folder', accountId: 'a1', folder: 'Work' } as const;
    expect(viewIds(rm.store, inbox, 'date')).toEqual([c.id, b.id, a.id]);
    expect(rm.store.unreadCount(inbox)).toBe(2);

    main.push({ t: 'move', id: a.id, folder: 'Work' }, { t: 'move', id: c.id, folder: 'Work' }, { t: 'move', id: b.id, folder: 'Trash', trashedFrom: 'INBOX' });
    await rm.pull();
    expect(viewIds(rm.store, inbox, 'date')).toEqual([]);
    expect(viewIds(rm.store, work, 'date')).toEqual([c.id, a.id]);
    expect(rm.store.folderCounts('a1', 'Work')).toEqual({ total: 2, unread: 1 });
    expect(rm.store.folderCounts('a1', 'Trash')).toEqual({ total: 1, unread: 1 });
    expect(rm.store.unreadCount({ kind: 'unified' })).toBe(0);
    expect(rm.store.get(b.id)).toMatchObject({ folder: 'Trash', trashedFrom: 'INBOX' });
    // A search of all mail lists every folder.
    expect(viewIds(rm.store, { kind: 'all' }, 'date').sort()).toEqual([a.id, b.id, c.id].sort());

    // Restored: back in the Inbox, trashedFrom gone; a read change moves the counts too.
    main.push({ t: 'move', id: b.id, folder: 'INBOX' }, { t: 'flags', id: a.id, flags: { seen: true, flagged: false } });
    await rm.pull();
    expect(rm.store.get(b.id)?.trashedFrom).toBeUndefined();
    expect(rm.store.folderCounts('a1', 'Work')).toEqual({ total: 2, unread: 0 });
    expect(rm.store.unreadCount({ kind: 'unified' })).toBe(1);

    // What is on disk says the same after a restart.
    const again = new ReadModel(db, new ScriptedMain().api);
    await again.load();
    expect(again.store.pagesMatch(await again.pagesOnDisk())).toBe(true);
    expect(again.store.folderCounts('a1', 'Work')).toEqual({ total: 2, unread: 0 });
    expect(viewIds(again.store, work, 'date')).toEqual([c.id, a.id]);
  });

  it('moving 10,000 of 20,000 messages leaves every list as a fresh sort gives it', async () => {
    const main = new ScriptedMain();
    const all = Array.from({ length: 20_000 }, (_, i) => record({ accountId: i % 2 ? 'a1' : 'a2' }));
    main.push(...all.map((m) => ({ t: 'add' as const, m })));
    const rm = new ReadModel(db, main.api, 50_000);
    await rm.pull();
    const views = [{ kind: 'unified' }, { kind: 'folder', accountId: 'a1', folder: 'INBOX' }, { kind: 'folder', accountId: 'a1', folder: 'Archive.2026' }, { kind: 'folder', accountId: 'a2', folder: 'INBOX' }, { kind: 'all' }] as const;
    const lists = () => views.flatMap((v) => (['date', 'from', 'subject'] as const).map((o) => viewIds(rm.store, v, o)));
    lists(); // sorted and cached, as the views would have them
    const moved = all.filter((m) => m.accountId === 'a1');
    main.push(...moved.map((m) => ({ t: 'move' as const, id: m.id, folder: 'Archive.2026' })));
    await rm.pull();
    expect(rm.store.folderCounts('a1', 'Archive.2026')).toEqual({ total: 10_000, unread: 10_000 });
    expect(rm.store.folderCounts('a1', 'INBOX').total).toBe(0);
    expect(rm.store.unreadCount({ kind: 'unified' })).toBe(10_000);
    const fresh = new ReadModel(db, new ScriptedMain().api);
    await fresh.load();
    expect(lists()).toEqual(views.flatMap((v) => (['date', 'from', 'subject'] as const).map((o) => viewIds(fresh.store, v, o))));
  });

  it('a rebuild from a snapshot replaces the trees: a folder main no longer has is gone', async () => {
    const main = new ScriptedMain();
    main.push({ t: 'folders', accountId: 'a1', folders: [...SPECIAL, f('Old', ['Old'])] });
    const rm = new ReadModel(db, main.api);
    await rm.pull();
    expect(rm.store.folders('a1').some((x) => x.key === 'Old')).toBe(true);
    const next = new ScriptedMain({ state: 10, messages: [], folders: [{ accountId: 'a1', folders: SPECIAL }] });
    next.snapshotOnly = true;
    const rebuilt = new ReadModel(db, next.api);
    await rebuilt.pull();
    expect(rebuilt.store.folders('a1').some((x) => x.key === 'Old')).toBe(false);
    expect((await db.folders.get('a1'))?.folders.some((x) => x.key === 'Old')).toBe(false);
  });
});

describe('folders from the real MailService through the contract', () => {
  let s: ServiceApi;
  let db: PopboxDb;
  beforeEach(async () => {
    s = await serviceApi();
    db = new PopboxDb(`folders-real-${process.pid}-${++dbn}`, { indexedDB, IDBKeyRange });
  });
  afterEach(async () => {
    db.close();
    await s.close();
  });

  it('a folder created, renamed and deleted in main shows, follows and goes in the read model', async () => {
    const account = await s.service.addAccount({ name: 'Home', host: '127.0.0.1', port: 995, security: 'tls', user: 'me', password: { source: 'keychain' } }, 'pw');
    const rm = new ReadModel(db, s.api);
    await rm.pull();
    const keys = () => rm.store.folders(account.id).map((x) => x.key);
    const created = await s.api.createFolder({ accountId: account.id, path: ['Work', 'Ünïcode/2026'] });
    expect(created.ok).toBe(true);
    await rm.pull();
    const key = created.ok ? created.value.key : '';
    expect(keys()).toContain(key);
    expect(rm.store.folders(account.id).find((x) => x.key === key)?.path).toEqual(['Work', 'Ünïcode/2026']);

    const renamed = await s.api.renameFolder({ accountId: account.id, folder: 'Work', path: ['Jobs'] });
    expect(renamed.ok).toBe(true);
    await rm.pull();
    expect(keys()).toContain('Jobs');
    expect(keys()).not.toContain('Work');
    expect(rm.store.folders(account.id).find((x) => x.path.join('/') === 'Jobs/Ünïcode/2026')).toBeDefined();

    expect((await s.api.deleteFolder({ accountId: account.id, folder: 'Jobs' })).ok).toBe(true);
    await rm.pull();
    expect(keys().some((k) => k.startsWith('Jobs'))).toBe(false);
    // And a window started now reads the same tree off disk.
    const again = new ReadModel(db, s.api);
    await again.load();
    expect(again.store.folders(account.id).map((x) => x.key)).toEqual(keys());
  });
});
