/**
 * Links in a message, as a careful browser treats them: the pointer (or keyboard focus) on a
 * link shows where it really goes in a status line at the bottom of the reading pane, never its
 * text; a link whose text names another site, that goes to a bare address or a local name, or
 * whose name mixes alphabets asks first, in plain words. What leaves is the parsed URL (a mailto
 * rebuilt from its safe fields), and the Electron shell checks it once more before the system
 * gets it.
 */
import { useCallback, useMemo, useState, type ReactNode } from 'react';
import { checkLink, type CheckedLink } from '../../../../shared/links.js';
import { Dialog } from '../../app/Dialog.js';

export interface LinkTarget {
  href: string;
  /** What the message shows for the link. */
  text: string;
}

export interface LinkHandlers {
  /** The link under the pointer or focus, or null when it left. */
  hover(link: LinkTarget | null): void;
  /** The user activated the link (click, middle click, Enter). */
  activate(link: LinkTarget): void;
}

type Hovered = { link: CheckedLink } | { refused: true } | null;

/** Hands a URL to the host: Electron's window-open handler sends it to the system, a browser opens a tab. */
function openOutside(url: string): void {
  window.open(url, '_blank', 'noopener,noreferrer');
}

export function useLinkGuard(): { handlers: LinkHandlers; element: ReactNode } {
  const [hovered, setHovered] = useState<Hovered>(null);
  const [asking, setAsking] = useState<CheckedLink | null>(null);

  const hover = useCallback((target: LinkTarget | null) => {
    if (!target) return setHovered(null);
    const link = checkLink(target.href, target.text);
    setHovered(link ? { link } : { refused: true });
  }, []);
  const activate = useCallback((target: LinkTarget) => {
    const link = checkLink(target.href, target.text);
    if (!link) return;
    if (link.warnings.length > 0) setAsking(link);
    else openOutside(link.url);
  }, []);
  const handlers = useMemo(() => ({ hover, activate }), [hover, activate]);

  const element = (
    <>
      {hovered && (
        <div className="link-status-anchor">
          <p className="link-status" dir="ltr">
            {'refused' in hovered ? (
              'Popbox does not open this kind of link.'
            ) : (
              <>
                <span className="link-status-url">{hovered.link.display}</span>
                {hovered.link.alsoKnownAs && <span className="link-status-aka"> ({akaWords(hovered.link)})</span>}
                {hovered.link.warnings.length > 0 && <span className="link-status-warn"> · asks before opening</span>}
              </>
            )}
          </p>
        </div>
      )}
      {asking && (
        <LinkConfirm
          link={asking}
          onCancel={() => setAsking(null)}
          onOpen={() => {
            setAsking(null);
            openOutside(asking.url);
          }}
        />
      )}
    </>
  );
  return { handlers, element };
}

/** The host's other spelling, said so that a lookalike name is never shown as if it were plain. */
function akaWords(link: CheckedLink): string {
  return link.deceptive ? `made to look like ${link.alsoKnownAs}` : `also written ${link.alsoKnownAs}`;
}

function LinkConfirm({ link, onCancel, onOpen }: { link: CheckedLink; onCancel: () => void; onOpen: () => void }) {
  const title = link.kind === 'mail' ? 'Write to this address?' : 'Open this link?';
  return (
    <Dialog label={title} onClose={onCancel} className="link-dialog">
      <h2>{title}</h2>
      <p>{link.kind === 'mail' ? 'It starts a message in your mail program:' : 'It goes to:'}</p>
      <p className="link-destination" dir="ltr">
        <code>{link.display}</code>
        {link.alsoKnownAs && <span className="muted"> ({akaWords(link)})</span>}
      </p>
      <ul className="link-warnings">
        {link.warnings.map((w) => (
          <li key={w}>{w}</li>
        ))}
      </ul>
      <div className="dialog-actions">
        {/* Cancel comes first, so it has the focus: Enter on a surprise does not open anything. */}
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
        <button type="button" onClick={onOpen}>
          {link.kind === 'mail' ? 'Write message' : 'Open link'}
        </button>
      </div>
    </Dialog>
  );
}

/** The link an event in a message happened on, if any ("#…" jumps inside the message are not links out). */
export function linkAt(target: EventTarget | null): (LinkTarget & { element: Element }) | null {
  const el = target && 'closest' in target && typeof target.closest === 'function' ? (target as Element).closest('a[href], area[href]') : null;
  const href = el?.getAttribute('href')?.trim();
  if (!el || !href || href.startsWith('#')) return null;
  return { element: el, href, text: el.tagName === 'AREA' ? (el.getAttribute('alt') ?? '') : (el.textContent ?? '') };
}

/**
 * Wires a message document (the sandboxed frame's, reached from here: it runs no script) to the
 * guard. Returns the function that unwires it.
 */
export function guardDocument(doc: Document, handlers: LinkHandlers): () => void {
  let current: Element | null = null;
  const over = (e: Event) => {
    const link = linkAt(e.target);
    if (link?.element === current) return;
    current = link?.element ?? null;
    handlers.hover(link);
  };
  const leave = () => {
    current = null;
    handlers.hover(null);
  };
  // The pointer left the message (a mouseout to nothing); the document may still be loading, so
  // this listens on the document, which exists from the start, not on its root element.
  const out = (e: MouseEvent) => {
    if (!e.relatedTarget) leave();
  };
  const click = (e: MouseEvent) => {
    const link = linkAt(e.target);
    if (!link) return;
    // Nothing in the message opens by itself: every link out goes through the guard.
    e.preventDefault();
    e.stopPropagation();
    if (e.button === 0 || e.button === 1) handlers.activate(link);
  };
  const blockDrag = (e: DragEvent) => {
    if (linkAt(e.target)) e.preventDefault();
  };
  const listening = new AbortController();
  const { signal } = listening;
  doc.addEventListener('mouseover', over, { signal });
  doc.addEventListener('focusin', over, { signal });
  doc.addEventListener('focusout', leave, { signal });
  doc.addEventListener('mouseout', out, { signal });
  doc.addEventListener('click', click, { capture: true, signal });
  doc.addEventListener('auxclick', click, { capture: true, signal });
  doc.addEventListener('dragstart', blockDrag, { capture: true, signal });
  return () => listening.abort();
}
