/**
 * The On the server listing from the cache and the ledger (core/server-view/state.ts): where each
 * message stands here, what the next check will delete and why, junk verdicts and held junk.
 */
import { describe, expect, it } from 'vitest';
import { applyListing, emptyCache, putHeaders, TOTAL_MAX } from '../../electron/core/server-view/cache.js';
import { buildListing, localState } from '../../electron/core/server-view/state.js';
import type { LedgerEntry } from '../../electron/core/store/ledger.js';
import type { SyncPolicy } from '../../electron/core/sync/plan.js';

const DAY = 24 * 3600 * 1000;
const NOW = 100 * DAY;
const keep: SyncPolicy = { leaveOnServer: true, deleteAfterDays: null, deleteWhenDeletedLocally: false, maxMessageSizeKB: null };
const entry = (uidl: string, extra: Partial<LedgerEntry> = {}): LedgerEntry => ({ uidl, id: `id-${uidl}`, downloadedAt: NOW - DAY, size: 10, partial: false, ...extra });

function setup(entries: LedgerEntry[], n = 6) {
  const cache = emptyCache();
  const messages = Array.from({ length: n }, (_, i) => ({ num: i + 1, uidl: `u${i + 1}`, size: 100 * (i + 1) }));
  applyListing(cache, { messages, count: n, bytes: messages.reduce((s, m) => s + m.size, 0), at: NOW - 1000 });
  const ledger = new Map(entries.map((e) => [e.uidl, e]));
  return { cache, ledger };
}

describe('local state', () => {
  it('maps each ledger case', () => {
    expect(localState(undefined)).toEqual({ local: 'not-downloaded', localId: null });
    expect(localState(entry('a'))).toEqual({ local: 'downloaded', localId: 'id-a' });
    expect(localState(entry('a', { partial: true }))).toEqual({ local: 'headers-only', localId: 'id-a' });
    expect(localState(entry('a', { deletedLocallyAt: NOW }))).toEqual({ local: 'deleted-here', localId: null });
  });
});

describe('the listing', () => {
  it('newest first, with local states, pending deletions and their reasons', () => {
    const { cache, ledger } = setup([
      entry('u1', { downloadedAt: NOW - 40 * DAY }),
      entry('u2', { deletedLocallyAt: NOW }),
      entry('u3', { serverDeleteAskedAt: NOW }),
      entry('u4', { partial: true }),
    ]);
    const policy: SyncPolicy = { ...keep, deleteAfterDays: 30, deleteWhenDeletedLocally: true };
    const l = buildListing({ accountId: 'acc', cache, ledger, policy, chosen: new Map([['u5', NOW]]), now: NOW });
    expect(l.messages.map((m) => m.uidl)).toEqual(['u6', 'u5', 'u4', 'u3', 'u2', 'u1']);
    const by = new Map(l.messages.map((m) => [m.uidl, m]));
    expect(by.get('u1')).toMatchObject({ local: 'downloaded', pendingDeletion: 'expired', localId: 'id-u1' });
    expect(by.get('u2')).toMatchObject({ local: 'deleted-here', pendingDeletion: 'deleted-locally', localId: null });
    expect(by.get('u3')).toMatchObject({ local: 'downloaded', pendingDeletion: 'filtered' });
    expect(by.get('u4')).toMatchObject({ local: 'headers-only', pendingDeletion: null }); // its rest lives only there
    expect(by.get('u5')).toMatchObject({ local: 'not-downloaded', pendingDeletion: 'chosen' });
    expect(by.get('u6')).toMatchObject({ local: 'not-downloaded', pendingDeletion: null, headersKnown: false, subject: '', date: null });
    expect(l).toMatchObject({ accountId: 'acc', messageCount: 6, mailboxBytes: 2100, truncated: false, headersPending: 6, listedAt: NOW - 1000 });
  });

  it('leave-on-server off: everything downloaded is pending as downloaded', () => {
    const { cache, ledger } = setup([entry('u1')]);
    const l = buildListing({ accountId: 'acc', cache, ledger, policy: { ...keep, leaveOnServer: false }, chosen: new Map(), now: NOW });
    expect(l.messages.find((m) => m.uidl === 'u1')!.pendingDeletion).toBe('downloaded');
  });

  it('a message a sync deleted on the server since the listing is no longer shown', () => {
    const { cache, ledger } = setup([entry('u2', { serverDeletedAt: NOW })]);
    const l = buildListing({ accountId: 'acc', cache, ledger, policy: keep, chosen: new Map(), now: NOW });
    expect(l.messages.map((m) => m.uidl)).not.toContain('u2');
    expect(l.messages).toHaveLength(5);
  });

  it('headers, junk verdicts and held junk; held is shown only while it is not downloaded', () => {
    const { cache, ledger } = setup([entry('u2')]);
    const budget = { left: TOTAL_MAX };
    putHeaders(cache, 'u1', { from: 'Spammer', subject: 'WIN', date: '2026-12-06T08:00:00.000Z', junk: { verdict: 'junk', score: 0.9995 }, held: true }, Buffer.from('Subject: WIN\r\n\r\n'), budget);
    putHeaders(cache, 'u2', { from: 'Ann', subject: 'hi', date: null, junk: { verdict: 'junk', score: 0.9995 }, held: true, wanted: true }, Buffer.from('x'), budget);
    const l = buildListing({ accountId: 'acc', cache, ledger, policy: keep, chosen: new Map(), now: NOW });
    const by = new Map(l.messages.map((m) => [m.uidl, m]));
    expect(by.get('u1')).toMatchObject({ from: 'Spammer', subject: 'WIN', headersKnown: true, junk: { verdict: 'junk', score: 0.9995 }, heldAsJunk: true, local: 'not-downloaded' });
    expect(by.get('u2')).toMatchObject({ heldAsJunk: false, local: 'downloaded' });
    expect(l.headersPending).toBe(4);
  });

  it('more than the maximum: the oldest are left out and the listing says so', () => {
    const { cache, ledger } = setup([], 10);
    const l = buildListing({ accountId: 'acc', cache, ledger, policy: keep, chosen: new Map(), now: NOW, max: 4 });
    expect(l.messages.map((m) => m.uidl)).toEqual(['u10', 'u9', 'u8', 'u7']);
    expect(l.truncated).toBe(true);
    expect(l.headersPending).toBe(10);
  });
});
