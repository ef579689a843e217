/**
 * The window's theme, a preference main keeps (Settings › General › Appearance): "system" follows
 * the system's light or dark setting, "light" and "dark" hold whatever it says. The page shows it
 * as `data-theme` on the document element, which sets the stylesheet's color-scheme. The desktop
 * app's main also sets Electron's nativeTheme from it before the window opens, so a window starts
 * in its theme before the page has asked (no flash of the other one).
 */
import type { PopboxApi } from '../../../shared/api.js';
import type { Theme } from '../../../shared/preferences.js';
import { call } from '../api/client.js';

export function applyTheme(theme: Theme, root: HTMLElement = document.documentElement): void {
  if (theme === 'system') delete root.dataset.theme;
  else root.dataset.theme = theme;
}

/**
 * A choice made in this window: shown at once, then saved by main. Main's echoes of earlier choices
 * (preferencesChanged) can arrive after a later choice is shown, and even after its save has been
 * answered (Light then System quickly: Light's echo turned the window light again; CI, twice), so the
 * follower below never applies an echo as it comes: it asks main for the state then (followTheme).
 * Both counts live on the document element beside the theme itself, the one thing both sides share:
 * `themeSaving`, the saves not yet answered; `themeChosen`, the choices made here so far.
 */
export async function chooseTheme<T extends { theme: Theme }>(theme: Theme, save: () => Promise<T>, root: HTMLElement = document.documentElement): Promise<T> {
  applyTheme(theme, root);
  root.dataset.themeChosen = String(Number(root.dataset.themeChosen ?? 0) + 1);
  root.dataset.themeSaving = String(Number(root.dataset.themeSaving ?? 0) + 1);
  try {
    return await save();
  } finally {
    // Not the answer of the save that ends last: saves are answered in any order (each waits for its
    // file), so that answer may be an earlier choice's. The window shows the last choice; main's
    // state comes with the next echo (followTheme asks), or from the page that made the choice.
    const left = Number(root.dataset.themeSaving ?? 1) - 1;
    if (left > 0) root.dataset.themeSaving = String(left);
    else delete root.dataset.themeSaving;
  }
}

/**
 * Asks main for the theme and follows every change to it (another window, the CLI); returns the
 * unsubscribe. A change is a cue to ask main again, not a value to apply: main answers in the order
 * it was asked, with its state after every save before, so an echo that comes late cannot undo a
 * newer choice. An answer is applied only if it is the latest asked and this window chose nothing
 * since it asked and has no save in flight.
 */
export function followTheme(api: PopboxApi, root: HTMLElement = document.documentElement): () => void {
  let asked = 0;
  const ask = () => {
    const mine = ++asked;
    const chosen = root.dataset.themeChosen;
    call(api, 'getPreferences', {}).then(
      (p) => {
        if (mine === asked && root.dataset.themeSaving === undefined && root.dataset.themeChosen === chosen) applyTheme(p.theme, root);
      },
      // Without an answer the window keeps what it shows (at first: following the system).
      () => {},
    );
  };
  const off = api.on('preferencesChanged', ask);
  ask();
  return off;
}
