/**
 * Messages dragged from the list onto a folder. The dragged ids are held by the app while the
 * drag lasts (a drop target cannot read the drag's data until the drop, and must know at once
 * whether it takes them); the data also carries them, as text, for anything outside.
 */
import type { MessageStore } from '../../db/message-store.js';

export interface DragInfo {
  ids: string[];
  /** The accounts and folders the messages are in (a drop goes only to their own account). */
  accounts: ReadonlySet<string>;
  folders: ReadonlySet<string>;
}

export const DRAG_TYPE = 'application/x-popbox-messages';

export function dragInfo(store: MessageStore, ids: readonly string[]): DragInfo | null {
  const rows = ids.flatMap((id) => store.get(id) ?? []);
  if (rows.length === 0) return null;
  return { ids: rows.map((r) => r.id), accounts: new Set(rows.map((r) => r.accountId)), folders: new Set(rows.map((r) => r.folder)) };
}

/** Alt (Option on macOS) or Ctrl held while dropping copies instead of moving. */
export function isCopyDrag(e: { altKey: boolean; ctrlKey: boolean }): boolean {
  return e.altKey || e.ctrlKey;
}
