/**
 * The junk filter inside the app: classifying new mail after the rules, the user's Junk / Not
 * junk actions (which teach the word list), and training from the mail already stored.
 *
 * Every move goes through the ordinary folder operations (journaled, one rename per message), so
 * a kill -9 leaves each message in exactly one folder. The word list and what each stored message
 * was learned as live in one file (<dataDir>/junk/wordlist.json) replaced atomically: a lesson
 * and the record that lets it be taken back are saved together or not at all.
 */
import fs from 'node:fs/promises';
import type { JunkCause, JunkedBy, MessageRecord } from '../../../shared/changes.js';
import { INBOX, roleKey } from '../../../shared/folders.js';
import { classify, learn, type Outcome } from './classify.js';
import { MAX_MESSAGE_BYTES } from './tokenize.js';
import { loadWordList, saveWordList, withWordListLock, wordListPath } from './store.js';
import type { Verdict, WordList } from './wordlist.js';

export const JUNK = roleKey('junk');
const TRASH = roleKey('trash');
const DRAFTS = roleKey('drafts');
const OUTBOX = roleKey('outbox');

/** Messages classified before the event loop gets a turn (a sync's arrivals never block the UI). */
const BATCH = 200;

export interface JunkDeps {
  dataDir: string;
  get(id: string): MessageRecord | undefined;
  locate(id: string): Promise<string>;
  /** The journaled folder move (FolderService.move); `junkedBy`: into Junk, who put each there. */
  move(ids: readonly string[], folder: string, junkedBy?: JunkCause): Promise<void>;
  /** Folder keys the account has now. */
  folderKeys(accountId: string): ReadonlySet<string>;
  /** Whether the user has written to this (lowercased) address: such mail is never junk. */
  hasWrittenTo(address: string): boolean;
  /** The account's "trust the server's spam verdict" switch. */
  trustServerVerdict(accountId: string): boolean;
}

export interface ArrivalVerdicts {
  junk: string[];
  unsure: string[];
  ham: string[];
  /** Not looked at: already filed by a rule, gone, or the filter has not learned both kinds. */
  skipped: string[];
  /** The score of each message classified here (0 good … 1 junk). */
  scores: Map<string, number>;
}

