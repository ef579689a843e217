/**
 * How the main window starts writing: in Electron a compose window of its own (`#compose?…`,
 * allowed by the shell), in the browser host a panel over the window. After Send, "Sending… Undo";
 * Undo brings the message back from Drafts into a compose panel, unless one is open: the user is
 * writing something else there, and it stays (the toast says where the message went).
 */
import { lazy, Suspense, useEffect, useRef, useState } from 'react';
import type { PublicAccount } from '../../../../shared/contract.js';
import type { PopboxApi } from '../../api/client.js';
import type { SentNote } from './ComposeForm.js';
import { composeHash, type ComposeRequest } from './load.js';
import { SendingToast } from './SendingToast.js';

/** As electron/main/compose-windows.ts allows (the shell decides; this is only for the words). */
const MAX_COMPOSE_WINDOWS = 10;

// Loaded when first needed: the compose screen brings DOMPurify and is not needed to start.
const loadPanel = () => import('./ComposePanel.js');
const ComposePanel = lazy(() => loadPanel().then((m) => ({ default: m.ComposePanel })));

export function useComposer(api: PopboxApi, accounts: PublicAccount[] | undefined) {
  const [request, setRequest] = useState<ComposeRequest | null>(null);
  const [sent, setSent] = useState<SentNote | null>(null);
  const ownWindow = typeof window !== 'undefined' && !!window.popbox;
  // Read after Undo's round trip to main: a panel opened meanwhile counts.
  const panelOpen = useRef(false);
  panelOpen.current = request !== null;
  // Fetched once the window is up, so R or C does not wait for it.
  useEffect(() => {
    const t = setTimeout(() => void loadPanel(), 1500);
    return () => clearTimeout(t);
  }, []);

  // Electron's compose windows by draft: asking for one again only brings it to the front.
  const draftWindows = useRef(new Map<string, Window>());
  const [notice, setNotice] = useState<string | null>(null);

  const open = (req: ComposeRequest) => {
    if (!ownWindow) return setRequest(req);
    const opened = window.open(composeHash(req), '_blank', 'popup,width=780,height=680');
    const key = req.mode === 'draft' ? req.id : null;
    if (opened) {
      if (key) draftWindows.current.set(key, opened);
      setNotice(null);
      return;
    }
    // The shell said no (compose-windows.ts): this draft's window came to the front, or too many are open.
    const existing = key ? draftWindows.current.get(key) : undefined;
    if (existing && !existing.closed) return;
    setNotice(`Not opened: at most ${MAX_COMPOSE_WINDOWS} compose windows can be open at once. Close one to write another.`);
  };

  // The id stays the message's for life: in Drafts it is the id the Outbox gave it. A panel the
  // user is writing in is never replaced: then the toast says where the message is instead.
  const reopen = (note: SentNote): string | null => {
    if (panelOpen.current) return 'Undone: the message is in Drafts.';
    setSent(null);
    open({ mode: 'draft', id: note.id });
    return null;
  };

  const element = (
    <>
      {request && accounts && (
        <Suspense fallback={null}>
          <ComposePanel
            api={api}
            request={request}
            accounts={accounts}
            onClose={() => setRequest(null)}
            onSent={(note) => {
              setRequest(null);
              setSent(note);
            }}
          />
        </Suspense>
      )}
      {notice && (
        <div className="toast" role="alert">
          <span className="toast-text">{notice}</span>
          <button type="button" className="small toast-close" aria-label="Dismiss" onClick={() => setNotice(null)}>
            ×
          </button>
        </div>
      )}
      {sent && <SendingToast key={sent.id} api={api} note={sent} onUndone={reopen} onClose={() => setSent(null)} />}
    </>
  );
  return { open, element, isOpen: request !== null };
}
