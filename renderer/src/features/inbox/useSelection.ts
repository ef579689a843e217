/**
 * Which messages of the list are selected, which one has the keyboard focus and which one is
 * open in the reading pane, and how all three follow the list: a click, Shift/Ctrl-click,
 * the arrow keys, and messages leaving the view.
 */
import { useCallback, useEffect, useState } from 'react';
import { inView, type MailboxView, type MessageStore } from '../../db/message-store.js';

export interface Selection {
  selected: ReadonlySet<string>;
  focused: string | null;
  openId: string | null;
  /** Opens a message (marking it read) and focuses it. */
  open(id: string): Promise<void>;
  /** That message alone, selected and open. */
  show(id: string): void;
  click(id: string, mods: { shift: boolean; toggle: boolean }): void;
  /** Moves the focus `delta` rows (clamped), selecting and opening that row; false on an empty list. */
  step(delta: number): boolean;
  /**
   * That message alone, selected and focused, without opening it (nor marking it read): the
   * reading pane keeps its message only if it is this one, so pane and list never disagree.
   */
  point(id: string): void;
  selectAll(): void;
  /** Nothing selected or open (the focus stays). */
  clear(): void;
  /** A new view: nothing selected, focused or open. */
  reset(): void;
  /** What a command acts on: the selection, else the focused message. */
  targets(): string[];
  /**
   * Runs `command` on messages leaving the view; the selection moves to the next message still
   * there, as in Thunderbird.
   */
  leaveWith(ids: string[], command: () => Promise<unknown>): void;
}

/** The message after the last of `gone` in `ids` still listed, else the one before; null if none. */
export function nextAfter(ids: readonly string[], gone: ReadonlySet<string>): string | null {
  let i = -1;
  for (let k = ids.length - 1; k >= 0; k--) {
    if (gone.has(ids[k]!)) {
      i = k;
      break;
    }
  }
  // Nothing to move to when none of them is listed (a search that hides the open message).
  if (i < 0) return null;
  for (let k = i + 1; k < ids.length; k++) if (!gone.has(ids[k]!)) return ids[k]!;
  for (let k = i - 1; k >= 0; k--) if (!gone.has(ids[k]!)) return ids[k]!;
  return null;
}

/** `markRead`: opening an unread message marks it read (not an undoable command of the user's). */
export function useSelection(store: MessageStore, ids: string[], listView: MailboxView, markRead: (ids: string[], seen: boolean) => Promise<void>): Selection {
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const [focused, setFocused] = useState<string | null>(null);
  const [openId, setOpenId] = useState<string | null>(null);
  const [anchor, setAnchor] = useState<string | null>(null);

  const open = useCallback(
    async (id: string) => {
      setOpenId(id);
      setFocused(id);
      const row = store.get(id);
      if (row && !row.seen) await markRead([id], true);
    },
    [store, markRead],
  );

  // Selection follows what is still in the view.
  useEffect(() => {
    if (selected.size === 0) return; // nothing to check (and no 100,000-entry set per keystroke)
    const present = new Set(ids);
    if ([...selected].some((id) => !present.has(id))) setSelected(new Set([...selected].filter((id) => present.has(id))));
  }, [ids]);

  // The open message leaves the reading pane when it leaves the view (moved to Trash or restored
  // elsewhere, by a bulk command, another window or the shell), so the pane never offers the
  // other folder's buttons for it.
  useEffect(() => {
    if (!openId || !store.loaded) return;
    const row = store.get(openId);
    if (!row || !inView(row, listView)) setOpenId(null);
  }, [ids]);

  const show = (id: string) => {
    setSelected(new Set([id]));
    void open(id);
  };

  return {
    selected,
    focused,
    openId,
    open,
    show,
    click(id, mods) {
      if (mods.toggle) {
        const next = new Set(selected);
        if (next.has(id)) next.delete(id);
        else next.add(id);
        setSelected(next);
        setAnchor(id);
        setFocused(id);
        return;
      }
      if (mods.shift && anchor) {
        const a = ids.indexOf(anchor);
        const b = ids.indexOf(id);
        if (a >= 0 && b >= 0) {
          setSelected(new Set(ids.slice(Math.min(a, b), Math.max(a, b) + 1)));
          setFocused(id);
          return;
        }
      }
      setAnchor(id);
      show(id);
    },
    step(delta) {
      if (ids.length === 0) return false;
      const i = focused ? ids.indexOf(focused) : -1;
      const next = ids[Math.max(0, Math.min(ids.length - 1, i + delta))]!;
      setAnchor(next);
      show(next);
      return true;
    },
    point(id) {
      setSelected(new Set([id]));
      setAnchor(id);
      setFocused(id);
      if (openId !== id) setOpenId(null);
    },
    selectAll: () => setSelected(new Set(ids)),
    clear() {
      setSelected(new Set());
      setOpenId(null);
    },
    reset() {
      setSelected(new Set());
      setOpenId(null);
      setFocused(null);
    },
    targets: () => (selected.size > 0 ? [...selected] : focused ? [focused] : []),
    leaveWith(t, command) {
      if (t.length === 0) return;
      // The move goes up first, then the next message is opened (and marked read).
      void command();
      // A search of all mail still lists what moved (unless it was deleted).
      if (listView.kind === 'all') return;
      const gone = new Set(t);
      if ((openId && gone.has(openId)) || (focused && gone.has(focused)) || [...selected].some((id) => gone.has(id))) {
        const after = nextAfter(ids, gone);
        setSelected(after ? new Set([after]) : new Set());
        setAnchor(after);
        setFocused(after);
        if (after) void open(after);
        else setOpenId(null);
      }
    },
  };
}
