/**
 * The HTML body, sanitized, in a sandboxed iframe without allow-scripts and with its own CSP
 * (DESIGN §3.7). allow-same-origin lets the frame's images load from our origin's proxy; with
 * scripts off, nothing in the frame can use it. Links open in a new window, which the Electron
 * shell turns into the system browser (http, https and mailto only).
 */
import { useCallback, useEffect, useRef } from 'react';
import { messageFrameCsp, REMOTE_PROXY_PATH } from '../../../../shared/csp.js';
import { frameDocument } from './sanitize.js';

interface Props {
  html: string;
  remote: boolean;
  /** How many remote images (through the proxy) failed to load, whenever that number changes. */
  onRemoteImagesFailed?: (failed: number) => void;
}

export function MessageFrame({ html, remote, onRemoteImagesFailed }: Props) {
  const doc = frameDocument(html, messageFrameCsp({ remote }));
  const frame = useRef<HTMLIFrameElement>(null);
  const report = useRef(onRemoteImagesFailed);
  useEffect(() => {
    report.current = onRemoteImagesFailed;
  }, [onRemoteImagesFailed]);

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
      sandbox="allow-same-origin allow-popups allow-popups-to-escape-sandbox"
      referrerPolicy="no-referrer"
      srcDoc={doc}
      onLoad={watchImages}
    />
  );
}
