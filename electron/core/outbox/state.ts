/**
 * The outbox's memory of what happened to each message it sends (DESIGN §3 invariant 9), one
 * account's in `accounts/<id>/outbox.jsonl`: append-only records, each fsynced before the step
 * it announces, folded into one entry per message. The message's bytes are its file in the
 * Outbox folder; this file holds its envelope (Bcc included, which the headers do not show) and
 * how far sending got, so that after a crash the outbox knows whether it may send again:
 *
 *   queued ─▶ attempt n ─▶ dot n ─▶ accepted ─▶ done (filed in Sent)
 *                │           │
 *                │           └─▶ (crash, or no answer) maybe-sent: never again without the user
 *                ├─▶ retry (network, timeout, 4xx; before the dot) ─▶ attempt n+1 …
 *                ├─▶ partly (250, but some recipients refused for now) ─▶ attempt n+1 to those alone …
 *                │      (for GIVE_UP_AFTER_MS at most, then give-up ─▶ Sent, "Sent, but not to …")
 *                ├─▶ failed (auth, refused, too big) — the user fixes it and says resend
 *                └─▶ (crash before the dot record) sent again
 *
 * `dot` is written just before the final dot goes out (smtp/client.ts holds the dot back until
 * it is on disk): without it the message certainly never reached the server.
 *
 * Recipients the server refused while it took the message for others are remembered with its
 * words: a 4xx one is tried again alone (the envelope of the next attempt holds only the
 * recipients still waiting, so those who have it never get it twice); a 5xx one is shown on the
 * message after it was filed in Sent ("Sent, but not to …") until the user dismisses it.
 * Once anyone has it (`sentTo`), it never goes back to Drafts (sending that draft again would
 * reach them twice) nor to Trash: discard and mark-sent give up on the rest and file it in Sent.
 */
import fs from 'node:fs/promises';
import { appendDurable, readJsonLines, removeStrayTemps, storageError, writeFileAtomic } from '../store/durable.js';

export interface OutboxError {
  /** The failure's code (SmtpError / AppFailure codes, or 'interrupted' for a crash). */
  code: string;
  /** In plain words, the server's text included where there was one. */
  message: string;
  serverText?: string;
  responseCode?: number;
}

/** A recipient the server refused at RCPT TO while the message went to others (or waits to). */
export interface Refusal {
  address: string;
  /** 5xx: never tried again. 4xx: tried again, alone, with the next attempt. */
  permanent: boolean;
  /** In plain words, e.g. "not to x@y: unknown recipient (the server said 550 …)". */
  message: string;
  responseCode?: number;
  serverText?: string;
}

export type OutboxRecord =
  | { t: 'queued'; id: string; at: number; from: string; to: string[]; sendAt: number; size: number }
  /** Attempt n is starting (the connection is about to be opened). */
  | { t: 'attempt'; id: string; n: number; at: number }
  /** Attempt n's final dot is about to go out: from here on the server may have the message. */
  | { t: 'dot'; id: string; n: number; at: number }
  /** The server answered the final dot with 250: never send it again. */
  | {
      t: 'accepted';
      id: string;
      n: number;
      at: number;
      response: string;
      rejected?: string[];
      /** Who took it with this attempt. */
      sentTo?: string[];
      /** Refused for good with this attempt (shown, never tried again). */
      refused?: Refusal[];
      /** What the user is told about those refused ("Sent, but not to …"). */
      error?: OutboxError;
    }
  /** Attempt n was taken by the server for `sentTo`, and refused for now by some of `refused`: those are tried again, alone, at `nextAt`. */
  | { t: 'partly'; id: string; n: number; at: number; response: string; sentTo: string[]; refused: Refusal[]; nextAt: number; error: OutboxError }
  /** Filed in Sent with recipients refused for good: shown until the user dismisses it. */
  | { t: 'notice'; id: string; at: number; folder: string }
  | { t: 'retry'; id: string; n: number; at: number; error: OutboxError; nextAt: number }
  | { t: 'maybe-sent'; id: string; n: number; at: number; error: OutboxError }
  | { t: 'failed'; id: string; n: number; at: number; error: OutboxError }
  /** The user asked to send it (again) now. */
  | { t: 'resend'; id: string; at: number }
  /**
   * No more attempts for the recipients still waiting of a message others already have (the user
   * discarded it or marked it sent, or the waiting ones kept refusing for GIVE_UP_AFTER_MS): it is
   * filed in Sent, and `refused` (those recipients, now for good) is shown as "Sent, but not to …".
   */
  | { t: 'give-up'; id: string; at: number; refused: Refusal[]; error: OutboxError }
  /** The user says a "may have been sent" message did go: file it in Sent. */
  | { t: 'mark-sent'; id: string; at: number }
  /** Undo send / back to Drafts (never sent). */
  | { t: 'cancel'; id: string; at: number }
  /** Thrown away (to Trash). */
  | { t: 'discard'; id: string; at: number }
  /** The file is where it belongs (Sent, Drafts, Trash) or gone: the outbox forgets it. */
  | { t: 'done'; id: string; at: number; folder: string | null }
  /** A whole entry as it was (what a rewrite of the file keeps). */
  | { t: 'entry'; entry: OutboxEntry };

