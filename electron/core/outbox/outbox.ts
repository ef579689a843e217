/**
 * The durable outbox (issue 15 §3, DESIGN §3 invariant 9): Send files the message's exact bytes
 * in the account's Outbox folder and its envelope in the account's outbox state (state.ts), both
 * fsynced before `enqueue` returns; a sender works through each account's Outbox, one message at
 * a time, as a job on the account's session (so the CLI and the app never send from one account
 * at once: the session holds the account's lock). What the server accepted is filed in Sent as
 * the very file that was sent (one rename) and never sent again; what may have reached the
 * server without an answer waits for the user; what failed before the final dot is tried again
 * with backoff; what the server refused waits for the user with the server's words.
 *
 * Independent of MailService: the façade owns one and turns its events into contract events.
 */
import { createReadStream, open as openFd } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { MessageRecord } from '../../../shared/changes.js';
import { roleKey } from '../../../shared/folders.js';
import { AppFailure, isAppFailure } from '../errors.js';
import { summarizeSafely } from '../ingest/summary-queue.js';
import type { SessionManager } from '../session/session-manager.js';
import { sendRaw, SmtpError, type RawMessage, type RecipientRefusal, type SendResult, type SmtpSettings } from '../smtp/index.js';
import { newLocalId } from '../store/ids.js';
import type { Journal } from '../store/journal.js';
import { AccountMailbox } from '../store/mailbox.js';
import { addBccForDrafts } from './bcc.js';
import { refusalOf, refusalsMessage } from './refusals.js';
import { DEFAULT_BACKOFF_MS, DESTINATION, GIVE_UP_AFTER_MS, OutboxStateFile, backoffDelay, givenUp, nextDue, recoveryRecord, type OutboxEntry, type OutboxError, type OutboxRecord, type Refusal } from './state.js';

const OUTBOX = roleKey('outbox');
const SENT = roleKey('sent');
const DRAFTS = roleKey('drafts');
const TRASH = roleKey('trash');
const FOLDER_OF = { sent: SENT, drafts: DRAFTS, trash: TRASH } as const;

/**
 * What the UI shows for a message in the Outbox. `sent`: already in Sent, but some recipients
 * refused it for good (`refused`, `lastError` says "Sent, but not to …"); shown until dismissed.
 */
export type OutboxState = 'waiting' | 'sending' | 'retrying' | 'maybe-sent' | 'failed' | 'sent';

export interface OutboxItem {
  id: string;
  accountId: string;
  state: OutboxState;
  /** Attempts started so far. */
  attempts: number;
  /** When it goes out by itself (waiting: after the undo window or at Send later's time; retrying: the backoff). */
  nextAttemptAt: number | null;
  lastError: OutboxError | null;
  from: string;
  /** The recipients the next attempt goes to (after a partial refusal: only those still waiting). */
  to: string[];
  queuedAt: number;
  /** Recipients the server already took it for: never sent to again. */
  sentTo: string[];
  /** Recipients refused, with the server's words: for good (`permanent`), or for now (in `to`, tried again). */
  refused: Refusal[];
}

export type OutboxEvent =
  /** A message's state changed (queued, sending, retrying, failed, may have been sent). */
  | { kind: 'changed'; item: OutboxItem }
  /** The server accepted it (250 after the final dot); it is filed in Sent. `rejected`: recipients refused while the rest took it. */
  | { kind: 'sent'; accountId: string; id: string; response: string; rejected: RecipientRefusal[]; sizeLimit?: number | null | undefined }
  /** It left the Outbox otherwise: back to Drafts (cancel), to Trash (discard), to Sent (marked sent), or its file was gone. */
  | { kind: 'left'; accountId: string; id: string; folder: string | null };

export interface OutboxDeps {
  dataDir: string;
  sessions: SessionManager;
  journal: Journal;
  /** The account's outgoing server, password included (the outbox does not read account settings). */
  resolveTransport(accountId: string): Promise<SmtpSettings>;
  now?: () => number;
  onEvent?: (e: OutboxEvent) => void;
  /** Undo send: how long a message waits after Send (default 5 s). */
  undoSeconds?: number;
  /** Waits after 1, 2, 3… failed attempts in a row; the last repeats (default 1, 5, 15, 60 min). */
  backoffMs?: readonly number[];
  /** How long recipients refused for now are tried again once others have the message (default GIVE_UP_AFTER_MS, 3 days). */
  giveUpAfterMs?: number;
  /** For tests that count attempts; default smtp/client's sendRaw. */
  send?: (settings: SmtpSettings, message: RawMessage) => Promise<SendResult>;
}

