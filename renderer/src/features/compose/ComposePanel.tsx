/**
 * The compose panel over the app window (the browser host; Electron opens a window of its own).
 * It is modal for the mail shortcuts (aria-modal), keeps Tab inside, and gives focus back on close.
 */
import { useEffect, useId, useRef, type KeyboardEvent } from 'react';
import { createPortal } from 'react-dom';
import type { PublicAccount } from '../../../../shared/contract.js';
import type { PopboxApi } from '../../api/client.js';
import { focusables } from '../../app/overlay.js';
import { ComposeLoader } from './ComposeLoader.js';
import type { SentNote } from './ComposeForm.js';
import type { ComposeRequest } from './load.js';

export function ComposePanel(props: { api: PopboxApi; request: ComposeRequest; accounts: PublicAccount[]; onClose: () => void; onSent: (n: SentNote) => void }) {
  const ref = useRef<HTMLDivElement>(null);
  const headingId = useId();
  useEffect(() => {
    const before = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    // Focus comes into the panel at once (the form moves it to its field once loaded): keys meant
    // for it (Escape) must not go to the button behind it that opened it.
    if (ref.current && !ref.current.contains(document.activeElement)) ref.current.focus();
    return () => {
      if (before?.isConnected) before.focus();
    };
  }, []);
  const onKeyDown = (e: KeyboardEvent) => {
    const root = ref.current;
    // Escape on the panel itself (before the form took focus) closes it; the form saves what it has.
    if (e.key === 'Escape' && root && e.target === root && !e.defaultPrevented) {
      e.preventDefault();
      props.onClose();
      return;
    }
    if (e.key !== 'Tab' || !root || !root.contains(e.target as Node)) return;
    const items = focusables(root);
    if (!items.length) return;
    const first = items[0]!;
    const last = items[items.length - 1]!;
    const wrapTo = e.shiftKey ? (document.activeElement === first ? last : null) : document.activeElement === last ? first : null;
    if (wrapTo) {
      e.preventDefault();
      wrapTo.focus();
    }
  };
  return createPortal(
    <div className="compose-backdrop">
      <div ref={ref} className="compose-panel" role="dialog" aria-modal="true" aria-labelledby={headingId} onKeyDown={onKeyDown} tabIndex={-1}>
        <ComposeLoader api={props.api} request={props.request} accounts={props.accounts} headingId={headingId} onClose={props.onClose} onDiscarded={props.onClose} onSent={props.onSent} />
      </div>
    </div>,
    document.body,
  );
}
