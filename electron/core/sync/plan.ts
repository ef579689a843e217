/**
 * What one session will do, decided before it does anything: which messages to download
 * (whole or headers only), which to delete on the server, which UIDLs have left the server.
 * Pure, so the settings matrix (Thunderbird's semantics) is tested without a server.
 */
import type { LedgerEntry } from '../store/ledger.js';

export interface SyncPolicy {
  /** Leave messages on the server; when off, each is deleted there once safe on disk. */
  leaveOnServer: boolean;
  /** With leaveOnServer: delete from the server this many days after we downloaded it. */
  deleteAfterDays: number | null;
  /** With leaveOnServer: delete from the server when the user deletes it here for good. */
  deleteWhenDeletedLocally: boolean;
  /** Download only the header of messages larger than this (KB); null: no limit. */
  maxMessageSizeKB: number | null;
}

export interface ServerMessage {
  /** Message number in this session. */
  num: number;
  uidl: string;
  /** LIST size: a hint for progress and the size limit, never for framing. */
  size: number;
}

export type DeleteReason = 'downloaded' | 'expired' | 'deleted-locally' | 'filtered';

export interface SyncPlan {
  download: ServerMessage[];
  headersOnly: ServerMessage[];
  /** Deletions decided from the ledger alone (messages downloaded in earlier sessions). */
  delete: (ServerMessage & { reason: DeleteReason })[];
  /** UIDLs in the ledger that the server no longer lists. */
  gone: string[];
  /** Deleting newly downloaded messages in this session as well (leave on server is off). */
  deleteNewDownloads: boolean;
}

const DAY_MS = 24 * 3600 * 1000;

/** Why the server should lose this message now, or null to leave it. */
export function deletionReason(entry: LedgerEntry, policy: SyncPolicy, now: number): DeleteReason | null {
  if (entry.deletedLocallyAt !== undefined) {
    // Deleted here for good: the server copy goes unless the user keeps copies there regardless.
    return !policy.leaveOnServer || policy.deleteWhenDeletedLocally ? 'deleted-locally' : null;
  }
  // A headers-only message still lives only on the server: never delete it from there.
  if (entry.partial) return null;
  // A filter said "delete from the server" (issue 16): the copy here stays.
  if (entry.serverDeleteAskedAt !== undefined) return 'filtered';
  if (!policy.leaveOnServer) return 'downloaded';
  if (policy.deleteAfterDays !== null && now - entry.downloadedAt >= policy.deleteAfterDays * DAY_MS) return 'expired';
  return null;
}

export function planSync(
  server: readonly ServerMessage[],
  ledger: { get(uidl: string): LedgerEntry | undefined; all(): Iterable<LedgerEntry> },
  policy: SyncPolicy,
  now: number,
): SyncPlan {
  const plan: SyncPlan = { download: [], headersOnly: [], delete: [], gone: [], deleteNewDownloads: !policy.leaveOnServer };
  const limit = policy.maxMessageSizeKB === null ? Infinity : policy.maxMessageSizeKB * 1024;
  const onServer = new Set<string>();
  for (const m of server) {
    if (onServer.has(m.uidl)) continue; // a server listing one UIDL twice: take the first
    onServer.add(m.uidl);
    const entry = ledger.get(m.uidl);
    if (!entry) {
      (m.size > limit ? plan.headersOnly : plan.download).push(m);
      continue;
    }
    const reason = deletionReason(entry, policy, now);
    if (reason) plan.delete.push({ ...m, reason });
  }
  for (const entry of ledger.all()) {
    if (!onServer.has(entry.uidl) && entry.goneAt === undefined && entry.serverDeletedAt === undefined) plan.gone.push(entry.uidl);
  }
  return plan;
}

/**
 * The server's listing from one session's UIDL and LIST answers (message numbers are that
 * session's). A message LIST did not mention (the server lost it between the two answers, or
 * LIST was not asked) gets size 0: sizes are hints for progress and the size limit, and the
 * download never frames by them.
 */
export function serverListing(uidls: readonly { id: number; uid: string }[], sizes?: readonly { id: number; size: number }[]): ServerMessage[] {
  const byNum = new Map(sizes?.map((m) => [m.id, m.size]));
  return uidls.map((u) => ({ num: u.id, uidl: u.uid, size: byNum.get(u.id) ?? 0 }));
}

/** Whether a session with this plan has anything to do on the server or in the ledger. */
export function planHasWork(plan: SyncPlan): boolean {
  return plan.download.length > 0 || plan.headersOnly.length > 0 || plan.delete.length > 0 || plan.gone.length > 0;
}

/**
 * What a hook on the plan (the On the server view's) changed: new messages it left on the server,
 * deletions it added. Taken from the quick check's run of the hook and applied to the full sync's
 * own plan (applyHookChanges), so the hook runs once per check while the full sync still plans
 * from its own ledger.
 */
export interface HookChanges {
  /** New messages not to download (held junk, chosen deletions). */
  kept: Set<string>;
  /** Deletions the hook added, with the numbers of the session the hook saw (the one handed over). */
  added: (ServerMessage & { reason: DeleteReason })[];
}

export function hookChanges(planned: SyncPlan, adjusted: SyncPlan): HookChanges {
  const left = new Set([...adjusted.download, ...adjusted.headersOnly].map((m) => m.uidl));
  const kept = new Set([...planned.download, ...planned.headersOnly].map((m) => m.uidl).filter((u) => !left.has(u)));
  const before = new Set(planned.delete.map((m) => m.uidl));
  return { kept, added: adjusted.delete.filter((m) => !before.has(m.uidl)) };
}

export function applyHookChanges(plan: SyncPlan, changes: HookChanges): SyncPlan {
  const deleting = new Set(plan.delete.map((m) => m.uidl));
  return {
    ...plan,
    download: plan.download.filter((m) => !changes.kept.has(m.uidl)),
    headersOnly: plan.headersOnly.filter((m) => !changes.kept.has(m.uidl)),
    delete: [...plan.delete, ...changes.added.filter((m) => !deleting.has(m.uidl))],
  };
}