export type EnqueueInput = {
  envelope: { from: string; to: string[] };
  /** Send later: not before this time (ms since epoch). Default: now + the undo window. */
  sendAt?: number;
  /** The id to queue it under (a filter's forward records it first); default a new one. */
  id?: string;
} & (
  | {
      /** The whole message, CRLF line ends (what nodemailer's MailComposer builds). */
      raw: Buffer;
      file?: undefined;
    }
  | {
      /**
       * The message already written and fsynced in a file of its own on the data directory's
       * filesystem (build-message's buildMessageToFile): renamed into the Outbox, never read
       * whole (a 25 MB attachment). Checked as `raw` is; gone from here once this resolves.
       */
      file: string;
      raw?: undefined;
    }
);

interface AccountRuntime {
  state: OutboxStateFile | null;
  /** The mailbox the state was last checked against: a new one means the account's lock was taken again. */
  box: AccountMailbox | null;
  /** State decisions and their records, one at a time. */
  turn: Promise<unknown>;
  /** The message whose attempt is under way in this process. */
  sending: string | null;
  pump: Promise<void> | null;
  again: boolean;
  timer: NodeJS.Timeout | null;
}

/** A retry of the whole pump (the account's mailbox in use by the CLI, a disk error) after this long. */
const PUMP_RETRY_MS = 30_000;
/** setTimeout's limit is 24.8 days; a timer further out is re-armed when it fires. */
const MAX_TIMER_MS = 60 * 60_000;

export class Outbox {
  private readonly accounts = new Map<string, AccountRuntime>();
  private stopped = false;

  constructor(private readonly deps: OutboxDeps) {}

  private now(): number {
    return this.deps.now?.() ?? Date.now();
  }

  private rt(accountId: string): AccountRuntime {
    let rt = this.accounts.get(accountId);
    if (!rt) {
      rt = { state: null, box: null, turn: Promise.resolve(), sending: null, pump: null, again: false, timer: null };
      this.accounts.set(accountId, rt);
    }
    return rt;
  }

  private serial<T>(accountId: string, work: () => Promise<T>): Promise<T> {
    const rt = this.rt(accountId);
    const run = rt.turn.then(work, work);
    rt.turn = run.catch(() => {});
    return run;
  }

  private stateFile(accountId: string): string {
    return path.join(AccountMailbox.dirFor(this.deps.dataDir, accountId), 'outbox.jsonl');
  }

  /**
   * Runs `fn` on the account's open mailbox (quick work beside a sync or a send, or a turn of its
   * own), inside the account's state turn, with the state read and recovered for this mailbox.
   */
  private withState<T>(accountId: string, fn: (box: AccountMailbox, st: OutboxStateFile) => Promise<T>): Promise<T> {
    return this.deps.sessions.for(accountId).share((box) => this.serial(accountId, async () => fn(box, await this.stateFor(accountId, box))));
  }

  /**
   * The state as it is for this mailbox. Each time the account's lock is taken afresh another
   * process may have sent meanwhile, or this one may have died mid-send: read the file again and
   * settle what an interrupted run left (see recover()).
   */
  private async stateFor(accountId: string, box: AccountMailbox): Promise<OutboxStateFile> {
    const rt = this.rt(accountId);
    if (rt.state && rt.box === box) return rt.state;
    if (rt.state) await rt.state.reload();
    else rt.state = await OutboxStateFile.open(this.stateFile(accountId));
    rt.box = box;
    await this.recover(accountId, box, rt.state);
    return rt.state;
  }

  /**
   * After a crash (or on first use in this process): an attempt under way is settled as
   * state.ts's recoveryRecord says; a message decided (accepted, cancelled…) whose file is still
   * in the Outbox is filed where it belongs; an entry without its file is forgotten (an enqueue
   * cut short before it returned, or a file removed by another program); a file in the Outbox
   * the state does not know has no envelope and is never sent: it goes to Drafts.
   */
  private async recover(accountId: string, box: AccountMailbox, st: OutboxStateFile): Promise<void> {
    const rt = this.rt(accountId);
    for (const e of st.all()) {
      if (e.id === rt.sending) continue;
      const rec = recoveryRecord(e, this.now());
      if (rec) {
        await st.append(rec);
        this.changed(accountId, st.get(e.id));
      }
    }
    for (const e of st.all()) {
      if (e.id === rt.sending || e.phase === 'sent-notice') continue;
      const file = box.maildir.get(e.id);
      if (DESTINATION[e.phase]) await this.fileAway(accountId, box, st, e.id);
      else if (!file || file.folder !== OUTBOX) await this.forget(accountId, st, e.id, file?.folder ?? null);
      else await this.ensureJournaled(accountId, box, e.id, e.queuedAt);
    }
    const strays = box.maildir.inFolder(OUTBOX).filter((f) => !st.get(f.id));
    for (const f of strays) {
      await this.ensureJournaled(accountId, box, f.id, this.now());
      await this.move(box, f.id, DRAFTS);
    }
  }

