/** Mail shortcuts (Thunderbird's and Gmail's): j/k, arrows, Enter, Delete, u, s, m, a, r, Shift+R, f, c/n, Ctrl+Z, /, Ctrl+F, g, ?. */
export type Shortcut =
  | 'reply'
  | 'reply-all'
  | 'forward'
  | 'compose'
  | 'move'
  | 'archive'
  | 'junk'
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
  | 'last'
  | 'toggle-conversations'
  | 'expand-conversation'
  | 'next-in-conversation'
  | 'previous-in-conversation';

/** The list the `?` overlay shows: keys as a person types them, and what they do, in groups. */
export const SHORTCUT_HELP: { group: 'Reading' | 'Filing' | 'Writing' | 'On the server' | 'Window'; keys: string[]; what: string }[] = [
  { group: 'Reading', keys: ['j', '↓'], what: 'Next message' },
  { group: 'Reading', keys: ['k', '↑'], what: 'Previous message' },
  { group: 'Reading', keys: ['Home', 'End'], what: 'First / last message' },
  { group: 'Reading', keys: ['Enter'], what: 'Open the focused message (a draft: go on writing it)' },
  { group: 'Reading', keys: ['u'], what: 'Mark as read / unread' },
  { group: 'Reading', keys: ['s'], what: 'Flag / unflag' },
  { group: 'Reading', keys: ['Shift+C'], what: 'Mark all in this folder as read' },
  { group: 'Reading', keys: ['Ctrl+A'], what: 'Select all' },
  { group: 'Reading', keys: ['Shift+click', 'Ctrl+click'], what: 'Select a range / add to the selection' },
  { group: 'Reading', keys: ['/', 'Ctrl+F'], what: 'Search (Enter or ↓ goes to the results, Escape clears; ? beside the box lists what you can type)' },
  { group: 'Reading', keys: ['g'], what: 'Get Mail' },
  { group: 'Reading', keys: ['t'], what: 'Conversations on / off in the list (on: Delete, a, m, !, u and s act on the whole conversation here)' },
  { group: 'Reading', keys: ['e'], what: 'Open / close the other messages of the conversation' },
  { group: 'Reading', keys: ['Shift+J', 'Shift+K'], what: 'Next / previous message in the conversation' },
  { group: 'Filing', keys: ['Delete'], what: 'Move to Trash (in Trash: delete permanently)' },
  { group: 'Filing', keys: ['m'], what: 'Move to a folder…' },
  { group: 'Filing', keys: ['a'], what: 'Archive' },
  { group: 'Filing', keys: ['!'], what: 'Junk (in Junk: Not junk); teaches the junk filter' },
  { group: 'Filing', keys: ['Drag', 'Alt+drag'], what: 'Move to a folder / copy to a folder' },
  { group: 'Filing', keys: ['Ctrl+Z', '⌘Z'], what: 'Undo the last move, archive, Trash, read or flag change' },
  { group: 'Writing', keys: ['c', 'n'], what: 'Write a new message' },
  { group: 'Writing', keys: ['r'], what: 'Reply' },
  { group: 'Writing', keys: ['Shift+R'], what: 'Reply to all' },
  { group: 'Writing', keys: ['f'], what: 'Forward' },
  { group: 'Writing', keys: ['Ctrl+Enter', '⌘Enter'], what: 'Send (while writing)' },
  { group: 'Writing', keys: ['Escape'], what: 'Close the message you are writing (its draft is kept)' },
  { group: 'On the server', keys: ['Space', 'x'], what: 'Tick or untick the message' },
  { group: 'On the server', keys: ['Delete'], what: 'Delete the ticked messages from the server (asks first)' },
  { group: 'On the server', keys: ['Enter'], what: 'Open a downloaded message in its folder' },
  { group: 'Window', keys: ['Escape'], what: 'Clear the selection, close a dialog or menu' },
  { group: 'Window', keys: ['F9'], what: 'Show or hide the folders' },
  { group: 'Window', keys: ['Ctrl +', 'Ctrl −', 'Ctrl+0'], what: 'Zoom in, zoom out, actual size' },
  { group: 'Window', keys: ['Ctrl+P'], what: 'Print the open message' },
  { group: 'Window', keys: ['?'], what: 'This list' },
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
    // Gmail's key for spam: j and k are next and previous.
    case '!':
      return 'junk';
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
    case 't':
      return 'toggle-conversations';
    case 'e':
      return 'expand-conversation';
    case 'J':
      return e.shiftKey ? 'next-in-conversation' : null;
    case 'K':
      return e.shiftKey ? 'previous-in-conversation' : null;
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
