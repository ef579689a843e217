/**
 * The first thing a window shows: last session's first rows of the Unified Inbox, painted with
 * plain DOM from localStorage while the app (React, Dexie, the rest of the bundle) loads. It
 * looks like the list and says it is loading; React replaces it on its first render.
 */
import type { MessageRow } from '../db/database.js';
import type { StoredHead } from '../db/head.js';
import { ICON_PATHS, ROW_HEIGHT, rowText } from '../features/inbox/row-text.js';
import { loadLayout } from '../app/view-settings.js';

function el<K extends keyof HTMLElementTagNameMap>(tag: K, props: Record<string, string> = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) node.setAttribute(k, v);
  node.append(...children);
  return node;
}

function icon(kind: keyof typeof ICON_PATHS): SVGElement {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  for (const [k, v] of Object.entries({ class: `icon ${kind}`, viewBox: '0 0 24 24', width: '14', height: '14', 'aria-hidden': 'true' })) svg.setAttribute(k, v);
  const path = document.createElementNS(ns, 'path');
  path.setAttribute('d', ICON_PATHS[kind]);
  svg.append(path);
  return svg;
}

function row(r: MessageRow, index: number, date: string | undefined): HTMLElement {
  const t = rowText(r, date);
  const sender = el('span', { class: 'sender' }, t.sender);
  // Element Timing: when the first rows were really painted (read by the benchmark).
  if (index === 0) sender.setAttribute('elementtiming', 'first-row');
  const top = el('div', { class: 'row-top' }, el('span', { class: 'unread-dot', 'aria-hidden': 'true' }), sender);
  if (r.hasAttachments) top.append(icon('attach'));
  if (r.flagged) top.append(icon('flag'));
  top.append(el('span', { class: 'date' }, t.date));
  const cell = el('div', { role: 'gridcell', class: 'row-main' }, top, el('div', { class: 'subject' }, t.subject), el('div', { class: 'snippet' }, t.snippet));
  return el(
    'div',
    { role: 'row', 'aria-rowindex': String(index + 1), 'aria-label': t.label, 'data-id': r.id, class: `row${r.seen ? '' : ' unread'}`, style: `transform: translateY(${index * ROW_HEIGHT}px); height: ${ROW_HEIGHT}px` },
    cell,
  );
}

/** Paint the snapshot into an empty root; returns whether there was anything to show. */
export function paintSnapshot(root: HTMLElement, head: StoredHead | null): boolean {
  if (!head || root.childElementCount > 0) return false;
  // The same panes as the app (sizes, layout, zoom), so nothing jumps when it takes over; the
  // head is in date order, so a list the user sorts otherwise waits for the app.
  const layout = loadLayout();
  if (layout.sort !== 'date' || layout.reversed) return false;
  if (layout.zoom !== 1) document.documentElement.style.zoom = String(layout.zoom);
  const wide = layout.mode === 'wide';
  // Only what fits on the screen.
  const shown = head.rows.slice(0, Math.ceil((window.innerHeight || 1200) / ROW_HEIGHT) + 1);
  const list = el('div', { class: 'list-inner', role: 'rowgroup', style: `height: ${shown.length * ROW_HEIGHT}px` }, ...shown.map((r, i) => row(r, i, head.dates?.[i])));
  root.append(
    el(
      'div',
      { class: `app layout-${layout.mode}`, 'aria-busy': 'true' },
      el('header', { class: 'toolbar' }, el('button', { type: 'button', class: 'primary', disabled: '' }, 'Get Mail')),
      el(
        'div',
        { class: 'panes', style: `--sidebar-w: ${layout.sidebarWidth}px; --list-share: ${(wide ? layout.listWidth : layout.listHeight) * 100}%` },
        ...(layout.sidebarHidden ? [] : [el('nav', { class: 'sidebar', 'aria-label': 'Folders' }), el('div', { class: 'splitter splitter-vertical' })]),
        el(
          'div',
          { class: 'mail-panes' },
          el(
            'div',
            { class: 'list-slot' },
            el(
              'div',
              { class: 'list-pane' },
              el('div', { class: 'list-header' }, el('span', { class: 'count' }, 'Loading…')),
              el('div', { class: 'list-scroll', role: 'grid', 'aria-label': 'Messages', 'aria-busy': 'true' }, list),
            ),
          ),
          el('div', { class: `splitter splitter-${wide ? 'vertical' : 'horizontal'}` }),
          el('section', { class: 'reader empty-reader', 'aria-label': 'Message' }),
        ),
      ),
    ),
  );
  return true;
}
