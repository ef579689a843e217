import { describe, expect, it } from 'vitest';
import type { LedgerEntry } from '../../electron/core/store/ledger.js';
import { applyHookChanges, deletionReason, hookChanges, planHasWork, planSync, serverListing, type SyncPlan, type SyncPolicy } from '../../electron/core/sync/plan.js';

const DAY = 24 * 3600 * 1000;
const NOW = Date.UTC(2026, 5, 1);
const off: SyncPolicy = { leaveOnServer: false, deleteAfterDays: null, deleteWhenDeletedLocally: false, maxMessageSizeKB: null };
const on: SyncPolicy = { ...off, leaveOnServer: true };

const entry = (over: Partial<LedgerEntry> = {}): LedgerEntry => ({ uidl: 'u', id: '0123456789abcdef', downloadedAt: NOW - DAY, size: 10, partial: false, ...over });

function ledgerOf(entries: LedgerEntry[]) {
  const map = new Map(entries.map((e) => [e.uidl, e]));
  return { get: (u: string) => map.get(u), all: () => map.values() };
}

describe('deletionReason (Thunderbird semantics)', () => {
  it.each([
    ['leave off: downloaded means delete', off, entry(), 'downloaded'],
    ['leave on: keep', on, entry(), null],
    ['leave on, 7 days, 1 day old: keep', { ...on, deleteAfterDays: 7 }, entry(), null],
    ['leave on, 7 days, 7 days old: expired', { ...on, deleteAfterDays: 7 }, entry({ downloadedAt: NOW - 7 * DAY }), 'expired'],
    ['leave on, deleted here, no delete-when-deleted: keep', on, entry({ deletedLocallyAt: NOW }), null],
    ['leave on, deleted here, delete-when-deleted: delete', { ...on, deleteWhenDeletedLocally: true }, entry({ deletedLocallyAt: NOW }), 'deleted-locally'],
    ['leave off, deleted here: delete', off, entry({ deletedLocallyAt: NOW }), 'deleted-locally'],
    ['partial, leave off: keep (the rest is only there)', off, entry({ partial: true }), null],
    ['partial, expired: keep', { ...on, deleteAfterDays: 1 }, entry({ partial: true, downloadedAt: NOW - 9 * DAY }), null],
    ['partial, deleted here, leave off: delete', off, entry({ partial: true, deletedLocallyAt: NOW }), 'deleted-locally'],
  ] as const)('%s', (_name, policy, e, expected) => {
    expect(deletionReason(e, policy, NOW)).toBe(expected);
  });
});

describe('planSync', () => {
  it('downloads what is new, headers only over the limit, deletes per policy, notes what left', () => {
    const server = [
      { num: 1, uidl: 'old', size: 100 },
      { num: 2, uidl: 'new-small', size: 1000 },
      { num: 3, uidl: 'new-big', size: 300 * 1024 },
      { num: 4, uidl: 'new-small', size: 1000 }, // listed twice by a broken server
    ];
    const ledger = ledgerOf([entry({ uidl: 'old' }), entry({ uidl: 'vanished', id: 'fedcba9876543210' })]);
    const plan = planSync(server, ledger, { ...off, maxMessageSizeKB: 100 }, NOW);
    expect(plan.download.map((m) => m.uidl)).toEqual(['new-small']);
    expect(plan.headersOnly.map((m) => m.uidl)).toEqual(['new-big']);
    expect(plan.delete.map((m) => [m.num, m.reason])).toEqual([[1, 'downloaded']]);
    expect(plan.gone).toEqual(['vanished']);
    expect(plan.deleteNewDownloads).toBe(true);
    expect(planSync(server, ledger, on, NOW).deleteNewDownloads).toBe(false);
  });
});

