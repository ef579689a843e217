/**
 * The --max-semi-space-size (MB) this process was started with, if any. `popbox` starts node with
 * 2 (issue 18 P3: a big download's buffers are freed soon); the CLI sets V8's flag back once the
 * heap is made (cli/heap-flag.ts) and the parse pool gives its workers the same young generation
 * through resourceLimits (ingest/parse-pool.ts). process.execArgv keeps what node was given.
 * The app gives V8 its flags through Electron's --js-flags (main/js-flags.ts), not node's: none
 * here, and its workers take the semi-space from V8's flags, which stay as started.
 */
export function startedSemiSpaceMb(): number | undefined {
  const given = process.execArgv
    .map((a) => /^--max[-_]semi[-_]space[-_]size=(\d+)$/.exec(a)?.[1])
    .findLast((v) => v !== undefined);
  return given === undefined ? undefined : Number(given);
}
