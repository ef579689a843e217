/**
 * A row of buttons that stays one row: the actions that do not fit wait in its More menu, the
 * least used first (each action's rank), and come back as the row widens, as Thunderbird's and
 * Outlook's message toolbars do. At 800 × 600 the reading pane's ten buttons took three rows and
 * pushed the message down (walkthrough m10). The buttons are measured in the page, in a layout
 * effect (before the browser paints, so nothing jumps); where nothing is laid out (jsdom) every
 * action shows as a button. Keyboard: Tab reaches each button and More; More's menu takes the
 * arrow keys.
 */
import { useLayoutEffect, useRef, useState } from 'react';
import { Menu, type MenuItem } from './Menu.js';

export interface BarAction {
  /** The same across renders, whatever the label says (Flag / Unflag). */
  key: string;
  label: string;
  onSelect: () => void;
  /** Lower stays on the row longer; of two alike, the earlier one. */
  rank: number;
  /** An icon (an SVG path on a 24-pixel grid) shown instead of the label, which becomes the button's name and tooltip. */
  icon?: string;
  /** The tooltip, with the shortcut, e.g. "Archive (A)". */
  title?: string;
  /** The shortcut shown beside it in the More menu. */
  hint?: string;
  className?: string;
  pressed?: boolean;
}

const MORE = 'more';
/** A button's width is known per label ("Mark as read" and "Mark as unread" differ). */
const widthKey = (a: BarAction) => `${a.key}\n${a.label}`;

/**
 * The keys of the actions that fit in `room` beside More: taken by rank (of two alike, the
 * earlier), each one that still fits; one too wide leaves room for a narrower one after it.
 */
export function fitting(actions: readonly BarAction[], width: (a: BarAction) => number, more: number, gap: number, room: number): Set<string> {
  const byRank = actions.map((a, i) => ({ a, i })).sort((x, y) => x.a.rank - y.a.rank || x.i - y.i);
  const kept = new Set<string>();
  let used = more;
  for (const { a } of byRank) {
    const w = width(a) + gap;
    // Half a pixel of slack: widths are fractional and summed.
    if (used + w > room + 0.5) continue;
    used += w;
    kept.add(a.key);
  }
  return kept;
}

function innerWidth(el: HTMLElement): { room: number; gap: number } {
  const style = getComputedStyle(el);
  const room = el.getBoundingClientRect().width - (parseFloat(style.paddingLeft) || 0) - (parseFloat(style.paddingRight) || 0);
  return { room: Math.max(0, room), gap: parseFloat(style.columnGap) || 0 };
}

export function ActionBar({ label, className, actions, more, moreLabel }: { label: string; className?: string; actions: BarAction[]; more: MenuItem[]; moreLabel: string }) {
  const bar = useRef<HTMLDivElement>(null);
  const widths = useRef(new Map<string, number>());
  /** The row's inner width and the gap between buttons; room 0: not laid out (every action shows). */
  const [space, setSpace] = useState({ room: 0, gap: 0 });
  const [, setMeasured] = useState(0);
  /** Where the More menu opens (under its button), or null when closed. */
  const [moreAt, setMoreAt] = useState<{ x: number; y: number } | null>(null);

  const known = space.room > 0 && widths.current.has(MORE) && actions.every((a) => widths.current.has(widthKey(a)));
  const shown = known ? fitting(actions, (a) => widths.current.get(widthKey(a))!, widths.current.get(MORE)!, space.gap, space.room) : new Set(actions.map((a) => a.key));

  // After every render: learn the width of each button on the row; a label not measured yet shows
  // every action once (before paint) so that it is.
  useLayoutEffect(() => {
    const el = bar.current;
    if (!el) return;
    let learned = false;
    for (const b of el.querySelectorAll<HTMLElement>(':scope > [data-width-key]')) {
      const w = b.getBoundingClientRect().width;
      const k = b.dataset.widthKey!;
      if (w > 0 && widths.current.get(k) !== w) {
        widths.current.set(k, w);
        learned = true;
      }
    }
    const now = innerWidth(el);
    if (now.room !== space.room || now.gap !== space.gap) setSpace(now);
    else if (learned) setMeasured((n) => n + 1);
  });

  useLayoutEffect(() => {
    const el = bar.current;
    if (!el || typeof ResizeObserver === 'undefined') return;
    const ro = new ResizeObserver(() => setSpace((s) => {
      const now = innerWidth(el);
      return now.room === s.room && now.gap === s.gap ? s : now;
    }));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  const away = actions.filter((a) => !shown.has(a.key));
  const menu: MenuItem[] = [
    ...away.map((a) => ({ label: a.label, onSelect: a.onSelect, ...(a.hint ? { hint: a.hint } : {}) })),
    ...more.map((item, i) => (i === 0 && away.length > 0 ? { ...item, separatorBefore: true } : item)),
  ];
  return (
    <div ref={bar} className={className ? `action-bar ${className}` : 'action-bar'} role="toolbar" aria-label={label}>
      {actions
        .filter((a) => shown.has(a.key))
        .map((a) => (
          <button key={a.key} type="button" data-width-key={widthKey(a)} className={a.icon ? `icon-button${a.className ? ` ${a.className}` : ''}` : a.className} title={a.title ?? (a.icon ? a.label : undefined)} aria-label={a.icon ? a.label : undefined} aria-pressed={a.pressed} onClick={a.onSelect}>
            {a.icon ? (
              <svg className="icon" viewBox="0 0 24 24" width="16" height="16" aria-hidden="true">
                <path d={a.icon} />
              </svg>
            ) : (
              a.label
            )}
          </button>
        ))}
      <button
        type="button"
        data-width-key={MORE}
        aria-haspopup="menu"
        aria-expanded={moreAt !== null}
        onClick={(e) => {
          const r = e.currentTarget.getBoundingClientRect();
          setMoreAt({ x: r.left, y: r.bottom + 2 });
        }}
      >
        More ▾
      </button>
      {moreAt && <Menu label={moreLabel} at={moreAt} onClose={() => setMoreAt(null)} items={menu} />}
    </div>
  );
}
