/**
 * A full collection, for tests that watch what memory is let go (a WeakRef emptied, RSS after a
 * large read). They run in vitest's `unit-gc` project, whose workers start with --expose-gc
 * (vitest.config.ts); anywhere else this throws rather than measure without collecting, which
 * would pass a leak (a test that skips its collection sees garbage, not what is still held).
 */
export function collectGarbage(): void {
  if (typeof globalThis.gc !== 'function') throw new Error('global gc() missing: this file belongs in the unit-gc project of vitest.config.ts (execArgv --expose-gc)');
  globalThis.gc();
}
