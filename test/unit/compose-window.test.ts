/** The shell opens a window for the app’s own compose page only, and that page gets the API; at most ten, one per draft. */
import { describe, expect, it } from 'vitest';
import { EventEmitter } from 'node:events';
import { IPC_EVENT } from '../../shared/api.js';
import { ComposeWindows, composeWindowKey, MAX_COMPOSE_WINDOWS } from '../../electron/main/compose-windows.js';
import { COMPOSE_WINDOW_EVENTS, forwardEvents } from '../../electron/main/ipc.js';
import type { MailService } from '../../electron/core/mail-service.js';
import { APP_URL, isComposeWindowUrl, isTrustedSender } from '../../electron/main/security.js';

describe('compose windows', () => {
  it('allows exactly the app page with a #compose hash', () => {
    expect(isComposeWindowUrl(`${APP_URL}#compose`)).toBe(true);
    expect(isComposeWindowUrl(`${APP_URL}#compose?mode=reply&id=abc`)).toBe(true);
    // The compose window is the app's page, so it is answered like the main window.
    expect(isTrustedSender({ url: `${APP_URL}#compose?mode=new`, top: true })).toBe(true);
  });

  it('refuses anything else window.open may ask for', () => {
    for (const url of [
      APP_URL,
      `${APP_URL}#composer`,
      `${APP_URL}?x=1#compose`,
      'app://popbox/other.html#compose',
      'app://evil/index.html#compose',
      'https://example.org/index.html#compose',
      'javascript:alert(1)//#compose',
      'not a url',
    ]) {
      expect(isComposeWindowUrl(url), url).toBe(false);
    }
  });
});

describe('how many compose windows, and one per draft', () => {
  const url = (hash: string) => `${APP_URL}#compose?${hash}`;

  it('opens up to ten at once, counting the ones asked for before they exist; a closed one makes room', () => {
    const wins = new ComposeWindows<string>();
    expect(MAX_COMPOSE_WINDOWS).toBe(10);
    // A burst from the page: all ten allowed before Electron made any of them.
    for (let i = 0; i < 10; i++) expect(wins.decide(url('mode=new&accountId=a'))).toEqual({ action: 'open' });
    expect(wins.decide(url('mode=new&accountId=a'))).toEqual({ action: 'refuse' });
    for (let i = 0; i < 10; i++) wins.created(`w${i}`, url('mode=new&accountId=a'));
    expect(wins.decide(url('mode=reply&id=m1'))).toEqual({ action: 'refuse' });
    wins.closed('w3');
    expect(wins.decide(url('mode=reply&id=m1'))).toEqual({ action: 'open' });
    expect(wins.count).toBe(10);
  });

  it('a draft already open is brought to the front, not opened twice (even when asked twice at once)', () => {
    const wins = new ComposeWindows<string>();
    expect(wins.decide(url('mode=draft&id=d1'))).toEqual({ action: 'open' });
    expect(wins.decide(url('mode=draft&id=d1'))).toEqual({ action: 'refuse' });
    wins.created('win-d1', url('mode=draft&id=d1'));
    expect(wins.decide(url('mode=draft&id=d1'))).toEqual({ action: 'focus', window: 'win-d1' });
    // Another draft, or two replies to one message, are windows of their own.
    expect(wins.decide(url('mode=draft&id=d2'))).toEqual({ action: 'open' });
    expect(wins.decide(url('mode=reply&id=m1'))).toEqual({ action: 'open' });
    expect(wins.decide(url('mode=reply&id=m1'))).toEqual({ action: 'open' });
    wins.closed('win-d1');
    expect(wins.decide(url('mode=draft&id=d1'))).toEqual({ action: 'open' });
  });

  it('names the draft a URL opens, and nothing else', () => {
    expect(composeWindowKey(url('mode=draft&id=a%20b'))).toBe('draft:a b');
    expect(composeWindowKey(url('mode=reply&id=x'))).toBeNull();
    expect(composeWindowKey(url('mode=draft'))).toBeNull();
    expect(composeWindowKey('not a url')).toBeNull();
  });
});

describe('what main tells its windows', () => {
  it('the mail window hears every change; each compose window open now hears its Outbox (to say "Sent") and nothing else', () => {
    const service = new EventEmitter();
    const on = (name: string, fn: (p: unknown) => void) => (service.on(name, fn), () => void service.off(name, fn));
    const got: Record<string, unknown[][]> = { main: [], c1: [], c2: [] };
    const contents = (name: string, destroyed = false) => ({ isDestroyed: () => destroyed, send: (...args: unknown[]) => got[name]!.push(args) });
    const wins = new ComposeWindows<{ webContents: ReturnType<typeof contents> }>();
    const main = { webContents: contents('main') };
    const c1 = { webContents: contents('c1') };
    const c2 = { webContents: contents('c2', true) };
    wins.decide(`${APP_URL}#compose?mode=new`);
    wins.created(c1, `${APP_URL}#compose?mode=new`);
    wins.decide(`${APP_URL}#compose?mode=new`);
    wins.created(c2, `${APP_URL}#compose?mode=new`);
    // As electron/main/index.ts wires them.
    const svc = { on } as unknown as MailService;
    const offs = [
      forwardEvents(svc, () => [main.webContents] as never),
      forwardEvents(svc, () => wins.windows().map((w) => w.webContents) as never, COMPOSE_WINDOW_EVENTS),
    ];
    service.emit('outboxChanged', { accountId: 'a' });
    service.emit('stateChanged', { state: 7 });
    expect(got.main).toEqual([
      [IPC_EVENT, 'outboxChanged', { accountId: 'a' }],
      [IPC_EVENT, 'stateChanged', { state: 7 }],
    ]);
    expect(got.c1).toEqual([[IPC_EVENT, 'outboxChanged', { accountId: 'a' }]]);
    // A window being torn down is skipped; a closed one is no longer told anything.
    expect(got.c2).toEqual([]);
    wins.closed(c1);
    service.emit('outboxChanged', { accountId: 'b' });
    expect(got.c1).toHaveLength(1);
    expect(got.main).toHaveLength(3);
    offs.forEach((off) => off());
    service.emit('outboxChanged', { accountId: 'c' });
    expect(got.main).toHaveLength(3);
  });
});
