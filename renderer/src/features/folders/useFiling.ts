/**
 * Filing messages: into a folder (the Move to… picker, a drag onto the sidebar, Alt+drag to
 * copy), Archive, Trash, Restore and Delete permanently, each leaving the view with the
 * selection moving on; and the dialogs these and the folder commands open.
 */
import { useState, type DragEvent } from 'react';
import type { MessageStore } from '../../db/message-store.js';
import type { MessageActions } from '../inbox/actions.js';
import { takenText } from '../inbox/undoable.js';
import type { Selection } from '../inbox/useSelection.js';
import { DRAG_TYPE, dragInfo, type DragInfo } from './drag.js';
import { flatten, folderTree, type FolderNode } from './tree.js';

/** Folders no message is moved into by hand: Drafts and the Outbox hold what the user writes. */
export const NOT_A_TARGET: ReadonlySet<string> = new Set(['Drafts', 'Outbox']);

/** The folder dialogs, the Move to… picker and the question before Delete permanently. */
export type FilingDialog =
  | { kind: 'new'; accountId: string; parent: string[] }
  | { kind: 'rename'; accountId: string; folder: string }
  | { kind: 'delete'; accountId: string; folder: string }
  | { kind: 'empty-trash'; accountId: string }
  | { kind: 'move'; ids: string[] }
  | { kind: 'delete-messages'; ids: string[] };

export type Leaving = 'trash' | 'restore' | 'delete' | 'archive' | 'junk' | 'not-junk';

/** `expand`: what a drag of rows carries (with Conversations on, their conversations' messages in the view). */
export function useFiling(store: MessageStore, actions: MessageActions, selection: Selection, expand: (rowIds: string[]) => string[] = (t) => t) {
  const [dialog, setDialog] = useState<FilingDialog | null>(null);
  const [drag, setDrag] = useState<DragInfo | null>(null);
  const { leaveWith } = selection;

  /** Into a folder (Trash through moveToTrash, so Restore knows where they came from). */
  const moveTo = (t: string[], folder: string) => leaveWith(t, () => (folder === 'Trash' ? actions.trash(t) : actions.move(t, folder)));

  /**
   * Messages leaving the view. Delete permanently asks first (a dialog), and the selection
   * moves only once the user says yes: a Delete permanently cancelled changes nothing.
   */
  const leave = (c: Leaving, t: string[]) => {
    if (t.length === 0) return;
    if (c === 'delete') return setDialog({ kind: 'delete-messages', ids: t });
    if (c === 'junk' || c === 'not-junk') return leaveWith(t, () => actions.junk(t, c === 'junk'));
    leaveWith(t, () => (c === 'trash' ? actions.trash(t) : c === 'restore' ? actions.restore(t) : actions.archive(t)));
  };

  /** What the question's "Delete permanently" button does. */
  const deleteForGood = (t: string[]) => leaveWith(t, () => actions.deleteForGood(t));

  /** The folders the picker offers for these messages: their account's, or the special ones they share. */
  const pickerEntries = (t: string[]): { node: FolderNode; depth: number }[] => {
    const rows = t.flatMap((id) => store.get(id) ?? []);
    const accountIds = new Set(rows.map((r) => r.accountId));
    const only = accountIds.size === 1 ? [...accountIds][0]! : null;
    const tree = folderTree(only ? store.folders(only) : [], only ? store.filedFolders(only) : []);
    const entries = flatten(only ? tree : tree.filter((n) => n.role !== null).map((n) => ({ ...n, children: [] })));
    return entries.filter((e) => !NOT_A_TARGET.has(e.node.key));
  };

  const dragStart = (id: string, e: DragEvent) => {
    const info = dragInfo(store, expand(selection.selected.has(id) ? [...selection.selected] : [id]));
    if (!info) return e.preventDefault();
    e.dataTransfer.effectAllowed = 'copyMove';
    e.dataTransfer.setData(DRAG_TYPE, JSON.stringify(info.ids));
    const what = takenText(store, info.ids);
    e.dataTransfer.setData('text/plain', what);
    if (info.ids.length > 1) {
      // "3 messages" under the pointer rather than a picture of the one row grabbed.
      const ghost = document.createElement('div');
      ghost.className = 'drag-ghost';
      ghost.textContent = what;
      document.body.append(ghost);
      e.dataTransfer.setDragImage(ghost, 12, 12);
      setTimeout(() => ghost.remove(), 0);
    }
    setDrag(info);
  };

  /** Messages dropped on a folder of their own account (the sidebar refuses any other). */
  const drop = (t: string[], folder: string, copy: boolean) => {
    setDrag(null);
    if (NOT_A_TARGET.has(folder)) return;
    if (copy) void actions.copy(t, folder);
    else moveTo(t, folder);
  };

  return { dialog, setDialog, drag, endDrag: () => setDrag(null), moveTo, leave, deleteForGood, pickerEntries, dragStart, drop };
}

export type Filing = ReturnType<typeof useFiling>;
