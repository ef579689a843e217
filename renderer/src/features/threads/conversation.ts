/** Conversations in the list and the reading pane, from the thread model and the message store. */
import type { MessageRow } from '../../db/database.js';
import { inTrash } from '../folders/tree.js';
import type { ThreadModel } from './thread-model.js';

export interface ThreadInfo {
  /** Messages in the conversation (Trash and Junk left out unless the list shows them). */
  count: number;
  unread: number;
}

interface Rows {
  get(id: string): MessageRow | undefined;
}

/** Trash and Junk hold what the user threw away: shown in a conversation only from there. */
const hiddenFrom = (shown: MessageRow) => (r: MessageRow) => r.id !== shown.id && r.folder !== shown.folder && (inTrash(r.folder) || r.folder === 'Junk');

/** The messages of the conversation `id` is in, oldest first, as the pane shows them. */
export function conversationRows(model: ThreadModel, store: Rows, id: string): MessageRow[] {
  const shown = store.get(id);
  if (!shown) return [];
  const hidden = hiddenFrom(shown);
  return model
    .conversationOf(id)
    .flatMap((m) => store.get(m) ?? [])
    .filter((r) => !hidden(r))
    .sort((a, b) => a.date - b.date || (a.id < b.id ? -1 : 1));
}

/**
 * The list in conversations: one row per thread, the first of its messages in the list's order
 * (sorted by date, the newest), with the conversation's count and unread count.
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
    if (rows.length > 1) info.set(id, { count: rows.length, unread: rows.filter((r) => !r.seen).length });
  }
  return { ids: out, info };
}