export type Phase =
  | 'waiting'
  | 'sending'
  | 'dot'
  | 'retrying'
  | 'maybe-sent'
  | 'failed'
  /** Decided, the file still to be moved (to Sent, Drafts or Trash). */
  | 'accepted'
  | 'mark-sent'
  | 'cancel'
  | 'discard'
  /** In Sent, with recipients refused for good: kept only to show that (dismissed by the user). */
  | 'sent-notice';

export interface OutboxEntry {
  id: string;
  from: string;
  to: string[];
  size: number;
  queuedAt: number;
  /** Attempts started, ever. */
  attempts: number;
  /** Attempts that ended in a retry since it was queued or the user last said resend (for backoff). */
  failures: number;
  phase: Phase;
  /** When the next attempt is due (waiting, retrying); null when no attempt will be made by itself. */
  nextAttemptAt: number | null;
  lastError?: OutboxError;
  /** The server's answer to the final dot, once accepted. */
  response?: string;
  /** Recipients the server took the message for, over all attempts (never in `to` again). */
  sentTo?: string[];
  /** Recipients refused: for good (shown), or for now (in `to`, tried again). */
  refused?: Refusal[];
  /** When the server first took it for some recipients while others waited (the give-up clock starts here). */
  partlyAt?: number;
}

const union = (a: readonly string[] | undefined, b: readonly string[]): string[] => [...new Set([...(a ?? []), ...b])];

/** The refusals after an attempt to `envelope`: what that attempt said replaces what earlier ones said about the same recipients. */
function mergeRefused(before: readonly Refusal[] | undefined, envelope: readonly string[], now: readonly Refusal[]): Refusal[] {
  const asked = new Set(envelope.map((a) => a.toLowerCase()));
  return [...(before ?? []).filter((r) => !asked.has(r.address.toLowerCase())), ...now];
}

/** Folds records into the live entries, in queue order; records of unknown or finished messages are ignored. */
export function fold(records: readonly OutboxRecord[]): Map<string, OutboxEntry> {
  const entries = new Map<string, OutboxEntry>();
  for (const r of records) apply(entries, r);
  return entries;
}

