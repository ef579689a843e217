/**
 * Copies of one message in a conversation (issue 17 §3). With two accounts on one machine a
 * message Alice sent Bob is stored twice, Alice's Sent copy and Bob's Inbox copy, with one
 * Message-ID; a mailing list CC'd to you downloads the same message twice into one folder. The
 * thread index keeps every stored file (each is a message a person can move or delete), but a
 * conversation counts and shows each Message-ID once, as notmuch counts a message with two
 * files once: the copy where the person is reading (the list row's own message), else one in
 * the same account and folder, else one of the same account, else the first.
 *
 * Pure, so main (the CLI's `threads`) and the renderer (the list's counts, the reading pane)
 * apply the same rule.
 */

import { isWithin } from './folders.js';

/** Trash and Junk hold what the person threw away: a copy there answers only for itself. */
export const thrownAwayFolder = (folder: string): boolean => isWithin(folder, 'Trash') || folder === 'Junk';

/** What the rule reads of a stored copy. */
export interface CopyPlace {
  id: string;
  accountId: string;
  folder: string;
  messageId: string | null;
}

/** Where the person is reading from: the list row's message (its own id wins), or only a place. */
export interface CopyViewpoint {
  id?: string | undefined;
  accountId: string;
  folder: string;
}

/** Lower is preferred. A copy the person threw away (`hidden`) loses to a kept one of the same account. */
function rank(c: CopyPlace, from: CopyViewpoint | null, hidden: boolean): number {
  if (!from) return hidden ? 1 : 0;
  if (from.id !== undefined && c.id === from.id) return 0;
  if (c.accountId !== from.accountId) return hidden ? 5 : 4;
  if (c.folder === from.folder) return 1;
  return hidden ? 3 : 2;
}

/**
 * One copy per message, in the order given (oldest first in, oldest first out): messages with
 * the same Message-ID are answered by the copy preferred from `from`; a message without a
 * Message-ID is nobody's copy. `place` reads a copy; `hidden` says which copies are in Trash
 * or Junk (chosen only when nothing better of that rank is there).
 */
export function oneCopyEach<T>(copies: readonly T[], place: (c: T) => CopyPlace, from: CopyViewpoint | null, hidden: (c: T) => boolean = () => false): T[] {
  const best = new Map<string, { at: number; rank: number }>();
  copies.forEach((c, at) => {
    const p = place(c);
    const key = p.messageId ?? `\u0000${p.id}`;
    const r = rank(p, from, hidden(c));
    const was = best.get(key);
    if (!was || r < was.rank) best.set(key, { at, rank: r });
  });
  const keep = new Set([...best.values()].map((b) => b.at));
  return copies.filter((_, at) => keep.has(at));
}
