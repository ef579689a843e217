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
import { HIT_ATTR, markDocument } from '../search/mark-frame.js';
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

/** The first search mark brought into the frame's view; the frame's scroll position after it. */
function reveal(doc: Document): number {
  const m = doc.querySelector(`mark[${HIT_ATTR}]`);
  const r = m?.getBoundingClientRect();
  // Out of view: to the middle, with the lines around it, as a browser's find does.
  if (m && r && (r.top < 0 || r.bottom > (doc.defaultView?.innerHeight ?? 0))) m.scrollIntoView({ block: 'center' });
  return doc.scrollingElement?.scrollTop ?? 0;
}

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
  const marked = useRef<{ doc: Document; terms: readonly SearchTerm[]; revealedAt: number | null } | null>(null);
  const mark = useCallback(() => {
    const body = frame.current?.contentDocument;
    if (!body || body.URL !== 'about:srcdoc' || body.readyState === 'loading') return;
    const now = termsRef.current;
    if (marked.current?.doc === body && marked.current.terms === now) return;
    const fresh = marked.current?.doc !== body;
    marked.current = { doc: body, terms: now, revealedAt: marked.current?.doc === body ? marked.current.revealedAt : null };
    if (markDocument(body, now) > 0 && fresh) marked.current.revealedAt = reveal(body);
  }, []);
  // The pane settles its size after the body is in (banners, notes): the first mark is kept in
  // view until the reader scrolls the frame themselves.
  useEffect(() => {
    const el = frame.current;
    if (!el || typeof ResizeObserver === 'undefined') return;
    const ro = new ResizeObserver(() => {
      const body = el.contentDocument;
      const m = marked.current;
      if (!body || m?.doc !== body || m.revealedAt === null || (body.scrollingElement?.scrollTop ?? 0) !== m.revealedAt) return;
      m.revealedAt = reveal(body);
    });
    ro.observe(el);
    return () => ro.disconnect();
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
        // Again once laid out whole: the frame may have changed size since the first marks.
        const body = frame.current?.contentDocument;
        if (body && marked.current?.doc === body && marked.current.revealedAt !== null) marked.current.revealedAt = reveal(body);
        cancelAnimationFrame(polling.current);
        watchImages();
      }}
    />
  );
}
