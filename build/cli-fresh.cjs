// Whether the CLI bundle (build/bundle-cli.mjs) can be used as it is, in CommonJS: `popbox`
// (build/popbox.cjs) asks before anything loads node's ES module loader (electron/cli/front.ts
// says why), and build/bundle-cli.mjs's ensureCli asks the same.
'use strict';
const { existsSync, readFileSync, statSync } = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const CLI_ENTRY = path.join(root, 'electron', 'cli', 'index.ts');
const OUT_DIR = path.join(root, 'dist', 'cli');
/** Where `popbox` starts: electron/cli/front.ts as one CommonJS file. */
const CLI_OUT = path.join(OUT_DIR, 'popbox.cjs');
/** What the bundle was built from, the files it wrote, and when. */
const INPUTS = path.join(OUT_DIR, 'popbox.inputs.json');

/**
 * The bundle's entry when it can run as it is: an installed copy without sources (nothing to
 * compare: used as it is), or one built after its every source was last changed; null when it must
 * be built first. One synchronous stat per source and output (~200): a stat is a few microseconds,
 * and as many promises through libuv's thread pool cost `popbox` ~10 ms CPU per start.
 */
function builtCli() {
  if (!existsSync(CLI_ENTRY)) return CLI_OUT;
  let recorded;
  try {
    recorded = JSON.parse(readFileSync(INPUTS, 'utf8'));
  } catch {
    return null;
  }
  // A bundle from before the split has no list of outputs: it is rebuilt.
  if (!Array.isArray(recorded.outputs) || !existsSync(CLI_OUT) || !recorded.outputs.every((f) => existsSync(f))) return null;
  // The build's start, not the bundle's mtime: a source saved while esbuild ran counts as newer.
  const fresh = recorded.inputs.every((f) => {
    const st = statSync(f, { throwIfNoEntry: false });
    return st !== undefined && st.mtimeMs < recorded.builtFrom;
  });
  return fresh ? CLI_OUT : null;
}

module.exports = { root, CLI_ENTRY, OUT_DIR, CLI_OUT, INPUTS, builtCli };
