/**
 * The renderer's side of the contract: `window.popbox` from the Electron preload, or the same
 * shape built over the web host's WebSocket. `call` turns a Result into a value or an ApiError
 * carrying the code the UI decides on.
 */
import type { PopboxApi } from '../../../shared/api.js';
import type { Input, Method, Output, Result } from '../../../shared/contract.js';
import type { AppError, ErrorCode } from '../../../shared/errors.js';
import { connectWebHost, NO_TOKEN, webHostToken } from './ws.js';

export type { PopboxApi };

export class ApiError extends Error {
  readonly code: ErrorCode;
  readonly detail: AppError;
  constructor(error: AppError) {
    super(error.message);
    this.name = 'ApiError';
    this.code = error.code;
    this.detail = error;
  }
}

export function isApiError(e: unknown): e is ApiError {
  return e instanceof ApiError;
}

export async function call<M extends Method>(api: PopboxApi, method: M, input: Input<M>): Promise<Output<M>> {
  const result = (await (api[method] as unknown as (i: Input<M>) => Promise<Result<Output<M>>>)(input)) as Result<Output<M>>;
  if (!result.ok) throw new ApiError(result.error);
  return result.value as Output<M>;
}

declare global {
  interface Window {
    popbox?: PopboxApi;
  }
}

/**
 * The Electron preload's object when there is one, else the web host's WebSocket. Without the
 * web host's key the app does not start (main.tsx shows why) rather than show an empty mailbox.
 */
export function getApi(): PopboxApi {
  if (window.popbox) return window.popbox;
  const token = webHostToken(window);
  if (!token) throw new Error(NO_TOKEN);
  return connectWebHost(window.location, token);
}
