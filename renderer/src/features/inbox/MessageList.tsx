/**
 * The message list: virtualized (only the rows on screen exist), rows from the message store by id.
 * A grid named "Messages" with one row per message, named by sender, subject and date.
 */
import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useRef, type DragEvent, type ReactNode, type RefObject } from 'react';
import { useMessages } from '../../app/context.js';
import type { MessageRow } from '../../db/database.js';
import { Highlighted } from '../search/Highlighted.js';
import type { ThreadInfo } from '../threads/conversation.js';
import type { SearchTerm } from '../search/highlight.js';
import { ICON_PATHS, ROW_HEIGHT, rowText } from './row-text.js';
import { DIRECTION_LABELS, sortLabels, type ListPeople, type ListSort } from './sort.js';

export interface MessageListProps {
  ids: string[];
  /** `ids` is not the whole view yet (the start-up head, or the store still loading). */
  loading: boolean;
  selected: ReadonlySet<string>;
  focused: string | null;
  sort: ListSort;
  reversed: boolean;
  onSort: (s: ListSort, reversed: boolean) => void;
  onClick: (id: string, mods: { shift: boolean; toggle: boolean }) => void;
  onOpen: (id: string) => void;
  /** A right-click (or the context-menu key) on a row, with where to show the menu. */
  onContextMenu: (id: string, at: { x: number; y: number }) => void;
  /** The row whose context menu is open. */
  contextId?: string | null;
  /** Absent where the folder has nothing to mark (Trash). */
  onMarkAllRead?: () => void;
  /** The grid, so keyboard navigation can move focus into the list. */
  gridRef?: RefObject<HTMLDivElement | null>;
  emptyText: string;
  /** The folder the list shows, named above it. */
  title?: string;
  /** Where a message is filed, for views that span folders (the Unified Inbox, a search of all mail). */
  placeOf?: (row: MessageRow) => string;
  /** A drag of this row (and the selection, if it is in it) begins; it ends with onDragEnd. */
  onDragStart?: (id: string, e: DragEvent) => void;
  onDragEnd?: () => void;
  /** While searching: whether the search covers every folder, and the switch. */
  searchScope?: { all: boolean; onChange: (all: boolean) => void };
  /** While searching: the words to mark, and main's text around the first match by id (in place of the snippet). */
  marks?: ListMarks;
  /** Shown above the list (what a search is searching for). */
  banner?: ReactNode;
  /** In place of "N messages" (a search's count). */
  countText?: string;
  /** The ids are in order of relevance: the sort controls give way to saying so. */
  ranked?: boolean;
  /** Whose names the rows show: recipients in Sent, Drafts, Outbox; either in a search of every folder (the name order says so). */
  people?: ListPeople;
  /** The conversation switch; on, each row stands for its conversation (`info` by the row's id). */
  conversations?: { on: boolean; onToggle: () => void; info: ReadonlyMap<string, ThreadInfo> };
}

export interface ListMarks {
  terms: readonly SearchTerm[];
  pattern: RegExp | null;
  snippets: ReadonlyMap<string, string>;
}

function Icon({ kind, title }: { kind: keyof typeof ICON_PATHS; title: string }) {
  return (
    <svg className={`icon ${kind}`} viewBox="0 0 24 24" width="14" height="14" aria-hidden="true">
      <title>{title}</title>
      <path d={ICON_PATHS[kind]} />
    </svg>
  );
}

