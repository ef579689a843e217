/**
 * When each account syncs (DESIGN §5): its own interval with jitter, a check at startup,
 * "Get Mail" on demand; never two sessions for one account and at most `maxConcurrent` at
 * once; LOGIN-DELAY as the shortest interval; exponential backoff with a ceiling for what may
 * pass by itself; and a stop for what needs the user (a wrong password, an untrusted
 * certificate). Offline it waits; after sleep it catches up.
 *
 * A certificate that changed under an account (DESIGN §3.8) is a block, not just a stop: no
 * timer, no catch-up and not even Get Mail connects again until the user has been to the
 * account's settings (`settingsChanged`), where both fingerprints are shown side by side.
 */
import type { AccountStatus, SchedulerState } from '../../../shared/contract.js';
import { MAY_PASS } from '../../../shared/error-codes.js';
import type { ErrorCode } from '../../../shared/errors.js';

export type { AccountStatus, SchedulerState };

export interface ScheduledAccount {
  id: string;
  checkEveryMinutes: number;
  checkAtStartup: boolean;
}

export type RunOutcome =
  | { ok: true; loginDelaySeconds?: number }
  | { ok: false; code: ErrorCode; message: string; retryAfterSeconds?: number; fingerprint256?: string; expectedFingerprint256?: string };

export interface SchedulerOptions {
  run: (accountId: string) => Promise<RunOutcome>;
  maxConcurrent?: number;
  onStatus?: (status: AccountStatus) => void;
  now?: () => number;
  random?: () => number;
  /** First retry after a failure, doubled each time up to the ceiling. */
  backoffBaseMs?: number;
  backoffCeilingMs?: number;
}

const MINUTE = 60_000;

interface Slot {
  account: ScheduledAccount;
  status: AccountStatus;
  timer: NodeJS.Timeout | null;
  running: Promise<RunOutcome> | null;
  /** The server's LOGIN-DELAY: no interval may be shorter. */
  loginDelayMs: number;
  /** The certificate failure that blocks this account until its settings change. */
  blockedBy: RunOutcome | null;
}

export class Scheduler {
  private readonly slots = new Map<string, Slot>();
  private readonly queue: string[] = [];
  private active = 0;
  private online = true;
  private started = false;
  private readonly waiters = new Map<string, ((o: RunOutcome) => void)[]>();

  constructor(private readonly opts: SchedulerOptions) {}

  private now(): number {
    return (this.opts.now ?? Date.now)();
  }

  /** Set the accounts to schedule; intervals of existing ones are updated, removed ones stop. */
  setAccounts(accounts: ScheduledAccount[]): void {
    const ids = new Set(accounts.map((a) => a.id));
    for (const [id, slot] of this.slots) {
      if (!ids.has(id)) {
        if (slot.timer) clearTimeout(slot.timer);
        this.slots.delete(id);
        const q = this.queue.indexOf(id);
        if (q !== -1) this.queue.splice(q, 1);
      }
    }
    for (const account of accounts) {
      const slot = this.slots.get(account.id);
      if (slot) {
        const intervalChanged = slot.account.checkEveryMinutes !== account.checkEveryMinutes;
        slot.account = account;
        if (intervalChanged && slot.status.state === 'idle') this.scheduleNext(slot, this.intervalMs(slot));
      } else {
        const fresh: Slot = {
          account,
          status: { accountId: account.id, state: 'idle', nextRunAt: null, lastSuccessAt: null, lastError: null, failures: 0 },
          timer: null,
          running: null,
          loginDelayMs: 0,
          blockedBy: null,
        };
        this.slots.set(account.id, fresh);
        if (this.started) this.scheduleNext(fresh, account.checkAtStartup ? 0 : this.intervalMs(fresh));
      }
    }
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    for (const slot of this.slots.values()) if (!slot.blockedBy) this.scheduleNext(slot, slot.account.checkAtStartup ? 0 : this.intervalMs(slot));
  }

  /**
   * A certificate block from before a restart (kept with the account's sync state): without it
   * the check at startup would connect to the changed server again by itself.
   */
  restoreBlock(accountId: string, outcome: Extract<RunOutcome, { ok: false }> & { code: 'certificate' }): void {
    const slot = this.slots.get(accountId);
    if (!slot || slot.running) return;
    if (slot.timer) clearTimeout(slot.timer);
    slot.timer = null;
    const q = this.queue.indexOf(accountId);
    if (q !== -1) this.queue.splice(q, 1);
    this.settle(slot, outcome);
  }

  stop(): void {
    this.started = false;
    for (const slot of this.slots.values()) {
      if (slot.timer) clearTimeout(slot.timer);
      slot.timer = null;
    }
    this.queue.length = 0;
  }

  status(accountId: string): AccountStatus | undefined {
    const s = this.slots.get(accountId)?.status;
    return s ? { ...s } : undefined;
  }

  statuses(): AccountStatus[] {
    return [...this.slots.values()].map((s) => ({ ...s.status }));
  }

  /**
   * "Get Mail": run now (or as soon as a slot is free). A run already going is joined, not
   * doubled. A manual run also clears a stop: the user may just have fixed the password. A
   * certificate block is not cleared: the answer is the failure that blocks, with no connection.
   */
  syncNow(accountIds?: string[]): Promise<RunOutcome[]> {
    const ids = accountIds ?? [...this.slots.keys()];
    return Promise.all(
      ids.map((id) => {
        const slot = this.slots.get(id);
        if (!slot) return Promise.resolve<RunOutcome>({ ok: false, code: 'not-found', message: `no account ${id}` });
        if (slot.running) return slot.running;
        if (slot.blockedBy) return Promise.resolve(slot.blockedBy);
        if (slot.timer) clearTimeout(slot.timer);
        slot.timer = null;
        return new Promise<RunOutcome>((resolve) => {
          this.waiters.set(id, [...(this.waiters.get(id) ?? []), resolve]);
          this.enqueue(slot);
        });
      }),
    );
  }

