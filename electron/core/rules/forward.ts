/**
 * A filter's "forward to" (issue 16 §1): a filter that sends mail on its own, so every guard
 * against loops and floods lives here, in one place.
 *
 * - Never a message that was itself sent automatically: Auto-Submitted other than "no"
 *   (RFC 3834 §5), or one Popbox forwarded (FORWARDED_HEADER, kept even where a relay drops
 *   Auto-Submitted). What Popbox forwards carries both.
 * - Never a message from the address it would go to (two mailboxes forwarding to each other).
 * - At most FORWARDS_PER_RULE_PER_HOUR per rule in any hour (a flood, or a loop the headers miss).
 * - Each message goes to each address at most once, whatever runs again: the log records it
 *   durably *before* the forward is queued, so a crash in between loses that forward rather
 *   than sending it twice (an automatic sender should err on the side of silence). It is
 *   recorded as pending, with the Outbox id it is queued under, until it is queued: the next
 *   process finds a pending one with no such Outbox item and says so (never sends it again).
 *
 * The log is <dataDir>/rules-forwarded.json; one process holds the data directory (popbox.lock).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { AccountSettings } from '../../../shared/accounts.js';
import type { MessageRecord } from '../../../shared/changes.js';
import { MAY_PASS } from '../../../shared/error-codes.js';
import { ruleCoversAccount, ruleNameKey, type Rule } from '../../../shared/rules.js';
import { AppFailure, isAppFailure } from '../errors.js';
import { newLocalId } from '../store/ids.js';
import { storageError, writeFileAtomic } from '../store/durable.js';
import type { RuleSubject } from './evaluate.js';

/** Marks what Popbox forwarded (besides Auto-Submitted), so no Popbox forwards it again. */
export const FORWARDED_HEADER = 'X-Popbox-Forwarded';
/** The header block of a forward: auto-forwarded, RFC 3834 §5. */
export const FORWARD_HEADERS: Readonly<Record<string, string>> = { 'Auto-Submitted': 'auto-forwarded', [FORWARDED_HEADER]: 'yes' };
export const FORWARDS_PER_RULE_PER_HOUR = 20;
/** A bigger message is not forwarded (most servers refuse 25 MB and more). */
export const MAX_FORWARD_BYTES = 20 * 1024 * 1024;
const HOUR_MS = 3_600_000;

const lower = (a: string) => a.trim().toLowerCase();

