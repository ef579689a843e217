/**
 * Running the rule list over stored messages: on arrival (after a sync's messages are safe on
 * disk and journaled) and on demand (`rules run`, the screen's "run now").
 *
 * Every change goes through the ordinary operations (FolderService move/copy, setFlags), so it
 * is journaled like a change the user made, and the read model and notifications see it.
 *
 * kill -9 at any point: a move is one rename of the message's file inside the account's
 * Maildir++ tree (same filesystem, FolderService → Maildir.moveMany), so at every instant the
 * file is in exactly one folder, under its one id. The journal is appended after the renames;
 * if the process dies in between, the next open reconciles the journal with the disk (ingest
 * reconcile), which records the message where its file is. A copy is a new file under a new id
 * that exists only once it is renamed into place. Nothing here writes a message's bytes itself.
 * What a crash can cost is that a message already filed is not filtered again (arrival rules
 * run once per sync); `rules run` does it on demand.
 */
import type { MessageFlags, MessageRecord } from '../../../shared/changes.js';
import { roleKey, type FolderInfo } from '../../../shared/folders.js';
import type { Action, Rule, RuleOutcome } from '../../../shared/rules.js';
import type { FolderService } from '../folders/folder-service.js';
import { RuleSubject, ruleMatches } from './evaluate.js';

export interface RuleRunDeps {
  get(id: string): MessageRecord | undefined;
  folders: FolderService;
  setFlags(ids: readonly string[], flags: Partial<MessageFlags>): Promise<void>;
  /** Mark for deletion on the server at the next sync (the ledger, durable before it returns). */
  deleteOnServer(ids: readonly string[]): Promise<void>;
  locate(id: string): Promise<string>;
  accountName(accountId: string): string;
  now(): number;
}

/** What the rules decided for one message, before anything is done. */
interface Plan {
  m: MessageRecord;
  rules: string[];
  moveTo: string[] | { key: string } | null;
  copyTo: string[][];
  read: boolean;
  flag: boolean;
  server: boolean;
}

const JUNK = roleKey('junk');
const TRASH = roleKey('trash');

/** The rules that apply to `m`, in order, and what they add up to. */
export async function planFor(rules: readonly Rule[], subject: RuleSubject, now: number): Promise<Plan> {
  const plan: Plan = { m: subject.record, rules: [], moveTo: null, copyTo: [], read: false, flag: false, server: false };
  for (const rule of rules) {
    if (!(await ruleMatches(rule, subject, now))) continue;
    plan.rules.push(rule.name);
    if (apply(plan, rule.actions)) break;
  }
  return plan;
}

/** Adds the actions to the plan; true on "stop". A later move wins over an earlier one. */
function apply(plan: Plan, actions: readonly Action[]): boolean {
  for (const a of actions) {
    switch (a.t) {
      case 'move':
        plan.moveTo = a.folder;
        break;
      case 'copy':
        plan.copyTo.push(a.folder);
        break;
      case 'mark-read':
        plan.read = true;
        break;
      case 'flag':
        plan.flag = true;
        break;
      case 'junk':
        plan.moveTo = { key: JUNK };
        break;
      case 'delete':
        plan.moveTo = { key: TRASH };
        break;
      case 'delete-on-server':
        plan.server = true;
        break;
      case 'stop':
        return true;
    }
  }
  return false;
}

/**
 * The ids a rule would act on (the screen's live preview); nothing changes. At most `max` ids;
 * `truncated` when more would have matched or `ids` was cut at `scan` (each message may need a
 * file read, and the renderer asking is untrusted: the work is bounded).
 */
