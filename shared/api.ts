/**
 * The API object the renderer talks to: `window.popbox`. The Electron preload and the web host
 * both build it with `buildApi`, so it has exactly one shape — a function per contract method
 * (answering a `Result`, never throwing across the boundary) and `on(event, listener)` for the
 * pushed events, which returns its unsubscribe function. Nothing else: no generic send.
 */
import { EVENT_NAMES as EVENTS, METHOD_NAMES as METHODS } from './contract-names.js';
import type { EventName, EventPayload, Input, Method, Output, Result } from './contract.js';

export type ApiMethods = { [M in Method]: (input: Input<M>) => Promise<Result<Output<M>>> };
export type Subscribe = <E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void) => () => void;
export type PopboxApi = ApiMethods & { on: Subscribe };

export type Invoke = (method: Method, input: unknown) => Promise<Result<unknown>>;

export const METHOD_NAMES: readonly Method[] = METHODS;
export const EVENT_NAMES: readonly EventName[] = EVENTS;

/** The API's own keys, in order: what a preload may expose and nothing more. */
export const API_KEYS = [...METHOD_NAMES, 'on'] as const;

export function buildApi(invoke: Invoke, subscribe: Subscribe): PopboxApi {
  const api: Record<string, unknown> = {};
  for (const method of METHOD_NAMES) api[method] = (input: unknown) => invoke(method, input ?? {});
  api.on = (event: EventName, listener: (payload: unknown) => void) => {
    if (!EVENT_NAMES.includes(event)) throw new TypeError(`unknown event ${String(event)}`);
    if (typeof listener !== 'function') throw new TypeError('listener must be a function');
    return subscribe(event, listener);
  };
  return Object.freeze(api) as PopboxApi;
}

/** Electron IPC channels: one for calls (method, input), one for pushed events (name, payload). */
export const IPC_CALL = 'popbox:call';
export const IPC_EVENT = 'popbox:event';

/** Frames on the web host's WebSocket (the Electron shell uses ipcMain/ipcRenderer instead). */
export type WireRequest = { id: number; method: string; input: unknown };
export type WireResponse = { id: number; result: Result<unknown> };
export type WireEvent = { event: EventName; payload: unknown };
