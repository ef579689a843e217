/**
 * The window's view settings, remembered in localStorage across reloads and restarts (they are
 * this window's look, not mail state, so they do not go to main): the folder pane's width and
 * whether it is shown, the message list's share of the space beside (wide layout) or above
 * (classic layout) the reading pane, the list's order, and the zoom. The list's share is a fraction, so a wide window gives both panes
 * room instead of keeping the list at a fixed narrow width.
 */
import { isListSort, type ListSort } from '../features/inbox/sort.js';

export type LayoutMode = 'wide' | 'classic';

export interface Layout {
  mode: LayoutMode;
  sidebarWidth: number;
  sidebarHidden: boolean;
  /** The list's share of the width right of the folders (wide). */
  listWidth: number;
  /** The list's share of the height (classic). */
  listHeight: number;
  /** Text size as a factor of the default (Ctrl +/-). */
  zoom: number;
  sort: ListSort;
  /** The order's other direction (oldest first, Z to A, smallest first…). */
  reversed: boolean;
}

const KEY = 'popbox:layout';
export const DEFAULT_LAYOUT: Layout = { mode: 'wide', sidebarWidth: 220, sidebarHidden: false, listWidth: 0.4, listHeight: 0.4, zoom: 1, sort: 'date', reversed: false };
export const SIDEBAR_WIDTH = { min: 140, max: 480 };
export const SHARE = { min: 0.15, max: 0.85 };
export const ZOOM = { min: 0.5, max: 2, step: 0.1 };

const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));

/** A stored layout, each field checked (a hand-edited or older record falls back field by field). */
export function readLayout(raw: string | null): Layout {
  let v: Record<string, unknown> = {};
  try {
    const parsed: unknown = raw ? JSON.parse(raw) : {};
    if (parsed && typeof parsed === 'object') v = parsed as Record<string, unknown>;
  } catch {
    // A broken record is the default layout.
  }
  const num = (k: keyof Layout, lo: number, hi: number) => (typeof v[k] === 'number' && Number.isFinite(v[k]) ? clamp(v[k], lo, hi) : (DEFAULT_LAYOUT[k] as number));
  return {
    mode: v.mode === 'classic' ? 'classic' : 'wide',
    sidebarWidth: num('sidebarWidth', SIDEBAR_WIDTH.min, SIDEBAR_WIDTH.max),
    sidebarHidden: v.sidebarHidden === true,
    listWidth: num('listWidth', SHARE.min, SHARE.max),
    listHeight: num('listHeight', SHARE.min, SHARE.max),
    zoom: Math.round(num('zoom', ZOOM.min, ZOOM.max) * 10) / 10,
    sort: isListSort(v.sort) ? v.sort : 'date',
    reversed: v.reversed === true,
  };
}

/** The stored settings (read by the start-up snapshot too, so it must not need React). */
export function loadLayout(): Layout {
  try {
    return readLayout(localStorage.getItem(KEY));
  } catch {
    return DEFAULT_LAYOUT;
  }
}

export function saveLayout(layout: Layout): void {
  try {
    localStorage.setItem(KEY, JSON.stringify(layout));
  } catch {
    // Storage full or off: the settings still change for this session.
  }
}
