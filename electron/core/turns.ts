/**
 * Work that must run one at a time per key (an account), in the order it was asked: each waits for
 * the one before it, whether that one succeeded or failed. Used where a service's operations on
 * one account must not interleave (folders/folder-service.ts's filing, ingest/arrival-filter.ts),
 * and with one key for one file's writes (rules/rule-store.ts).
 */
export class Turns {
  private readonly last = new Map<string, Promise<unknown>>();

  /** Runs `work` after what was asked before for `key`; its own result or failure. */
  run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const run = (this.last.get(key) ?? Promise.resolve()).then(work, work);
    const settled = run.catch(() => {});
    this.last.set(key, settled);
    void settled.then(() => {
      if (this.last.get(key) === settled) this.last.delete(key);
    });
    return run;
  }
}