  private async forget(accountId: string, st: OutboxStateFile, id: string, folder: string | null): Promise<void> {
    await st.append({ t: 'done', id, at: this.now(), folder });
    this.emit({ kind: 'left', accountId, id, folder });
  }

  /** A message's journal record (the read model shows the Outbox), added if a crash kept it out. */
  private async ensureJournaled(accountId: string, box: AccountMailbox, id: string, at: number): Promise<void> {
    if (this.deps.journal.get(id)) return;
    const file = box.maildir.get(id);
    const p = box.maildir.pathOf(id);
    if (!file || !p) return;
    const m: MessageRecord = {
      id,
      accountId,
      uidl: '',
      receivedAt: at,
      partial: false,
      flags: { seen: file.flags.seen, flagged: file.flags.flagged },
      folder: file.folder,
      summary: await summarizeSafely(p),
    };
    await this.deps.journal.append([{ t: 'add', m }]);
  }

  /** One rename into `folder` (made if missing), journaled. */
  private async move(box: AccountMailbox, id: string, folder: string): Promise<void> {
    if (!box.maildir.hasFolder(folder)) await box.maildir.createFolder(folder);
    const changes: { t: 'move'; id: string; folder: string; trashedFrom?: string; trashedAt?: number }[] = [];
    try {
      await box.maildir.moveMany([id], folder, (f, from) => {
        changes.push({ t: 'move', id: f.id, folder, ...(folder === TRASH ? { trashedFrom: from, trashedAt: this.now() } : {}) });
      });
    } finally {
      await this.deps.journal.append(changes);
    }
  }

  /** A decided message to where its decision says (Sent, Drafts, Trash), then forgotten. */
  private async fileAway(accountId: string, box: AccountMailbox, st: OutboxStateFile, id: string): Promise<void> {
    const e = st.get(id);
    const dest = e ? DESTINATION[e.phase] : undefined;
    if (!e || !dest) return;
    const folder = FOLDER_OF[dest];
    const file = box.maildir.get(id);
    if (file) {
      await this.ensureJournaled(accountId, box, id, e.queuedAt);
      // Back to Drafts: the Bcc recipients (only in the envelope until now) go back on the message.
      if (dest === 'drafts' && file.folder === OUTBOX) await addBccForDrafts(box.maildir.pathOf(id)!, e.to);
      if (file.folder !== folder) await this.move(box, id, folder);
      // Your own sent mail is read (it was filed seen; the user may have marked it otherwise meanwhile).
      if (dest === 'sent' && !file.flags.seen) {
        await box.maildir.setFlagsMany([id], { seen: true });
        await this.deps.journal.append([{ t: 'flags', id, flags: { seen: true, flagged: file.flags.flagged } }]);
      }
    }
    if (e.phase === 'accepted' && file && e.refused?.some((r) => r.permanent)) {
      // In Sent, but not to everyone: the Outbox keeps showing that until the user dismisses it.
      await st.append({ t: 'notice', id, at: this.now(), folder });
      this.changed(accountId, st.get(id));
      return;
    }
    await st.append({ t: 'done', id, at: this.now(), folder: file ? folder : null });
    if (e.phase !== 'accepted') this.emit({ kind: 'left', accountId, id, folder: file ? folder : null });
  }

  private emit(e: OutboxEvent): void {
    try {
      this.deps.onEvent?.(e);
    } catch {
      // A listener's failure is not the outbox's.
    }
  }

  private changed(accountId: string, e: OutboxEntry | undefined): void {
    const item = e ? this.itemOf(accountId, e) : null;
    if (item) this.emit({ kind: 'changed', item });
  }

  private itemOf(accountId: string, e: OutboxEntry): OutboxItem | null {
    const state: OutboxState | null =
      e.phase === 'waiting' || e.phase === 'retrying' || e.phase === 'maybe-sent' || e.phase === 'failed'
        ? e.phase
        : e.phase === 'sending' || e.phase === 'dot'
          ? 'sending'
          : e.phase === 'sent-notice'
            ? 'sent'
            : null;
    if (!state) return null;
    return {
      id: e.id,
      accountId,
      state,
      attempts: e.attempts,
      nextAttemptAt: e.nextAttemptAt,
      lastError: e.lastError ?? null,
      from: e.from,
      to: [...e.to],
      queuedAt: e.queuedAt,
      sentTo: [...(e.sentTo ?? [])],
      refused: (e.refused ?? []).map((r) => ({ ...r })),
    };
  }

  // -------------------------------------------------------------------------------------------
  // Send

