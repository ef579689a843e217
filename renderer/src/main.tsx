/**
 * Boot: paint last session's first rows at once (plain DOM, from localStorage), then load the
 * app — React, Dexie and the rest of the bundle — which takes over the window.
 */
import './app/styles.css';
import { paintSnapshot } from './boot/snapshot.js';
import { DEFAULT_DB_NAME, readStoredHead, storeHead } from './db/head.js';
import { applyPlainFixed, loadPlainFixed } from './app/reading-settings.js';

performance.mark('popbox:start');
// How plain text reads is set before anything is shown, so a message never changes font under the eye.
applyPlainFixed(loadPlainFixed());
const root = document.getElementById('root')!;
// A compose window (Electron opens `#compose?…` on this same page) shows the compose screen only.
const composing = /^#compose(\?|$)/.test(window.location.hash);
const head = composing ? null : readStoredHead(DEFAULT_DB_NAME);
let painted = false;
try {
  painted = !composing && paintSnapshot(root, head);
  if (painted) performance.mark('popbox:snapshot');
} catch (e) {
  // Only a hint: forget it rather than fail the start.
  console.warn('Popbox: the start-up snapshot could not be shown:', e);
  root.replaceChildren();
  storeHead(DEFAULT_DB_NAME, null);
}

// A click on a snapshot row is not lost: the app opens that message when it is up.
let clicked: string | null = null;
const onClick = (e: MouseEvent) => {
  const row = e.target instanceof Element ? e.target.closest('[role="row"][data-id]') : null;
  if (!row) return;
  root.querySelector('.row.selected')?.classList.remove('selected');
  row.classList.add('selected');
  clicked = row.getAttribute('data-id');
};
root.addEventListener('click', onClick);
const takeSnapshotClick = () => {
  root.removeEventListener('click', onClick);
  const id = clicked;
  clicked = null;
  return id;
};

const load = () =>
  (composing ? import('./compose-start.js').then((c) => c.startCompose(root, window.location.hash)) : import('./start.js').then((app) => app.start(root, painted ? head : null, takeSnapshotClick)))
    .catch((e: unknown) => {
      root.textContent = `Popbox could not start: ${e instanceof Error ? e.message : String(e)}`;
    });
// Evaluating the app's bundle holds the main thread for a while: let the snapshot be painted
// first (after the next frame, or 100 ms in a window that is hidden and paints no frames).
if (!painted) void load();
else {
  let started = false;
  const once = () => {
    if (!started) {
      started = true;
      void load();
    }
  };
  requestAnimationFrame(() => setTimeout(once, 0));
  setTimeout(once, 100);
}