export function apply(entries: Map<string, OutboxEntry>, r: OutboxRecord): void {
  if (r.t === 'queued') {
    entries.set(r.id, { id: r.id, from: r.from, to: [...r.to], size: r.size, queuedAt: r.at, attempts: 0, failures: 0, phase: 'waiting', nextAttemptAt: r.sendAt });
    return;
  }
  if (r.t === 'entry') {
    entries.set(r.entry.id, { ...r.entry, to: [...r.entry.to] });
    return;
  }
  const e = entries.get(r.id);
  if (!e) return;
  switch (r.t) {
    case 'attempt':
      e.attempts = Math.max(e.attempts, r.n);
      e.phase = 'sending';
      e.nextAttemptAt = null;
      break;
    case 'dot':
      e.phase = 'dot';
      break;
    case 'accepted':
      e.phase = 'accepted';
      e.response = r.response;
      e.nextAttemptAt = null;
      if (r.sentTo) {
        e.sentTo = union(e.sentTo, r.sentTo);
        e.refused = mergeRefused(e.refused, e.to, r.refused ?? []);
        e.to = [];
      }
      if (r.error) e.lastError = r.error;
      else delete e.lastError;
      break;
    case 'partly':
      e.phase = 'retrying';
      e.response = r.response;
      e.failures++;
      e.nextAttemptAt = r.nextAt;
      e.lastError = r.error;
      e.sentTo = union(e.sentTo, r.sentTo);
      e.refused = mergeRefused(e.refused, e.to, r.refused);
      e.to = r.refused.filter((x) => !x.permanent).map((x) => x.address);
      e.partlyAt ??= r.at;
      break;
    case 'give-up':
      e.phase = 'accepted';
      e.nextAttemptAt = null;
      e.refused = mergeRefused(e.refused, e.to, r.refused);
      e.to = [];
      e.lastError = r.error;
      break;
    case 'notice':
      e.phase = 'sent-notice';
      e.nextAttemptAt = null;
      break;
    case 'retry':
      e.phase = 'retrying';
      e.failures++;
      e.nextAttemptAt = r.nextAt;
      e.lastError = r.error;
      break;
    case 'maybe-sent':
      e.phase = 'maybe-sent';
      e.nextAttemptAt = null;
      e.lastError = r.error;
      break;
    case 'failed':
      e.phase = 'failed';
      e.nextAttemptAt = null;
      e.lastError = r.error;
      break;
    case 'resend':
      e.phase = 'waiting';
      e.failures = 0;
      e.nextAttemptAt = r.at;
      break;
    case 'mark-sent':
    case 'cancel':
    case 'discard':
      e.phase = r.t;
      e.nextAttemptAt = null;
      break;
    case 'done':
      entries.delete(r.id);
      break;
  }
}

/** Where a decided message's file goes. */
export const DESTINATION: Partial<Record<Phase, 'sent' | 'drafts' | 'trash'>> = {
  accepted: 'sent',
  'mark-sent': 'sent',
  cancel: 'drafts',
  discard: 'trash',
};

/**
 * What an entry found after a restart needs before anything else happens: an attempt that was
 * under way when the process died. Before its dot record the final dot cannot have gone out
 * (the client waits for that record), so it is sent again; after it, the server may have the
 * message, so the user decides.
 */
export function recoveryRecord(e: OutboxEntry, now: number): OutboxRecord | null {
  if (e.phase === 'sending') {
    return {
      t: 'retry',
      id: e.id,
      n: e.attempts,
      at: now,
      nextAt: now,
      error: { code: 'interrupted', message: 'Popbox stopped while sending this message, before its end reached the server; it is sent again.' },
    };
  }
  if (e.phase === 'dot') {
    return {
      t: 'maybe-sent',
      id: e.id,
      n: e.attempts,
      at: now,
      error: {
        code: 'interrupted',
        message: 'Popbox stopped just as this message was handed to the server, before the server answered: it may have been sent. Send it again, or mark it as sent.',
      },
    };
  }
  return null;
}

/**
 * How long recipients refused for now are tried again once others have the message: 3 days
 * (Postfix's own bounce_queue_lifetime is 5 days; after 3 days of hourly 4xx the sender should
 * know). Then it is filed in Sent with "Sent, but not to …" naming them.
 */
export const GIVE_UP_AFTER_MS = 3 * 24 * 60 * 60_000;

