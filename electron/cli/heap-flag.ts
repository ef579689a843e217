/**
 * `popbox` starts node with --max-semi-space-size=2 (build/popbox.cjs: it keeps a big download's
 * RSS under 100 MB, issue 18 P3). Any such V8 flag on the command line changes V8's flag hash, and
 * with it V8 rejects node's built-in code cache: every node module loaded after start (net, tls,
 * crypto, streams, child_process: 76 of them for a sync) is compiled from source instead, ~30 ms
 * CPU per empty check (measured on Node 20.20: NODE_DEBUG_NATIVE=CODE_CACHE prints "rejected").
 *
 * The heap's limits are fixed when node starts: setting the flag back to its default at run time
 * leaves the young generation at 2 MB (v8.getHeapSpaceStatistics: new_space stays 4 MB) and makes
 * the hash match again, so every path (the quick ones and the full one: sync, send) loads node's
 * modules from the cache. The flag is not set again: a worker started later would take its heap
 * from the flags of that moment, but every module loaded after that would be compiled from source
 * again. The parse worker gets its small young generation from its own resourceLimits instead
 * (core/ingest/parse-pool.ts).
 *
 * Through process.binding('v8'), not node:v8: node:v8 loads node's stream modules first, with the
 * cache still rejected. Where that binding is gone (a later Node) nothing is changed.
 */
import { startedSemiSpaceMb } from '../core/semi-space.js';

const given = startedSemiSpaceMb();

function setV8Flag(flag: string): void {
  if (given === undefined) return;
  // Node warns once about this binding (DEP0111): not for a user to see on every `popbox`.
  const quiet = process.noDeprecation;
  process.noDeprecation = true;
  try {
    (process as unknown as { binding(name: 'v8'): { setFlagsFromString(flag: string): void } }).binding('v8').setFlagsFromString(flag);
  } catch {
    // No such binding: the cache stays rejected, nothing else changes.
  } finally {
    process.noDeprecation = quiet;
  }
}

/** Before node's modules load: from its code cache, for the rest of the process. */
export function quickStartHeapFlag(): void {
  setV8Flag('--max-semi-space-size=0');
}
