// The CLI as plain-JavaScript ES modules (dist/cli/popbox.mjs and its chunks in dist/cli/chunks/),
// so `popbox` starts without compiling TypeScript. Split at the CLI's dynamic imports: `account
// list` and a sync that finds nothing new load only their small chunk (electron/cli/quick-accounts.ts, quick-sync.ts),
// everything else (MailService, MIME, SMTP, zod) only when a command needs it. npm packages stay
// external (keytar is native, and node resolves the rest from node_modules beside dist/). Next to
// the bundle, a list of the source files it was built from, the files it wrote, and when:
// ensureCli() rebuilds only when a source changed or an output is missing, at the cost of a few stats.
//
// No V8 startup snapshot (tried on Node 20.20, session 10, issue 18): node:tls aborts
// `--build-snapshot` ("Unknown external reference"), so it can only be loaded after deserializing;
// import() from the deserialized main fails (ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING), so the
// chunks (the full path, MailService) cannot load and the whole CLI would have to be one CJS
// file; the blob must be built with the same V8 flags it runs with (--max-semi-space-size=2, else
// exit 14 "built with ... different V8 configurations"); `--snapshot-blob PATH` must be on node's
// command line, which a shebang cannot name relative to the script (a shell wrapper or a second
// node start). And it buys little: deserializing a user snapshot costs ~25 ms CPU more than node's
// own start; measured alternating (load ~15), `account list` 220 vs 200 ms CPU (worse), the empty
// sync 355 vs 410 ms CPU (−55 ms) with the quick paths as one CJS file and node:tls deferred.
//
// Not built yet: a code cache for the quick paths (Node 20 keeps none for user modules; session
// 12 counted ~130 M of an empty check's ~400 M instructions as our parsing and compiling). Tried
// on Node 20.20 (session 13): `new vm.Script(source, { cachedData })` takes a cache made by
// createCachedData() after a run (lazily compiled functions included), but import() inside such a
// script fails once its cache is accepted (ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING, even with
// importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER, which works without a
// cache and prints an ExperimentalWarning): the full path would have to be imported by the ES
// module that runs the script, passed in as a function. The cache is also refused under other V8
// flags (their hash): made and used after heap-flag.ts has set its flag back.
import fs from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// node:fs through require, not `import … from 'node:fs'`: the ES module face of node:fs reads every
// export once made, ReadStream's getter among them, which loads node's stream modules (~10 ms CPU
// per start, measured on Node 20) for nothing here.
const { existsSync, readFileSync, statSync } = createRequire(import.meta.url)('node:fs');
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const CLI_ENTRY = path.join(root, 'electron', 'cli', 'index.ts');
const PARSE_WORKER_ENTRY = path.join(root, 'electron', 'core', 'ingest', 'parse-worker.ts');
const OUT_DIR = path.join(root, 'dist', 'cli');
export const CLI_OUT = path.join(OUT_DIR, 'popbox.mjs');
const INPUTS = path.join(OUT_DIR, 'popbox.inputs.json');
const CHUNKS = path.join(OUT_DIR, 'chunks');
/** Chunks of earlier builds are removed only this long after: a process started before a rebuild may still load its own. */
const OLD_CHUNK_MS = 24 * 3600 * 1000;

/** Build the bundle now; written atomically, so a process starting beside the build never reads half a file. */
export async function bundleCli() {
  // esbuild is a devDependency: loaded only when there is something to build.
  const { build } = await import('esbuild');
  const startedAt = Date.now();
  const result = await build({
    absWorkingDir: root,
    // The parse worker is an entry of its own (a worker thread starts from a file): ingest's pool
    // finds dist/cli/parse-worker.mjs beside the entry or one folder up from its chunk.
    entryPoints: { popbox: CLI_ENTRY, 'parse-worker': PARSE_WORKER_ENTRY },
    bundle: true,
    splitting: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    outdir: OUT_DIR, // where imports resolve from; written below
    chunkNames: 'chunks/[name]-[hash]',
    outExtension: { '.js': '.mjs' },
    write: false,
    metafile: true,
    logLevel: 'warning',
  });
  const inputs = Object.keys(result.metafile.inputs).map((f) => path.resolve(root, f));
  await fs.mkdir(CHUNKS, { recursive: true });
  // Chunks first, the entry that imports them after: a process starting meanwhile finds every chunk it names.
  const files = [...result.outputFiles].sort((a, b) => (a.path === CLI_OUT) - (b.path === CLI_OUT));
  for (const f of files) await writeAtomically(f.path, f.contents);
  const outputs = files.map((f) => f.path);
  await writeAtomically(INPUTS, JSON.stringify({ builtFrom: startedAt, inputs, outputs }));
  await removeOldChunks(new Set(outputs));
  return CLI_OUT;
}

async function removeOldChunks(current) {
  for (const name of await fs.readdir(CHUNKS).catch(() => [])) {
    const file = path.join(CHUNKS, name);
    if (current.has(file)) continue;
    const st = await fs.stat(file).catch(() => null);
    if (st && Date.now() - st.mtimeMs > OLD_CHUNK_MS) await fs.rm(file, { force: true });
  }
}

/**
 * The bundle's path, built first if it is missing or older than any of its sources. Where the
 * sources are absent (an installed copy without them), the bundle is used as it is.
 */
export async function ensureCli() {
  // Without sources (an installed copy) there is nothing to compare: the bundle is used as it is,
  // after one stat. Otherwise, one stat per source and output (~200), synchronous: a stat is a few
  // microseconds, and as many promises through libuv's thread pool cost `popbox` ~10 ms CPU per start.
  if (!existsSync(CLI_ENTRY)) {
    await fs.access(CLI_OUT); // neither sources nor a bundle: let the error say which file is missing
    return CLI_OUT;
  }
  if (isFresh()) return CLI_OUT;
  return bundleCli();
}

function isFresh() {
  let recorded;
  try {
    recorded = JSON.parse(readFileSync(INPUTS, 'utf8'));
  } catch {
    return false;
  }
  // A bundle from before the split has no list of outputs: it is rebuilt.
  if (!Array.isArray(recorded.outputs) || !existsSync(CLI_OUT) || !recorded.outputs.every((f) => existsSync(f))) return false;
  // The build's start, not the bundle's mtime: a source saved while esbuild ran counts as newer.
  return recorded.inputs.every((f) => {
    const st = statSync(f, { throwIfNoEntry: false });
    return st !== undefined && st.mtimeMs < recorded.builtFrom;
  });
}

async function writeAtomically(file, data) {
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  await fs.writeFile(tmp, data);
  await fs.rename(tmp, file);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await bundleCli();