/** Those still waiting (`e.to`), refused for good from now on: what a give-up record holds. */
export function givenUp(e: OutboxEntry, why: string): Refusal[] {
  return e.to.map((address) => {
    const before = e.refused?.find((r) => r.address.toLowerCase() === address.toLowerCase());
    const said = before?.responseCode !== undefined || before?.serverText ? ` (the server last said ${[before?.responseCode, before?.serverText].filter((x) => x !== undefined && x !== '').join(' ')})` : '';
    return {
      address,
      permanent: true,
      message: `not to ${address}: ${why}${said}`,
      ...(before?.responseCode !== undefined ? { responseCode: before.responseCode } : {}),
      ...(before?.serverText !== undefined ? { serverText: before.serverText } : {}),
    };
  });
}

/** 1 min, 5, 15, then every hour. */
export const DEFAULT_BACKOFF_MS: readonly number[] = [60_000, 5 * 60_000, 15 * 60_000, 60 * 60_000];

/** The wait before the next attempt after `failures` failed ones in a row (1 = the first failure). */
export function backoffDelay(failures: number, schedule: readonly number[] = DEFAULT_BACKOFF_MS): number {
  return schedule[Math.min(Math.max(failures, 1), schedule.length) - 1]!;
}

/** The entry due next among those that wait for an attempt by themselves, or null. */
export function nextDue(entries: Iterable<OutboxEntry>): OutboxEntry | null {
  let best: OutboxEntry | null = null;
  for (const e of entries) {
    if ((e.phase !== 'waiting' && e.phase !== 'retrying') || e.nextAttemptAt === null) continue;
    if (!best || e.nextAttemptAt < best.nextAttemptAt! || (e.nextAttemptAt === best.nextAttemptAt && e.queuedAt < best.queuedAt)) best = e;
  }
  return best;
}

/**
 * One account's state file. Every change is appended and fsynced before the caller goes on;
 * when finished messages make up most of it, it is rewritten (atomically) as the live entries'
 * records only.
 */
export class OutboxStateFile {
  private entries = new Map<string, OutboxEntry>();
  /** Records in the file (to know when a rewrite pays). */
  private lines = 0;

  private constructor(readonly file: string) {}

  static async open(file: string): Promise<OutboxStateFile> {
    const s = new OutboxStateFile(file);
    await s.reload();
    return s;
  }

  /** Read the file again (another process may have sent meanwhile, while it held the account). */
  async reload(): Promise<void> {
    await removeStrayTemps(this.file);
    const records = (await readJsonLines(this.file, 'the outbox state')) as OutboxRecord[];
    this.entries = fold(records);
    this.lines = records.length;
  }

  get(id: string): OutboxEntry | undefined {
    return this.entries.get(id);
  }

  all(): OutboxEntry[] {
    return [...this.entries.values()];
  }

  /** Durably, then in memory. */
  async append(...records: OutboxRecord[]): Promise<void> {
    try {
      await appendDurable(this.file, records.map((r) => `${JSON.stringify(r)}\n`).join(''));
    } catch (e) {
      throw storageError('cannot write the outbox state', e);
    }
    for (const r of records) apply(this.entries, r);
    this.lines += records.length;
    if (this.lines > 200 && this.lines > 8 * (this.entries.size + 1)) await this.compact().catch(() => {});
  }

  /** In memory only: for what the disk refused but must still hold in this process (a 250 already received). */
  applyOnly(record: OutboxRecord): void {
    apply(this.entries, record);
  }

  /** Rewrite the file as the records that rebuild the live entries as they are. */
  async compact(): Promise<void> {
    const out: OutboxRecord[] = [];
    for (const e of this.entries.values()) out.push({ t: 'entry', entry: e });
    await writeFileAtomic(this.file, out.map((r) => `${JSON.stringify(r)}\n`).join(''));
    this.lines = out.length;
  }

  /** For tests and status: whether the file exists at all. */
  async exists(): Promise<boolean> {
    return fs.access(this.file).then(
      () => true,
      () => false,
    );
  }
}
