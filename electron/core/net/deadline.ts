/** A deadline and an abort signal around anything that starts asynchronously (a connect, a handshake). */
import { NetError } from './errors.js';

/** Run `start` with a deadline and an abort signal; the function `start` returns undoes whatever it started. */
export function withDeadline<T>(
  what: string,
  timeoutMs: number,
  signal: AbortSignal | undefined,
  start: (resolve: (v: T) => void, reject: (e: NetError) => void) => () => void,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let done = false;
    let cleanup: () => void = () => {};
    const finish = (fn: () => void) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      fn();
    };
    const fail = (e: NetError) =>
      finish(() => {
        cleanup();
        reject(e);
      });
    const onAbort = () => fail(new NetError('cancelled', `${what} was cancelled`));
    const timer = setTimeout(
      () => fail(new NetError('timeout', `${what} timed out after ${Math.round(timeoutMs / 1000)} s`)),
      timeoutMs,
    );
    if (signal?.aborted) {
      onAbort();
      return;
    }
    signal?.addEventListener('abort', onAbort, { once: true });
    cleanup = start((v) => finish(() => resolve(v)), fail);
  });
}
