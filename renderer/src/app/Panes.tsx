/**
 * The three panes and the splitters between them: the folders (unless hidden), the message list
 * and the message, side by side (wide layout) or the list above the message (classic).
 */
import { useRef, type ReactNode } from 'react';
import { Splitter } from './Splitter.js';
import { SHARE, SIDEBAR_WIDTH, type Layout } from './view-settings.js';

export function Panes({ layout, setLayout, sidebar, list, message }: { layout: Layout; setLayout: (patch: Partial<Layout>) => void; sidebar: ReactNode; list: ReactNode; message: ReactNode }) {
  const panesRef = useRef<HTMLDivElement>(null);
  const mailPanesRef = useRef<HTMLDivElement>(null);
  const wide = layout.mode === 'wide';
  // Drag positions are in window pixels; CSS zoom scales what the pane widths mean.
  const sidebarAt = (x: number) => (x - (panesRef.current?.getBoundingClientRect().left ?? 0)) / layout.zoom;
  const shareAt = (x: number, y: number) => {
    const r = mailPanesRef.current?.getBoundingClientRect();
    if (!r) return wide ? layout.listWidth : layout.listHeight;
    return wide ? (x - r.left) / r.width : (y - r.top) / r.height;
  };
  return (
    <div className="panes" ref={panesRef} style={{ ['--sidebar-w' as string]: `${layout.sidebarWidth}px`, ['--list-share' as string]: `${(wide ? layout.listWidth : layout.listHeight) * 100}%` }}>
      {!layout.sidebarHidden && (
        <>
          {sidebar}
          <Splitter
            label="Resize the folders"
            orientation="vertical"
            value={layout.sidebarWidth}
            min={SIDEBAR_WIDTH.min}
            max={SIDEBAR_WIDTH.max}
            step={16}
            toValue={sidebarAt}
            onChange={(w) => setLayout({ sidebarWidth: w })}
            describe={(w) => `${Math.round(w)} pixels`}
          />
        </>
      )}
      <div className="mail-panes" ref={mailPanesRef}>
        <div className="list-slot">{list}</div>
        <Splitter
          label={wide ? 'Resize the message list' : 'Resize the message list (height)'}
          orientation={wide ? 'vertical' : 'horizontal'}
          value={wide ? layout.listWidth : layout.listHeight}
          min={SHARE.min}
          max={SHARE.max}
          step={0.05}
          toValue={shareAt}
          onChange={(v) => setLayout(wide ? { listWidth: v } : { listHeight: v })}
          describe={(v) => `${Math.round(v * 100)}%`}
        />
        {message}
      </div>
    </div>
  );
}
