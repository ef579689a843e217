/**
 * The web host (DESIGN §1, §6): MailService behind the same contract, spoken over a WebSocket,
 * and the built renderer served from 127.0.0.1. For development and the browser tests; it binds
 * to loopback only, and its API answers nothing without its random token.
 *
 * The token is not a cookie: cookies ignore ports, so every other server on 127.0.0.1 the
 * browser visits would receive it. The page reads it from the URL the host printed, keeps it in
 * sessionStorage (scoped to this origin, port included), takes it out of the address bar and
 * offers it in the WebSocket handshake as a subprotocol (`popbox.token.<token>`), which only
 * this origin's scripts can do; the host answers with plain `popbox` and never echoes it. The
 * page and its assets are the public renderer build and carry no data, so they are served to
 * anyone who names this host. The /remote proxy fetches only public http(s) content and answers
 * without CORS headers, so no other page can read what it returns; browsers that say where a
 * request comes from (Sec-Fetch-Site) are refused it for any page but ours.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { appCsp, REMOTE_PROXY_PATH } from '../../shared/csp.js';
import { EVENT_NAMES, type WireEvent, type WireRequest, type WireResponse } from '../../shared/api.js';
import { serveCli } from '../cli/serve.js';
import { createDispatcher, mailServiceHandlers, type ConfirmQuestion, type HostServices } from '../core/contract-handler.js';
import { AppFailure } from '../core/errors.js';
import type { MailService } from '../core/mail-service.js';
import { contentTypeOf } from '../core/static-files.js';
import type { RemoteFetchOptions } from '../core/remote-content.js';
import { RemoteContentProxy, type RemoteLimits } from '../core/remote-proxy.js';

export interface WebHostOptions {
  service: MailService;
  /** The built renderer (vite's output). */
  staticDir: string;
  port?: number;
  /** Where "Save" puts attachments (the web host has no save dialog). */
  downloadsDir: string;
  remote?: RemoteFetchOptions;
  remoteLimits?: Partial<RemoteLimits>;
  token?: string;
  /** Run CLI commands sent to the data directory's control socket in this process (default true). */
  serveCli?: boolean;
  /**
   * Answers the questions a desktop app asks in a native dialog (e.g. "send again a message that
   * may have been sent?"). A browser page cannot ask them safely (the page is untrusted), so by
   * default the answer is a refusal naming the terminal command that does it; tests set this.
   */
  confirm?: (question: ConfirmQuestion) => Promise<boolean>;
  /** How long after Cancel the same kind of question is refused (HostServices); tests that answer at once set 0. */
  pauseAfterCancelMs?: number;
}

export interface WebHost {
  url: string;
  origin: string;
  token: string;
  close(): Promise<void>;
}

/** The subprotocol the host selects, and the prefix of the one that carries the token. */
export const WS_PROTOCOL = 'popbox';
const TOKEN_PROTOCOL = 'popbox.token.';
const MAX_FRAME_BYTES = 4 * 1024 * 1024;

