/**
 * Filtering on arrival: the rules, then the junk filter, over the mail an account downloaded,
 * once it is on disk and journaled. A filter that fails never fails the check for mail.
 *
 * What has been through the filters is kept per account in <account>/rules-filtered.json:
 * `upTo`, a download time (ms) up to which every arrival is done. A message is done when every
 * action its rules asked for completed; one refused (Popbox is closing) or failed (a full disk,
 * a folder that cannot be made, a forward that could not be queued) is not, and the mark stops
 * before it. Such messages are filtered again at the next check, and only they: the file also
 * says up to when arrivals were looked at (`checkedTo`) and which of them are not done
 * (`retry`, with the folder each was left in), so the mail done after one that is not is never
 * run on again: a rule run again on a message the person has filed since would file it back
 * (out of Trash too). For the same reason one not done that the person moved or deleted since
 * counts as done. A Popbox that knows only `upTo` reads the file as before: all again from there.
 * A kill before the file is written leaves the mark where it was: those are filtered again.
 * Arrivals are found by the journal state noted in the file (`journal`), not by download time
 * (ingest/arrivals.ts: a clock set back would hide mail); `upTo`/`checkedTo` serve when the
 * journal cannot answer from that state (compacted past it, a file of an older Popbox).
 *
 * Only failures that may pass count (run-rules.ts: a refusal in words, such as a forward too big
 * to build, is said once and the message is done). A refusal because Popbox is closing leaves the
 * message to do without counting a try: nothing failed, and a person who quits during checks
 * should not see Popbox give up on mail it never really tried. A retry does not set again the
 * flags its first run set (the person may have marked it unread since); after MAX_TRIES checks
 * with a failure, or past MAX_RETRY waiting, Popbox stops trying and says so once.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { refusedAtClose } from '../../../shared/error-codes.js';
import { MAX_RUN_IDS, type RuleRun, type RunOptions } from '../rules/run-rules.js';
import type { JunkService } from '../junk/junk-service.js';
import { writeFileAtomic } from '../store/durable.js';
import type { Journal } from '../store/journal.js';
import { AccountMailbox } from '../store/mailbox.js';
import { Turns } from '../turns.js';
import { ArrivalScan } from './arrivals.js';

export interface ArrivalFilterDeps {
  dataDir: string;
  journal: Journal;
  /** The rule list over these messages, forwards included; which it left not done. */
  runRules(ids: readonly string[], opts: RunOptions): Promise<RuleRun>;
  junkOn(): boolean;
  /** Downloaded from On the server after the junk filter held it there: the person wants it. */
  wanted(accountId: string): Promise<ReadonlySet<string>>;
  classifyArrivals: JunkService['classifyArrivals'];
  notice(message: string): void;
}

/** Where an account's filtering stands (what the file says, and what this process did since). */
interface Mark {
  upTo: number;
  checkedTo: number;
  /** The journal state its arrivals were last looked for at (ingest/arrivals.ts); none in an older file. */
  journal?: number;
  /** Arrivals up to checkedTo that are not done: their download time and the folder they were left in. */
  retry: Map<string, Left>;
}

interface Left {
  at: number;
  folder: string;
  /** The checks that left it not done through a failure (a refusal at close does not count). */
  tries: number;
  /** Its flags and server deletion were applied (a run of its rules returned): never again. */
  ruled: boolean;
}

/** Checks that may leave a message not done before Popbox stops trying (and says so, once). */
export const MAX_TRIES = 4;
/** After a failure that may pass; the try count is said, so the give-up notice after the last one follows from it. */
const AGAIN = `They will be tried again at the next check (at most ${MAX_TRIES} checks in all).`;
/** At most this many are kept to do (a broken rules.json leaves every arrival): the file stays small. */
export const MAX_RETRY = 1_000;

export class ArrivalFilter {
  private readonly scan: ArrivalScan;
  private readonly marks = new Map<string, Mark>();
  /** The file's text as last read or written, per account: a check that changed nothing writes nothing. */
  private readonly onDisk = new Map<string, string>();
  /** Per account, one run at a time: no message is filtered by two at once. */
  private readonly turns = new Turns();

  constructor(private readonly deps: ArrivalFilterDeps) {
    this.scan = new ArrivalScan(deps.journal);
  }

  /** Filters what the account downloaded since its last run, and what that left not done. */
  filter(accountId: string, startedAt: number): Promise<void> {
    return this.turns.run(accountId, () => this.run(accountId, startedAt));
  }

