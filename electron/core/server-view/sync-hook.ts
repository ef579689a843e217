/**
 * What the On the server view changes in an ordinary sync, as one hook on its plan (sync-engine's
 * `adjustPlan`), so the download path itself stays as it is:
 *  - messages the person chose to delete there are never downloaded and are deleted at this check;
 *  - with the account's junkOnServer (and a junk filter that has learned both kinds), new messages
 *    are judged by their headers (TOP, pipelined) before download, and junk stays on the server,
 *    held for review in the view. Mail from someone the user has written to is never held (the
 *    filter's own rule); a held message the person downloaded is never held again.
 * With nothing chosen and junkOnServer off, the hook reads one small file and changes nothing.
 */
import type { AccountSettings } from '../../../shared/accounts.js';
import type { Pop3Client } from '../pop3/client.js';
import type { ServerMessage, SyncPlan } from '../sync/plan.js';
import type { AdjustContext } from '../sync/sync-engine.js';
import { applyListing, loadCache, putHeaders, rawBytes, saveCache, TOTAL_MAX, type JunkVerdict, type ServerCache } from './cache.js';
import { loadChosen, pruneChosen, saveChosen } from './chosen.js';
import { fetchHeaders } from './top.js';

export interface SyncHookDeps {
  accountDir: string;
  account: AccountSettings;
  now: () => number;
  /** The junk filter's verdict on a header block; null when it is off or has not learned both kinds. */
  classify(raw: Buffer): Promise<JunkVerdict | null>;
  /** Whether holding may happen at all now (the filter on and trained). */
  junkReady(): Promise<boolean>;
  /** The listing changed (messages held, the server's list taken in). */
  changed(): void;
  /**
   * Chosen deletions the server carried out at this check (QUIT +OK), dropped from the cached
   * listing; one whose DELE it refused stays listed, still chosen (review F8).
   */
  deleting(uidls: string[]): void;
}

/** Header blocks fetched (TOP) and judged at a time. */
const JUDGE_BATCH = 500;

export type PlanAdjuster = ((plan: SyncPlan, ctx: AdjustContext) => Promise<SyncPlan>) & {
  /**
   * True when the hook would change nothing at a check that finds no new message: nothing is
   * chosen for deletion and no junk is held (holding also takes the server's list into the view
   * at every check). The quick check then ends on UIDL alone, without LIST or the hook.
   */
  changesNothing?: () => Promise<boolean>;
};

export function syncHook(deps: SyncHookDeps): PlanAdjuster {
  const adjust: PlanAdjuster = async (plan, { pop, server, afterQuit }) => {
    const chosen = await loadChosen(deps.accountDir);
    const holding = deps.account.junkOnServer && (await deps.junkReady());
    if (chosen.size === 0 && !holding) return plan;

    const onServer = new Set(server.map((m) => m.uidl));
    if (pruneChosen(chosen, onServer)) await saveChosen(deps.accountDir, chosen);
    let download = plan.download.filter((m) => !chosen.has(m.uidl));
    let headersOnly = plan.headersOnly.filter((m) => !chosen.has(m.uidl));
    const deleting = new Set(plan.delete.map((m) => m.uidl));
    // The plan's reason only labels the entry; a chosen deletion rides with the filters' ones.
    const extra = server.filter((m) => chosen.has(m.uidl) && !deleting.has(m.uidl)).map((m) => ({ ...m, reason: 'filtered' as const }));
    if (extra.length > 0) {
      const mine = new Set(extra.map((m) => m.uidl));
      afterQuit?.((deleted) => deps.deleting(deleted.filter((u) => mine.has(u))));
    }

    if (holding) {
      const cache = await loadCache(deps.accountDir);
      const held = await holdJunk(cache, [...download, ...headersOnly], server, pop, deps);
      download = download.filter((m) => !held.has(m.uidl));
      headersOnly = headersOnly.filter((m) => !held.has(m.uidl));
    }
    return { ...plan, download, headersOnly, delete: [...plan.delete, ...extra] };
  };
  adjust.changesNothing = async () => (await loadChosen(deps.accountDir)).size === 0 && !(deps.account.junkOnServer && (await deps.junkReady()));
  return adjust;
}

/**
 * Judges new messages by their headers and returns the UIDLs to leave on the server. The
 * server's list is taken into the cache, so the view shows what was held without a refresh.
 */
async function holdJunk(cache: ServerCache, fresh: readonly ServerMessage[], server: readonly ServerMessage[], pop: Pop3Client, deps: SyncHookDeps): Promise<Set<string>> {
  applyListing(cache, {
    messages: server.map((m) => ({ num: m.num, uidl: m.uidl, size: m.size })),
    count: server.length,
    bytes: server.reduce((s, m) => s + m.size, 0),
    at: deps.now(),
  });
  const held = new Set<string>();
  const judge: ServerMessage[] = [];
  for (const m of fresh) {
    const h = cache.headers.get(m.uidl);
    if (h?.wanted) continue; // the person downloaded it after it was held: it is wanted
    if (h?.held || h?.junk?.verdict === 'junk') {
      h.held = true; // judged junk at a refresh: held like one judged now
      held.add(m.uidl);
    } else if (!h?.junk) judge.push(m);
  }
  const budget = { left: TOTAL_MAX - rawBytes(cache) };
  // In batches: a first sync of a big mailbox holds at most one batch of header blocks in memory.
  for (let i = 0; i < judge.length; i += JUDGE_BATCH) {
    const batch = judge.slice(i, i + JUDGE_BATCH);
    const missing = batch.filter((m) => cache.headers.get(m.uidl)?.raw === undefined);
    const fetched = new Map((await fetchHeaders(pop, missing)).map((f) => [f.uidl, f]));
    for (const m of batch) {
      const f = fetched.get(m.uidl);
      if (f) putHeaders(cache, m.uidl, { from: f.from, subject: f.subject, date: f.date }, f.raw, budget);
      const h = cache.headers.get(m.uidl);
      const raw = f?.raw ?? (h?.raw !== undefined ? Buffer.from(h.raw, 'latin1') : null);
      if (!h || !raw) continue; // refused by the server meanwhile: the download skips it too
      h.junk = await deps.classify(raw);
      if (h.junk?.verdict === 'junk') {
        h.held = true;
        held.add(m.uidl);
      }
    }
  }
  await saveCache(deps.accountDir, cache);
  deps.changed();
  return held;
}
