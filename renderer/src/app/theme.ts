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
 * A choice made in this window: shown at once, then saved by main. Until the last save has been answered,
 * main's echoes of earlier choices are stale (Light then System quickly: the echo of Light arrived after
 * System was shown and turned the window light again), so the follower below lets them pass. The count
 * lives on the document element beside the theme itself, the one thing both sides share.
 */
export async function chooseTheme<T extends { theme: Theme }>(theme: Theme, save: () => Promise<T>, root: HTMLElement = document.documentElement): Promise<T> {
  applyTheme(theme, root);
  root.dataset.themeSaving = String(Number(root.dataset.themeSaving ?? 0) + 1);
  let saved: T | undefined;
  try {
    saved = await save();
    return saved;
  } finally {
    const left = Number(root.dataset.themeSaving ?? 1) - 1;
    if (left > 0) root.dataset.themeSaving = String(left);
    else {
      delete root.dataset.themeSaving;
      // The last save's answer is main's state after every choice made here.
      if (saved) applyTheme(saved.theme, root);
    }
  }
}

/** Asks main for the theme and follows every change to it (another window, the CLI); returns the unsubscribe. */
export function followTheme(api: PopboxApi, root: HTMLElement = document.documentElement): () => void {
  let told = false;
  const off = api.on('preferencesChanged', (p) => {
    told = true;
    if (root.dataset.themeSaving === undefined) applyTheme(p.theme, root);
  });
  call(api, 'getPreferences', {}).then(
    (p) => told || root.dataset.themeSaving !== undefined || applyTheme(p.theme, root),
    // Without an answer the window keeps following the system.
    () => {},
  );
  return off;
}
