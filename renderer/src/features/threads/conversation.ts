/** Conversations in the list and the reading pane, from the thread model and the message store. */
import { oneCopyEach, thrownAwayFolder } from '../../../../shared/thread-copies.js';
import type { MessageRow } from '../../db/database.js';
import { alphabeticalRanks } from '../../db/message-store.js';
import { nameKey } from '../../db/rows.js';
import { outsiders } from './outsiders.js';
import type { ThreadModel } from './thread-model.js';

export interface ThreadInfo {
  /** Messages in the conversation (Trash and Junk left out unless the list shows them; copies once). */
  count: number;
  unread: number;
  /** The newest message's date (ms). */
  newest: number;
  /** The largest message's size (bytes): where the conversation goes in size order. */
  largest: number;
  /** Whether any of its messages is flagged: such a conversation is flagged, in the row and in flag order. */
  flagged: boolean;
  /**
   * The newest message itself (a reply in Sent included): the row shows its sender, subject and
   * snippet beside its date, as Apple Mail does, so the row never pairs one message's sender
   * with another's date.
   */
  latest: MessageRow;
}

interface Rows {
  get(id: string): MessageRow | undefined;
}

const thrownAway = (r: MessageRow) => thrownAwayFolder(r.folder);

/** Trash and Junk hold what the user threw away: shown in a conversation only from there. */
const hiddenFrom = (shown: MessageRow) => (r: MessageRow) => r.id !== shown.id && r.folder !== shown.folder && thrownAway(r);

/**
 * The messages of the conversation `id` is in, oldest first, as the pane shows them: each
 * message once (shared/thread-copies.ts), as the copy in `id`'s account and folder where there
 * is one, so Alice's Sent copy of what she sent Bob is not a second message in Bob's conversation.
 */
export function conversationRows(model: ThreadModel, store: Rows, id: string): MessageRow[] {
  const shown = store.get(id);
  if (!shown) return [];
  const hidden = hiddenFrom(shown);
  const rows = model
    .conversationOf(id)
    .flatMap((m) => store.get(m) ?? [])
    .sort((a, b) => a.date - b.date || (a.id < b.id ? -1 : 1));
  // Copies first (the one of this account wins even when it is in Trash), then what is thrown away.
  return oneCopyEach(rows, (r) => r, shown, hidden).filter((r) => !hidden(r));
}

/**
 * The list in conversations: one row per thread, the first of its messages in the list's order
 * (sorted by date, the newest), with the conversation's count, unread count and newest date.
 */
export function groupByConversation(ids: readonly string[], model: ThreadModel, store: Rows, cache?: ThreadInfoCache, order?: RowOrder | null): { ids: string[]; info: Map<string, ThreadInfo> } {
  const seen = new Set<string>();
  const out: string[] = [];
  const info = new Map<string, ThreadInfo>();
  for (const id of ids) {
    const key = model.threadKey(id);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(id);
    if (key === id) continue;
    const known = cache?.get(id, model, store);
    const thread = known !== undefined ? known : threadInfo(conversationRows(model, store, id));
    if (known === undefined) cache?.set(id, thread, model, store);
    if (thread) info.set(id, thread);
  }
  return { ids: order ? inRowOrder(out, info, store, order) : out, info };
}

/** The list's order, which conversation rows must follow by what they stand for; `reversed` the other way. */
export interface RowOrder {
  by: 'date' | 'from' | 'subject' | 'size' | 'flag';
  reversed: boolean;
}

/**
 * A conversation row stands for the whole conversation, so in the list's order it goes where
 * the conversation puts it, not where the message that happened to come first in the list did:
 * by date, by its newest message (ThreadInfo.latest, the one the row shows, a reply in Sent
 * included); by name or subject, by that message's; by size, by its largest message; by flag,
 * flagged first if any of its messages is, each group newest first. Reversed is the same order
 * read backwards. (Before, size and flag followed whichever message came first: a conversation
 * of a 5 MB message and a short reply led both "Largest first" and "Smallest first".) Sorted
 * only when some row is out of place (most lists already are); stable, so equal rows keep the
 * list's order.
 */