  /**
   * Files the message in the account's Outbox and returns its id once both the file and its
   * envelope are on disk. It goes out after the undo window (or at `sendAt`).
   */
  async enqueue(accountId: string, input: EnqueueInput): Promise<string> {
    const raw = input.raw !== undefined ? checkedMessage(input.raw) : null;
    const size = raw ? raw.length : await checkedMessageFile(input.file!);
    const to = input.envelope.to.map((a) => a.trim()).filter((a) => a.length > 0);
    if (to.length === 0) throw new AppFailure('invalid', 'The message has no recipients.');
    const from = input.envelope.from.trim();
    const at = this.now();
    const sendAt = input.sendAt ?? at + (this.deps.undoSeconds ?? 5) * 1000;
    const id = await this.withState(accountId, async (box, st) => {
      const id = input.id ?? newLocalId();
      // The envelope first: a crash before the file is renamed in leaves an entry without a
      // file (forgotten on recovery); a file without its envelope could never be sent.
      await st.append({ t: 'queued', id, at, from, to, sendAt, size });
      try {
        if (raw) await box.maildir.addMessage(raw, OUTBOX, { seen: true, flagged: false }, id);
        else {
          // As addMessage does, from a file already written: fsync, rename into cur/, fsync the folder.
          // A plain descriptor (Maildir.finish closes it), never a FileHandle's: one left to the
          // garbage collector would close its number again, by then perhaps another file's.
          const fd = await new Promise<number>((resolve, reject) => openFd(input.file!, 'r+', (e, n) => (e ? reject(e) : resolve(n))));
          await box.maildir.finish({ id, size, tmpPath: input.file!, fd }, { seen: true, flagged: false }, OUTBOX);
          await box.maildir.syncDirs();
        }
      } catch (e) {
        await st.append({ t: 'done', id, at: this.now(), folder: null }).catch(() => {});
        throw e;
      }
      // The point of no return: file and envelope are on disk, so the message goes. Throwing now
      // would tell the caller it was not queued (a filter's forward would be queued again).
      // The journal record (what shows it in the Outbox folder) is retried in a turn of its own
      // right after this one, whose recovery journals any queued file without one.
      try {
        await this.ensureJournaled(accountId, box, id, at);
        this.changed(accountId, st.get(id));
      } catch {
        this.rt(accountId).box = null;
        void this.withState(accountId, async () => {}).catch(() => {});
      }
      return id;
    });
    this.kick(accountId);
    return id;
  }

  /** Starts (or wakes) the sender of every account with something in its outbox state. */
  async start(): Promise<void> {
    const root = path.join(this.deps.dataDir, 'accounts');
    const ids = await fs.readdir(root).catch(() => [] as string[]);
    for (const accountId of ids) {
      if (await fs.access(this.stateFile(accountId)).then(() => true, () => false)) this.kick(accountId);
    }
  }

  /** Look at the account's Outbox now (e.g. when the network came back). */
  kick(accountId: string): void {
    if (this.stopped) return;
    const rt = this.rt(accountId);
    if (rt.pump) {
      rt.again = true;
      return;
    }
    if (rt.timer) clearTimeout(rt.timer);
    rt.timer = null;
    rt.pump = this.pumpLoop(accountId).finally(() => {
      rt.pump = null;
    });
  }

  private async pumpLoop(accountId: string): Promise<void> {
    const rt = this.rt(accountId);
    try {
      for (;;) {
        rt.again = false;
        if (this.stopped) return;
        const r = await this.sendNext(accountId);
        if (r.again || rt.again) continue;
        if (r.next !== null) this.arm(accountId, r.next);
        return;
      }
    } catch {
      // The account is in use by another Popbox process, or the disk failed: look again later.
      this.arm(accountId, this.now() + PUMP_RETRY_MS);
    }
  }

  private arm(accountId: string, at: number): void {
    if (this.stopped) return;
    const rt = this.rt(accountId);
    if (rt.timer) clearTimeout(rt.timer);
    const wait = Math.min(Math.max(0, at - this.now()), MAX_TIMER_MS);
    rt.timer = setTimeout(() => {
      rt.timer = null;
      this.kick(accountId);
    }, wait);
  }

