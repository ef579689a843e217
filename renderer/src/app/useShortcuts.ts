/** The window's keyboard shortcuts, while the mail is on screen and no dialog or menu owns the keys. */
import { useEffect, useRef } from 'react';
import { shortcutFor, type Shortcut } from './keyboard.js';
import { overlayOpen } from './overlay.js';

export function useShortcuts(active: boolean, run: (s: Shortcut) => void): void {
  // The newest handler (it sees this render's selection and view) without re-listening each render.
  const latest = useRef({ active, run });
  latest.current = { active, run };
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      // A dialog or menu owns the keys while it is open: nothing acts on the mail behind it.
      if (!latest.current.active || overlayOpen()) return;
      const s = shortcutFor(e, e.target);
      if (!s) return;
      e.preventDefault();
      latest.current.run(s);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
}
