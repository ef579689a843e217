/**
 * Independent iterations of a crash suite (each in its own copy of a data dir) run in a few
 * lanes at once. The suites kill a child CLI and wait for it; one child at a time leaves one of
 * a two-core machine's cores idle, and the integration project runs its files one at a time.
 * Every iteration still runs and is checked, in the same order within its lane; the first
 * failure is thrown once all lanes have stopped (nothing keeps running behind a failed test).
 */
export const CRASH_LANES = Math.max(1, Number(process.env.POPBOX_CRASH_LANES ?? 2));

/** Runs `one(0)` … `one(count - 1)`, iteration k in lane k mod `lanes`, one at a time per lane. */
export async function inLanes(count: number, one: (k: number) => Promise<void>, lanes = CRASH_LANES): Promise<void> {
  let failed = false;
  const lane = async (first: number) => {
    for (let k = first; k < count && !failed; k += lanes) {
      try {
        await one(k);
      } catch (e) {
        failed = true;
        throw e;
      }
    }
  };
  const results = await Promise.allSettled(Array.from({ length: Math.min(lanes, count) }, (_, i) => lane(i)));
  const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failure) throw failure.reason;
}