  /**
   * One step of the sender: the message due first is sent, or nothing is due yet. The whole
   * attempt is one turn on the account's session (quick work such as marking read runs beside it).
   */
  private sendNext(accountId: string): Promise<{ again: boolean; next: number | null }> {
    return this.deps.sessions.for(accountId).run(
      async (box) => {
        const pick = await this.serial(accountId, async () => {
          const st = await this.stateFor(accountId, box);
          const due = nextDue(st.all());
          if (!due || due.nextAttemptAt! > this.now()) return { next: due?.nextAttemptAt ?? null };
          const file = box.maildir.get(due.id);
          if (!file || file.folder !== OUTBOX) {
            await this.forget(accountId, st, due.id, file?.folder ?? null);
            return { again: true };
          }
          let settings: SmtpSettings;
          try {
            settings = await this.deps.resolveTransport(accountId);
          } catch (e) {
            await st.append({ t: 'failed', id: due.id, n: due.attempts, at: this.now(), error: errorOf(e) });
            this.changed(accountId, st.get(due.id));
            return { again: true };
          }
          const n = due.attempts + 1;
          await st.append({ t: 'attempt', id: due.id, n, at: this.now() });
          this.rt(accountId).sending = due.id;
          this.changed(accountId, st.get(due.id));
          return { send: { entry: due, n, settings, file: box.maildir.pathOf(due.id)!, st } };
        });
        if ('send' in pick && pick.send) await this.attempt(accountId, box, pick.send);
        return { again: 'again' in pick || 'send' in pick, next: 'next' in pick ? (pick.next ?? null) : null };
      },
      { letQuickWorkIn: true },
    );
  }

  private async attempt(
    accountId: string,
    box: AccountMailbox,
    a: { entry: OutboxEntry; n: number; settings: SmtpSettings; file: string; st: OutboxStateFile },
  ): Promise<void> {
    const { entry, n, st } = a;
    const id = entry.id;
    const rt = this.rt(accountId);
    let result: SendResult;
    let recorded: OutboxRecord | null = null;
    /** The server's 250, on disk: never sent again to those who have it (the partly refused are tried again alone). */
    const record = (r: SendResult): Promise<OutboxRecord> =>
      this.serial(accountId, async () => {
        const rec = this.acceptedRecord(st.get(id) ?? entry, n, r);
        try {
          await st.append(rec);
        } catch {
          // The server has it: never again in this process. On disk the dot record stands, so a
          // restart says "may have been sent" rather than sending it again.
          st.applyOnly(rec);
        }
        recorded = rec;
        return rec;
      });
    try {
      const size = (await fs.stat(a.file)).size;
      const send = this.deps.send ?? sendRaw;
      result = await send(a.settings, {
        from: entry.from,
        to: entry.to,
        raw: createReadStream(a.file),
        size,
        // On disk before the final dot goes out: after a crash, "before the dot" is certain.
        beforeFinalDot: () => this.serial(accountId, () => st.append({ t: 'dot', id, n, at: this.now() })),
        // Before QUIT: a crash after the 250 but before the QUIT finds it recorded as sent.
        onAccepted: async (r) => {
          await record(r);
        },
      });
    } catch (e) {
      await this.serial(accountId, async () => {
        rt.sending = null;
        const rec = this.outcomeOf(st.get(id) ?? entry, n, e);
        await st.append(rec);
        if (rec.t === 'give-up') await this.fileAway(accountId, box, st, id);
        else this.changed(accountId, st.get(id));
      });
      return;
    }
    // The 250 is on disk already when the client's hook ran (before its QUIT); a send function without it, now.
    const rec = recorded ?? (await record(result));
    const partly = await this.serial(accountId, async () => {
      rt.sending = null;
      if (rec.t === 'partly') {
        this.changed(accountId, st.get(id));
        return true;
      }
      await this.fileAway(accountId, box, st, id);
      return false;
    });
    if (!partly) this.emit({ kind: 'sent', accountId, id, response: result.response, rejected: result.rejected, sizeLimit: result.sizeLimit });
  }

