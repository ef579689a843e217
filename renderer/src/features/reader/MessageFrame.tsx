/**
 * The HTML body, sanitized, in a sandboxed iframe without allow-scripts and with its own CSP
 * (DESIGN §3.7). allow-same-origin lets the frame's images load from our origin's proxy and
 * lets this page watch the frame's links; with scripts off, nothing in the frame can use it.
 * The frame opens nothing itself (no allow-popups): its links go through the reading pane's
 * LinkGuard, which shows where they lead and asks when that looks wrong.
 */
import { useCallback, useEffect, useRef } from 'react';
import { messageFrameCsp, REMOTE_PROXY_PATH } from '../../../../shared/csp.js';
import type { SearchTerm } from '../search/highlight.js';
import { markDocument } from '../search/mark-frame.js';
import { guardDocument, type LinkHandlers } from './LinkGuard.js';
import { frameDocument } from './sanitize.js';

interface Props {
  html: string;
  remote: boolean;
  /** How many remote images (through the proxy) failed to load, whenever that number changes. */
  onRemoteImagesFailed?: (failed: number) => void;
  links: LinkHandlers;
  /** The search's words, marked in the body's text (the first one scrolled into view). */
  terms?: readonly SearchTerm[];
}

const NO_TERMS: readonly SearchTerm[] = [];

export function MessageFrame({ html, remote, onRemoteImagesFailed, links, terms = NO_TERMS }: Props) {
  const doc = frameDocument(html, messageFrameCsp({ remote }));
  const frame = useRef<HTMLIFrameElement>(null);
  const report = useRef(onRemoteImagesFailed);
  const linkHandlers = useRef(links);
  useEffect(() => {
    report.current = onRemoteImagesFailed;
    linkHandlers.current = links;
  }, [onRemoteImagesFailed, links]);

  // The frame's links are watched from its first paint, not from its load event, which waits
  // for every image: a click before then would otherwise do nothing (or, without the guard, go).
  const guarded = useRef<{ doc: Document; off: () => void } | null>(null);
  const guard = useCallback(() => {
    const body = frame.current?.contentDocument;
    if (!body || body.URL !== 'about:srcdoc' || guarded.current?.doc === body) return;
    if (guarded.current) {
      // Another message: the link the pointer was on is gone with its document.
      guarded.current.off();
      linkHandlers.current.hover(null);
    }
    guarded.current = { doc: body, off: guardDocument(body, { hover: (l) => linkHandlers.current.hover(l), activate: (l) => linkHandlers.current.activate(l) }) };
  }, []);
  // Search words are marked once the frame's text is parsed, and again when the words change.
  const termsRef = useRef(terms);
  termsRef.current = terms;
  const marked = useRef<{ doc: Document; terms: readonly SearchTerm[] } | null>(null);
  const mark = useCallback(() => {
    const body = frame.current?.contentDocument;
    if (!body || body.URL !== 'about:srcdoc' || body.readyState === 'loading') return;
    const now = termsRef.current;
    if (marked.current?.doc === body && marked.current.terms === now) return;
    const fresh = marked.current?.doc !== body;
    marked.current = { doc: body, terms: now };
    if (markDocument(body, now) > 0 && fresh) body.querySelector('mark[data-popbox-hit]')?.scrollIntoView({ block: 'nearest' });
  }, []);
  useEffect(mark, [terms, mark]);
  const polling = useRef(0);
  useEffect(() => {
    const poll = () => {
      guard();
      mark();
      polling.current = requestAnimationFrame(poll);
    };
    poll();
    return () => cancelAnimationFrame(polling.current);
  }, [doc, guard, mark]);
  useEffect(
    () => () => {
      guarded.current?.off();
      guarded.current = null;
      linkHandlers.current.hover(null);
    },
    [],
  );

  // The frame runs no script, so its images are watched from here (same origin). A proxied
  // image that fails shows only a broken-image icon: the pane says so in words instead.
  const watchImages = useCallback(() => {
    const body = frame.current?.contentDocument;
    if (!body) return;
    const proxy = `${window.location.origin}${REMOTE_PROXY_PATH}`;
    const images = [...body.images].filter((img) => img.src.startsWith(proxy));
    const count = () => report.current?.(images.filter((img) => img.complete && img.naturalWidth === 0).length);
    for (const img of images) {
      if (!img.complete) {
        img.addEventListener('error', count, { once: true });
        img.addEventListener('load', count, { once: true });
      }
    }
    count();
  }, []);

  return (
    <iframe
      ref={frame}
      className="message-frame"
      title="Message body"
      sandbox="allow-same-origin"
      referrerPolicy="no-referrer"
      srcDoc={doc}
      onLoad={() => {
        guard();
        mark();
        cancelAnimationFrame(polling.current);
        watchImages();
      }}
    />
  );
}