/** Why `subject` must not be forwarded to `to` automatically, in words; null when it may. */
export async function forwardRefusal(subject: RuleSubject, to: string): Promise<string | null> {
  const m = subject.record;
  if (m.partial) return 'only its headers are downloaded';
  if (m.summary.size > MAX_FORWARD_BYTES) return `it is larger than ${MAX_FORWARD_BYTES / 1024 / 1024} MB`;
  // "Auto-Submitted: no (comment)" is a person's mail; any other value (or an empty one) is not.
  const auto = await subject.header('auto-submitted');
  if (auto.some((v) => lower(v.split(/[;(]/)[0] ?? '') !== 'no')) return 'it was sent automatically (Auto-Submitted)';
  if ((await subject.header(FORWARDED_HEADER)).length > 0) return 'it was forwarded by Popbox';
  const target = lower(to);
  const senders = [...m.summary.from.map((a) => a.address), ...(await subject.header('sender'))];
  if (senders.some((s) => lower(s.replace(/^.*</, '').replace(/>.*$/, '')) === target)) return 'it is from the address it would be forwarded to';
  return null;
}

interface LogFile {
  version: 1;
  /** Message id → the addresses it was forwarded to. */
  sent: Record<string, string[]>;
  /** Rule name (lowercase) → when it forwarded, within the last hour. */
  recent: Record<string, number[]>;
  /** Forwards recorded but not yet known to be queued ("id to" → what it was). */
  pending: Record<string, PendingForward>;
}

/** A forward recorded before it was queued: the Outbox id it goes under, and words for a notice. */
export interface PendingForward {
  id: string;
  to: string;
  accountId: string;
  outbox: string;
  subject: string;
}

const pendingKey = (id: string, to: string) => `${id} ${lower(to)}`;

export class ForwardLog {
  /** Loaded once: two first loads at once must not each build their own copy. */
  private loading: Promise<LogFile> | null = null;
  private data: LogFile | null = null;
  /** Saves one after another, as Ledger.commit: a later state never lands before an earlier one. */
  private saving: Promise<void> = Promise.resolve();
  private readonly file: string;

  constructor(dataDir: string) {
    this.file = path.join(dataDir, 'rules-forwarded.json');
  }

  private load(): Promise<LogFile> {
    this.loading ??= this.read().then(
      (d) => (this.data = d),
      (e: unknown) => {
        this.loading = null; // an unreadable file may be fixed: read it again next time
        throw e;
      },
    );
    return this.loading;
  }

  private async read(): Promise<LogFile> {
    try {
      const json = JSON.parse(await fs.readFile(this.file, 'utf8')) as Partial<LogFile>;
      return { version: 1, sent: json.sent ?? {}, recent: json.recent ?? {}, pending: json.pending ?? {} };
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      // Unreadable is not "nothing was forwarded": refuse rather than forward everything again.
      if (code !== 'ENOENT') throw new AppFailure('storage', `cannot read ${this.file} (what filters forwarded): ${code ?? 'not valid JSON'}; fix or remove it`);
      return { version: 1, sent: {}, recent: {}, pending: {} };
    }
  }

  async forwarded(id: string, to: string): Promise<boolean> {
    return ((await this.load()).sent[id] ?? []).includes(lower(to));
  }

  /** Forwards this rule may still make in the hour before `now`. */
  async allowance(rule: string, now: number, cap = FORWARDS_PER_RULE_PER_HOUR): Promise<number> {
    return this.left(await this.load(), rule, now, cap);
  }

  private left(d: LogFile, rule: string, now: number, cap: number): number {
    const recent = (d.recent[rule.toLowerCase()] ?? []).filter((t) => t > now - HOUR_MS);
    return Math.max(0, cap - recent.length);
  }

  /**
   * Check and take the forward of `id` to `to` in one step (nothing awaited in between, so two
   * runs at once cannot both take it), then save it durably, before the forward is queued.
   * 'done': already forwarded there; 'capped': the rule's hour is used up.
   */
  async claim(m: MessageRecord, to: string, rule: string, now: number, cap = FORWARDS_PER_RULE_PER_HOUR): Promise<PendingForward | 'done' | 'capped'> {
    const d = await this.load();
    if ((d.sent[m.id] ?? []).includes(lower(to))) return 'done';
    if (this.left(d, rule, now, cap) === 0) return 'capped';
    this.take(d, m.id, to, rule, now);
    const p: PendingForward = { id: m.id, to: lower(to), accountId: m.accountId, outbox: newLocalId(), subject: m.summary.subject };
    d.pending[pendingKey(m.id, to)] = p;
    this.mine.add(pendingKey(m.id, to));
    await this.save();
    return p;
  }

  /** Pending forwards this process started: not another process's unfinished ones. */
  private readonly mine = new Set<string>();

  /** The forward is in the Outbox (durable): no longer uncertain. */
  async queued(id: string, to: string): Promise<void> {
    delete (await this.load()).pending[pendingKey(id, to)];
    await this.save();
  }

  /**
   * Forwards a process before this one recorded and may not have queued (it stopped in between).
   * The caller checks each one's Outbox id and tells the person of those not there.
   */
  async unsettled(): Promise<PendingForward[]> {
    const d = await this.load();
    return Object.entries(d.pending)
      .filter(([k]) => !this.mine.has(k))
      .map(([, p]) => p);
  }

  /** Checked (and told, where uncertain): they stay forwarded, and are not reported again. */
  async settled(done: readonly PendingForward[]): Promise<void> {
    if (done.length === 0) return;
    const d = await this.load();
    for (const p of done) delete d.pending[pendingKey(p.id, p.to)];
    await this.save();
  }

  /** Durably, before the forward is queued. */
  async record(id: string, to: string, rule: string, now: number): Promise<void> {
    this.take(await this.load(), id, to, rule, now);
    await this.save();
  }

  private take(d: LogFile, id: string, to: string, rule: string, now: number): void {
    d.sent[id] = [...new Set([...(d.sent[id] ?? []), lower(to)])];
    const key = rule.toLowerCase();
    d.recent[key] = [...(d.recent[key] ?? []).filter((t) => t > now - HOUR_MS), now];
  }

  /** The forward could not be queued (nothing went out): it may be tried again. */
  async forget(id: string, to: string, rule: string, at: number): Promise<void> {
    const d = await this.load();
    const left = (d.sent[id] ?? []).filter((a) => a !== lower(to));
    if (left.length) d.sent[id] = left;
    else delete d.sent[id];
    delete d.pending[pendingKey(id, to)];
    this.mine.delete(pendingKey(id, to));
    // Nor does it count against the rule's hourly cap.
    const times = d.recent[rule.toLowerCase()] ?? [];
    const i = times.lastIndexOf(at);
    if (i !== -1) times.splice(i, 1);
    await this.save();
  }

  /** Entries of messages no longer stored (they cannot be run on again): the file stays small. */
  async prune(stored: (id: string) => boolean, now: number): Promise<void> {
    const d = await this.load();
    for (const id of Object.keys(d.sent)) if (!stored(id)) delete d.sent[id];
    for (const [rule, times] of Object.entries(d.recent)) {
      const kept = times.filter((t) => t > now - HOUR_MS);
      if (kept.length) d.recent[rule] = kept;
      else delete d.recent[rule];
    }
  }

  /**
   * Resolves once a write that began after this call is on disk: it holds every change made
   * before the call, whatever order other callers' writes would otherwise have landed in.
   */
  private save(): Promise<void> {
    const run = this.saving
      .catch(() => {})
      .then(async () => {
        try {
          await writeFileAtomic(this.file, JSON.stringify(this.data));
        } catch (e) {
          throw storageError('cannot record what the filters forwarded', e);
        }
      });
    this.saving = run;
    return run;
  }
}

/** What runRules needs to forward; absent, filters never forward. */
export interface Forwarder {
  log: ForwardLog;
  /**
   * Build the forward and queue it in the account's Outbox under `outboxId` (durable when this
   * resolves); throws only when it is not queued.
   */
  send(m: MessageRecord, to: string, rule: string, outboxId: string): Promise<void>;
  /** Per rule per hour (FORWARDS_PER_RULE_PER_HOUR by default). */
  cap?: number;
  /** Whether a message is still stored (the log forgets those that are not). */
  stored?(id: string): boolean;
}

export interface ForwardWish {
  subject: RuleSubject;
  to: string;
  rule: string;
}

/** A forward that was not queued (nothing went out, nothing is recorded): it may be tried again. */
export interface UnsentForward {
  id: string;
  subject: string;
  to: string;
  error: unknown;
}

/**
 * Forward what the rules asked for, each guard checked first. Returns, per message id, the
 * addresses it went to; what a guard held back (for the user, in words: that stays so); and
 * the forwards that could not be queued for now (a store or network failure: a run again tries
 * them, once); a refusal that would come again is a note.
 */
export async function forwardAll(fw: Forwarder, wishes: readonly ForwardWish[], now: number): Promise<{ sent: Map<string, string[]>; notes: string[]; unsent: UnsentForward[] }> {
  const sent = new Map<string, string[]>();
  const notes: string[] = [];
  const unsent: UnsentForward[] = [];
  const capped = new Map<string, number>();
  if (wishes.length) await fw.log.prune(fw.stored ?? (() => true), now);
  for (const { subject, to, rule } of wishes) {
    const m = subject.record;
    const what = `“${m.summary.subject || '(no subject)'}”`;
    if (await fw.log.forwarded(m.id, to)) continue; // once per message and address, ever
    const refusal = await forwardRefusal(subject, to).catch(() => 'its file could not be read');
    if (refusal) {
      notes.push(`${what} was not forwarded to ${to}: ${refusal}`);
      continue;
    }
    try {
      // Checked again as it is taken: another run may have forwarded it while the file was read.
      const claim = await fw.log.claim(m, to, rule, now, fw.cap);
      if (claim === 'done') continue;
      if (claim === 'capped') {
        capped.set(rule, (capped.get(rule) ?? 0) + 1);
        continue;
      }
      await fw.send(m, to, rule, claim.outbox);
      sent.set(m.id, [...(sent.get(m.id) ?? []), to]);
    } catch (e) {
      // Not queued (or not recorded durably before it would have been): taken back, in memory
      // too, so a run again may forward it.
      await fw.log.forget(m.id, to, rule, now).catch(() => {});
      // A refusal (too big to build, no outgoing server) would be refused again: said once, as a guard's.
      if (failsForGood(e)) notes.push(`${what} was not forwarded to ${to}: ${e.message}`);
      else unsent.push({ id: m.id, subject: m.summary.subject, to, error: e });
      continue;
    }
    // Failing to note it queued only leaves it pending: the next process finds it in the Outbox.
    await fw.log.queued(m.id, to).catch(() => {});
  }
  for (const [rule, n] of capped) {
    notes.push(`The filter “${rule}” forwarded ${fw.cap ?? FORWARDS_PER_RULE_PER_HOUR} messages in the last hour, the most it may: ${n} more not forwarded (a mail loop?). Run the filters again later to forward them.`);
  }
  return { sent, notes, unsent };
}

/**
 * Failures of an action that would fail the same way if tried again: a refusal in words (a name
 * or size refused, an account without an outgoing server). Others (storage, I/O, the network,
 * `closing` while Popbox closes: the `action` column of shared/error-codes.ts MAY_PASS) may pass
 * later, so a message they leave is tried again.
 */
export const failsForGood = (e: unknown): e is AppFailure => isAppFailure(e) && !MAY_PASS[e.code].action;

/** The addresses a rule forwards to (lowercase), none when it is off. */
export function forwardTargets(rule: Rule): string[] {
  return rule.enabled ? rule.actions.flatMap((a) => (a.t === 'forward' ? [a.to.toLowerCase()] : [])) : [];
}

/** The forward rules of `next` that are new, or changed from the list on disk (found by name). */
export function changedForwardRules(next: readonly Rule[], before: readonly Rule[]): Rule[] {
  const old = new Map(before.map((r) => [ruleNameKey(r.name), JSON.stringify(r)]));
  return next.filter((r) => forwardTargets(r).length > 0 && old.get(ruleNameKey(r.name)) !== JSON.stringify(r));
}

/**
 * A forward goes out through the account the message came to. A new or changed forward rule
 * that could match mail of an account without an outgoing server is refused when saved, in
 * words that say what to do (rather than failing quietly at every arrival). A rule limited by
 * its scope, or by "account is NAME" (all conditions, or its only one), answers for those accounts only.
 */
export function refuseUnsendableForwards(next: readonly Rule[], before: readonly Rule[], accounts: readonly AccountSettings[]): void {
  for (const rule of changedForwardRules(next, before)) {
    const only = rule.match === 'all' || rule.conditions.length === 1 ? rule.conditions.flatMap((c) => (c.field === 'account' && c.op === 'is' ? [c.value.toLowerCase()] : [])) : [];
    const scoped = accounts.filter((a) => ruleCoversAccount(rule, a.id));
    const reached = only.length ? scoped.filter((a) => only.includes(a.name.toLowerCase())) : scoped;
    if (reached.length === 0 && accounts.length === 0) throw new AppFailure('invalid', `The filter “${rule.name}” forwards mail, but there is no account to send it with yet.`);
    const mute = reached.find((a) => a.smtp === null);
    if (mute) {
      throw new AppFailure(
        'invalid',
        `The filter “${rule.name}” forwards mail, but the account “${mute.name}” has no outgoing server to send it with: set one up in its settings${only.length || rule.accounts ? '' : ', or add the condition “account is NAME” for an account that has one'}.`,
      );
    }
  }
}
