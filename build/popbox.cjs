#!/usr/bin/env -S node --max-semi-space-size=2
// `popbox` (package.json bin) and `npm run cli`: the CLI bundle (its entry dist/cli/popbox.cjs), rebuilt first only when its
// sources changed. It runs in this process, so signals and exit codes are the CLI's own.
//
// --max-semi-space-size=2 (also in package.json's `cli` script, which starts this file with
// `node`): V8's young generation grows to 3 × 16 MB while the CLI loads its modules and never
// shrinks during a sync, and the socket's buffers wait for the next young collection to be
// freed. Capped at 2 MB, one 200 MB message through `popbox sync` peaked at 92–96 MB RSS instead
// of 137–148 MB (issue 18 P3: ≤ 100 MB; mpop 9 MB), with no CPU cost seen on a 2,000-message
// sync (14.6 s vs 15.2 s, one run each, load 22). Flags cannot be set from inside the process
// (v8.setFlagsFromString comes after the heap is made: set there, the young generation still grew
// to 32 MB in a test that stays at 4 MB with the flag on the command line); `env -S` passes them
// on Linux and macOS. Any V8 flag here also makes V8 refuse node's built-in code cache (its flag
// hash differs): the CLI sets the flag back to its default once node has started, the young
// generation staying at 2 MB, and leaves it so; the parse worker gets its own small young
// generation (resourceLimits, electron/core/ingest/parse-pool.ts), not from this flag
// (electron/cli/heap-flag.ts). What is left of its price: the ~20 modules node loads before the
// CLI's first line, compiled from source at every start; every module after them comes from
// node's cache, on the quick paths and the full one (sync, send) alike. Counted with callgrind
// (session 13, Node 20.20, without NODE_EXTRA_CA_CERTS): `node --max-semi-space-size=2 -e 0`
// 95.6–96.2 M instructions against `node -e 0` 84.0 M, +12 M (+14 %) on every start.
//
// CommonJS (session 17): an ES module here made node compile its ES module loader under the flag,
// from source, before any line of ours could set it back (electron/cli/front.ts has the numbers).
// The bundle's own entry (dist/cli/popbox.cjs) sets it back first; the freshness check before it
// reads files only (build/cli-fresh.cjs), and node's ES module loader is loaded only to build.
'use strict';
const { builtCli } = require('./cli-fresh.cjs');

const built = builtCli();
if (built) require(built);
else
  import('./bundle-cli.mjs')
    .then(({ bundleCli }) => bundleCli())
    .then((out) => require(out));