function Row({ row, index, selected, focused, context, onClick, onOpen, onContextMenu, start, place, onDragStart, onDragEnd, marks, thread }: { row: MessageRow; index: number; selected: boolean; focused: boolean; context: boolean; start: number; place: string | null; marks: ListMarks | undefined; thread?: ThreadInfo | undefined } & Pick<MessageListProps, 'onClick' | 'onOpen' | 'onContextMenu' | 'onDragStart' | 'onDragEnd'>) {
  // A conversation's row speaks for its newest message (a reply in Sent included): that
  // message's sender, subject, snippet and date together, never one's sender with another's date.
  const shown = thread?.latest ?? row;
  // Flagged if any of its messages is (the flag order puts it with the flagged ones).
  const flagged = thread ? thread.flagged : row.flagged === 1;
  // Unread (bold, the dot) if any of its messages is, not only the one shown.
  const unread = thread ? thread.unread > 0 : !row.seen;
  const { sender, subject, date, snippet: stored, label } = rowText(shown, undefined, flagged, unread);
  const snippet = marks?.snippets.get(shown.id) ?? marks?.snippets.get(row.id) ?? stored;
  const marked = (text: string) => (marks ? <Highlighted text={text} terms={marks.terms} pattern={marks.pattern} /> : text);
  return (
    <div
      role="row"
      aria-rowindex={index + 1}
      aria-selected={selected}
      aria-label={`${place ? `${label}, in ${place}` : label}${thread ? `, conversation of ${thread.count}${thread.unread ? `, ${thread.unread} unread` : ''}` : ''}`}
      data-id={row.id}
      draggable={!!onDragStart}
      onDragStart={onDragStart && ((e) => onDragStart(row.id, e))}
      onDragEnd={onDragEnd}
      className={`row${unread ? ' unread' : ''}${selected ? ' selected' : ''}${focused ? ' focused' : ''}${context ? ' context-target' : ''}`}
      style={{ transform: `translateY(${start}px)`, height: ROW_HEIGHT }}
      onClick={(e) => onClick(row.id, { shift: e.shiftKey, toggle: e.ctrlKey || e.metaKey })}
      onDoubleClick={() => onOpen(row.id)}
      onContextMenu={(e) => {
        e.preventDefault();
        onContextMenu(row.id, { x: e.clientX, y: e.clientY });
      }}
    >
      <div role="gridcell" className="row-main">
        <div className="row-top">
          <span className="unread-dot" aria-hidden="true" />
          {/* Element Timing: when the first rows were really painted (read by the benchmark). */}
          <span className="sender" {...(index === 0 ? { elementtiming: 'first-row' } : {})}>
            {marked(sender)}
          </span>
          {thread && (
            <span className="thread-count" title={`${thread.count} messages in this conversation${thread.unread ? `, ${thread.unread} unread` : ''}`}>
              {thread.unread ? `${thread.unread}/${thread.count}` : thread.count}
            </span>
          )}
          {row.hasAttachments === 1 && <Icon kind="attach" title="Has attachments" />}
          {flagged && <Icon kind="flag" title="Flagged" />}
          {place && <span className="row-place">{place}</span>}
          <span className="date">{date}</span>
        </div>
        <div className="subject">{marked(subject)}</div>
        <div className="snippet">{marked(snippet)}</div>
      </div>
    </div>
  );
}

