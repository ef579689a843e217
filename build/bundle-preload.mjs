// The preload as one CommonJS file: Electron's sandboxed preloads cannot load ES modules.
import { build } from 'esbuild';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const PRELOAD_OUT = path.join(root, 'dist', 'preload', 'index.cjs');

export function bundlePreload(outfile = PRELOAD_OUT) {
  return build({
    entryPoints: [path.join(root, 'electron', 'preload', 'index.ts')],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'chrome120',
    external: ['electron'],
    outfile,
    logLevel: 'warning',
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await bundlePreload(process.argv[2] ?? PRELOAD_OUT);
