// The CLI as plain JavaScript: where it starts, dist/cli/popbox.cjs (electron/cli/front.ts, CommonJS), and the ES modules (dist/cli/popbox.mjs and its chunks in dist/cli/chunks/)
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
// A code cache for `popbox sync`'s quick path (session 15): node 20 keeps none for user modules, and
// session 12 counted ~130 M of an empty check's ~400 M instructions as our parsing and compiling.
// The quick path (electron/cli/quick-sync.ts and what it imports) is also written as one CommonJS
// script, dist/cli/quick-sync.cjs, that electron/cli/quick-script.ts runs through
// `new vm.Script(source, { cachedData })` with V8's cache of it (made after a run that answered,
// so lazily compiled functions are in it; checked, replaced when refused or damaged: see there).
// import() inside such a script fails once its cache is accepted (ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING,
// even with importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER, session 13),
// so the script has none (esbuild makes each a require) and the full path loads as the bundle's ES
// modules, imported by index.ts. The cache is refused under other V8 flags (their hash): made and
// used after heap-flag.ts has set its flag back. Measured A/B against 3e06f25 (Node 20.20, an
// empty check, 2,000 messages kept, TLS): callgrind 401 -> 358 M instructions (-11 %) without
// NODE_EXTRA_CA_CERTS, 814 -> 763 M (-6 %) with this machine's (medians of 3); CPU (perf stat
// task-clock, 20 alternating runs, load 6-9) 235 -> 201 ms and 273 -> 244 ms. `account list` is left on
// the modules: its code is small, and the script, its cache and their check cost it more than they
// save (184 -> 193 M without the CA file, tried); its loader is a chunk of its own, so it pays nothing.
//
// No code cache for the parse worker (tried, session 16, issue 18; not landed). Built: the worker
// (parse-worker.ts and what it imports, npm packages external) as one script beside a small entry
// that ran it through the quick path's loader (moved to a shared core module), the cache made once
// the worker's first sync was parsed and written (118 KB for the 99 KB script), checked and
// replaced as the quick path's is. It was used ("used" on every run) and bought nothing: an
// 800-message sync over TLS (pop3-sync.ts as pop3-bench.ts bundles it, the app's V8 flags, own
// Dovecot), 8 alternating rounds at load 13-21, CPU until searchable 2,911 ms without vs 2,972 with
// (medians), the worker thread 865 vs 865 ms, its page faults 8,836 vs 9,294; one worker parsing the
// same 800 stored messages into the index (10 alternating rounds, load 12-19): 1,168 vs 1,248 ms CPU.
// Counted with callgrind (no hardware counters on this VM), the worker thread of that parse:
// 2,797 vs 2,803 M instructions; node's start plus one worker's start to ready: 930 vs 971 M (the
// cache is deserialized whole at the start, and the script and cache are hashed). All the lazy
// compiling of functions in that worker is ~67 M (Compiler::Compile); the cache saved ~11 M. With
// the npm packages in the script too (1.7 MB, cache 198 KB): sync 2,908 ms, start 1,142 M (worse).
// What the worker's compile time is, instead: node's own modules compiled from source. Node's
// embedded code cache for them is refused by an isolate started under V8 flags other than the
// defaults, and the sync raises TurboFan's budget (core/sync/tier-up.ts) before it starts the
// worker (sync-engine.ts downloadPlanned): node's start plus a worker's start to ready takes 717 M
// instructions with default flags and 917 M with the budget raised first (the worker 169 -> 352 M:
// node's LookupAndCompile 30 -> 190 M, and SaveCodeCache for 116 modules), 323 -> 394 ms CPU
// (8 alternating runs, load 8-10). The bench's sync row keeps --max-semi-space-size=4 on node's
// command line (main/js-flags.ts), so it pays that whatever the budget: 926 M (main 544 -> 623 M,
// the worker 169 -> 299 M); the app gives the flag to Electron's V8 (not measured here); the CLI
// sets it back once main's heap is made (cli/heap-flag.ts) and pays only through the budget.
import fs from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// What `popbox` (build/popbox.cjs) asks before it starts the bundle, in CommonJS: shared, not copied.
const { root, CLI_ENTRY, OUT_DIR, CLI_OUT, INPUTS, builtCli } = createRequire(import.meta.url)('./cli-fresh.cjs');
export { CLI_ENTRY, CLI_OUT };
const PARSE_WORKER_ENTRY = path.join(root, 'electron', 'core', 'ingest', 'parse-worker.ts');
const QUICK_ENTRY = path.join(root, 'electron', 'cli', 'quick-sync.ts');
const FRONT_ENTRY = path.join(root, 'electron', 'cli', 'front.ts');
/** The ES modules' entry (electron/cli/index.ts), which the CommonJS one (CLI_OUT, electron/cli/front.ts) imports when it needs them. */
const MODULES_OUT = path.join(OUT_DIR, 'popbox.mjs');
/** `popbox sync`'s quick path as one script for electron/cli/quick-script.ts (its name there: QUICK_SCRIPT). */
const QUICK_OUT = path.join(OUT_DIR, 'quick-sync.cjs');
const CHUNKS = path.join(OUT_DIR, 'chunks');
/** Chunks of earlier builds are removed only this long after: a process started before a rebuild may still load its own. */
const OLD_CHUNK_MS = 24 * 3600 * 1000;

