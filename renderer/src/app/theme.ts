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

/** Asks main for the theme and follows every change to it (another window, the CLI); returns the unsubscribe. */
export function followTheme(api: PopboxApi): () => void {
  let told = false;
  const off = api.on('preferencesChanged', (p) => {
    told = true;
    applyTheme(p.theme);
  });
  call(api, 'getPreferences', {}).then(
    (p) => told || applyTheme(p.theme),
    // Without an answer the window keeps following the system.
    () => {},
  );
  return off;
}
