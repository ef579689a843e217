/**
 * Where `popbox` starts in the bundle: dist/cli/popbox.cjs, one CommonJS file (build/bundle-cli.mjs).
 * A sync that finds nothing new (issue 18 P0) is answered from here and the quick path's script
 * with its code cache (quick-script.ts) without loading node's ES module loader at all; every
 * other command, and a sync the quick path leaves, goes on in the bundle's ES modules (index.ts
 * main), imported only then.
 *
 * Why CommonJS: `popbox` starts node with a V8 flag (build/popbox.cjs), under which V8 refuses
 * node's own code cache until heap-flag.ts sets the flag back. Node compiles its ES module loader
 * before an ES module entry's first line runs, so with the flag still set, from source; a
 * CommonJS entry sets it back first. An empty check (Node 20.20, 2,000 messages kept, TLS, without
 * NODE_EXTRA_CA_CERTS; callgrind, whole process) took ~310 M instructions with the ES module entry,
 * ~284 M with a CommonJS file in front of it and ~254 M with the quick path reached from CommonJS alone.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { HandOver } from '../core/sync/hand-over.js';
import type { main as Main } from './index.js';
import { quickStartHeapFlag } from './heap-flag.js';
import { quietOnClosedPipes } from './pipes.js';

// First, before anything loads node's streams, net, tls or child_process (process.stdout does).
// Node's modules already loaded at start (fs, path, url) are the only ones imported before this
// line: every other module of ours comes through import() below, which esbuild defers in this
// CommonJS file (a static import of args.ts loaded node:os ahead of it, from source).
quickStartHeapFlag();
quietOnClosedPipes();

/** The bundle's ES module entry beside this file (index.ts). */
const ENTRY = 'popbox.mjs';

/** The sync's quick path from the script beside this file; its exit code, or null with what it holds for the full path. */
async function quickSyncHere(argv: string[]): Promise<{ code: number | null; handOver?: HandOver }> {
  const sync = (await import('./args.js')).bareSync(argv);
  if (!sync) return { code: null };
  // A Popbox holding the data directory runs the command (index.ts): not answered here.
  const socket = (await import('../core/control/protocol.js')).controlSocketPath(sync.dataDir);
  if (socket && existsSync(socket)) return { code: null };
  // Loaded only for a sync: `account list` never reads node:crypto or node:vm.
  const script = (await import('./quick-script.js')).loadQuickSync(__dirname);
  if (!script) return { code: null };
  const handOver = new script.HandOver();
  const code = await script.quickSync(sync.dataDir, sync.names, { out: (t) => void process.stdout.write(t), err: (t) => void process.stderr.write(t) }, handOver);
  script.keep(code === 0);
  return { code, handOver };
}

async function start(argv: string[]): Promise<number> {
  const quick = await quickSyncHere(argv);
  if (quick.code !== null) return quick.code;
  const { main } = (await import(pathToFileURL(path.join(__dirname, ENTRY)).href)) as { main: typeof Main };
  return main(argv, quick.handOver);
}

void start(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