function inRowOrder(ids: string[], info: ReadonlyMap<string, ThreadInfo>, store: Rows, order: RowOrder): string[] {
  const threads = ids.map((id) => info.get(id));
  const shown = ids.map((id, i) => threads[i]?.latest ?? store.get(id));
  const date = (i: number) => -(shown[i]?.date ?? 0);
  let first: (i: number) => number;
  let then: (i: number) => number = () => 0;
  if (order.by === 'from' || order.by === 'subject') {
    const ranks = alphabeticalRanks(shown.map((r) => (!r ? '' : order.by === 'from' ? nameKey(r) : r.subjectKey)));
    first = (i) => ranks[i]!;
  } else if (order.by === 'size') first = (i) => -(threads[i]?.largest ?? shown[i]?.size ?? 0);
  else if (order.by === 'flag') {
    first = (i) => ((threads[i]?.flagged ?? shown[i]?.flagged === 1) ? 0 : 1);
    then = date;
  } else first = date;
  const sign = order.reversed ? -1 : 1;
  const compare = (a: number, b: number) => sign * (first(a) - first(b) || then(a) - then(b));
  let sorted = true;
  for (let i = 1; sorted && i < ids.length; i++) sorted = compare(i - 1, i) <= 0;
  if (sorted) return ids;
  const at = ids.map((_, i) => i).sort((a, b) => compare(a, b) || a - b);
  return at.map((i) => ids[i]!);
}

function threadInfo(rows: readonly MessageRow[]): ThreadInfo | null {
  if (rows.length < 2) return null;
  let unread = 0;
  let latest = rows[0]!;
  let largest = 0;
  let flagged = false;
  // A loop, not Math.max(...rows): spreading 100,000 dates overflows the call stack. Rows come
  // oldest first, so of messages with the same date the last (as the pane shows them) wins.
  for (const r of rows) {
    if (!r.seen) unread++;
    if (r.date >= latest.date) latest = r;
    if (r.size > largest) largest = r.size;
    if (r.flagged) flagged = true;
  }
  return { count: rows.length, unread, newest: latest.date, latest, largest, flagged };
}

/**
 * A row's conversation counts, kept across changes: typing in the search box regroups the list
 * on every keystroke, and a sync batch bumps the store's version; recounting every conversation
 * of the folder each time (members looked up, sorted, copies merged) is what this saves.
 * Keyed by the row's id (its copy and folder decide what counts). An entry remembers what it
 * was counted from, the thread's member list (the model replaces it when the thread changes)
 * and each member's row (the store replaces a row when it changes), and is counted again only
 * when one of those is no longer the same object: a flag on one message recounts its
 * conversation alone. Checked once per version, so keystrokes in between cost a lookup.
 */
export class ThreadInfoCache {
  private at: { model: number; store: number } | null = null;
  private entries = new Map<string, { info: ThreadInfo | null; members: readonly string[]; rows: (MessageRow | undefined)[] }>();
  /** Entries checked at the current versions. */
  private fresh = new Set<string>();
  /** Conversations counted (not answered from the cache) so far: what a change costs the list. */
  recomputed = 0;

  /** Marks every entry to be checked again when the versions are not the ones it was checked at. */
  validate(modelVersion: number, storeVersion: number): this {
    if (this.at?.model !== modelVersion || this.at.store !== storeVersion) {
      // Entries not asked for since the last change belong to no list shown: let them go.
      for (const id of this.entries.keys()) if (!this.fresh.has(id)) this.entries.delete(id);
      this.fresh = new Set();
      this.at = { model: modelVersion, store: storeVersion };
    }
    return this;
  }

  /** The counts of `id`'s conversation if nothing they were counted from has changed; undefined to count them. */
  get(id: string, model: Pick<ThreadModel, 'conversationOf'>, store: Rows): ThreadInfo | null | undefined {
    const e = this.entries.get(id);
    if (!e) return undefined;
    if (this.fresh.has(id)) return e.info;
    let same = model.conversationOf(id) === e.members;
    for (let i = 0; same && i < e.members.length; i++) same = store.get(e.members[i]!) === e.rows[i];
    if (!same) {
      this.entries.delete(id);
      return undefined;
    }
    this.fresh.add(id);
    return e.info;
  }

  /** Counts just made for `id` from the model and store as they are now. */
  set(id: string, info: ThreadInfo | null, model: Pick<ThreadModel, 'conversationOf'>, store: Rows): void {
    this.recomputed++;
    const members = model.conversationOf(id);
    this.entries.set(id, { info, members, rows: members.map((m) => store.get(m)) });
    this.fresh.add(id);
  }
}