/** Build the bundle now; written atomically, so a process starting beside the build never reads half a file. */
export async function bundleCli() {
  // esbuild is a devDependency: loaded only when there is something to build.
  const { build } = await import('esbuild');
  const startedAt = Date.now();
  const [result, quick, front] = await Promise.all([build({
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
  }), buildQuickScript(build), buildFront(build)]);
  const inputs = [...new Set([result, quick, front].flatMap((r) => Object.keys(r.metafile.inputs)))].map((f) => path.resolve(root, f));
  await fs.mkdir(CHUNKS, { recursive: true });
  // Chunks first, the entries that import them after (the CommonJS one last): a process starting meanwhile finds every file it names.
  const order = (f) => (f.path === CLI_OUT ? 2 : f.path === MODULES_OUT ? 1 : 0);
  const files = [...result.outputFiles, { path: QUICK_OUT, contents: quick.contents }, front.outputFiles[0]].sort((a, b) => order(a) - order(b));
  for (const f of files) await writeAtomically(f.path, f.contents);
  const outputs = files.map((f) => f.path);
  await writeAtomically(INPUTS, JSON.stringify({ builtFrom: startedAt, inputs, outputs }));
  await removeOldChunks(new Set(outputs));
  return CLI_OUT;
}

/**
 * `popbox sync`'s quick path (electron/cli/quick-sync.ts and what it imports) as one CommonJS
 * script, wrapped as node wraps a module (one function expression), for quick-script.ts to run
 * through vm.Script with a code cache. import() would fail there once the cache is accepted:
 * every one is made a require (the bundle's own modules initialised when first asked for, keytar required).
 */
async function buildQuickScript(build) {
  const result = await build({
    absWorkingDir: root,
    entryPoints: [QUICK_ENTRY],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    supported: { 'dynamic-import': false },
    packages: 'external',
    outfile: QUICK_OUT,
    write: false,
    metafile: true,
    logLevel: 'warning',
  });
  const body = result.outputFiles[0].text;
  if (/\bimport\s*\(/.test(body) || /\bimport\.meta\b/.test(body)) throw new Error(`${path.relative(root, QUICK_OUT)}: import() or import.meta left in the quick paths' script`);
  const wrapped = `(function (exports, require, module, __filename, __dirname) {\n${body}\n})\n`;
  // The first line names this build for quick-script.ts: a cache made from another script is never offered to V8.
  const { createHash } = await import('node:crypto'); // not at every `popbox` start: only to build
  const id = createHash('sha256').update(wrapped).digest('hex');
  return { metafile: result.metafile, contents: Buffer.from(`// popbox quick paths ${id}\n${wrapped}`) };
}

/** Where `popbox` starts (electron/cli/front.ts): one CommonJS file, so that node's ES module loader is not compiled before it sets the V8 flag back. */
async function buildFront(build) {
  const front = await build({
    absWorkingDir: root,
    entryPoints: [FRONT_ENTRY],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    packages: 'external',
    outfile: CLI_OUT,
    write: false,
    metafile: true,
    logLevel: 'warning',
  });
  // In CommonJS esbuild makes import.meta an empty object: a module front.ts loads that reads it
  // (import.meta.url) would break `popbox` at run time, not here.
  if (front.warnings.some((w) => w.id === 'empty-import-meta')) throw new Error(`${path.relative(root, CLI_OUT)}: import.meta in a module where popbox starts (CommonJS)`);
  return front;
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
  const built = builtCli();
  if (built) {
    await fs.access(built); // without sources, neither is there a bundle: let the error say which file is missing
    return built;
  }
  return bundleCli();
}

async function writeAtomically(file, data) {
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  await fs.writeFile(tmp, data);
  await fs.rename(tmp, file);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await bundleCli();