export class JunkService {
  private list: WordList | null = null;
  /** One change to the word list at a time (arrivals read it; actions and training write it). */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly deps: JunkDeps) {}

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.then(work, work);
    this.queue = next.catch(() => {});
    return next;
  }

  /** The file's change time as last read or written here: `popbox junk learn|reset` beside the app changes it. */
  private seen: number | null = null;

  private async changedAt(): Promise<number | null> {
    return fs.stat(wordListPath(this.deps.dataDir)).then((s) => s.mtimeMs, () => null);
  }

  /** The cached list, read again when another process (the CLI) changed the file meanwhile. */
  private async words(): Promise<WordList> {
    const at = await this.changedAt();
    if (!this.list || at !== this.seen) {
      this.list = await loadWordList(this.deps.dataDir);
      this.seen = at;
    }
    return this.list;
  }

  private async save(list: WordList): Promise<void> {
    await saveWordList(this.deps.dataDir, list);
    this.seen = await this.changedAt();
  }

  private async raw(id: string): Promise<Buffer> {
    const file = await fs.open(await this.deps.locate(id), 'r');
    try {
      const buf = Buffer.alloc(MAX_MESSAGE_BYTES);
      const { bytesRead } = await file.read(buf, 0, buf.length, 0);
      return buf.subarray(0, bytesRead);
    } finally {
      await file.close();
    }
  }

  /** Whether the filter has learned both kinds (before that it decides nothing). */
  async trained(): Promise<boolean> {
    const list = await this.words();
    return list.junkMessages > 0 && list.hamMessages > 0;
  }

  /**
   * The verdict on raw bytes not stored here (the On the server view judges TOP's headers before
   * download), with the same overrides as arrivals; null until the filter has learned both kinds.
   */
  async classifyRaw(raw: Buffer, accountId: string): Promise<{ verdict: Outcome; score: number } | null> {
    const list = await this.words();
    if (list.junkMessages === 0 || list.hamMessages === 0) return null;
    const { verdict, score } = classify(raw, list, { isCorrespondent: (a) => this.deps.hasWrittenTo(a), trustServerVerdict: this.deps.trustServerVerdict(accountId) });
    return { verdict, score };
  }

  /**
   * New mail, after the rules: what is still in the inbox is classified and junk moved to the
   * account's Junk folder; unsure and good mail stay. A message a rule filed elsewhere is skipped.
   * `file: false` only judges (the rules ask before they forward: spam is never forwarded).
   * `judged`: verdicts reached earlier in this arrival (that judgement), used instead of
   * classifying the message again (`scores`: theirs, said in Junk with the move); one no longer in
   * the inbox is still skipped. A message the person marked Not junk is good mail whatever its score.
   */
  classifyArrivals(ids: readonly string[], opts: { file?: boolean; judged?: ReadonlyMap<string, Outcome>; scores?: ReadonlyMap<string, number> } = {}): Promise<ArrivalVerdicts> {
    return this.serial(async () => {
      const out: ArrivalVerdicts = { junk: [], unsure: [], ham: [], skipped: [], scores: new Map() };
      const list = await this.words();
      const trained = list.junkMessages > 0 && list.hamMessages > 0;
      let n = 0;
      for (const id of ids) {
        const m = this.deps.get(id);
        if (!trained || !m || m.folder !== INBOX) {
          out.skipped.push(id);
          continue;
        }
        const known = opts.judged?.get(id);
        if (known) {
          out[known].push(id);
          const score = opts.scores?.get(id);
          if (score !== undefined) out.scores.set(id, score);
          continue;
        }
        // The person said this one is not junk (Not junk): their word stands over the score, which
        // one lesson may not have moved far enough (a filter run by hand, `rules run --forward`).
        if (list.learned.get(id)?.v === 'ham') {
          out.ham.push(id);
          continue;
        }
        if (++n % BATCH === 0) await new Promise((r) => setImmediate(r));
        let verdict: Outcome;
        try {
          const judged = classify(await this.raw(id), list, {
            isCorrespondent: (a) => this.deps.hasWrittenTo(a),
            trustServerVerdict: this.deps.trustServerVerdict(m.accountId),
          });
          verdict = judged.verdict;
          out.scores.set(id, judged.score);
        } catch {
          out.skipped.push(id); // gone meanwhile (deleted, moved by hand): nothing to file
          continue;
        }
        out[verdict].push(id);
      }
      if (out.junk.length > 0 && opts.file !== false) {
        await this.deps.move(out.junk, JUNK, (id) => {
          const score = out.scores.get(id);
          return score === undefined ? { by: 'filter' } : { by: 'filter', score };
        });
      }
      return out;
    });
  }

  /**
   * The user's verdict on stored messages: learned (a lesson of the other kind taken back first,
   * the same one never counted twice), saved, then moved: junk to Junk, good mail back where it
   * was before Junk (the inbox when unknown or gone). `undo` takes the previous action back
   * instead: the lesson is removed without teaching the other kind.
   */
  mark(ids: readonly string[], kind: Verdict, opts: { undo?: boolean } = {}): Promise<void> {
    return this.serial(async () => {
      const records = ids.map((id) => this.deps.get(id)).filter((m): m is MessageRecord => m !== undefined);
      const other: Verdict = kind === 'junk' ? 'ham' : 'junk';
      const homes = new Map<string, string>();
      // Undo of Not junk: who had filed each in Junk (kept with the lesson), said again, not "you".
      const causes = new Map<string, JunkedBy>();
      // Read, learn and save under the word list's lock: a `popbox junk learn` in a terminal at the
      // same moment waits, and neither lesson is lost.
      await withWordListLock(this.deps.dataDir, async () => {
      const list = await this.words();
      for (const m of records) {
        const before = list.learned.get(m.id);
        homes.set(m.id, before?.from ?? INBOX);
        if (before?.junkedBy) causes.set(m.id, before.junkedBy);
        const undoing = opts.undo === true;
        if (undoing ? before?.v !== other : before?.v === kind) continue;
        const raw = await this.raw(m.id).catch(() => null);
        if (!raw) continue;
        if (before) learn(raw, list, before.v, -1);
        if (undoing) {
          list.learned.delete(m.id);
        } else {
          learn(raw, list, kind);
          const cause = kind === 'ham' && m.folder === JUNK && m.junkedBy ? { junkedBy: m.junkedBy } : {};
          list.learned.set(m.id, kind === 'junk' && m.folder !== JUNK ? { v: kind, from: m.folder } : { v: kind, ...(before?.from ? { from: before.from } : {}), ...cause });
        }
      }
      await this.save(list);
      });
      if (kind === 'junk') {
        const moving = records.filter((m) => m.folder !== JUNK && m.folder !== TRASH).map((m) => m.id);
        if (moving.length) await this.deps.move(moving, JUNK, (id) => (opts.undo ? causes.get(id) : { by: 'you' }));
        return;
      }
      // Good mail leaves Junk (and only Junk: "Not junk" on a message in a folder of its own keeps it there).
      const byHome = new Map<string, string[]>();
      for (const m of records) {
        if (m.folder !== JUNK) continue;
        const keys = this.deps.folderKeys(m.accountId);
        let home = homes.get(m.id) ?? INBOX;
        if (!keys.has(home) || home === JUNK || home === TRASH || home === DRAFTS || home === OUTBOX) home = INBOX;
        byHome.set(home, [...(byHome.get(home) ?? []), m.id]);
      }
      for (const [home, moving] of byHome) await this.deps.move(moving, home);
    });
  }

  /**
   * "Train from existing mail": what is in Junk is learned as junk, Inbox, Archive and Sent as
   * good mail; at most `max` of each kind, newest first; a message already learned is skipped.
   */
  train(messages: readonly MessageRecord[], opts: { max?: number; onProgress?: (done: number, total: number) => void } = {}): Promise<{ junk: number; ham: number }> {
    const max = opts.max ?? 5000;
    return this.serial(() => withWordListLock(this.deps.dataDir, async () => {
      const list = await this.words();
      const newest = [...messages].sort((a, b) => b.receivedAt - a.receivedAt);
      const isHam = (f: string) => f === INBOX || f === roleKey('sent') || f === roleKey('archive') || f.startsWith(`${roleKey('archive')}.`);
      const junk = newest.filter((m) => m.folder === JUNK && !list.learned.has(m.id)).slice(0, max);
      const ham = newest.filter((m) => isHam(m.folder) && !list.learned.has(m.id)).slice(0, max);
      const total = junk.length + ham.length;
      let done = 0;
      const counted = { junk: 0, ham: 0 };
      for (const [kind, group] of [['junk', junk], ['ham', ham]] as const) {
        for (const m of group) {
          const raw = await this.raw(m.id).catch(() => null);
          if (raw) {
            learn(raw, list, kind);
            list.learned.set(m.id, { v: kind });
            counted[kind]++;
          }
          if (++done % BATCH === 0) {
            opts.onProgress?.(done, total);
            await new Promise((r) => setImmediate(r));
          }
        }
      }
      await this.save(list);
      opts.onProgress?.(total, total);
      return counted;
    }));
  }
}
