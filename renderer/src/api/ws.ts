/**
 * The API object over the web host's WebSocket. The token travels in the handshake as a
 * subprotocol, never as a cookie (cookies ignore ports: every server on 127.0.0.1 the browser
 * visits would get it). The socket reconnects after a drop, and calls made while it is down
 * fail with `network` rather than hang.
 */
import { buildApi, type PopboxApi, type WireEvent, type WireResponse } from '../../../shared/api.js';
import type { EventName, Result } from '../../../shared/contract.js';

const CALL_TIMEOUT_MS = 10 * 60_000;
const TOKEN_KEY = 'popbox.webhost.token';
/** What a page opened without the web host's key says instead of starting. */
export const NO_TOKEN = 'open the address the Popbox web host printed; it carries the key this page needs.';

/**
 * The web host's token: from the URL it printed on the first load, then from this tab's
 * sessionStorage (scoped to this origin, port included), so a reload still connects. It leaves
 * the address bar and history at once.
 */
export function webHostToken(win: Pick<Window, 'location' | 'history' | 'sessionStorage'>): string | null {
  const url = new URL(win.location.href);
  const fromUrl = url.searchParams.get('token');
  if (!fromUrl) return win.sessionStorage.getItem(TOKEN_KEY);
  win.sessionStorage.setItem(TOKEN_KEY, fromUrl);
  url.searchParams.delete('token');
  win.history.replaceState(win.history.state, '', `${url.pathname}${url.search}${url.hash}`);
  return fromUrl;
}

export function connectWebHost(location: Pick<Location, 'host' | 'protocol'>, token: string): PopboxApi {
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
  const pending = new Map<number, (r: Result<unknown>) => void>();
  const listeners = new Map<EventName, Set<(payload: unknown) => void>>();
  let nextId = 1;
  let socket: WebSocket;
  let opened: Promise<void>;
  let retryMs = 250;

  const fail = (message: string) => ({ ok: false as const, error: { code: 'network' as const, message } });

  const open = () => {
    socket = new WebSocket(url, ['popbox', `popbox.token.${token}`]);
    opened = new Promise((resolve, reject) => {
      socket.addEventListener('open', () => {
        retryMs = 250;
        resolve();
      });
      socket.addEventListener('error', () => reject(new Error('cannot reach the Popbox host')));
    });
    opened.catch(() => {});
    socket.addEventListener('message', (ev) => {
      const frame = JSON.parse(String(ev.data)) as WireResponse | WireEvent;
      if ('id' in frame) {
        pending.get(frame.id)?.(frame.result);
        pending.delete(frame.id);
      } else {
        for (const l of listeners.get(frame.event) ?? []) l(frame.payload);
      }
    });
    socket.addEventListener('close', () => {
      for (const [id, resolve] of pending) {
        resolve(fail('the connection to the Popbox host was lost'));
        pending.delete(id);
      }
      setTimeout(open, retryMs);
      retryMs = Math.min(retryMs * 2, 5_000);
      // A reconnect may have missed hints: tell listeners the state may have moved.
      for (const l of listeners.get('stateChanged') ?? []) setTimeout(() => l({ state: -1 }), retryMs);
      for (const l of listeners.get('accountsChanged') ?? []) setTimeout(() => l({}), retryMs);
    });
  };
  open();

  return buildApi(
    async (method, input) => {
      try {
        await opened;
      } catch (e) {
        return fail((e as Error).message);
      }
      const id = nextId++;
      return new Promise<Result<unknown>>((resolve) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          resolve({ ok: false, error: { code: 'timeout', message: `${method} took too long` } });
        }, CALL_TIMEOUT_MS);
        pending.set(id, (r) => {
          clearTimeout(timer);
          resolve(r);
        });
        socket.send(JSON.stringify({ id, method, input }));
      });
    },
    (event, listener) => {
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      const l = listener as (payload: unknown) => void;
      set.add(l);
      return () => set.delete(l);
    },
  );
}
