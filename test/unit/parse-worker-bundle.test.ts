/**
 * A parse worker loads the parsers and the index writer, not the pool that starts it: in the CLI
 * bundle (build/bundle-cli.mjs: the CLI and the worker as two entries of one split build) the
 * worker's constants once came from parse-pool.ts, so the chunk every worker loads at its start
 * held ParsePool too, with node:os, node:url and the semi-space reader. The bundle as the CLI
 * runs it (built if stale), followed from the worker's file through the chunks it imports.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bundleCli } from '../support/cli-bundle.js';

/** The sources (esbuild's `// path` marks) and the outside modules in the files the worker loads at its start. */
async function workerLoads(entry: string): Promise<{ sources: Set<string>; external: Set<string> }> {
  const seen = new Set<string>();
  const sources = new Set<string>();
  const external = new Set<string>();
  const stack = [entry];
  while (stack.length) {
    const file = stack.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const code = await fs.readFile(file, 'utf8');
    for (const [, source] of code.matchAll(/^\/\/ ((?:electron|shared)\/\S+\.tsx?)$/gm)) sources.add(source!);
    // Static imports only (`import … from "x"`, `import "x"`): a dynamic import() loads when it runs.
    for (const [, spec] of code.matchAll(/^(?:import|export)\s(?:[^'"]*?\sfrom\s)?["']([^"']+)["'];?$/gm)) {
      if (spec!.startsWith('.')) stack.push(path.resolve(path.dirname(file), spec!));
      else external.add(spec!);
    }
  }
  return { sources, external };
}

describe('the parse worker in the CLI bundle', () => {
  it('loads neither the pool nor what only the pool needs', { timeout: 120_000 }, async () => {
    const cli = await bundleCli();
    const { sources, external } = await workerLoads(path.join(path.dirname(cli), 'parse-worker.mjs'));
    // What it is for: the parsers and the index writer.
    expect(sources).toContain('electron/core/ingest/parse-stored.ts');
    expect(sources).toContain('electron/core/search/index-writer.ts');
    expect(external).toContain('node:worker_threads');
    // The pool and its own imports stay in the CLI's chunks.
    expect(sources).not.toContain('electron/core/ingest/parse-pool.ts');
    expect(sources).not.toContain('electron/core/semi-space.ts');
    expect(external).not.toContain('node:os');
    // libmime (iconv-lite, encoding-japanese, a MIME-type table) only when a message needs it:
    // mime/header-value.ts reads ordinary headers, mime/libmime-lazy.ts requires libmime then.
    expect(sources).toContain('electron/core/mime/header-value.ts');
    expect([...external].filter((m) => m.startsWith('libmime'))).toStrictEqual([]);
  });
});
