/**
 * The server's messages as a grid: a checkbox, From, Subject, Date, Size and where each stands
 * (badges). Virtualized, as the message list is: a mailbox of 20,000 renders only what is on
 * screen. Column heads sort; the keys are the grid's own (see ServerView).
 */
import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useRef, type KeyboardEvent } from 'react';
import type { ServerMessage } from '../../../../shared/server-view.js';
import { formatBytes, formatListDate } from '../../app/format.js';
import { badgesOf } from './server-text.js';
import type { ServerSort } from './shown.js';

/** Three lines, as the message list's rows: sender, date and size; the subject; where it stands (fits a narrow list pane). */
export const SERVER_ROW_HEIGHT = 66;

export interface ServerListProps {
  messages: readonly ServerMessage[];
  selected: ReadonlySet<string>;
  focused: string | null;
  sort: ServerSort;
  reversed: boolean;
  onSort: (sort: ServerSort) => void;
  onToggle: (uidl: string) => void;
  onClick: (uidl: string, mods: { shift: boolean; toggle: boolean }) => void;
  /** Double-click (Enter is the grid's key handler's). */
  onOpen: (m: ServerMessage) => void;
  onKeyDown: (e: KeyboardEvent<HTMLDivElement>) => void;
  emptyText: string;
}

const dateText = (m: ServerMessage) => {
  const t = m.date ? Date.parse(m.date) : NaN;
  return Number.isNaN(t) ? '' : formatListDate(t);
};

/** The row's accessible name: what a screen reader says before the cells. */
export function rowLabel(m: ServerMessage): string {
  const from = m.from || (m.headersKnown ? '(no sender)' : '(headers not fetched yet)');
  const subject = m.subject || (m.headersKnown ? '(no subject)' : '');
  return [from, subject, dateText(m), formatBytes(m.size), ...badgesOf(m).map((b) => b.text)].filter(Boolean).join(', ');
}

const COLUMNS: { sort: ServerSort; label: string; className: string }[] = [
  { sort: 'from', label: 'From', className: 'sv-from' },
  { sort: 'subject', label: 'Subject', className: 'sv-subject' },
  { sort: 'date', label: 'Date', className: 'sv-date' },
  { sort: 'size', label: 'Size', className: 'sv-size' },
];

function Row({ m, index, start, selected, focused, onToggle, onClick, onOpen }: { m: ServerMessage; index: number; start: number; selected: boolean; focused: boolean } & Pick<ServerListProps, 'onToggle' | 'onClick' | 'onOpen'>) {
  const unknown = !m.headersKnown;
  return (
    <div
      role="row"
      aria-rowindex={index + 2}
      aria-selected={selected}
      aria-label={rowLabel(m)}
      data-uidl={m.uidl}
      className={`sv-row${selected ? ' selected' : ''}${focused ? ' focused' : ''}${m.local === 'downloaded' ? ' sv-here' : ''}`}
      style={{ transform: `translateY(${start}px)`, height: SERVER_ROW_HEIGHT }}
      onClick={(e) => onClick(m.uidl, { shift: e.shiftKey, toggle: e.ctrlKey || e.metaKey })}
      onDoubleClick={() => onOpen(m)}
    >
      <div role="gridcell" className="sv-check">
        {/* The checkbox ticks alone: a click on it never clears the other ticks. */}
        <input
          type="checkbox"
          tabIndex={-1}
          checked={selected}
          aria-label={`Select ${m.subject || m.from || m.uidl}`}
          onClick={(e) => e.stopPropagation()}
          onChange={(e) => {
            onToggle(m.uidl);
            // The keys (x, Delete, arrows) stay the list's after a click on a box.
            e.currentTarget.closest<HTMLElement>('[role="grid"]')?.focus({ preventScroll: true });
          }}
        />
      </div>
      <div role="gridcell" className={`sv-from${unknown ? ' muted' : ''}`}>
        {m.from || (unknown ? 'Headers not fetched yet' : '(no sender)')}
      </div>
      <div role="gridcell" className="sv-date">
        {dateText(m)}
      </div>
      <div role="gridcell" className="sv-size">
        {formatBytes(m.size)}
      </div>
      <div role="gridcell" className="sv-subject">
        {m.subject || (unknown ? '' : '(no subject)')}
      </div>
      <div role="gridcell" className="sv-state">
        {badgesOf(m).map((b) => (
          <span key={b.text} className={`sv-badge tone-${b.tone}`} title={b.title ?? b.text}>
            {b.text}
          </span>
        ))}
      </div>
    </div>
  );
}

export function ServerList(props: ServerListProps) {
  const scrollRef = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: props.messages.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => SERVER_ROW_HEIGHT,
    overscan: 12,
    getItemKey: (i) => props.messages[i]?.uidl ?? i,
    initialRect: { width: 600, height: 800 },
  });

  // Keep the focused row in view when the keyboard moves it.
  useEffect(() => {
    if (!props.focused) return;
    const i = props.messages.findIndex((m) => m.uidl === props.focused);
    if (i >= 0) virtualizer.scrollToIndex(i, { align: 'auto' });
  }, [props.focused]);

  // From and Subject read A to Z first; Date and Size newest and biggest first.
  const direction = (s: ServerSort): 'ascending' | 'descending' => ((s === 'from' || s === 'subject') !== props.reversed ? 'ascending' : 'descending');
  const sortMark = (s: ServerSort) => (props.sort === s ? (direction(s) === 'ascending' ? ' ▴' : ' ▾') : '');
  return (
    <div ref={scrollRef} className="sv-scroll" role="grid" aria-label="Messages on the server" aria-multiselectable="true" aria-rowcount={props.messages.length + 1} tabIndex={0} onKeyDown={props.onKeyDown}>
      <div role="row" aria-rowindex={1} className="sv-head">
        <div role="columnheader" className="sv-check" aria-label="Selected" />
        {COLUMNS.map((c) => (
          <div key={c.sort} role="columnheader" className={c.className} aria-sort={props.sort === c.sort ? direction(c.sort) : 'none'}>
            <button type="button" className="sv-sort" tabIndex={-1} onClick={() => props.onSort(c.sort)} title={`Sort by ${c.label.toLowerCase()}; again to reverse`}>
              {c.label}
              {sortMark(c.sort)}
            </button>
          </div>
        ))}
        <div role="columnheader" className="sv-state">
          State
        </div>
      </div>
      {props.messages.length === 0 ? (
        <div className="empty" role="row">
          <div role="gridcell">{props.emptyText}</div>
        </div>
      ) : (
        <div className="sv-inner" style={{ height: virtualizer.getTotalSize() }} role="rowgroup">
          {virtualizer.getVirtualItems().map((item) => {
            const m = props.messages[item.index];
            if (!m) return null;
            return <Row key={item.key} m={m} index={item.index} start={item.start} selected={props.selected.has(m.uidl)} focused={props.focused === m.uidl} onToggle={props.onToggle} onClick={props.onClick} onOpen={props.onOpen} />;
          })}
        </div>
      )}
    </div>
  );
}
