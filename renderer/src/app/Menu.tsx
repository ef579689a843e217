/**
 * A popup menu (the View menu, a message's context menu): arrow keys move, Enter or a click
 * chooses, Escape, Tab or a click elsewhere closes. Shown at a point, kept inside the window.
 */
import { useLayoutEffect, useRef, useState } from 'react';
import { createPortal } from 'react-dom';
import { useOverlayKeys } from './overlay.js';

export interface MenuItem {
  label: string;
  onSelect: () => void;
  disabled?: boolean;
  /** A radio or check item: whether it is on. */
  checked?: boolean;
  kind?: 'radio' | 'check';
  /** Shown at the right, e.g. the item's shortcut. */
  hint?: string;
  separatorBefore?: boolean;
}

export function Menu({ label, items, at, onClose }: { label: string; items: MenuItem[]; at: { x: number; y: number }; onClose: () => void }) {
  const ref = useRef<HTMLDivElement>(null);
  const [pos, setPos] = useState(at);
  useLayoutEffect(() => {
    const r = ref.current?.getBoundingClientRect();
    if (!r) return;
    setPos({ x: Math.max(0, Math.min(at.x, window.innerWidth - r.width - 4)), y: Math.max(0, Math.min(at.y, window.innerHeight - r.height - 4)) });
  }, [at.x, at.y]);
  const move = (delta: number) => {
    const list = [...(ref.current?.querySelectorAll<HTMLElement>('[role^="menuitem"]:not([aria-disabled="true"])') ?? [])];
    if (list.length === 0) return;
    const i = list.indexOf(document.activeElement as HTMLElement);
    list[(i + delta + list.length) % list.length]!.focus();
  };
  useOverlayKeys(ref, onClose, (e) => {
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      move(e.key === 'ArrowDown' ? 1 : -1);
    } else if (e.key === 'Tab') {
      // Tab leaves a menu (it closes, as native menus do) instead of cycling in it.
      e.preventDefault();
      onClose();
    }
  });
  return createPortal(
    <div className="menu-backdrop" onMouseDown={(e) => e.target === e.currentTarget && onClose()} onContextMenu={(e) => (e.preventDefault(), onClose())}>
      <div ref={ref} role="menu" aria-label={label} className="menu" style={{ left: pos.x, top: pos.y }} tabIndex={-1}>
        {items.map((item) => (
          <div key={item.label} className={item.separatorBefore ? 'menu-group' : undefined} role="none">
            <button
              type="button"
              role={item.kind === 'radio' ? 'menuitemradio' : item.kind === 'check' ? 'menuitemcheckbox' : 'menuitem'}
              aria-checked={item.kind ? !!item.checked : undefined}
              aria-disabled={item.disabled || undefined}
              tabIndex={-1}
              className="menu-item"
              onClick={() => {
                if (item.disabled) return;
                onClose();
                item.onSelect();
              }}
            >
              <span className="menu-check" aria-hidden="true">
                {item.kind && item.checked ? '✓' : ''}
              </span>
              <span className="menu-label">{item.label}</span>
              {item.hint && <kbd className="menu-hint">{item.hint}</kbd>}
            </button>
          </div>
        ))}
      </div>
    </div>,
    document.body,
  );
}
