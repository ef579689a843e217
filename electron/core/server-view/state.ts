/**
 * The listing the screen shows, from what the server held at the last listing (the cache), what
 * the ledger says of each UIDL here, the deletions the next check will make, and the junk
 * filter's verdicts. Pure: the state mapping is tested without a server.
 */
import { SERVER_LISTING_MAX, type ServerListing, type ServerMessage, type ServerMessageLocal } from '../../../shared/server-view.js';
import type { LedgerEntry } from '../store/ledger.js';
import { deletionReason, type SyncPolicy } from '../sync/plan.js';
import type { ServerCache } from './cache.js';
import type { Chosen } from './chosen.js';

/** Where a message on the server stands here, by its ledger entry. */
export function localState(entry: LedgerEntry | undefined): { local: ServerMessageLocal; localId: string | null } {
  if (!entry) return { local: 'not-downloaded', localId: null };
  if (entry.deletedLocallyAt !== undefined) return { local: 'deleted-here', localId: null };
  return { local: entry.partial ? 'headers-only' : 'downloaded', localId: entry.id };
}

export interface ListingInput {
  accountId: string;
  cache: ServerCache;
  ledger: { get(uidl: string): LedgerEntry | undefined };
  policy: SyncPolicy;
  chosen: Chosen;
  now: number;
  max?: number;
}

export function buildListing({ accountId, cache, ledger, policy, chosen, now, max = SERVER_LISTING_MAX }: ListingInput): ServerListing {
  const out: ServerMessage[] = [];
  let headersPending = 0;
  let listed = 0;
  // Newest first: the server lists oldest first.
  for (let i = cache.messages.length - 1; i >= 0; i--) {
    const m = cache.messages[i]!;
    const entry = ledger.get(m.uidl);
    // Deleted there by a sync since this listing (QUIT +OK recorded): no longer on the server.
    if (entry?.serverDeletedAt !== undefined) continue;
    listed++;
    const h = cache.headers.get(m.uidl);
    if (!h) headersPending++;
    if (out.length >= max) continue;
    const reason = chosen.has(m.uidl) ? 'chosen' : entry ? deletionReason(entry, policy, now) : null;
    out.push({
      uidl: m.uidl,
      size: m.size,
      from: h?.from ?? '',
      subject: h?.subject ?? '',
      date: h?.date ?? null,
      headersKnown: h !== undefined,
      ...localState(entry),
      pendingDeletion: reason,
      junk: h?.junk ?? null,
      heldAsJunk: h?.held === true && entry === undefined,
    });
  }
  return {
    accountId,
    listedAt: cache.listedAt,
    messageCount: cache.count,
    mailboxBytes: cache.bytes,
    messages: out,
    truncated: listed > out.length,
    headersPending,
  };
}