function sameSecret(a: string | undefined, b: string): boolean {
  if (!a) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function offeredProtocols(header: string | string[] | undefined): string[] {
  return String(header ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
}

/** A file name in `dir` that does not exist yet: "a.pdf", "a (1).pdf", … */
export async function freeName(dir: string, suggested: string): Promise<string> {
  const safe = path.basename(suggested.replace(/[\\/\0]/g, '_')).replace(/^\.+/, '') || 'attachment';
  const ext = path.extname(safe);
  const stem = safe.slice(0, safe.length - ext.length);
  for (let i = 0; i < 1000; i++) {
    const candidate = path.join(dir, i === 0 ? safe : `${stem} (${i})${ext}`);
    try {
      await fs.access(candidate);
    } catch {
      return candidate;
    }
  }
  return path.join(dir, `${stem}-${randomBytes(4).toString('hex')}${ext}`);
}

/** What the web host does where the desktop app opens a window: saves into a folder, refuses questions (unless told how to answer). */
export function webHostServices(opts: Pick<WebHostOptions, 'downloadsDir' | 'confirm' | 'pauseAfterCancelMs'>): HostServices {
  return {
    ...(opts.pauseAfterCancelMs !== undefined ? { pauseAfterCancelMs: opts.pauseAfterCancelMs } : {}),
    chooseSaveDestination: async (name) => {
      await fs.mkdir(opts.downloadsDir, { recursive: true });
      return freeName(opts.downloadsDir, name);
    },
    confirm:
      opts.confirm ??
      (async (q) => {
        throw new AppFailure('unsupported', `${q.message} The browser cannot ask you safely whether to go ahead${q.command ? `; to do it, run in a terminal: ${q.command}` : ''}.`);
      }),
  };
}

export async function startWebHost(opts: WebHostOptions): Promise<WebHost> {
  const token = opts.token ?? randomBytes(24).toString('base64url');
  const staticDir = path.resolve(opts.staticDir);
  const host = webHostServices(opts);
  const dispatch = createDispatcher(mailServiceHandlers(opts.service, host));
  const remote = new RemoteContentProxy(opts.remote, opts.remoteLimits);
  let origin = '';
  let csp = '';

  const authorized = (req: http.IncomingMessage) => {
    const offered = offeredProtocols(req.headers['sec-websocket-protocol']);
    return offered.includes(WS_PROTOCOL) && offered.some((p) => p.startsWith(TOKEN_PROTOCOL) && sameSecret(p.slice(TOKEN_PROTOCOL.length), token));
  };
  // DNS rebinding: a page elsewhere naming our port under its own host name is refused.
  const rightHost = (req: http.IncomingMessage) => req.headers.host === new URL(origin).host;

  const server = http.createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', origin);
      if (!rightHost(req)) {
        res.writeHead(403, { 'content-type': 'text/plain' }).end('Forbidden: open the URL the web host printed.\n');
        return;
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405).end();
        return;
      }
      const headers: Record<string, string> = {
        'content-security-policy': csp,
        'x-content-type-options': 'nosniff',
        'referrer-policy': 'no-referrer',
        'cross-origin-opener-policy': 'same-origin',
      };
      if (url.pathname === REMOTE_PROXY_PATH) {
        // Another local port is "same-site"; our page and its message frame are "same-origin".
        const from = req.headers['sec-fetch-site'];
        if (from === 'cross-site' || from === 'same-site') {
          res.writeHead(403, { ...headers, 'content-type': 'text/plain' }).end('Forbidden: remote content is fetched for Popbox pages only.\n');
          return;
        }
        const target = url.searchParams.get('u') ?? '';
        const gone = new AbortController();
        res.once('close', () => gone.abort());
        const got = await remote.fetch(target, url.searchParams.get('m') ?? '', gone.signal);
        if (!got.ok) {
          res.writeHead(got.status, { ...headers, 'content-type': 'text/plain' }).end(got.reason);
          return;
        }
        res.writeHead(200, { ...headers, 'content-type': got.contentType, 'cache-control': 'private, max-age=3600' }).end(got.body);
        return;
      }
      let rel = decodeURIComponent(url.pathname);
      if (rel === '/' || !path.extname(rel)) rel = '/index.html';
      const file = path.resolve(staticDir, '.' + rel);
      if (!file.startsWith(staticDir + path.sep)) {
        res.writeHead(404).end();
        return;
      }
      try {
        const body = await fs.readFile(file);
        res
          .writeHead(200, {
            ...headers,
            'content-type': contentTypeOf(file),
            'cache-control': rel === '/index.html' ? 'no-store' : 'private, max-age=31536000, immutable',
          })
          .end(req.method === 'HEAD' ? undefined : body);
      } catch {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found\n');
      }
    })().catch(() => {
      if (!res.headersSent) res.writeHead(500).end();
    });
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES, handleProtocols: () => WS_PROTOCOL });
  const clients = new Set<WebSocket>();
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', origin);
    if (url.pathname !== '/ws' || !rightHost(req) || req.headers.origin !== origin || !authorized(req)) {
      socket.end('HTTP/1.1 403 Forbidden\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      clients.add(ws);
      ws.on('close', () => clients.delete(ws));
      ws.on('message', (data) => {
        let request: WireRequest;
        try {
          request = JSON.parse(data.toString()) as WireRequest;
        } catch {
          ws.close(1003, 'not JSON');
          return;
        }
        if (typeof request !== 'object' || request === null || typeof request.id !== 'number' || typeof request.method !== 'string') {
          ws.close(1003, 'not a request');
          return;
        }
        void dispatch(request.method, request.input).then((result) => {
          if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ id: request.id, result } satisfies WireResponse));
        });
      });
    });
  });

  const unsubscribe = EVENT_NAMES.map((event) =>
    opts.service.on(event, (payload) => {
      const frame = JSON.stringify({ event, payload } satisfies WireEvent);
      for (const ws of clients) if (ws.readyState === ws.OPEN) ws.send(frame);
    }),
  );

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  origin = `http://127.0.0.1:${port}`;
  csp = appCsp({ connectSrc: [`ws://127.0.0.1:${port}`] });
  // `popbox …` while this host runs: the command runs here and its changes reach the page as events.
  const control = opts.serveCli === false ? null : await serveCli(opts.service, (m) => console.error(m));

  return {
    url: `${origin}/?token=${token}`,
    origin,
    token,
    async close() {
      await control?.close(); // commands at work finish and print while the service is open
      for (const u of unsubscribe) u();
      for (const ws of clients) ws.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