describe('serverListing (one session\'s UIDL and LIST answers)', () => {
  it('pairs each UIDL with its LIST size by message number, whatever the order', () => {
    const uidls = [{ id: 1, uid: 'a' }, { id: 2, uid: 'b' }, { id: 3, uid: 'c' }];
    const sizes = [{ id: 3, size: 30 }, { id: 1, size: 10 }, { id: 2, size: 20 }];
    expect(serverListing(uidls, sizes)).toEqual([
      { num: 1, uidl: 'a', size: 10 },
      { num: 2, uidl: 'b', size: 20 },
      { num: 3, uidl: 'c', size: 30 },
    ]);
  });

  it('a message LIST missed (gone between the answers), or no LIST at all, gets size 0: downloaded whole, never headers only', () => {
    const listing = serverListing([{ id: 1, uid: 'a' }, { id: 2, uid: 'b' }], [{ id: 1, size: 900 * 1024 }]);
    expect(listing).toEqual([
      { num: 1, uidl: 'a', size: 900 * 1024 },
      { num: 2, uidl: 'b', size: 0 },
    ]);
    const plan = planSync(listing, ledgerOf([]), { ...on, maxMessageSizeKB: 500 }, NOW);
    expect(plan.headersOnly.map((m) => m.uidl)).toEqual(['a']);
    expect(plan.download.map((m) => m.uidl)).toEqual(['b']);
    expect(serverListing([{ id: 4, uid: 'd' }])).toEqual([{ num: 4, uidl: 'd', size: 0 }]);
  });
});

describe('planHasWork', () => {
  const none: SyncPlan = { download: [], headersOnly: [], delete: [], gone: [], deleteNewDownloads: true };
  it('nothing to download, delete or forget: no work, whatever the policy says about new downloads', () => {
    expect(planHasWork(none)).toBe(false);
  });
  it.each(['download', 'headersOnly', 'delete', 'gone'] as const)('%s: work', (k) => {
    const item = k === 'gone' ? 'u' : { num: 1, uidl: 'u', size: 1, reason: 'downloaded' as const };
    expect(planHasWork({ ...none, [k]: [item] })).toBe(true);
  });
});

describe('hookChanges / applyHookChanges (the hook run once, at the quick check)', () => {
  const m = (num: number, uidl: string) => ({ num, uidl, size: 100 });
  it('replays on the full sync\'s own plan what the hook kept on the server and the deletions it added', () => {
    const planned: SyncPlan = { download: [m(2, 'new1'), m(3, 'junk')], headersOnly: [m(4, 'big-junk')], delete: [{ ...m(1, 'old'), reason: 'expired' }], gone: [], deleteNewDownloads: false };
    const adjusted: SyncPlan = { ...planned, download: [m(2, 'new1')], headersOnly: [], delete: [...planned.delete, { ...m(5, 'chosen'), reason: 'filtered' }] };
    const changes = hookChanges(planned, adjusted);
    expect([...changes.kept].sort()).toEqual(['big-junk', 'junk']);
    expect(changes.added.map((d) => d.uidl)).toEqual(['chosen']);
    // The full sync plans again from its ledger (here: the same, plus a gone UIDL): the hook's word applies on top.
    const fresh: SyncPlan = { ...planned, gone: ['left'] };
    const out = applyHookChanges(fresh, changes);
    expect(out.download.map((d) => d.uidl)).toEqual(['new1']);
    expect(out.headersOnly).toEqual([]);
    expect(out.delete.map((d) => [d.num, d.uidl, d.reason])).toEqual([[1, 'old', 'expired'], [5, 'chosen', 'filtered']]);
    expect(out.gone).toEqual(['left']);
    // A deletion the fresh plan already has is not sent twice.
    expect(applyHookChanges({ ...fresh, delete: [{ ...m(5, 'chosen'), reason: 'expired' }] }, changes).delete.map((d) => d.uidl)).toEqual(['chosen']);
  });

  it('a hook that changed nothing changes nothing', () => {
    const planned: SyncPlan = { download: [m(1, 'a')], headersOnly: [], delete: [], gone: [], deleteNewDownloads: true };
    const changes = hookChanges(planned, planned);
    expect(changes.kept.size).toBe(0);
    expect(changes.added).toEqual([]);
    expect(applyHookChanges(planned, changes)).toEqual(planned);
  });
});
