// The CLI as one plain-JavaScript ES module (dist/cli/popbox.mjs), so `popbox` starts without
// compiling TypeScript. npm packages stay external (keytar is native, and node resolves the rest
// from node_modules beside dist/). Next to the bundle, a list of the source files it was built
// from and when: ensureCli() rebuilds only when one of them changed, at the cost of a few stats.
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const CLI_ENTRY = path.join(root, 'electron', 'cli', 'index.ts');
export const CLI_OUT = path.join(root, 'dist', 'cli', 'popbox.mjs');
const INPUTS = path.join(root, 'dist', 'cli', 'popbox.inputs.json');

/** Build the bundle now; written atomically, so a process starting beside the build never reads half a file. */
export async function bundleCli() {
  // esbuild is a devDependency: loaded only when there is something to build.
  const { build } = await import('esbuild');
  const startedAt = Date.now();
  const result = await build({
    absWorkingDir: root,
    entryPoints: [CLI_ENTRY],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    outfile: CLI_OUT, // where imports resolve from; written below
    write: false,
    metafile: true,
    logLevel: 'warning',
  });
  const inputs = Object.keys(result.metafile.inputs).map((f) => path.resolve(root, f));
  await fs.mkdir(path.dirname(CLI_OUT), { recursive: true });
  await writeAtomically(CLI_OUT, result.outputFiles[0].contents);
  await writeAtomically(INPUTS, JSON.stringify({ builtFrom: startedAt, inputs }));
  return CLI_OUT;
}

/**
 * The bundle's path, built first if it is missing or older than any of its sources. Where the
 * sources are absent (an installed copy without them), the bundle is used as it is.
 */
export async function ensureCli() {
  if (await isFresh()) return CLI_OUT;
  const haveSources = await fs.access(CLI_ENTRY).then(() => true, () => false);
  if (!haveSources) {
    await fs.access(CLI_OUT); // neither sources nor a bundle: let the error say which file is missing
    return CLI_OUT;
  }
  return bundleCli();
}

async function isFresh() {
  let recorded;
  try {
    await fs.access(CLI_OUT);
    recorded = JSON.parse(await fs.readFile(INPUTS, 'utf8'));
  } catch {
    return false;
  }
  // The build's start, not the bundle's mtime: a source saved while esbuild ran counts as newer.
  const stats = await Promise.all(recorded.inputs.map((f) => fs.stat(f).catch(() => null)));
  return stats.every((s) => s !== null && s.mtimeMs < recorded.builtFrom);
}

async function writeAtomically(file, data) {
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  await fs.writeFile(tmp, data);
  await fs.rename(tmp, file);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await bundleCli();