/**
 * What a command on conversation rows acts on (issue 17 §3, as Thunderbird on a collapsed
 * thread and Gmail on a conversation): every message of each row's conversation that the list
 * being read holds (`listed`: the view's messages before grouping), copies included, so the
 * conversation leaves the folder whole. A row in no conversation is itself.
 *
 * In the Unified Inbox (review L5) that includes the other accounts' Inbox copies of the same
 * messages, on purpose: the list groups the view's messages by thread whatever their account,
 * so one row stands for every Inbox's copies (counted once). Moving only the row's account's
 * copies would leave the others behind to form the same row again, showing the same messages:
 * Delete would seem to do nothing. A folder view lists one account, so it never reaches another.
 */
export function conversationTargets(rowIds: readonly string[], model: ThreadModel, listed: ReadonlySet<string>): string[] {
  const out = new Set<string>();
  for (const id of rowIds) {
    out.add(id);
    for (const m of model.conversationOf(id)) if (listed.has(m)) out.add(m);
  }
  return [...out];
}

/**
 * The conversation `id` is in as the pane shows it from there (conversationRows), and which of
 * those messages are from outside it (outsiders.ts, message id to sender). The one split both
 * the pane's "From outside this conversation" note and Junk / Not junk on a conversation row
 * use, so what the note marks and what Junk acts on cannot disagree: judged over the rows the
 * person sees, a copy thrown in Trash or Junk (not shown) vouches for nobody.
 */
export function conversationSplit(model: ThreadModel, store: Rows, id: string, own: ReadonlySet<string>): { rows: MessageRow[]; outside: Map<string, string> } {
  const rows = conversationRows(model, store, id);
  return { rows, outside: outsiders(rows, own) };
}

/** The key copies of one message share (shared/thread-copies.ts: Message-ID, else the file's own id). */
const copyKey = (r: MessageRow) => r.messageId ?? `\u0000${r.id}`;

/**
 * What Junk and Not junk on conversation rows act on (review 8): as conversationTargets, but
 * only the messages on the row's side of the outsider split (conversationSplit). Anyone who
 * knows a Message-ID can plant a reply in a trusted conversation, and as the newest it is the
 * row: Junk on it must not send the genuine messages to Junk, teach the filter they are spam
 * and let "delete junk after N days" remove them. So a row from outside takes the outsiders
 * along, any other row the insiders, each message with its copies in the list (a message the
 * pane shows once). (Delete, Archive and Move still take the whole conversation: they can be
 * undone and teach nothing.)
 */
export function conversationJunkTargets(rowIds: readonly string[], model: ThreadModel, listed: ReadonlySet<string>, store: Rows, own: ReadonlySet<string>): string[] {
  const out = new Set<string>();
  for (const id of rowIds) {
    out.add(id);
    const { rows, outside } = conversationSplit(model, store, id, own);
    const side = outside.has(id);
    const sameSide = new Set(rows.filter((r) => outside.has(r.id) === side).map(copyKey));
    for (const m of model.conversationOf(id)) {
      if (!listed.has(m)) continue;
      const r = store.get(m);
      if (r && sameSide.has(copyKey(r))) out.add(m);
    }
  }
  return [...out];
}

/** Rows of a conversation the pane shows at first: a flood of replies must not render them all. */
export const CONVERSATION_ROWS = 20;
/** How many more each "Show older" / "Show newer" brings. */
export const CONVERSATION_STEP = 50;
/** Rows shown after the open message when it is not among the newest. */
const AFTER_OPEN = 5;

/**
 * Which of a conversation's `count` rows (oldest first) the pane renders, [start, end): the
 * newest CONVERSATION_ROWS, or, when the open message (`at`) is older than those, the rows up to
 * a few after it; `older` and `newer` rows more on either side as the person asks for them.
 */
export function conversationWindow(count: number, at: number, older: number, newer: number): { start: number; end: number } {
  const end0 = at < 0 || at >= count - CONVERSATION_ROWS ? count : Math.min(count, at + 1 + AFTER_OPEN);
  const start0 = Math.max(0, end0 - CONVERSATION_ROWS);
  return { start: Math.max(0, start0 - older), end: Math.min(count, end0 + newer) };
}
