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
 * A run says which messages it left not done (an action refused because Popbox is closing, or
 * failed): on arrival those are filtered again at the next check (ingest/arrival-filter.ts), and
 * the ones only the close left do not count as a try.
 */
import type { MessageFlags, MessageRecord } from '../../../shared/changes.js';
import { roleKey, type FolderInfo } from '../../../shared/folders.js';
import { refusedAtClose } from '../../../shared/error-codes.js';
import { MAX_RUN_IDS, type Action, type Rule, type RuleOutcome } from '../../../shared/rules.js';
import { AppFailure } from '../errors.js';
import type { FolderService } from '../folders/folder-service.js';
import { RuleSubject, ruleMatches } from './evaluate.js';
import { failsForGood, forwardAll, type Forwarder, type ForwardWish } from './forward.js';
import { TooCostly, type MatchCounter } from './glob.js';

/**
 * Work budgets in glob steps (one character comparison each, ~3–4 ns here). A preview spends at
 * most PREVIEW_STEPS in all (≈0.5 s); a run at most RUN_STEPS (≈4 s), for at most MAX_RUN_IDS
 * messages per call. Past a budget the call stops with TooCostly, in plain words.
 */
export const PREVIEW_STEPS = 150_000_000;
export const RUN_STEPS = 1_000_000_000;
export { MAX_RUN_IDS };
/** Folders rules never take mail out of: a queued message (sending) or one being written. */
const UNTOUCHED = new Set([roleKey('outbox'), roleKey('drafts')]);

export interface RuleRunDeps {
  get(id: string): MessageRecord | undefined;
  folders: FolderService;
  setFlags(ids: readonly string[], flags: Partial<MessageFlags>): Promise<void>;
  /** Mark for deletion on the server at the next sync (the ledger, durable before it returns). */
  deleteOnServer(ids: readonly string[]): Promise<void>;
  locate(id: string): Promise<string>;
  /** The account's messages in one folder now (to see whether a copy is already there). */
  inFolder?(accountId: string, folder: string): MessageRecord[];
  /** A destination that failed (the others went ahead): said to the user. */
  onFailure?(message: string): void;
  accountName(accountId: string): string;
  now(): number;
  /** Forwarding (the outbox and its guards); without it a forward action does nothing. */
  forwarder?: Forwarder;
}

/** What the rules decided for one message, before anything is done. */
interface Plan {
  m: MessageRecord;
  subject: RuleSubject;
  /** Addresses to forward to, each with the first rule that asked. */
  forward: { to: string; rule: string }[];
  rules: string[];
  moveTo: string[] | { key: string } | null;
  /** The rule whose action set moveTo (said in Junk: “Your rule … moved this here”). */
  movedBy: string | null;
  copyTo: string[][];
  read: boolean;
  flag: boolean;
  server: boolean;
}

const JUNK = roleKey('junk');
const TRASH = roleKey('trash');

/** The rules that apply to `m`, in order, and what they add up to. */
export async function planFor(rules: readonly Rule[], subject: RuleSubject, now: number, budget?: MatchCounter): Promise<Plan> {
  const plan: Plan = { m: subject.record, subject, forward: [], rules: [], moveTo: null, movedBy: null, copyTo: [], read: false, flag: false, server: false };
  for (const rule of rules) {
    if (!(await ruleMatches(rule, subject, now, budget))) continue;
    plan.rules.push(rule.name);
    if (apply(plan, rule.actions, rule.name)) break;
  }
  return plan;
}

