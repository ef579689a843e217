/**
 * The CLI bundled into one ESM file with esbuild, for tests and benchmarks that start it many
 * times: `node <bundle>` starts in a fraction of the time `tsx` needs to compile on every run.
 *
 * npm packages stay external (keytar is a native module, and mailparser & co. need no
 * bundling), so the bundle is written under the repository (test/.tmp/, git-ignored) where
 * node resolves them from node_modules. It is named by a hash of its content and written
 * atomically: processes running side by side (a bench and a test) share one file and never
 * see a half-written one. Built once per process; bundles of older sources are removed after
 * a day (a process can't clean up after itself: vitest ends its workers without an 'exit').
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { build } from 'esbuild';

const root = path.resolve(import.meta.dirname, '..', '..');
const outDir = path.join(root, 'test', '.tmp');
const STALE_MS = 24 * 3600 * 1000;

let bundled: Promise<string> | undefined;

/** Absolute path of the bundled CLI (`node <path> --data-dir DIR sync` …), built on first call. */
export function bundleCli(): Promise<string> {
  bundled ??= buildOnce().catch((e: unknown) => {
    bundled = undefined; // a failed build may be retried
    throw e;
  });
  return bundled;
}

async function buildOnce(): Promise<string> {
  await fs.mkdir(outDir, { recursive: true });
  const result = await build({
    absWorkingDir: root,
    entryPoints: [path.join(root, 'electron', 'cli', 'index.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    outfile: path.join(outDir, 'popbox-cli.mjs'), // where imports resolve from; written below
    write: false,
    logLevel: 'warning',
  });
  const code = result.outputFiles[0]!.contents;
  const outfile = path.join(outDir, `popbox-cli.${createHash('sha256').update(code).digest('hex').slice(0, 16)}.mjs`);
  const exists = await fs.stat(outfile).then(
    (s) => s.size === code.length,
    () => false,
  );
  if (!exists) {
    const tmp = `${outfile}.${process.pid}.tmp`;
    await fs.writeFile(tmp, code);
    await fs.rename(tmp, outfile);
  }
  const now = Date.now();
  await fs.utimes(outfile, now / 1000, now / 1000); // in use: keep it from the sweep below
  for (const name of await fs.readdir(outDir)) {
    if (!/^popbox-cli\..+\.mjs(\.\d+\.tmp)?$/.test(name) || path.join(outDir, name) === outfile) continue;
    const file = path.join(outDir, name);
    const stat = await fs.stat(file).catch(() => null);
    if (stat && now - stat.mtimeMs > STALE_MS) await fs.rm(file, { force: true });
  }
  return outfile;
}