  /** The record for a 250: accepted, or partly (some recipients refused for now, tried again alone). */
  private acceptedRecord(current: OutboxEntry, n: number, result: SendResult): OutboxRecord {
    const id = current.id;
    const at = this.now();
    const refused = result.rejected.map(refusalOf);
    const sentTo = result.accepted.map(String);
    const later = refused.filter((r) => !r.permanent);
    if (later.length && this.expired(current, at)) {
      // Still refused long after the others got it: no more attempts, "Sent, but not to …".
      const why = `still refused after ${spell(this.giveUpAfterMs())}, no more attempts`;
      for (const r of later) Object.assign(r, { permanent: true, message: r.message.replace(/^(not to [^:]*): [^(]*/, `$1: ${why} `).trimEnd() });
    } else if (later.length) {
      return {
        t: 'partly',
        id,
        n,
        at,
        response: result.response,
        sentTo,
        refused,
        nextAt: at + backoffDelay(current.failures + 1, this.deps.backoffMs ?? DEFAULT_BACKOFF_MS),
        error: { code: 'sys-temp', message: refusalsMessage(union(current.sentTo, sentTo), refused) },
      };
    }
    const forGood = mergeForMessage(current, refused).filter((r) => r.permanent);
    return {
      t: 'accepted',
      id,
      n,
      at,
      response: result.response,
      sentTo,
      ...(refused.length ? { rejected: refused.map((r) => r.address), refused } : {}),
      // Refused for good by anyone, in this attempt or an earlier one: "Sent, but not to …".
      ...(forGood.length ? { error: { code: 'rejected', message: refusalsMessage(union(current.sentTo, sentTo), forGood) } } : {}),
    };
  }

  private giveUpAfterMs(): number {
    return this.deps.giveUpAfterMs ?? GIVE_UP_AFTER_MS;
  }

  /** Others have had it for longer than the waiting recipients are tried. */
  private expired(e: OutboxEntry, at: number): boolean {
    return e.partlyAt !== undefined && at - e.partlyAt >= this.giveUpAfterMs();
  }

  /** No more attempts for those still waiting: filed in Sent with "Sent, but not to …" naming them. */
  private giveUpRecord(e: OutboxEntry, why: string): OutboxRecord {
    const refused = givenUp(e, why);
    const waiting = new Set(e.to.map((a) => a.toLowerCase()));
    const forGood = [...(e.refused ?? []).filter((r) => r.permanent && !waiting.has(r.address.toLowerCase())), ...refused];
    return { t: 'give-up', id: e.id, at: this.now(), refused, error: { code: 'rejected', message: refusalsMessage(e.sentTo ?? [], forGood) } };
  }

  /** What a failed attempt means for the message (DESIGN §3 invariant 9). */
  private outcomeOf(e: OutboxEntry, n: number, err: unknown): OutboxRecord {
    const at = this.now();
    const error = errorOf(err);
    if (err instanceof SmtpError) {
      if (err.maybeSent) return { t: 'maybe-sent', id: e.id, n, at, error };
      if ((err.retryable || err.code === 'cancelled') && e.sentTo?.length && this.expired(e, at)) {
        return this.giveUpRecord(e, `not reached within ${spell(this.giveUpAfterMs())} (last: ${error.message}), no more attempts`);
      }
      if (err.retryable || err.code === 'cancelled') {
        return { t: 'retry', id: e.id, n, at, error, nextAt: at + backoffDelay(e.failures + 1, this.deps.backoffMs ?? DEFAULT_BACKOFF_MS) };
      }
    }
    return { t: 'failed', id: e.id, n, at, error };
  }

  // -------------------------------------------------------------------------------------------
  // The user's say

  private accountOf(id: string): string {
    for (const [accountId, rt] of this.accounts) if (rt.state?.get(id)) return accountId;
    const m = this.deps.journal.get(id);
    if (m) return m.accountId;
    throw new AppFailure('not-found', 'This message is not in the Outbox.');
  }

  private async decide(id: string, decide: (e: OutboxEntry, box: AccountMailbox, st: OutboxStateFile, accountId: string) => Promise<void>): Promise<void> {
    const accountId = this.accountOf(id);
    await this.withState(accountId, async (box, st) => {
      const e = st.get(id);
      if (!e) throw new AppFailure('not-found', 'This message is not in the Outbox.');
      await decide(e, box, st, accountId);
    });
  }

  private refuseWhileSending(accountId: string, e: OutboxEntry): void {
    if (this.rt(accountId).sending === e.id || e.phase === 'sending' || e.phase === 'dot') {
      throw new AppFailure('invalid', 'This message is being sent right now.');
    }
    if (e.phase === 'accepted' || e.phase === 'mark-sent' || e.phase === 'sent-notice') throw new AppFailure('invalid', 'This message has been sent.');
  }

  /** "Sent, but not to …" seen: the notice goes, the message stays in Sent. */
  private async dismiss(accountId: string, st: OutboxStateFile, e: OutboxEntry): Promise<void> {
    await st.append({ t: 'done', id: e.id, at: this.now(), folder: SENT });
    this.emit({ kind: 'left', accountId, id: e.id, folder: SENT });
  }

  /**
   * Undo send, or back to Drafts to fix it: never sent. Refused once sending has begun and
   * while the message may already be with the server (then: send again, mark as sent, discard).
   */
  cancel(id: string): Promise<void> {
    return this.decide(id, async (e, box, st, accountId) => {
      if (this.rt(accountId).sending === e.id || e.phase === 'sending' || e.phase === 'dot') {
        throw new AppFailure('invalid', 'Too late to undo: this message is being sent right now.');
      }
      // Some have it already: sending that draft again would reach them twice.
      if (e.sentTo?.length) throw new AppFailure('invalid', `Already sent to ${e.sentTo.join(', ')}: it cannot go back to Drafts.`);
      if (e.phase === 'accepted' || e.phase === 'mark-sent' || e.phase === 'sent-notice') throw new AppFailure('invalid', 'Too late to undo: this message has been sent.');
      if (e.phase === 'maybe-sent') throw new AppFailure('invalid', 'This message may already have been sent: send it again, mark it as sent, or discard it.');
      await st.append({ t: 'cancel', id, at: this.now() });
      await this.fileAway(accountId, box, st, id);
    });
  }

  /**
   * Send now: a failed message after the user fixed what was wrong, or one waiting. One that may
   * have been sent goes again only with `confirmed` (the person said so: a native dialog, or the
   * CLI). Checked here, in the account's turn, where no attempt can change the phase meanwhile:
   * a check made before this turn could see "waiting" while an attempt ended in "may have been
   * sent" (review: a maybe-sent message re-sent without the question).
   */
  async resend(id: string, opts: { confirmed?: boolean } = {}): Promise<void> {
    let accountId = '';
    await this.decide(id, async (e, _box, st, acc) => {
      accountId = acc;
      this.refuseWhileSending(acc, e);
      if (e.phase === 'maybe-sent' && opts.confirmed !== true) throw new MaybeSentRefusal(e.to);
      await st.append({ t: 'resend', id, at: this.now() });
      this.changed(acc, st.get(id));
    });
    this.kick(accountId);
  }

  /** The user says a message that may have been sent did go: it is filed in Sent. */
  markSent(id: string): Promise<void> {
    return this.decide(id, async (e, box, st, accountId) => {
      if (e.phase === 'sent-notice') return this.dismiss(accountId, st, e);
      this.refuseWhileSending(accountId, e);
      if (e.sentTo?.length && e.phase !== 'maybe-sent') return this.stopTrying(accountId, box, st, e, 'marked as sent before it reached them');
      if (e.phase !== 'maybe-sent' && e.phase !== 'failed') throw new AppFailure('invalid', 'Only a message that may have been sent can be marked as sent.');
      await st.append({ t: 'mark-sent', id, at: this.now() });
      await this.fileAway(accountId, box, st, id);
    });
  }

  /** A message some recipients have, the rest given up by the user: filed in Sent, "Sent, but not to …" shown. */
  private async stopTrying(accountId: string, box: AccountMailbox, st: OutboxStateFile, e: OutboxEntry, why: string): Promise<void> {
    await st.append(this.giveUpRecord(e, why));
    await this.fileAway(accountId, box, st, e.id);
  }

  /** Thrown away (to Trash, or to Sent when some recipients have it already; restoring it puts it in Drafts, never back to sending). */
  discard(id: string): Promise<void> {
    return this.decide(id, async (e, box, st, accountId) => {
      if (e.phase === 'sent-notice') return this.dismiss(accountId, st, e);
      this.refuseWhileSending(accountId, e);
      // Delivered to some: it belongs in Sent, not Trash.
      if (e.sentTo?.length) return this.stopTrying(accountId, box, st, e, 'discarded before it reached them');
      await st.append({ t: 'discard', id, at: this.now() });
      await this.fileAway(accountId, box, st, id);
    });
  }

  /** Every message in the Outbox of one account (or of every account this outbox has seen), oldest first. */
  async status(accountId?: string): Promise<OutboxItem[]> {
    const ids = accountId !== undefined ? [accountId] : [...this.accounts.keys()];
    const out: OutboxItem[] = [];
    for (const acc of ids) {
      let st = this.rt(acc).state;
      if (!st) {
        if (!(await fs.access(this.stateFile(acc)).then(() => true, () => false))) continue;
        st = await this.withState(acc, async (_box, s) => s);
      }
      for (const e of st.all()) {
        const item = this.itemOf(acc, e);
        if (item) out.push(item);
      }
    }
    return out.sort((a, b) => a.queuedAt - b.queuedAt);
  }

  /** Resolves once no account's sender is working (timers for later attempts may stay armed). */
  async idle(): Promise<void> {
    for (;;) {
      const pumps = [...this.accounts.values()].map((rt) => rt.pump).filter((p): p is Promise<void> => p !== null);
      if (pumps.length === 0) return;
      await Promise.allSettled(pumps);
    }
  }

  /** No new attempts; waits for the ones under way. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const rt of this.accounts.values()) {
      if (rt.timer) clearTimeout(rt.timer);
      rt.timer = null;
    }
    await this.idle();
  }
}

/** resend of a message that may already be with its recipients, without the person's yes: `to` is who might get it twice. */
export class MaybeSentRefusal extends AppFailure {
  constructor(readonly to: readonly string[]) {
    super('invalid', 'This message may already have been sent: sending it again needs your confirmation.');
  }
}

const union = (a: readonly string[] | undefined, b: readonly string[]): string[] => [...new Set([...(a ?? []), ...b])];

/** "3 days", "2 hours", "500 ms": a give-up delay in words. */
function spell(ms: number): string {
  for (const [unit, size] of [['day', 86_400_000], ['hour', 3_600_000], ['minute', 60_000], ['second', 1000]] as const) {
    if (ms >= size) {
      const n = Math.round(ms / size);
      return `${n} ${unit}${n === 1 ? '' : 's'}`;
    }
  }
  return `${ms} ms`;
}

/** Every recipient refused for good so far, after this attempt's refusals (for the message the user reads). */
function mergeForMessage(e: OutboxEntry, now: readonly Refusal[]): Refusal[] {
  const asked = new Set(e.to.map((a) => a.toLowerCase()));
  return [...(e.refused ?? []).filter((r) => !asked.has(r.address.toLowerCase())), ...now];
}

/** A failure in the outbox's words: code, plain message, the server's text where there was one. */
function errorOf(e: unknown): OutboxError {
  if (e instanceof SmtpError) {
    return {
      code: e.code,
      message: e.message,
      ...(e.serverText !== undefined ? { serverText: e.serverText } : {}),
      ...(e.responseCode !== undefined ? { responseCode: e.responseCode } : {}),
    };
  }
  if (isAppFailure(e)) return { code: e.code, message: e.message };
  return { code: 'internal', message: e instanceof Error ? e.message : String(e) };
}

/**
 * The message as it will be sent and filed: SMTP needs CRLF line ends, and the bytes in Sent
 * must be the bytes the server got, so a bare LF (or CR) is refused rather than silently
 * changed. A message not ending in a line end gains CRLF (SMTP would add it before the dot).
 */
export function checkedMessage(raw: Buffer): Buffer {
  if (raw.length === 0) throw new AppFailure('invalid', 'The message is empty.');
  for (let i = raw.indexOf(0x0a); i !== -1; i = raw.indexOf(0x0a, i + 1)) {
    if (i === 0 || raw[i - 1] !== 0x0d) throw new AppFailure('invalid', `The message has a bare line feed at byte ${i}: messages are sent with CRLF line ends.`);
  }
  for (let i = raw.indexOf(0x0d); i !== -1; i = raw.indexOf(0x0d, i + 1)) {
    if (raw[i + 1] !== 0x0a && i !== raw.length - 1) throw new AppFailure('invalid', `The message has a bare carriage return at byte ${i}: messages are sent with CRLF line ends.`);
  }
  if (raw[raw.length - 1] === 0x0a) return raw;
  if (raw[raw.length - 1] === 0x0d) return Buffer.concat([raw, Buffer.from('\n')]);
  return Buffer.concat([raw, Buffer.from('\r\n')]);
}

/**
 * checkedMessage for a message in a file, read 256 KB at a time into one buffer (fresh buffers
 * per read piled up some 35 MB of garbage for a 25 MB attachment before the GC ran); a CR ending
 * one piece is judged by the next piece's first byte. The same refusals, and the same CRLF
 * appended (to the file). Returns the file's size.
 */
export async function checkedMessageFile(file: string): Promise<number> {
  let size = 0;
  let prev = -1;
  const buf = Buffer.allocUnsafe(256 * 1024);
  const handle = await fs.open(file, 'r');
  try {
    for (;;) {
      const { bytesRead } = await handle.read(buf, 0, buf.length, size);
      if (bytesRead === 0) break;
      const chunk = buf.subarray(0, bytesRead);
      if (prev === 0x0d && chunk[0] !== 0x0a) throw new AppFailure('invalid', `The message has a bare carriage return at byte ${size - 1}: messages are sent with CRLF line ends.`);
      for (let i = chunk.indexOf(0x0a); i !== -1; i = chunk.indexOf(0x0a, i + 1)) {
        if ((i === 0 ? prev : chunk[i - 1]) !== 0x0d) throw new AppFailure('invalid', `The message has a bare line feed at byte ${size + i}: messages are sent with CRLF line ends.`);
      }
      for (let i = chunk.indexOf(0x0d); i !== -1; i = chunk.indexOf(0x0d, i + 1)) {
        if (i + 1 < chunk.length && chunk[i + 1] !== 0x0a) throw new AppFailure('invalid', `The message has a bare carriage return at byte ${size + i}: messages are sent with CRLF line ends.`);
      }
      size += bytesRead;
      prev = chunk[bytesRead - 1]!;
    }
  } finally {
    await handle.close();
  }
  if (size === 0) throw new AppFailure('invalid', 'The message is empty.');
  if (prev === 0x0a) return size;
  const end = Buffer.from(prev === 0x0d ? '\n' : '\r\n');
  await fs.appendFile(file, end);
  return size + end.length;
}
