/**
 * How plain-text mail reads, remembered in localStorage like the window's layout (it is this
 * window's look, not mail state): by default in the reading font, line breaks and spaces kept
 * and long lines wrapped, as modern clients show it; "Fixed-width font for plain text" brings
 * back the typewriter font for mail laid out in columns (ASCII tables, code, signatures with art).
 *
 * The choice is a class on the document element, so the reading pane follows it at once
 * without a React re-render, and it is set before the app's first paint.
 */
const KEY = 'popbox:plain-fixed';
const CLASS = 'plain-fixed';

export function loadPlainFixed(): boolean {
  try {
    return localStorage.getItem(KEY) === '1';
  } catch {
    return false;
  }
}

/** Shows the choice on the page (the class the stylesheet reads). */
export function applyPlainFixed(on: boolean, root: HTMLElement = document.documentElement): void {
  root.classList.toggle(CLASS, on);
}

export function savePlainFixed(on: boolean): void {
  applyPlainFixed(on);
  try {
    localStorage.setItem(KEY, on ? '1' : '0');
  } catch {
    // Storage full or off: the choice still holds for this session.
  }
}
