/** The toolbar's View menu: the layout, the folder pane, zoom and the shortcuts list. */
import type { MenuSpec } from '../features/inbox/menus.js';
import type { MenuItem } from './Menu.js';
import { ZOOM, type Layout } from './view-settings.js';

/** The zoom after a step in or out (0: back to actual size), rounded to tenths. */
export const zoomAfter = (zoom: number, step: number): number => (step === 0 ? 1 : Math.round((zoom + step) * 10) / 10);

export function viewMenu(layout: Layout, setLayout: (patch: Partial<Layout>) => void, showHelp: () => void): MenuSpec {
  const zoomBy = (step: number) => setLayout({ zoom: zoomAfter(layout.zoom, step) });
  const items: MenuItem[] = [
    { label: 'Wide layout (list beside message)', kind: 'radio', checked: layout.mode === 'wide', onSelect: () => setLayout({ mode: 'wide' }) },
    { label: 'Classic layout (list above message)', kind: 'radio', checked: layout.mode === 'classic', onSelect: () => setLayout({ mode: 'classic' }) },
    { label: 'Folders', kind: 'check', checked: !layout.sidebarHidden, hint: 'F9', onSelect: () => setLayout({ sidebarHidden: !layout.sidebarHidden }), separatorBefore: true },
    { label: 'Zoom in', hint: 'Ctrl +', disabled: layout.zoom >= ZOOM.max, onSelect: () => zoomBy(ZOOM.step), separatorBefore: true },
    { label: 'Zoom out', hint: 'Ctrl −', disabled: layout.zoom <= ZOOM.min, onSelect: () => zoomBy(-ZOOM.step) },
    { label: `Actual size (now ${Math.round(layout.zoom * 100)}%)`, hint: 'Ctrl 0', onSelect: () => zoomBy(0) },
    { label: 'Keyboard shortcuts', hint: '?', onSelect: showHelp, separatorBefore: true },
  ];
  return { label: 'View', items };
}
