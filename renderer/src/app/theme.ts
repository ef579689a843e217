/**
 * The window's theme, a preference main keeps (Settings › General › Appearance): "system" follows
 * the system's light or dark setting, "light" and "dark" hold whatever it says. The page shows it
 * as `data-theme` on the document element, which sets the stylesheet's color-scheme. The desktop
 * app's main also sets Electron's nativeTheme from it before the window opens, so a window starts
 * in its theme before the page has asked (no flash of the other one).
 */
import type { PopboxApi } from '../../../shared/api.js';
import type { Theme } from '../../../shared/preferences.js';
import { askPreferences, choosePreferences } from './preference-answers.js';

export function applyTheme(theme: Theme, root: HTMLElement = document.documentElement): void {
  if (theme === 'system') delete root.dataset.theme;
  else root.dataset.theme = theme;
}

/** A choice made in this window: shown at once, then saved by main (preference-answers.ts). */
export function chooseTheme<T extends { theme: Theme }>(theme: Theme, save: () => Promise<T>, root: HTMLElement = document.documentElement): Promise<T> {
  applyTheme(theme, root);
  return choosePreferences(save, root);
}

/**
 * Asks main for the theme and follows every change to it (another window, the CLI); returns the
 * unsubscribe. A change is a cue to ask main again, not a value to apply (askPreferences): an echo
 * that comes late cannot undo a newer choice. Without an answer the window keeps what it shows (at
 * first: following the system).
 */
export function followTheme(api: PopboxApi, root: HTMLElement = document.documentElement): () => void {
  const ask = askPreferences({ api, show: (p) => applyTheme(p.theme, root), root });
  const off = api.on('preferencesChanged', () => ask());
  ask();
  return off;
}