export async function previewRule(deps: RuleRunDeps, rule: Rule, ids: readonly string[], opts: { max?: number; scan?: number } = {}): Promise<{ ids: string[]; truncated: boolean }> {
  const max = opts.max ?? Infinity;
  const scan = opts.scan ?? Infinity;
  const out: string[] = [];
  const now = deps.now();
  const checked = ids.slice(0, scan);
  for (const id of checked) {
    const m = deps.get(id);
    if (!m) continue;
    if (await ruleMatches({ ...rule, enabled: true }, subjectOf(deps, m), now).catch(() => false)) {
      if (out.length === max) return { ids: out, truncated: true };
      out.push(id);
    }
  }
  return { ids: out, truncated: checked.length < ids.length };
}

function subjectOf(deps: RuleRunDeps, m: MessageRecord): RuleSubject {
  return new RuleSubject(m, deps.accountName(m.accountId), () => deps.locate(m.id));
}

/** The account's folder with this path (any case), made when missing. */
async function folderKey(deps: RuleRunDeps, accountId: string, target: string[] | { key: string }): Promise<string> {
  if (!Array.isArray(target)) return target.key;
  const find = () => {
    const tree: FolderInfo[] = deps.folders.counts(accountId).map((c) => c.folder);
    const same = (f: FolderInfo) => f.path.length === target.length && f.path.every((n, i) => n.toLowerCase() === target[i]!.toLowerCase());
    return (tree.find((f) => f.path.length === target.length && f.path.every((n, i) => n === target[i])) ?? tree.find(same))?.key;
  };
  const found = find();
  if (found !== undefined) return found;
  try {
    return (await deps.folders.create(accountId, target)).key;
  } catch (e) {
    // Another run (a second account's sync, `rules run` beside it) made it meanwhile.
    const made = find();
    if (made !== undefined) return made;
    throw e;
  }
}

/**
 * Run the rules over these messages and do what they say. Flags first (the file keeps them
 * when it moves), then copies, then one move per destination folder.
 */
export async function runRules(deps: RuleRunDeps, rules: readonly Rule[], ids: readonly string[]): Promise<RuleOutcome[]> {
  if (!rules.some((r) => r.enabled)) return [];
  const now = deps.now();
  const plans: Plan[] = [];
  for (const id of ids) {
    const m = deps.get(id);
    if (!m) continue; // deleted meanwhile
    // A message the file of which cannot be read (gone meanwhile) is left alone, not a failure of the run.
    const plan = await planFor(rules, subjectOf(deps, m), now).catch(() => null);
    if (plan && plan.rules.length > 0) plans.push(plan);
  }
  const read = plans.filter((p) => p.read && !p.m.flags.seen).map((p) => p.m.id);
  const flag = plans.filter((p) => p.flag && !p.m.flags.flagged).map((p) => p.m.id);
  if (read.length) await deps.setFlags(read, { seen: true });
  if (flag.length) await deps.setFlags(flag, { flagged: true });
  const server = plans.filter((p) => p.server && p.m.uidl !== '').map((p) => p.m.id);
  if (server.length) await deps.deleteOnServer(server);

  const outcomes = new Map<string, RuleOutcome>();
  for (const p of plans) {
    outcomes.set(p.m.id, { id: p.m.id, subject: p.m.summary.subject, rules: p.rules, copiedTo: [], markedRead: p.read, flagged: p.flag, ...(p.server && p.m.uidl !== '' ? { deleteOnServer: true } : {}) });
  }
  for (const p of plans) {
    for (const target of p.copyTo) {
      const key = await folderKey(deps, p.m.accountId, target);
      if (key === p.m.folder) continue;
      await deps.folders.copy([p.m.id], key);
      outcomes.get(p.m.id)!.copiedTo.push(key);
    }
  }
  const byTarget = new Map<string, string[]>();
  for (const p of plans) {
    if (!p.moveTo) continue;
    const key = await folderKey(deps, p.m.accountId, p.moveTo);
    const now = deps.get(p.m.id);
    if (!now || now.folder === key) continue;
    byTarget.set(key, [...(byTarget.get(key) ?? []), p.m.id]);
    outcomes.get(p.m.id)!.movedTo = key;
  }
  for (const [key, list] of byTarget) await deps.folders.move(list, key);
  return [...outcomes.values()];
}
