/** Mail shortcuts (Thunderbird's and Gmail's): j/k, arrows, Enter, Delete, u, s, /, Ctrl+F, g. */
export type Shortcut = 'next' | 'previous' | 'open' | 'trash' | 'toggle-unread' | 'toggle-flag' | 'search' | 'get-mail' | 'select-all';

export function shortcutFor(e: Pick<KeyboardEvent, 'key' | 'ctrlKey' | 'metaKey' | 'altKey'>, target: EventTarget | null): Shortcut | null {
  const el = target as HTMLElement | null;
  const typing = !!el && (el.tagName === 'INPUT' || el.tagName === 'TEXTAREA' || el.tagName === 'SELECT' || el.isContentEditable);
  const mod = e.ctrlKey || e.metaKey;
  if (mod && e.key.toLowerCase() === 'f') return 'search';
  if (typing || e.altKey) return null;
  if (mod && e.key.toLowerCase() === 'a') return 'select-all';
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
    case 'Enter':
      return 'open';
    case 'Delete':
      return 'trash';
    case 'u':
      return 'toggle-unread';
    case 's':
      return 'toggle-flag';
    case '/':
      return 'search';
    case 'g':
      return 'get-mail';
    default:
      return null;
  }
}
