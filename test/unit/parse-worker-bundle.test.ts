/**
 * A parse worker loads the parsers and the index writer, not the pool that starts it: in the CLI
 * bundle (build/bundle-cli.mjs: the CLI and the worker as two entries of one split build) the
 * worker's constants once came from parse-pool.ts, so the chunk every worker loads at its start
 * held ParsePool too, with node:os, node:url and the semi-space reader. Built here as that script
 * builds it (in memory), and what the worker's entry imports followed chunk by chunk.
 */
import path from 'node:path';
import { build, type Metafile } from 'esbuild';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '..', '..');

/** The source files and the external modules in the chunks the worker's entry loads at its start. */
function workerLoads(meta: Metafile): { sources: Set<string>; external: Set<string> } {
  const outputs = meta.outputs;
  const entry = Object.keys(outputs).find((k) => outputs[k]!.entryPoint?.endsWith('parse-worker.ts'));
  expect(entry).toBeDefined();
  const seen = new Set<string>();
  const sources = new Set<string>();
  const external = new Set<string>();
  const stack = [entry!];
  while (stack.length) {
    const file = stack.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const source of Object.keys(outputs[file]!.inputs)) sources.add(source);
    for (const i of outputs[file]!.imports) {
      // Static imports only: what a dynamic import() names loads when it runs, not at the start.
      if (i.kind !== 'import-statement') continue;
      if (outputs[i.path]) stack.push(i.path);
      else external.add(i.path);
    }
  }
  return { sources, external };
}

describe('the parse worker in the CLI bundle', () => {
  it('loads neither the pool nor what only the pool needs', { timeout: 60_000 }, async () => {
    const result = await build({
      absWorkingDir: root,
      entryPoints: { popbox: path.join(root, 'electron/cli/index.ts'), 'parse-worker': path.join(root, 'electron/core/ingest/parse-worker.ts') },
      bundle: true,
      splitting: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      packages: 'external',
      outdir: path.join(root, 'dist', 'cli'),
      chunkNames: 'chunks/[name]-[hash]',
      outExtension: { '.js': '.mjs' },
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    const { sources, external } = workerLoads(result.metafile);
    // What it is for: the parsers and the index writer.
    expect(sources).toContain('electron/core/ingest/parse-stored.ts');
    expect(sources).toContain('electron/core/search/index-writer.ts');
    // The pool and its own imports stay in the CLI's chunks.
    expect(sources).not.toContain('electron/core/ingest/parse-pool.ts');
    expect(sources).not.toContain('electron/core/semi-space.ts');
    expect(external).not.toContain('node:os');
  });
});
