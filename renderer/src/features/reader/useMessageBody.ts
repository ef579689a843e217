/** Loads a message's body and its cid: parts, and sanitizes the HTML for the frame. */
import { useEffect, useState } from 'react';
import type { MessageBody } from '../../../../shared/messages.js';
import { call, isApiError } from '../../api/client.js';
import { useServices } from '../../app/context.js';
import { sanitizeEmailHtml } from './sanitize.js';

const MAX_INLINE_PARTS = 40;

export interface LoadedBody {
  body: MessageBody;
  cid: Map<string, string>;
}

export function useMessageBody(id: string | null, version: string) {
  const { api } = useServices();
  const [state, setState] = useState<{ id: string; loaded?: LoadedBody; error?: string } | null>(null);
  useEffect(() => {
    if (!id) return;
    let live = true;
    setState({ id });
    (async () => {
      const body = await call(api, 'messageBody', { id });
      const cid = new Map<string, string>();
      const wanted = new Set([...(body.html ?? '').matchAll(/cid:([^"'\s)>]+)/gi)].map((m) => m[1]!.replace(/^<|>$/g, '')));
      for (const contentId of [...wanted].slice(0, MAX_INLINE_PARTS)) {
        const attachmentId = body.cidMap[contentId];
        if (!attachmentId) continue;
        try {
          const part = await call(api, 'inlinePart', { id, attachmentId });
          if (/^image\/(png|gif|jpe?g|webp|bmp|avif)$/i.test(part.contentType)) cid.set(contentId, `data:${part.contentType};base64,${part.base64}`);
        } catch {
          // An inline image we cannot show is left out; the text still reads.
        }
      }
      if (live) setState({ id, loaded: { body, cid } });
    })().catch((e: unknown) => {
      if (live) setState({ id, error: isApiError(e) ? e.message : String(e) });
    });
    return () => {
      live = false;
    };
  }, [api, id, version]);
  return state && state.id === id ? state : null;
}

export function sanitizedFor(loaded: LoadedBody, allowRemote: boolean, message?: string) {
  return sanitizeEmailHtml(loaded.body.html ?? '', { allowRemote, cid: loaded.cid, origin: window.location.origin, ...(message ? { message } : {}) });
}