  /**
   * The user changed the account's settings (in the settings form, where a changed certificate
   * is shown with both fingerprints): a certificate block ends and the new settings are tried now.
   */
  settingsChanged(accountId: string): void {
    const slot = this.slots.get(accountId);
    if (!slot?.blockedBy || slot.running) return;
    slot.blockedBy = null;
    this.scheduleNext(slot, 0);
  }

  /** Network state from the shell: offline pauses everything; online runs what is overdue. */
  setOnline(online: boolean): void {
    if (this.online === online) return;
    this.online = online;
    if (online) this.catchUp();
    else for (const slot of this.slots.values()) if (slot.status.state === 'idle' || slot.status.state === 'retrying') this.update(slot, { state: 'offline' });
  }

  /** The machine slept: timers did not run. Anything due while asleep runs now. */
  resume(): void {
    this.catchUp();
  }

  private catchUp(): void {
    const now = this.now();
    for (const slot of this.slots.values()) {
      const s = slot.status.state;
      if (s === 'needs-password' || s === 'needs-attention' || slot.running || this.queue.includes(slot.account.id)) continue;
      if (slot.status.nextRunAt !== null && slot.status.nextRunAt <= now) this.enqueue(slot);
      else if (s === 'offline') this.scheduleNext(slot, Math.max(0, (slot.status.nextRunAt ?? now) - now));
    }
  }

  private intervalMs(slot: Slot): number {
    // Up to 10% jitter so that accounts (and many clients of one provider) do not move in step.
    const base = Math.max(slot.account.checkEveryMinutes * MINUTE, slot.loginDelayMs);
    return Math.round(base * (1 + 0.1 * (this.opts.random ?? Math.random)()));
  }

  private scheduleNext(slot: Slot, delayMs: number, state: SchedulerState = 'idle'): void {
    if (slot.timer) clearTimeout(slot.timer);
    slot.timer = null;
    const nextRunAt = this.now() + delayMs;
    this.update(slot, { state: this.online ? state : 'offline', nextRunAt });
    if (!this.started) return;
    slot.timer = setTimeout(() => {
      slot.timer = null;
      if (this.online) this.enqueue(slot);
    }, delayMs);
  }

  private enqueue(slot: Slot): void {
    if (slot.running || this.queue.includes(slot.account.id)) return;
    this.queue.push(slot.account.id);
    this.update(slot, { state: 'queued' });
    this.pump();
  }

  private pump(): void {
    const max = this.opts.maxConcurrent ?? 2;
    while (this.active < max && this.queue.length > 0) {
      const id = this.queue.shift()!;
      const slot = this.slots.get(id);
      if (slot) this.runSlot(slot);
    }
  }

  private runSlot(slot: Slot): void {
    this.active++;
    this.update(slot, { state: 'syncing', nextRunAt: null });
    const running = this.opts
      .run(slot.account.id)
      .catch((e: unknown): RunOutcome => ({ ok: false, code: 'storage', message: e instanceof Error ? e.message : String(e) }));
    slot.running = running;
    void running.then((outcome) => {
      this.active--;
      slot.running = null;
      this.settle(slot, outcome);
      const waiters = this.waiters.get(slot.account.id) ?? [];
      this.waiters.delete(slot.account.id);
      for (const w of waiters) w(outcome);
      this.pump();
    });
  }

  private settle(slot: Slot, outcome: RunOutcome): void {
    if (!this.slots.has(slot.account.id)) return; // removed while it ran
    if (outcome.ok) {
      slot.loginDelayMs = (outcome.loginDelaySeconds ?? 0) * 1000;
      slot.blockedBy = null;
      this.update(slot, { failures: 0, lastError: null, lastSuccessAt: this.now() });
      this.scheduleNext(slot, this.intervalMs(slot));
      return;
    }
    const lastError = {
      code: outcome.code,
      message: outcome.message,
      ...(outcome.fingerprint256 ? { fingerprint256: outcome.fingerprint256 } : {}),
      ...(outcome.expectedFingerprint256 ? { expectedFingerprint256: outcome.expectedFingerprint256 } : {}),
    };
    const failures = slot.status.failures + 1;
    if (outcome.code === 'certificate') {
      slot.blockedBy = outcome;
      this.update(slot, { state: 'needs-attention', lastError, failures, nextRunAt: null });
      return;
    }
    if (outcome.code === 'auth') {
      this.update(slot, { state: 'needs-password', lastError, failures, nextRunAt: null });
      return;
    }
    // What may pass by itself is retried with backoff (the table's `check` column); the rest needs the person.
    if (!MAY_PASS[outcome.code].check) {
      this.update(slot, { state: 'needs-attention', lastError, failures, nextRunAt: null });
      return;
    }
    const base = this.opts.backoffBaseMs ?? MINUTE;
    const ceiling = this.opts.backoffCeilingMs ?? 60 * MINUTE;
    let delay = Math.min(ceiling, base * 2 ** (failures - 1));
    if (outcome.retryAfterSeconds !== undefined) delay = Math.max(delay, outcome.retryAfterSeconds * 1000);
    if (outcome.code === 'login-delay') delay = Math.max(delay, slot.loginDelayMs);
    this.update(slot, { lastError, failures });
    this.scheduleNext(slot, delay, 'retrying');
  }

  private update(slot: Slot, patch: Partial<AccountStatus>): void {
    slot.status = { ...slot.status, ...patch };
    this.opts.onStatus?.({ ...slot.status });
  }
}
