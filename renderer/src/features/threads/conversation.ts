/** Conversations in the list and the reading pane, from the thread model and the message store. */
import { oneCopyEach } from '../../../../shared/thread-copies.js';
import type { MessageRow } from '../../db/database.js';
import { inTrash } from '../folders/tree.js';
import type { ThreadModel } from './thread-model.js';

export interface ThreadInfo {
  /** Messages in the conversation (Trash and Junk left out unless the list shows them; copies once). */
  count: number;
  unread: number;
  /** The newest message's date (ms). */
  newest: number;
}

interface Rows {
  get(id: string): MessageRow | undefined;
}

const thrownAway = (r: MessageRow) => inTrash(r.folder) || r.folder === 'Junk';

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
export function groupByConversation(ids: readonly string[], model: ThreadModel, store: Rows): { ids: string[]; info: Map<string, ThreadInfo> } {
  const seen = new Set<string>();
  const out: string[] = [];
  const info = new Map<string, ThreadInfo>();
  for (const id of ids) {
    const key = model.threadKey(id);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(id);
    if (key === id) continue;
    const rows = conversationRows(model, store, id);
    if (rows.length > 1) info.set(id, { count: rows.length, unread: rows.filter((r) => !r.seen).length, newest: Math.max(...rows.map((r) => r.date)) });
  }
  return { ids: out, info };
}

/**
 * What a command on conversation rows acts on (issue 17 §3, as Thunderbird on a collapsed
 * thread and Gmail on a conversation): every message of each row's conversation that the list
 * being read holds (`listed`: the view's messages before grouping), copies included, so the
 * conversation leaves the folder whole. A row in no conversation is itself.
 */
export function conversationTargets(rowIds: readonly string[], model: ThreadModel, listed: ReadonlySet<string>): string[] {
  const out = new Set<string>();
  for (const id of rowIds) {
    out.add(id);
    for (const m of model.conversationOf(id)) if (listed.has(m)) out.add(m);
  }
  return [...out];
}