/** Adds the actions to the plan; true on "stop". A later move wins over an earlier one. */
function apply(plan: Plan, actions: readonly Action[], rule: string): boolean {
  for (const a of actions) {
    switch (a.t) {
      case 'forward':
        if (!plan.forward.some((f) => f.to.toLowerCase() === a.to.toLowerCase())) plan.forward.push({ to: a.to, rule });
        break;
      case 'move':
        plan.moveTo = a.folder;
        plan.movedBy = rule;
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
        plan.movedBy = rule;
        break;
      case 'delete':
        plan.moveTo = { key: TRASH };
        plan.movedBy = rule;
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
export async function previewRule(
  deps: RuleRunDeps,
  rule: Rule,
  ids: readonly string[],
  opts: { max?: number; scan?: number; steps?: number; cancelled?: () => boolean } = {},
): Promise<{ ids: string[]; truncated: boolean }> {
  const max = opts.max ?? Infinity;
  const scan = opts.scan ?? Infinity;
  const budget: MatchCounter = { steps: 0, limit: opts.steps ?? PREVIEW_STEPS };
  const out: string[] = [];
  const now = deps.now();
  const checked = ids.slice(0, scan);
  for (const id of checked) {
    // A newer preview of the same screen supersedes this one (latest wins): stop spending.
    if (opts.cancelled?.()) throw new AppFailure('cancelled', 'A newer preview replaced this one.');
    const m = deps.get(id);
    if (!m) continue;
    const holds = await ruleMatches({ ...rule, enabled: true }, subjectOf(deps, m), now, budget).catch((e: unknown) => {
      if (e instanceof TooCostly) throw new AppFailure('invalid', e.message);
      return false;
    });
    if (holds) {
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
export interface RunOptions {
  /** Work budget in glob steps (RUN_STEPS by default). */
  steps?: number;
  /**
   * Asked before anything changes when the run would mark messages for deletion on the server
   * (the renderer's runs: a native confirmation); throwing or false changes nothing.
   */
  confirmServerDeletion?(count: number): Promise<boolean>;
  /**
   * Carry out "forward to" actions: on arrival, and on demand only when the person asks for it
   * (`rules run --forward`). A message is never forwarded twice to one address (forward.ts).
   */
  forward?: boolean;
  /**
   * On arrival: the messages among these the junk filter judges junk. None of them is forwarded
   * (the rules run before the filter files junk, so spam matching a forward went out first).
   */
  judgedJunk?(ids: readonly string[]): Promise<ReadonlySet<string>>;
  /** Said after the failures that may pass, what becomes of that mail (on arrival: filtered again at the next check). */
  afterFailure?: string;
  /**
   * Messages run on before whose flags and server deletion were applied then: not applied again
   * (the person may have marked one unread since). Their other actions skip what is done.
   */
  again?: ReadonlySet<string>;
}

/** What a run did to each message a rule matched, and the messages it left not done. */
export interface RuleRun {
  outcomes: RuleOutcome[];
  /**
   * Messages an action of which did not complete and may later: refused ('closing': Popbox is
   * closing) or failed (a full disk, a forward the Outbox could not store). One refused in words
   * that would come again (a folder name refused, a forward too big to build) is done: said once.
   * Its other actions went ahead; a run again skips what is done (a move to where it is, a copy
   * already there, a forward recorded in rules-forwarded.json).
   */
  notDone: ReadonlySet<string>;
  /**
   * Those of notDone that only a refusal at close left (shared/error-codes.ts refusedAtClose):
   * nothing failed, so on arrival it is not one of their tries.
   */
  atClose: ReadonlySet<string>;
}

export async function runRules(deps: RuleRunDeps, rules: readonly Rule[], ids: readonly string[], opts: RunOptions = {}): Promise<RuleRun> {
  const notDone = new Set<string>();
  /** Not done through a failure other than the close's refusal. */
  const failedOnce = new Set<string>();
  if (!rules.some((r) => r.enabled)) return { outcomes: [], notDone, atClose: new Set() };
  if (ids.length > MAX_RUN_IDS) throw new AppFailure('invalid', `Rules run on at most ${MAX_RUN_IDS.toLocaleString('en')} messages at a time; choose fewer (a folder at a time).`);
  const now = deps.now();
  const budget: MatchCounter = { steps: 0, limit: opts.steps ?? RUN_STEPS };
  const plans: Plan[] = [];
  /** Where each message was when its rules were evaluated (a move goes only from there). */
  const decidedIn = new Map<string, string>();
  for (const id of new Set(ids)) {
    const m = deps.get(id);
    if (!m || UNTOUCHED.has(m.folder)) continue; // deleted meanwhile; or sending / being written
    // A message the file of which cannot be read (gone meanwhile) is left alone, not a failure of the run.
    // Too costly stops the whole run before anything changes, in plain words.
    const plan = await planFor(rules, subjectOf(deps, m), now, budget).catch((e: unknown) => {
      if (e instanceof TooCostly) throw new AppFailure('invalid', e.message);
      return null;
    });
    if (plan && plan.rules.length > 0) {
      plans.push(plan);
      decidedIn.set(id, m.folder);
    }
  }
  // Asked before anything changes (flags included), so "Cancel" leaves everything as it was.
  const onServer = (p: Plan) => p.server && p.m.uidl !== '' && !p.m.partial;
  const server = plans.filter((p) => onServer(p) && !opts.again?.has(p.m.id)).map((p) => p.m.id);
  if (server.length && opts.confirmServerDeletion && !(await opts.confirmServerDeletion(server.length))) {
    throw new AppFailure('cancelled', 'Filters not run.');
  }
  const fresh = plans.filter((p) => !opts.again?.has(p.m.id));
  const read = fresh.filter((p) => p.read && !p.m.flags.seen).map((p) => p.m.id);
  const flag = fresh.filter((p) => p.flag && !p.m.flags.flagged).map((p) => p.m.id);
  if (read.length) await deps.setFlags(read, { seen: true });
  if (flag.length) await deps.setFlags(flag, { flagged: true });
  // Never for a headers-only message: its rest lives only on the server (Download the rest,
  // then the next sync, would delete it there unseen).
  if (server.length) await deps.deleteOnServer(server);

  const outcomes = new Map<string, RuleOutcome>();
  const failures: string[] = [];
  /** Those that may pass later (the message is not done): `afterFailure` says what becomes of them. */
  const passing: string[] = [];
  const failed = (id: string, where: string, e: unknown): void => {
    const words = `${where}: ${e instanceof Error ? e.message : String(e)}`;
    if (failsForGood(e)) return void failures.push(words);
    notDone.add(id);
    if (refusedAtClose(e)) return;
    failedOnce.add(id);
    passing.push(words);
  };
  for (const p of plans) {
    outcomes.set(p.m.id, { id: p.m.id, subject: p.m.summary.subject, rules: p.rules, copiedTo: [], markedRead: p.read, flagged: p.flag, ...(onServer(p) ? { deleteOnServer: true } : {}) });
  }
  // Forwards before any move: each reads the message's file where it is now.
  if (opts.forward && deps.forwarder) {
    let wishes: ForwardWish[] = plans.flatMap((p) => p.forward.map((f) => ({ subject: p.subject, ...f })));
    if (wishes.length && opts.judgedJunk) {
      // A filter that fails to judge leaves the forwards as the person set them up.
      const junk = await opts.judgedJunk([...new Set(wishes.map((w) => w.subject.record.id))]).catch(() => new Set<string>());
      wishes = wishes.filter((w) => !junk.has(w.subject.record.id));
    }
    if (wishes.length) {
      const { sent, notes, unsent } = await forwardAll(deps.forwarder, wishes, now);
      for (const [id, to] of sent) outcomes.get(id)!.forwardedTo = to;
      for (const u of unsent) failed(u.id, `forwarding “${u.subject || '(no subject)'}” to ${u.to}`, u.error);
      if (notes.length) deps.onFailure?.(notes.slice(0, 5).join('; '));
    }
  }
  // A destination that fails (a bad name, a full disk) is reported; the other destinations still run.
  const keyOf = async (p: Plan, target: string[] | { key: string }): Promise<string | null> =>
    folderKey(deps, p.m.accountId, target).catch((e: unknown) => {
      failed(p.m.id, Array.isArray(target) ? target.join('/') : target.key, e);
      return null;
    });
  const moveKeys = new Map<string, string | null>();
  for (const p of plans) if (p.moveTo) moveKeys.set(p.m.id, await keyOf(p, p.moveTo));
  for (const p of plans) {
    const done = new Set<string>();
    for (const target of p.copyTo) {
      const key = await keyOf(p, target);
      // Once per destination, never into the folder it is (or will be) filed in, never again
      // where a copy of it already is (a second `rules run`).
      if (key === null || done.has(key) || key === p.m.folder || key === moveKeys.get(p.m.id)) continue;
      done.add(key);
      if (deps.inFolder?.(p.m.accountId, key).some((o) => sameMessage(o, p.m))) continue;
      try {
        await deps.folders.copy([p.m.id], key);
        outcomes.get(p.m.id)!.copiedTo.push(key);
      } catch (e) {
        failed(p.m.id, key, e);
      }
    }
  }
  const byTarget = new Map<string, string[]>();
  const movedBy = new Map(plans.flatMap((p) => (p.movedBy === null ? [] : [[p.m.id, p.movedBy] as const])));
  for (const p of plans) {
    const key = moveKeys.get(p.m.id);
    if (!key) continue;
    const current = deps.get(p.m.id);
    if (!current || current.folder === key) continue;
    byTarget.set(key, [...(byTarget.get(key) ?? []), p.m.id]);
  }
  for (const [key, list] of byTarget) {
    try {
      // Only from the folder it was evaluated in, checked in the account's turn.
      await deps.folders.move(list, key, {
        onlyFrom: decidedIn,
        junkedBy: (id) => {
          const rule = movedBy.get(id);
          return rule === undefined ? undefined : { by: 'rule', rule };
        },
      });
      for (const id of list) if (deps.get(id)?.folder === key) outcomes.get(id)!.movedTo = key;
    } catch (e) {
      // Those renamed before the failure are filed; the rest are not done.
      for (const id of list) {
        if (deps.get(id)?.folder === key) outcomes.get(id)!.movedTo = key;
        else failed(id, key, e);
      }
    }
  }
  const list = (some: string[]) => [...new Set(some)].slice(0, 5).join('; ');
  const words = [
    ...(failures.length ? [`Some filter actions failed: ${list(failures)}.`] : []),
    ...(passing.length ? [`${failures.length ? 'Others, which may pass later,' : 'Some filter actions'} failed: ${list(passing)}.${opts.afterFailure ? ` ${opts.afterFailure}` : ''}`] : []),
  ];
  if (words.length) deps.onFailure?.(words.join(' '));
  return { outcomes: [...outcomes.values()], notDone, atClose: new Set([...notDone].filter((id) => !failedOnce.has(id))) };
}

/** The same mail (a copy of it): same Message-ID and size, or without one the same summary. */
function sameMessage(a: MessageRecord, b: MessageRecord): boolean {
  if (a.id === b.id) return false;
  const x = a.summary;
  const y = b.summary;
  if (x.size !== y.size) return false;
  if (x.messageId || y.messageId) return x.messageId === y.messageId;
  return x.subject === y.subject && x.date === y.date && JSON.stringify(x.from) === JSON.stringify(y.from);
}
