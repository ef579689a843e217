// `npm start`: Popbox in Electron where Electron's binary is installed. Where it is not (npm ci
// with ELECTRON_SKIP_BINARY_DOWNLOAD=1, or a machine that could not download it), require('electron')
// would try to download it and die with a stack trace; instead the same app is served by the web
// host on the same data directory and opened in the system browser, so `npm ci && npm start`
// runs Popbox everywhere. BROWSER=none keeps the browser closed; BROWSER=CMD opens the URL with CMD.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

/** The Electron executable if it is really there, else null. Mirrors electron/index.js without its download. */
function electronBinary() {
  let dir;
  try {
    dir = path.dirname(require.resolve('electron/package.json'));
  } catch {
    return null;
  }
  let name;
  try {
    name = fs.readFileSync(path.join(dir, 'path.txt'), 'utf8').trim();
  } catch {
    return null; // written by electron's installer once the binary is unpacked
  }
  const override = process.env.ELECTRON_OVERRIDE_DIST_PATH;
  const binary = override ? path.join(override, name || 'electron') : path.join(dir, 'dist', name);
  return fs.existsSync(binary) ? binary : null;
}

/** Run a child to its end with our terminal; resolves with its exit code. */
function run(command, args, options = {}) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: root, stdio: 'inherit', ...options });
    forwardSignals(child);
    child.on('error', (e) => {
      console.error(`popbox: could not start ${command}: ${e.message}`);
      resolve(1);
    });
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

function forwardSignals(child) {
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
}

function npm(args) {
  // Under `npm start` npm tells us where it is; run it with our node rather than through a shell.
  const npmCli = process.env.npm_execpath;
  if (npmCli && /\.[cm]?js$/.test(npmCli)) return run(process.execPath, [npmCli, ...args]);
  return run(process.platform === 'win32' ? 'npm.cmd' : 'npm', args, { shell: process.platform === 'win32' });
}

/** Open the URL in the system browser where there is one; never an error where there is none. */
function openBrowser(url) {
  const chosen = process.env.BROWSER;
  if (chosen === 'none') return;
  const [command, args] = chosen
    ? [chosen, [url]]
    : process.platform === 'darwin'
      ? ['open', [url]]
      : process.platform === 'win32'
        ? ['cmd', ['/c', 'start', '""', url.replace(/&/g, '^&')]]
        : ['xdg-open', [url]];
  try {
    const child = spawn(command, args, { stdio: 'ignore', detached: true });
    child.on('error', () => {}); // no opener on this machine: the URL is printed above
    child.unref();
  } catch {
    // as above
  }
}

/** The web host with the arguments `npm start -- …` was given (--data-dir, --secrets, --port: electron/webhost/index.ts). */
async function inBrowser(userArgs) {
  const vite = path.join(path.dirname(require.resolve('vite/package.json')), 'bin', 'vite.js');
  const built = await run(process.execPath, [vite, 'build', '--logLevel', 'warn']);
  if (built !== 0) return built;
  const host = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'electron', 'webhost', 'index.ts'), ...userArgs], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  forwardSignals(host);
  const lines = createInterface({ input: host.stdout });
  let first = true;
  lines.on('line', (line) => {
    if (!first) return void console.log(line);
    first = false;
    console.log(`Popbox is running at ${line}`);
    console.log('(it stops with Ctrl+C)');
    openBrowser(line);
  });
  return new Promise((resolve) => host.on('exit', (code, signal) => resolve(code ?? (signal ? 0 : 1))));
}

/**
 * Electron's arguments for `npm start`: V8's flags for the main process first (electron/main/js-flags.ts:
 * V8 sizes the heap before the app's code runs, so only the command line can give them), read from
 * the build that was just made.
 */
export async function electronArgs(userArgs, dist = path.join(root, 'dist')) {
  const { JS_FLAGS_SWITCH } = await import(pathToFileURL(path.join(dist, 'electron', 'main', 'js-flags.js')).href);
  return [JS_FLAGS_SWITCH, '.', ...userArgs];
}

async function main() {
  const electron = electronBinary();
  if (!electron) {
    console.log('popbox: Electron is not installed on this machine (its binary was not downloaded); opening Popbox in your browser instead.');
    return inBrowser(process.argv.slice(2));
  }
  const built = await npm(['run', 'build']);
  if (built !== 0) return built;
  return run(electron, await electronArgs(process.argv.slice(2)));
}

// Run as `npm start`; imported (the launch test), it only lends electronArgs.
if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) process.exitCode = await main();
