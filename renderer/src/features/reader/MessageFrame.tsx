/**
 * The HTML body, sanitized, in a sandboxed iframe without allow-scripts and with its own CSP
 * (DESIGN §3.7). allow-same-origin lets the frame's images load from our origin's proxy; with
 * scripts off, nothing in the frame can use it. Links open in a new window, which the Electron
 * shell turns into the system browser (http, https and mailto only).
 */
import { messageFrameCsp } from '../../../../shared/csp.js';
import { frameDocument } from './sanitize.js';

export function MessageFrame({ html, remote }: { html: string; remote: boolean }) {
  const doc = frameDocument(html, messageFrameCsp({ remote }));
  return <iframe className="message-frame" title="Message body" sandbox="allow-same-origin allow-popups allow-popups-to-escape-sandbox" referrerPolicy="no-referrer" srcDoc={doc} />;
}
