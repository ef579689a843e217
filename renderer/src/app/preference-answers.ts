/**
 * Main's preferences as a window shows them, when choices are made in the window meanwhile. A choice
 * is shown at once, then saved by main; main's echoes of earlier choices (preferencesChanged) can
 * arrive after a later choice is shown, and even after its save has been answered (Light then System
 * quickly: Light's echo turned the window light again; CI, twice), and the saves are answered in any
 * order (each waits for its file). So an echo is never applied as it comes: it is a cue to ask main
 * (askPreferences), which answers in the order it was asked, with its state after every save before.
 * Both counts live on the document element, which every part of the window shares (the theme
 * follower, Settings › General): `prefsSaving`, the saves not yet answered; `prefsChosen`, the
 * choices made here so far.
 */
import type { PopboxApi } from '../../../shared/api.js';
import type { Preferences } from '../../../shared/preferences.js';
import { call } from '../api/client.js';

/** A choice made in this window: counted until main has answered its save. */
export async function choosePreferences<T>(save: () => Promise<T>, root: HTMLElement = document.documentElement): Promise<T> {
  root.dataset.prefsChosen = String(Number(root.dataset.prefsChosen ?? 0) + 1);
  root.dataset.prefsSaving = String(Number(root.dataset.prefsSaving ?? 0) + 1);
  try {
    return await save();
  } finally {
    const left = Number(root.dataset.prefsSaving ?? 1) - 1;
    if (left > 0) root.dataset.prefsSaving = String(left);
    else delete root.dataset.prefsSaving;
  }
}

/** Whether a choice made in this window is still being saved. */
export const savingPreferences = (root: HTMLElement = document.documentElement): boolean => root.dataset.prefsSaving !== undefined;

export interface PreferenceAsker {
  api: PopboxApi;
  /** Shows an answer: only the latest this asker asked, when no choice made here is newer (below). */
  show: (p: Preferences) => void;
  /** The element both counts live on: the document element, unless a test gives its own. */
  root?: HTMLElement;
  /** Whether the asker shows nothing yet (a page just opened): it then takes the latest answer whatever is being saved. */
  showsNothing?: () => boolean;
}

/**
 * An asker of main's preferences: `show` gets an answer only if it is the latest this asker asked,
 * and this window made no choice since it was asked and has none still being saved (the window
 * shows the newer choice; main's state comes with the echo of its save, or the next question).
 * An asker that shows nothing yet (`showsNothing`: a page just opened) takes the latest answer
 * whatever else is being saved: no echo may come to fill it (a save that fails sends none).
 */
export function askPreferences({
  api,
  show,
  root = document.documentElement,
  showsNothing = () => false,
}: PreferenceAsker): (failed?: (e: unknown) => void) => void {
  let asked = 0;
  return (failed = () => {}) => {
    const mine = ++asked;
    const chosen = root.dataset.prefsChosen;
    call(api, 'getPreferences', {}).then((p) => {
      if (mine === asked && (showsNothing() || (!savingPreferences(root) && root.dataset.prefsChosen === chosen))) show(p);
    }, failed);
  };
}
