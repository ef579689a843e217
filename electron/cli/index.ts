/**
 * popbox — the headless CLI. It drives the same MailService as the desktop app, on the same
 * data directory (by default the app's own), so scripts, cron and our own checks see the same
 * mail. Only one process holds a data directory: while the app (or the web host) runs, the
 * command runs inside it, through its control socket (core/control), so `popbox sync` from
 * cron and an open window coexist and what the command changes shows in the window at once.
 * Otherwise it runs here. Either way the output and the exit code are the same (run.ts).
 */
import type NodeFs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { controlSocketPath } from '../core/control/protocol.js';
import { HandOver } from '../core/sync/hand-over.js';
import { LOCAL_COMMANDS, splitArgs } from './args.js';
import type { CliIo } from './common.js';
import { quickStartHeapFlag } from './heap-flag.js';

// First, before anything loads node's streams, net, tls or child_process (process.stdout below
// does): node's modules from its code cache (heap-flag.ts).
quickStartHeapFlag();

// node:fs through require, not `import … from 'node:fs'`: the ES module face of node:fs reads every
// export once made, ReadStream's getter among them, which loads node's stream modules: ~10 ms CPU
// at every start (Node 20), for nothing when the command (`account list`) reads no stream.
const { existsSync, readFileSync } = createRequire(import.meta.url)('node:fs') as typeof NodeFs;

// A reader that stops early (`popbox messages | head`) closes the pipe. The rest of the output has
// nowhere to go, which is no failure: printing stops, quietly, and the command ends as it would
// have (a sync still finishes and commits). Without a listener a write to the closed pipe (by
// process.stdout.write, or by console.log under a loader such as tsx) ends in an EPIPE stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE' && e.code !== 'ERR_STREAM_DESTROYED') throw e;
  });
}

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
 * (quick-accounts.ts, quick-sync.ts); null when the full path must run. Only this module is loaded for them.
 */
async function runQuick(argv: string[], handOver: HandOver): Promise<number | null> {
  let split;
  try {
    split = splitArgs(argv);
  } catch {
    return null;
  }
  const [command, sub, ...rest] = split.args;
  if (command === 'account' && sub === 'list') return (await import('./quick-accounts.js')).quickAccountList(split.dataDir, rest, terminal);
  if (command !== 'sync' || split.args.some((a) => a.startsWith('-'))) return null;
  // From the script beside the bundle, with V8's code cache (quick-script.ts); from the module when run from the sources.
  // Its loader is a chunk of its own: `account list` does not parse it.
  const script = (await import('./quick-script.js')).loadQuickSync(path.dirname(fileURLToPath(import.meta.url)));
  const quickSync = script?.quickSync ?? (await import('./quick-sync.js')).quickSync;
  const code = await quickSync(split.dataDir, split.args.slice(1), terminal, handOver);
  script?.keep(code === 0);
  return code;
}

const argv = process.argv.slice(2);
// What the quick path holds for the full path of this command (core/sync/hand-over.ts).
const handOver = new HandOver();
process.exitCode =
  (await runInRunningPopbox(argv)) ??
  (await runQuick(argv, handOver)) ??
  // Everything else, and whatever the quick paths leave: loaded only now (a chunk of its own in the bundle).
  (await (async () => {
    const [{ runCli }, { localTerminalWidth }] = await Promise.all([import('./run.js'), import('./common.js')]);
    try {
      return await runCli(argv, { ...terminal, columns: localTerminalWidth(), stdin: readStdin, handOver });
    } finally {
      // What the full path never took (it stopped before opening the data directory or syncing the account).
      await handOver.releaseAll();
    }
  })());
