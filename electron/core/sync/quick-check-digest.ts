/**
 * The quick check's digest (quick-check.ts): what the last check that found nothing to do planned
 * from, in `<account>/quick-check-digest.json` — the SHA-256 of the ledger file's bytes and of the
 * server's UIDL listing, the policy, and the oldest download among the listed messages age could
 * make due. planSync is a pure
 * function of the listing, the ledger (Ledger.fromRead folds the file's bytes, nothing else: the very
 * bytes hashed, read once, readLedgerFile), the
 * policy and the time, and the time enters only through "delete after N days", the oldest
 * download first. So a later check with the same ledger bytes, the same listing and the same
 * policy, at a time when a message downloaded at that oldest time would not be due, plans nothing
 * again: the ledger is neither parsed nor the plan made. An empty check through the CLI (2,000
 * messages kept) spent ~50 M of its ~350 M instructions folding the ledger and planning in code
 * run once, cold (issue 18 P0). The app keeps its ledger in memory instead (session/kept-ledger.ts).
 *
 * Not a count and a size (STAT): a maildrop may change with both the same (RFC 1939). Here the
 * whole listing is compared, message numbers and UIDLs, and any other difference (a byte of the
 * ledger, a setting) makes the plan as before. A file that cannot be read or is not whole reads as
 * none; it is a cache, written without fsync.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { type FileRead, readFileOrNone } from '../store/durable.js';
import type { LedgerEntry } from '../store/ledger.js';
import { deletionReason, type SyncPolicy } from './plan.js';

const FILE = 'quick-check-digest.json';

/**
 * The planning rules' version: a digest made under other rules (planSync or deletionReason reading
 * something new, or deciding otherwise from the same inputs) never answers. Raise it with them.
 */
export const PLAN_RULES = 1;

export interface PlanDigest {
  rules: number;
  /** SHA-256 of the ledger file as read ('none': no file). */
  ledger: string;
  /** SHA-256 of the UIDL listing's lines, message numbers and UIDLs as the server sent them. */
  listing: string;
  policy: string;
  /**
   * The earliest download (ms since epoch) among the listed messages that age could make due ("delete
   * after N days"); null when there is none. Only listed ones: planSync deletes only what the server
   * lists, and the listing is compared whole. Not one deleted here, asked to be deleted by a filter or
   * downloaded headers only: their deletion does not wait on age (deletionReason).
   */
  oldest: number | null;
}

const sha256 = (data: string | Uint8Array) => createHash('sha256').update(data).digest('hex');

/** The listing's lines as the server sent them (Pop3Client.loginThenUidlLines). */
export const listingDigest = (lines: readonly string[]): string => sha256(lines.join('\n'));

/** Every field of the policy, in a fixed order: a field SyncPolicy gains fails to compile here until it is added. */
const POLICY_FIELDS: { readonly [K in keyof SyncPolicy]-?: true } = { leaveOnServer: true, deleteAfterDays: true, deleteWhenDeletedLocally: true, maxMessageSizeKB: true };
const policyKey = (p: SyncPolicy) => JSON.stringify((Object.keys(POLICY_FIELDS) as (keyof SyncPolicy)[]).map((k) => p[k] ?? null));

/** The ledger file as read, and the digest of its bytes ('none': no file). */
export type LedgerRead = FileRead & { readonly digest: string };

/**
 * The ledger file and its digest, read once: what the plan is made from when the digest cannot
 * answer is folded from these bytes (Ledger.fromRead), so the recorded digest is of the ledger
 * planned from. Undefined when it cannot be read (Ledger.open then says why).
 */
export async function readLedgerFile(file: string): Promise<LedgerRead | undefined> {
  try {
    const read = await readFileOrNone(file, 'the ledger');
    return { ...read, digest: read.bytes ? sha256(read.bytes) : 'none' };
  } catch {
    return undefined;
  }
}

/** The digest recorded for this account; undefined when there is none or it is not whole. */
export async function readPlanDigest(accountDir: string): Promise<PlanDigest | undefined> {
  try {
    const d = JSON.parse(await fs.readFile(path.join(accountDir, FILE), 'utf8')) as Partial<PlanDigest>;
    const hex = (v: unknown) => typeof v === 'string' && /^([0-9a-f]{64}|none)$/.test(v);
    if (d.rules !== PLAN_RULES || !hex(d.ledger) || !hex(d.listing) || typeof d.policy !== 'string') return undefined;
    if (d.oldest !== null && !Number.isSafeInteger(d.oldest)) return undefined;
    return d as PlanDigest;
  } catch {
    return undefined;
  }
}

/**
 * Whether `recorded` can answer for a ledger with digest `ledger` under `policy` at `now`, whatever
 * the listing: known before connecting, so that when it cannot the ledger is opened beside the
 * connection rather than after the listing.
 */
export function mayPlanNothingAgain(recorded: PlanDigest | undefined, ledger: string | undefined, policy: SyncPolicy, now: number): recorded is PlanDigest {
  if (!recorded || ledger === undefined) return false;
  if (recorded.ledger !== ledger || recorded.policy !== policyKey(policy)) return false;
  if (recorded.oldest === null) return true;
  // The plan's own rule, for a message downloaded when the oldest was: not due, then none is.
  return deletionReason({ uidl: '', id: '', downloadedAt: recorded.oldest, size: 0, partial: false }, policy, now) === null;
}

/**
 * Whether a check of a ledger with digest `ledger` and of `listing`, under `policy` at `now`, plans
 * nothing, as the check that recorded `recorded` did.
 */
export function plansNothingAgain(recorded: PlanDigest | undefined, ledger: string | undefined, listing: string, policy: SyncPolicy, now: number): boolean {
  return mayPlanNothingAgain(recorded, ledger, policy, now) && recorded.listing === listing;
}

/**
 * After a check that planned nothing from this ledger (its file's digest `ledger`) and listing:
 * remember it. Nothing is written when an entry's download time is not a plain number (the rule
 * for the oldest would not hold). Written in place: every reader holds the account's lock, and a
 * write cut short leaves a prefix of the JSON, which reads as none.
 */
export async function recordPlanDigest(
  accountDir: string,
  ledger: string,
  entries: Iterable<LedgerEntry>,
  listed: ReadonlySet<string>,
  listing: string,
  policy: SyncPolicy,
): Promise<void> {
  let oldest: number | null = null;
  for (const e of entries) {
    if (!listed.has(e.uidl) || e.partial || e.deletedLocallyAt !== undefined || e.serverDeleteAskedAt !== undefined) continue;
    if (!Number.isSafeInteger(e.downloadedAt)) return;
    if (oldest === null || e.downloadedAt < oldest) oldest = e.downloadedAt;
  }
  const digest: PlanDigest = { rules: PLAN_RULES, ledger, listing, policy: policyKey(policy), oldest };
  await fs.writeFile(path.join(accountDir, FILE), JSON.stringify(digest), { mode: 0o600 });
}
