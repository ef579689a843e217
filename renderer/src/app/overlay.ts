/**
 * Dialogs and menus own the keyboard while they are open (WAI-ARIA modal dialog pattern): focus
 * stays inside, Escape closes, and the window's mail shortcuts stay off (`overlayOpen`), so `k`
 * or Delete never act on the message behind a dialog.
 */
import { useEffect, useRef, type RefObject } from 'react';

const FOCUSABLE = 'button:not([disabled]), [href], input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

/** Whether a modal dialog or a menu is on screen (read from the page, so nothing can drift). */
export function overlayOpen(): boolean {
  return document.querySelector('[aria-modal="true"], [role="menu"]') !== null;
}

export function focusables(root: HTMLElement): HTMLElement[] {
  return [...root.querySelectorAll<HTMLElement>(FOCUSABLE)].filter((el) => !el.closest('[hidden]'));
}

/**
 * Where focus goes when it has to be put inside: the first field to type in (what a dialog such
 * as New folder is for), else the first control. A menu closing as the dialog opens gives focus
 * back to what it came from, taking it off the field's autoFocus; the first control was then the
 * heading's Close, which a space pressed (walkthrough M3: typing "Linux lists" closed the dialog).
 */
function firstStop(root: HTMLElement): HTMLElement {
  const items = focusables(root);
  return items.find((el) => el.matches('input:not([type="checkbox"]):not([type="radio"]), textarea')) ?? items[0] ?? root;
}

/**
 * While mounted: `extra` sees each key first (preventDefault to take it); Escape calls onClose; Tab cycles inside `ref`; focus that leaves it comes back;
 * on unmount, focus returns to where it was before. Listeners are on the document in the capture
 * phase, so they run before the window's shortcuts whatever element has focus.
 */
export function useOverlayKeys(ref: RefObject<HTMLElement | null>, onClose: () => void, extra?: (e: KeyboardEvent) => void): void {
  // What had focus before, read at the first render: a field's autoFocus (Move to…'s filter)
  // takes the focus as the dialog is put on the page, before any effect runs, and the element
  // read then was the field itself, gone at close — the focus fell to the page's body
  // (walkthrough m8: Escape from Move to… left the list without the keys).
  const opener = useRef<Element | null | undefined>(undefined);
  if (opener.current === undefined) opener.current = document.activeElement;
  const close = useRef(onClose);
  close.current = onClose;
  const more = useRef(extra);
  more.current = extra;
  useEffect(() => {
    const root = ref.current;
    if (!root) return;
    // The opener, else what has focus now if it is outside (a menu that closed as this opened gave it back).
    const before = [opener.current, document.activeElement].filter((el): el is HTMLElement => el instanceof HTMLElement && !root.contains(el));
    if (!root.contains(document.activeElement)) firstStop(root).focus();
    const onKey = (e: KeyboardEvent) => {
      more.current?.(e);
      if (e.defaultPrevented) return;
      if (e.key === 'Escape') {
        e.preventDefault();
        e.stopPropagation();
        close.current();
        return;
      }
      if (e.key === 'Tab') {
        const items = focusables(root);
        if (items.length === 0) {
          e.preventDefault();
          root.focus();
          return;
        }
        const i = items.indexOf(document.activeElement as HTMLElement);
        const next = e.shiftKey ? (i <= 0 ? items.length - 1 : i - 1) : i < 0 || i === items.length - 1 ? 0 : i + 1;
        e.preventDefault();
        items[next]!.focus();
      }
    };
    const onFocusIn = (e: FocusEvent) => {
      if (!root.contains(e.target as Node)) firstStop(root).focus();
    };
    document.addEventListener('keydown', onKey, true);
    document.addEventListener('focusin', onFocusIn);
    return () => {
      document.removeEventListener('keydown', onKey, true);
      document.removeEventListener('focusin', onFocusIn);
      // Only when the focus went with the overlay (to the body): a dialog put in this one's place
      // meanwhile (a question redrawn as another) has its own, and React's strict mode runs this
      // cleanup once with the overlay still on the page.
      const now = document.activeElement;
      const lost = now === null || now === document.body || root.contains(now);
      if (lost && !root.isConnected) before.find((el) => el.isConnected)?.focus();
    };
  }, [ref]);
}
