/**
 * The commands a person may want to take back (moves, Trash, Archive, Restore, copies, read and
 * flag changes), each recorded in the undo history with what it changed: the folder each
 * message was in, or its previous flags, read from the message store as the command goes up.
 * Marking a message read by opening it is not recorded (it is not something the user did).
 */
import type { JunkedBy } from '../../../../shared/changes.js';
import { roleKey } from '../../../../shared/folders.js';
import type { UndoHistory } from '../../app/undo.js';
import type { MessageStore } from '../../db/message-store.js';
import { folderName } from '../folders/tree.js';
import type { MessageActions } from './actions.js';

const JUNK = roleKey('junk');

export const messagesText = (n: number): string => (n === 1 ? '1 message' : `${n.toLocaleString()} messages`);

/**
 * How many messages a command took, as the list counts them: copies of one message (one
 * Message-ID, e.g. in two accounts' Inboxes in the Unified Inbox, or downloaded twice) count
 * once, as a conversation row's "conversation of 2" does, and the copies are said after it:
 * "2 messages (4 copies)". Counting every copy said "4 messages" beside a row of 2.
 */
export function takenText(store: MessageStore, ids: readonly string[]): string {
  const messages = new Set<string>();
  for (const id of ids) {
    const messageId = store.get(id)?.messageId;
    messages.add(messageId ? messageId : `\u0000${id}`);
  }
  const n = messages.size;
  return n === ids.length ? messagesText(n) : `${messagesText(n)} (${ids.length.toLocaleString()} copies)`;
}

/**
 * The ids grouped by the folder they are in now (one move per account and folder puts them back);
 * in Junk also by who had filed them there (null: nobody recorded), so the Junk bar says it again
 * after an Undo rather than "You moved this here."
 */
function placesOf(store: MessageStore, ids: readonly string[]): { ids: string[]; folder: string; junkedBy?: JunkedBy | null }[] {
  const groups = new Map<string, { ids: string[]; folder: string; junkedBy?: JunkedBy | null }>();
  for (const id of ids) {
    const r = store.get(id);
    if (!r) continue;
    const cause = r.folder === JUNK ? { junkedBy: r.junkedBy ?? null } : {};
    const k = `${r.accountId}\u0000${r.folder}\u0000${JSON.stringify(cause)}`;
    let g = groups.get(k);
    if (!g) groups.set(k, (g = { ids: [], folder: r.folder, ...cause }));
    g.ids.push(id);
  }
  return [...groups.values()];
}

function flagsOf(store: MessageStore, ids: readonly string[], flag: 'seen' | 'flagged'): { ids: string[]; flags: { seen?: boolean; flagged?: boolean } }[] {
  const on: string[] = [];
  const off: string[] = [];
  for (const id of ids) {
    const r = store.get(id);
    if (r) (r[flag] ? on : off).push(id);
  }
  return [
    { ids: on, flags: { [flag]: true } },
    { ids: off, flags: { [flag]: false } },
  ].filter((g) => g.ids.length > 0);
}

/** Lower-case first letter, for "Undone: moved 3 messages…". */
const lower = (s: string) => s.charAt(0).toLowerCase() + s.slice(1);

/**
 * `announce` shows what happened (with an Undo button when `undoable`).
 */
export function undoableActions(actions: MessageActions, store: MessageStore, history: UndoHistory, announce: (text: string, undoable: boolean) => void): MessageActions {
  const record = (done: string, undo: () => Promise<void>) => {
    history.push({ done, undo });
    announce(`${done}.`, true);
  };
  const moved = (ids: string[], done: string, go: () => Promise<void>) => {
    const back = placesOf(store, ids);
    if (back.length === 0) return Promise.resolve();
    const p = go();
    record(done, () => actions.moveEach(back.map((g) => ({ ...g, ids: g.ids.filter((id) => store.get(id)) })).filter((g) => g.ids.length > 0)));
    return p;
  };
  const flagged = (ids: string[], flag: 'seen' | 'flagged', done: string, go: () => Promise<void>) => {
    const before = flagsOf(store, ids, flag);
    const p = go();
    record(done, () => actions.flagEach(before.map((g) => ({ ...g, ids: g.ids.filter((id) => store.get(id)) })).filter((g) => g.ids.length > 0)));
    return p;
  };
  const taken = (ids: readonly string[]) => takenText(store, ids);
  return {
    ...actions,
    setSeen: (ids, seen) => flagged(ids, 'seen', `Marked ${taken(ids)} as ${seen ? 'read' : 'unread'}`, () => actions.setSeen(ids, seen)),
    setFlagged: (ids, on) => flagged(ids, 'flagged', `${on ? 'Flagged' : 'Unflagged'} ${taken(ids)}`, () => actions.setFlagged(ids, on)),
    trash: (ids) => moved(ids, `Moved ${taken(ids)} to Trash`, () => actions.trash(ids)),
    restore: (ids) => moved(ids, `Restored ${taken(ids)}`, () => actions.restore(ids)),
    archive: (ids) => moved(ids, `Archived ${taken(ids)}`, () => actions.archive(ids)),
    // Undo takes the lesson back too (not only the move): main keeps where each came from.
    junk: (ids, on) => {
      const p = actions.junk(ids, on);
      record(`Marked ${taken(ids)} as ${on ? 'junk' : 'not junk'}`, async () => {
        const left = ids.filter((id) => store.get(id));
        if (left.length > 0) await actions.junk(left, !on, true);
      });
      return p;
    },
    move: (ids, folder) => moved(ids, `Moved ${taken(ids)} to ${folderName(folder)}`, () => actions.move(ids, folder)),
    copy: async (ids, folder) => {
      const copies = await actions.copy(ids, folder);
      if (copies.length > 0)
        record(`Copied ${taken(ids)} to ${folderName(folder)}`, async () => {
          const left = copies.filter((id) => store.get(id));
          if (left.length > 0) await actions.deleteForGood(left);
        });
      return copies;
    },
  };
}

/**
 * Takes back the newest step; says what was undone (or that there is nothing to undo). The note
 * has no Undo button: it would take back an older step the note does not name, perhaps minutes
 * old and in another account (walkthrough M2). Ctrl+Z again still goes a step further back.
 */
export async function undoLast(history: UndoHistory, announce: (text: string, undoable: boolean) => void): Promise<void> {
  const step = history.pop();
  if (!step) {
    announce('Nothing to undo.', false);
    return;
  }
  await step.undo();
  announce(`Undone: ${lower(step.done)}.`, false);
}
