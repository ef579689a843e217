/** A filter's "delete from the server" in the sync plan: the server copy goes whatever the account keeps, never a headers-only one. */
import { describe, expect, it } from 'vitest';
import type { LedgerEntry } from '../../electron/core/store/ledger.js';
import { deletionReason, type SyncPolicy } from '../../electron/core/sync/plan.js';

const keep: SyncPolicy = { leaveOnServer: true, deleteAfterDays: null, deleteWhenDeletedLocally: false, maxMessageSizeKB: null };
const entry: LedgerEntry = { uidl: 'u1', id: 'm1', downloadedAt: 0, size: 100, partial: false };

describe('delete-on-server in the plan', () => {
  it('deletes on the server a message a filter marked, on an account that keeps mail there', () => {
    expect(deletionReason(entry, keep, 1)).toBeNull();
    expect(deletionReason({ ...entry, serverDeleteAskedAt: 1 }, keep, 2)).toBe('filtered');
  });
  it('never deletes there the only whole copy of a headers-only message', () => {
    expect(deletionReason({ ...entry, partial: true, serverDeleteAskedAt: 1 }, keep, 2)).toBeNull();
  });
  it('a message deleted here as well keeps the account’s rule for that', () => {
    expect(deletionReason({ ...entry, deletedLocallyAt: 1, serverDeleteAskedAt: 1 }, keep, 2)).toBeNull();
    expect(deletionReason({ ...entry, deletedLocallyAt: 1, serverDeleteAskedAt: 1 }, { ...keep, deleteWhenDeletedLocally: true }, 2)).toBe('deleted-locally');
  });
});
