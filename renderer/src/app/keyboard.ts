/** Mail shortcuts (Thunderbird's and Gmail's): j/k, arrows, Enter, Delete, u, s, m, a, r, Shift+R, f, c/n, Ctrl+Z, /, Ctrl+F, g, ?. */
export type Shortcut =
  | 'reply'
  | 'reply-all'
  | 'forward'
  | 'compose'
  | 'move'
  | 'archive'
  | 'undo'
  | 'next'
  | 'previous'
  | 'open'
  | 'trash'
  | 'toggle-unread'
  | 'toggle-flag'
  | 'search'
  | 'get-mail'
  | 'select-all'
  | 'clear-selection'
  | 'mark-all-read'
  | 'help'
  | 'toggle-folders'
  | 'zoom-in'
  | 'zoom-out'
  | 'zoom-reset'
  | 'print'
  | 'first'
  | 'last';

/** The list the `?` overlay shows: keys as a person types them, and what they do. */
export const SHORTCUT_HELP: { keys: string[]; what: string }[] = [
  { keys: ['j', '↓'], what: 'Next message' },
  { keys: ['k', '↑'], what: 'Previous message' },
  { keys: ['Home', 'End'], what: 'First / last message' },
  { keys: ['Enter'], what: 'Open the focused message' },
  { keys: ['Delete'], what: 'Move to Trash (in Trash: delete permanently)' },
  { keys: ['m'], what: 'Move to a folder…' },
  { keys: ['a'], what: 'Archive' },
  { keys: ['c', 'n'], what: 'Write a new message' },
  { keys: ['r'], what: 'Reply' },
  { keys: ['Shift+R'], what: 'Reply to all' },
  { keys: ['f'], what: 'Forward' },
  { keys: ['Ctrl+Enter', '⌘Enter'], what: 'Send (while writing)' },
  { keys: ['Ctrl+Z', '⌘Z'], what: 'Undo the last move, archive, Trash, read or flag change' },
  { keys: ['Drag', 'Alt+drag'], what: 'Move to a folder / copy to a folder' },
  { keys: ['u'], what: 'Mark as read / unread' },
  { keys: ['s'], what: 'Flag / unflag' },
  { keys: ['Shift+C'], what: 'Mark all in this folder as read' },
  { keys: ['Ctrl+A'], what: 'Select all' },
  { keys: ['Shift+click', 'Ctrl+click'], what: 'Select a range / add to the selection' },
  { keys: ['Escape'], what: 'Clear the selection, close a dialog or menu, or close the message you are writing (its draft is kept)' },
  { keys: ['/', 'Ctrl+F'], what: 'Search' },
  { keys: ['g'], what: 'Get Mail' },
  { keys: ['F9'], what: 'Show or hide the folders' },
  { keys: ['Ctrl +', 'Ctrl −', 'Ctrl+0'], what: 'Zoom in, zoom out, actual size' },
  { keys: ['Ctrl+P'], what: 'Print the open message' },
  { keys: ['?'], what: 'This list' },
];

export function shortcutFor(e: Pick<KeyboardEvent, 'key' | 'ctrlKey' | 'metaKey' | 'altKey'> & { shiftKey?: boolean }, target: EventTarget | null): Shortcut | null {
  const el = target as HTMLElement | null;
  const typing = !!el && (el.tagName === 'INPUT' || el.tagName === 'TEXTAREA' || el.tagName === 'SELECT' || el.isContentEditable);
  const mod = e.ctrlKey || e.metaKey;
  if (mod && e.key.toLowerCase() === 'f') return 'search';
  // Zoom works while typing too, as in a browser.
  if (mod && !e.altKey && (e.key === '=' || e.key === '+')) return 'zoom-in';
  if (mod && !e.altKey && (e.key === '-' || e.key === '_')) return 'zoom-out';
  if (mod && !e.altKey && e.key === '0') return 'zoom-reset';
  if (mod && !e.altKey && e.key.toLowerCase() === 'p') return 'print';
  if (e.key === 'F9' && !mod && !e.altKey) return 'toggle-folders';
  if (typing || e.altKey) return null;
  if (mod && e.key.toLowerCase() === 'a') return 'select-all';
  // Not while typing: there Ctrl+Z undoes the typing.
  if (mod && !e.shiftKey && e.key.toLowerCase() === 'z') return 'undo';
  if (mod) return null;
  // Enter on a focused button or link is that control's own (keyboard users rely on it).
  const control = !!el && (el.tagName === 'BUTTON' || el.tagName === 'A' || el.getAttribute?.('role') === 'button');
  if (control && e.key === 'Enter') return null;
  switch (e.key) {
    case 'j':
    case 'ArrowDown':
      return 'next';
    case 'k':
    case 'ArrowUp':
      return 'previous';
    case 'Home':
      return 'first';
    case 'End':
      return 'last';
    case 'Enter':
      return 'open';
    case 'Delete':
      return 'trash';
    case 'u':
      return 'toggle-unread';
    case 's':
      return 'toggle-flag';
    case 'm':
      return 'move';
    case 'a':
      return 'archive';
    case 'c':
    case 'n':
      return 'compose';
    case 'r':
      return 'reply';
    case 'R':
      return e.shiftKey ? 'reply-all' : 'reply';
    case 'f':
      return 'forward';
    case 'C':
      return e.shiftKey ? 'mark-all-read' : null;
    case '/':
      return 'search';
    case '?':
      return 'help';
    case 'g':
      return 'get-mail';
    case 'Escape':
      return 'clear-selection';
    default:
      return null;
  }
}

/** The compose screen's own keys: Ctrl/⌘+Enter sends, Escape closes (the draft is kept). */
export function composeKeyFor(e: Pick<KeyboardEvent, 'key' | 'ctrlKey' | 'metaKey' | 'altKey' | 'shiftKey'>): 'send' | 'close' | null {
  if (e.key === 'Enter' && (e.ctrlKey || e.metaKey) && !e.altKey) return 'send';
  if (e.key === 'Escape' && !e.ctrlKey && !e.metaKey && !e.altKey) return 'close';
  return null;
}
