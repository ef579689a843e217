import { describe, expect, it } from 'vitest';
import type { LedgerEntry } from '../../electron/core/store/ledger.js';
import { deletionReason, planSync, type SyncPolicy } from '../../electron/core/sync/plan.js';

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