export function MessageList(props: MessageListProps) {
  const store = useMessages();
  const ownRef = useRef<HTMLDivElement>(null);
  const scrollRef = props.gridRef ?? ownRef;
  const virtualizer = useVirtualizer({
    count: props.ids.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 12,
    getItemKey: (i) => props.ids[i] ?? i,
    initialRect: { width: 400, height: 800 },
  });
  const items = virtualizer.getVirtualItems();
  const first = items[0]?.index ?? 0;
  const last = items[items.length - 1]?.index ?? -1;
  const visibleIds = props.ids.slice(first, last + 1);
  const byId = new Map(visibleIds.map((id) => [id, store.get(id)] as const).filter((e): e is [string, MessageRow] => !!e[1]));
  const painted = useRef(false);
  if (!painted.current && byId.size > 0) {
    painted.current = true;
    performance.mark('popbox:first-rows');
  }

  // Keep the focused row in view when the keyboard moves it.
  useEffect(() => {
    if (!props.focused) return;
    const i = props.ids.indexOf(props.focused);
    if (i >= 0) virtualizer.scrollToIndex(i, { align: 'auto' });
  }, [props.focused]);

  return (
    <div className="list-pane">
      {props.title && <h2 className="list-title">{props.title}</h2>}
      {props.banner}
      <div className="list-header">
        {props.ranked ? (
          <span className="ranked">Best matches first</span>
        ) : (
          <>
            <label>
              Sort by{' '}
              <select value={props.sort} onChange={(e) => props.onSort(e.target.value as ListSort, false)}>
                {Object.entries(sortLabels(props.people ?? 'senders')).map(([value, label]) => (
                  <option key={value} value={value}>
                    {label}
                  </option>
                ))}
              </select>
            </label>
            <button
              type="button"
              className="small"
              aria-label={`Order: ${DIRECTION_LABELS[props.sort][props.reversed ? 1 : 0]}. Reverse it`}
              onClick={() => props.onSort(props.sort, !props.reversed)}
            >
              {DIRECTION_LABELS[props.sort][props.reversed ? 1 : 0]} <span aria-hidden="true">⇅</span>
            </button>
          </>
        )}
        {props.searchScope && (
          <button type="button" className="small" aria-pressed={props.searchScope.all} onClick={() => props.searchScope!.onChange(!props.searchScope!.all)} title="Search every folder of every account, not only this one">
            All folders
          </button>
        )}
        {props.conversations && (
          <button type="button" className="small" aria-pressed={props.conversations.on} onClick={props.conversations.onToggle} title="One row per conversation (T)">
            Conversations
          </button>
        )}
        {props.onMarkAllRead && (
          <button type="button" className="small" onClick={props.onMarkAllRead} title="Mark every message in this folder as read (Shift+C)">
            Mark all as read
          </button>
        )}
        <span className="count" aria-live="polite">
          {props.countText ?? (props.loading ? 'Loading…' : `${props.ids.length.toLocaleString()} ${props.conversations?.on ? 'conversation' : 'message'}${props.ids.length === 1 ? '' : 's'}`)}
        </span>
      </div>
      <div ref={scrollRef} className="list-scroll" role="grid"
        aria-label="Messages"
        aria-multiselectable="true"
        aria-rowcount={props.ids.length}
        tabIndex={0}
        onContextMenu={(e) => {
          // The context-menu key (or Shift+F10) on the list: the menu of the focused message.
          if ((e.target as HTMLElement).closest('[data-id]') || !props.focused) return;
          e.preventDefault();
          const r = (scrollRef.current?.querySelector(`[data-id="${CSS.escape(props.focused)}"]`) ?? e.currentTarget).getBoundingClientRect();
          props.onContextMenu(props.focused, { x: r.left + 24, y: r.top + Math.min(r.height, ROW_HEIGHT) / 2 });
        }}
      >
        {props.ids.length === 0 && !props.loading ? (
          <div className="empty" role="row">
            <div role="gridcell">{props.emptyText}</div>
          </div>
        ) : (
          <div className="list-inner" style={{ height: virtualizer.getTotalSize() }} role="rowgroup">
            {items.map((item) => {
              const row = byId.get(props.ids[item.index]!);
              if (!row) return null;
              return (
                <Row
                  key={item.key}
                  row={row}
                  index={item.index}
                  start={item.start}
                  selected={props.selected.has(row.id)}
                  focused={props.focused === row.id}
                  context={props.contextId === row.id}
                  onClick={props.onClick}
                  onOpen={props.onOpen}
                  onContextMenu={props.onContextMenu}
                  place={props.placeOf ? props.placeOf(row) : null}
                  onDragStart={props.onDragStart}
                  onDragEnd={props.onDragEnd}
                  marks={props.marks}
                  thread={props.conversations?.on ? props.conversations.info.get(row.id) : undefined}
                />
              );
            })}
          </div>
        )}
      </div>
    </div>
  );
}
