/**
 * Which of the server's messages are ticked and which row has the keyboard focus, by UIDL.
 * Ticks follow the listing: a message gone from the server is no longer selected.
 */
import { useEffect, useState } from 'react';

export interface ServerSelection {
  selected: ReadonlySet<string>;
  focused: string | null;
  /** Space, x or the row's checkbox: tick or untick one, keeping the others. */
  toggle(uidl: string): void;
  /** A click on a row: that row alone; Ctrl adds or removes it; Shift ticks the range from the last one. */
  click(uidl: string, mods: { shift: boolean; toggle: boolean }): void;
  /** Moves the focus `delta` rows (clamped) without changing the ticks. */
  step(delta: number): void;
  focus(uidl: string): void;
  selectAll(): void;
  clear(): void;
}

/** `order`: the rows as shown (filtered and sorted). */
export function useServerSelection(order: readonly string[]): ServerSelection {
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const [focused, setFocused] = useState<string | null>(null);
  const [anchor, setAnchor] = useState<string | null>(null);

  useEffect(() => {
    const present = new Set(order);
    if ([...selected].some((u) => !present.has(u))) setSelected(new Set([...selected].filter((u) => present.has(u))));
    if (focused && !present.has(focused)) setFocused(order[0] ?? null);
  }, [order]);

  const toggle = (uidl: string) => {
    const next = new Set(selected);
    if (next.has(uidl)) next.delete(uidl);
    else next.add(uidl);
    setSelected(next);
    setFocused(uidl);
    setAnchor(uidl);
  };

  return {
    selected,
    focused,
    toggle,
    click(uidl, mods) {
      if (mods.toggle) return toggle(uidl);
      if (mods.shift && anchor) {
        const a = order.indexOf(anchor);
        const b = order.indexOf(uidl);
        if (a >= 0 && b >= 0) {
          setSelected(new Set([...selected, ...order.slice(Math.min(a, b), Math.max(a, b) + 1)]));
          setFocused(uidl);
          return;
        }
      }
      setSelected(new Set([uidl]));
      setFocused(uidl);
      setAnchor(uidl);
    },
    step(delta) {
      if (order.length === 0) return;
      const i = focused ? order.indexOf(focused) : -1;
      const next = i < 0 ? (delta > 0 ? 0 : order.length - 1) : Math.min(order.length - 1, Math.max(0, i + delta));
      setFocused(order[next]!);
    },
    focus: setFocused,
    selectAll: () => setSelected(new Set(order)),
    clear: () => setSelected(new Set()),
  };
}