  private async run(accountId: string, startedAt: number): Promise<void> {
    // No file yet (the first check with rules): from this check on.
    const mark = this.marks.get(accountId) ?? (await this.read(accountId)) ?? { upTo: startedAt - 1, checkedTo: startedAt - 1, retry: new Map<string, Left>() };
    this.marks.set(accountId, mark);
    const todo = new Map<string, number>();
    const before = mark.retry;
    for (const [id, left] of before) {
      const m = this.deps.journal.get(id);
      if (m?.folder === left.folder) todo.set(id, m.receivedAt);
    }
    const { found, state } = this.scan.after(accountId, mark.checkedTo, mark.journal);
    mark.journal = state;
    for (const m of found) {
      todo.set(m.id, m.receivedAt);
      mark.checkedTo = Math.max(mark.checkedTo, m.receivedAt);
    }
    const ids = [...todo.keys()].sort((a, b) => todo.get(a)! - todo.get(b)!);
    // The scan has moved past these: whatever goes wrong, they stay to do until a run says they are done.
    const again = new Set([...before].flatMap(([id, left]) => (left.ruled && todo.has(id) ? [id] : [])));
    const none = new Set<string>();
    const { notDone, atClose, ruled } =
      ids.length > 0
        ? await this.filterNow(accountId, ids, again).catch((e: unknown) => ({ notDone: new Set(ids), atClose: refusedAtClose(e) ? new Set(ids) : none, ruled: none }))
        : { notDone: none, atClose: none, ruled: none };
    mark.retry = new Map();
    const given: string[] = [];
    const dropped: string[] = [];
    for (const [id, at] of todo) {
      const m = this.deps.journal.get(id);
      if (!m || !notDone.has(id)) continue;
      const tries = (before.get(id)?.tries ?? 0) + (atClose.has(id) ? 0 : 1);
      if (tries >= MAX_TRIES) given.push(m.summary.subject);
      else if (mark.retry.size >= MAX_RETRY) dropped.push(m.summary.subject);
      else mark.retry.set(id, { at, folder: m.folder, tries, ruled: again.has(id) || ruled.has(id) });
    }
    const them = (subjects: string[]) => subjects.slice(0, 3).map((t) => `“${t || '(no subject)'}”`).join(', ') + (subjects.length > 3 ? ` and ${subjects.length - 3} more` : '');
    const byHand = 'To try again, run the filters on that mail (Settings › Filters › Run now).';
    if (given.length) this.deps.notice(`Popbox gave up filtering ${them(given)}: the filters failed on ${given.length === 1 ? 'it' : 'them'} at ${MAX_TRIES} checks in a row. ${byHand}`);
    if (dropped.length) this.deps.notice(`Popbox will not try the filters again on ${them(dropped)}: more than ${MAX_RETRY.toLocaleString('en')} messages were waiting for them. ${byHand}`);
    mark.upTo = [...mark.retry.values()].reduce((t, left) => Math.min(t, left.at - 1), mark.checkedTo);
    // Nothing arrived and nothing waited: only the journal's state moved (flags, moves), which the
    // next start may read again from the state on disk (no arrival lies between): no write and
    // fsync at every check after a mail is read.
    if (ids.length === 0 && before.size === 0 && this.onDisk.has(accountId)) return;
    await this.write(accountId, mark);
  }

