/**
 * popbox — the headless CLI. It drives the same MailService as the desktop app, on the same
 * data directory (by default the app's own), so scripts, cron and our own checks see the same
 * mail. Only one process holds a data directory: while the app (or the web host) runs, the
 * command runs inside it, through its control socket (core/control), so `popbox sync` from
 * cron and an open window coexist and what the command changes shows in the window at once.
 * Otherwise it runs here. Either way the output and the exit code are the same (run.ts).
 *
 * In the bundle the process starts in front.ts (dist/cli/popbox.cjs), which answers a sync that
 * finds nothing new by itself and otherwise calls main() here; from the sources (or started as
 * dist/cli/popbox.mjs) this module is the entry and does the same without the code cache.
 */
import type NodeFs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { controlSocketPath } from '../core/control/protocol.js';
import { HandOver } from '../core/sync/hand-over.js';
import { bareSync, LOCAL_COMMANDS, splitArgs } from './args.js';
import type { CliIo } from './common.js';
import { quickStartHeapFlag } from './heap-flag.js';
import { quietOnClosedPipes } from './pipes.js';

// node:fs through require, not `import … from 'node:fs'`: the ES module face of node:fs reads every
// export once made, ReadStream's getter among them, which loads node's stream modules: ~10 ms CPU
// at every start (Node 20), for nothing when the command (`account list`) reads no stream.
const { existsSync, readFileSync, realpathSync } = createRequire(import.meta.url)('node:fs') as typeof NodeFs;

/** Standard input, whole; undefined when it cannot be read (closed, a directory…). */
function readStdin(): string | undefined {
  try {
    return readFileSync(0, 'utf8');
  } catch {
    return undefined;
  }
}

const terminal: Pick<CliIo, 'out' | 'err'> = {
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
};

/** File arguments made absolute: the running Popbox reads them from its own working directory. */
const FILE_OPTIONS = ['--signature-file', '--body-file', '--attach'];

async function withAbsolutePaths(argv: string[]): Promise<string[]> {
  const { junkFileArgs } = await import('./junk.js');
  const junkFiles = new Set(junkFileArgs(argv)); // `junk learn|classify FILE…`
  return argv.map((a, i) => {
    if (junkFiles.has(i)) return path.resolve(a);
    if (FILE_OPTIONS.includes(argv[i - 1] ?? '')) return path.resolve(a);
    const opt = FILE_OPTIONS.find((o) => a.startsWith(`${o}=`));
    if (opt) return `${opt}=${path.resolve(a.slice(opt.length + 1))}`;
    return a;
  });
}

/** Standard input goes to the running Popbox only when the command reads it: a password, or `send`'s body. */
function readsStdin(argv: string[], command: string | undefined): boolean {
  if (argv.includes('--password-stdin') || argv.includes('--smtp-password-stdin')) return true;
  return command === 'send' && !argv.some((a) => a === '--body' || a.startsWith('--body=') || a === '--body-file' || a.startsWith('--body-file='));
}

/** The command inside the Popbox process holding the data directory; null when none listens. */
async function runInRunningPopbox(argv: string[]): Promise<number | null> {
  let dataDir: string;
  let command: string | undefined;
  try {
    const split = splitArgs(argv);
    dataDir = split.dataDir;
    command = split.args[0];
  } catch {
    return null; // bad arguments: the local run says so
  }
  if (LOCAL_COMMANDS.has(command)) return null;
  // No socket file, no Popbox listening (connectControl would say the same, after loading node:net).
  const file = controlSocketPath(dataDir);
  if (!file || !existsSync(file)) return null;
  const [{ connectControl, runInHost }, { localTerminalWidth }] = await Promise.all([import('../core/control/control-client.js'), import('./common.js')]);
  const socket = await connectControl(dataDir);
  if (!socket) return null;
  const stdin = readsStdin(argv, command) ? readStdin() : undefined;
  return runInHost(socket, { argv: await withAbsolutePaths(argv), columns: localTerminalWidth(), ...(stdin !== undefined ? { stdin } : {}) }, terminal);
}

/**
 * `account list` and a `sync` that finds nothing new, answered from the few files they need
 * (quick-accounts.ts, quick-sync.ts); null when the full path must run. Only this module is loaded
 * for them. A sync's is tried only where front.ts has not tried it already.
 */
async function runQuick(argv: string[], handOver: HandOver, trySync: boolean): Promise<number | null> {
  let split;
  try {
    split = splitArgs(argv);
  } catch {
    return null;
  }
  const [command, sub, ...rest] = split.args;
  if (command === 'account' && sub === 'list') return (await import('./quick-accounts.js')).quickAccountList(split.dataDir, rest, terminal);
  const sync = trySync ? bareSync(argv) : null;
  if (!sync) return null;
  return (await import('./quick-sync.js')).quickSync(sync.dataDir, sync.names, terminal, handOver);
}

/**
 * The command in `argv`, to its exit code. `handOver` is what front.ts's quick sync holds for the
 * full path (core/sync/hand-over.ts); given, that quick sync has run already.
 */
export async function main(argv: string[], given?: HandOver): Promise<number> {
  const handOver = given ?? new HandOver();
  try {
    return (
      (await runInRunningPopbox(argv)) ??
      (await runQuick(argv, handOver, given === undefined)) ??
      // Everything else, and whatever the quick paths leave: loaded only now (a chunk of its own in the bundle).
      (await (async () => {
        const [{ runCli }, { localTerminalWidth }] = await Promise.all([import('./run.js'), import('./common.js')]);
        return await runCli(argv, { ...terminal, columns: localTerminalWidth(), stdin: readStdin, handOver });
      })())
    );
  } finally {
    // What the full path never took (it stopped before opening the data directory or syncing the
    // account), whichever path answered: a running app's answer after front.ts's hand-over too.
    await handOver.releaseAll();
  }
}

/**
 * Whether node was started with this file: node resolves a main module's links (so does this),
 * unless --preserve-symlinks-main keeps the link's own path (then argv[1] is this file as named).
 */
function isEntry(): boolean {
  const self = fileURLToPath(import.meta.url);
  const started = process.argv[1];
  if (started === undefined) return false;
  if (started === self) return true;
  try {
    return realpathSync(started) === self;
  } catch {
    return false;
  }
}

if (isEntry()) {
  // First, before anything loads node's streams, net, tls or child_process (process.stdout does):
  // node's modules from its code cache (heap-flag.ts).
  quickStartHeapFlag();
  quietOnClosedPipes();
  process.exitCode = await main(process.argv.slice(2));
}