  /**
   * The rules, then the junk filter; the ids not done, those of them only a refusal at close left
   * (as RuleRun.atClose: not a try), and those whose rules ran (their flags are set).
   */
  private async filterNow(accountId: string, ids: readonly string[], again: ReadonlySet<string>): Promise<{ notDone: Set<string>; atClose: Set<string>; ruled: Set<string> }> {
    const notDone = new Set<string>();
    const atClose = new Set<string>();
    const ruled = new Set<string>();
    const leave = (some: readonly string[], e: unknown) => {
      for (const id of some) notDone.add(id);
      if (refusedAtClose(e)) for (const id of some) atClose.add(id);
    };
    const junkOn = this.deps.junkOn();
    const wanted = junkOn ? await this.deps.wanted(accountId).catch(() => new Set<string>()) : new Set<string>();
    // The filter's word comes before a forward: spam that matches one is filed, never sent on.
    // Each verdict is kept, so the filing below does not classify those messages a second time.
    const verdicts = new Map<string, 'junk' | 'unsure' | 'ham'>();
    const scores = new Map<string, number>();
    const judgedJunk = async (some: readonly string[]) => {
      const judged = await this.deps.classifyArrivals(some.filter((id) => !wanted.has(id)), { file: false });
      for (const kind of ['junk', 'unsure', 'ham'] as const) for (const id of judged[kind]) verdicts.set(id, kind);
      for (const [id, score] of judged.scores) scores.set(id, score);
      return new Set(judged.junk);
    };
    // In runs of at most MAX_RUN_IDS (a first check of a big mailbox brings more).
    for (let i = 0; i < ids.length; i += MAX_RUN_IDS) {
      const some = ids.slice(i, i + MAX_RUN_IDS);
      try {
        const run = await this.deps.runRules(some, { forward: true, afterFailure: AGAIN, again, ...(junkOn ? { judgedJunk } : {}) });
        for (const id of run.notDone) notDone.add(id);
        for (const id of run.atClose) atClose.add(id);
        for (const id of some) ruled.add(id);
      } catch (e) {
        leave(some, e);
        this.tell('Filters did not run', e, 'They will run on this mail at the next check.');
      }
    }
    // After the rules (what a rule filed is no longer in the inbox, so its decision wins; one
    // whose rules are not done waits for them).
    const look = junkOn ? ids.filter((id) => !wanted.has(id) && !notDone.has(id)) : [];
    if (look.length > 0) {
      await this.deps.classifyArrivals(look, { judged: verdicts, scores }).catch((e: unknown) => {
        leave(look, e);
        this.tell('The junk filter did not run', e, 'It will look at this mail at the next check.');
      });
    }
    return { notDone, atClose, ruled };
  }

  /** A failure in words; nothing when Popbox is closing (the window is going, and the next start does it). */
  private tell(what: string, e: unknown, next: string): void {
    if (refusedAtClose(e)) return;
    this.deps.notice(`${what}: ${e instanceof Error ? e.message : String(e)}. ${next}`);
  }

  private file(accountId: string): string {
    return path.join(AccountMailbox.dirFor(this.deps.dataDir, accountId), 'rules-filtered.json');
  }

  private async read(accountId: string): Promise<Mark | null> {
    let text: string;
    let json: { upTo?: unknown; checkedTo?: unknown; retry?: unknown; journal?: unknown };
    try {
      text = await fs.readFile(this.file(accountId), 'utf8');
      json = JSON.parse(text) as typeof json;
    } catch {
      return null; // none yet
    }
    const { upTo, checkedTo, retry, journal } = json;
    if (typeof upTo !== 'number' || !Number.isFinite(upTo)) return null;
    this.onDisk.set(accountId, text);
    const again = new Map<string, Left>();
    for (const [id, left] of Object.entries(typeof retry === 'object' && retry !== null ? retry : {})) {
      const m = this.deps.journal.get(id);
      // A bare folder: written by the Popbox before tries were counted.
      const { folder, tries, ruled } = (typeof left === 'string' ? { folder: left } : (left ?? {})) as { folder?: unknown; tries?: unknown; ruled?: unknown };
      if (m && typeof folder === 'string') again.set(id, { at: m.receivedAt, folder, tries: typeof tries === 'number' ? tries : 1, ruled: ruled === true });
    }
    const seen = typeof checkedTo === 'number' && Number.isFinite(checkedTo) && checkedTo > upTo ? checkedTo : upTo;
    return { upTo, checkedTo: seen, retry: again, ...(typeof journal === 'number' && Number.isSafeInteger(journal) ? { journal } : {}) };
  }

  private async write(accountId: string, mark: Mark): Promise<void> {
    const retry = Object.fromEntries([...mark.retry].map(([id, { folder, tries, ruled }]) => [id, { folder, tries, ...(ruled ? { ruled } : {}) }]));
    const text = JSON.stringify(mark.retry.size > 0 ? { upTo: mark.upTo, checkedTo: mark.checkedTo, journal: mark.journal, retry } : { upTo: mark.upTo, journal: mark.journal });
    if (this.onDisk.get(accountId) === text) return;
    // Not written (a full disk): the file stays behind, so more is filtered again, never less.
    await writeFileAtomic(this.file(accountId), text).then(
      () => void this.onDisk.set(accountId, text),
      () => {},
    );
  }
}
