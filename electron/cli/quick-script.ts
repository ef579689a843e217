/**
 * `popbox sync`'s quick path (quick-sync.ts and what it imports) from the CommonJS script the
 * build writes beside the bundle (dist/cli/quick-sync.cjs), compiled with V8's code cache: node 20
 * keeps none for user modules, so every empty check parsed and compiled them from source again
 * (issue 18 P0). An empty check (session 15, Node 20.20, 2,000 messages kept, TLS): 401 -> 358 M
 * instructions (callgrind) and 235 -> 201 ms CPU without NODE_EXTRA_CA_CERTS (build/bundle-cli.mjs
 * has the whole measurement). `account list` stays on the bundle's modules: its code is small, and
 * the script, its cache and their check cost it more than they save (184 -> 193 M).
 *
 * The cache is V8's own (vm.Script's cachedData), made with createCachedData() at the exit of a
 * start whose quick path answered by itself, so the functions compiled lazily during the run are
 * in it (one made after a run the full path took over would lack the answer's, compiled again at
 * every start after). Kept beside the script; where that folder cannot be written (an installed
 * copy may be read-only), in the user's cache folder.
 *
 * Never a wrong answer from a wrong cache. V8 (node 20) checks its own version, its flags and the
 * source's *length*, not its text, and no checksum of the data: a cache made for another script
 * of the same length is taken and runs the other script's code, and a changed byte is taken too
 * (both seen). So a cache file also names the script it was made from (the hash of the whole
 * script as read, not only the build's hash on its first line, which an edit in place keeps),
 * the node that made it and the data's hash, and a file that names
 * another, does not match its hash or cannot be read is not offered to V8. V8 refuses the rest of
 * what it cannot use (cachedDataRejected: other flags, say). Either way the script compiles from
 * source and a new cache replaces the old one (written to a temporary file and renamed: a start
 * reading it meanwhile sees the old file or the new one, whole).
 *
 * Why a script and not modules: import() inside a vm.Script fails once its cache is accepted
 * (ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING, node 20): the build leaves none in it, and the full
 * path (run.ts, MailService) still loads as the bundle's ES modules. The script has its own copy
 * of the modules it holds (the POP3 client, errors, locks: none keeps state of its own), so a
 * session it hands over to the full path is of the other copy's classes: what the full path asks
 * of it goes by shape, not instanceof (pop3/errors.ts isPop3Error).
 *
 * POPBOX_DEBUG_CODE_CACHE=1 says on stderr what was found and done (the tests' window on it).
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import vm from 'node:vm';
import type { HandOver, quickSync } from './quick-sync.js';

// Only in the CLI's CommonJS entry (front.ts), where these imports are require()s: no ES module
// face of node:fs (it loads node's streams), and the module is loaded only for a `sync`.

export type QuickSync = typeof quickSync;

export interface QuickScript {
  quickSync: QuickSync;
  /** The script's own hand-over class: the command's hand-over is made from it (front.ts). */
  HandOver: typeof HandOver;
  /**
   * Once the quick path has answered by itself (exit code 0): its compiled code is kept at the
   * process's exit, unless it came from the cache. Not after a run the full path took over (that
   * cache would lack the functions of an answer: they would compile again at every start).
   */
  keep(answered: boolean): void;
}

export const QUICK_SCRIPT = 'quick-sync.cjs';
const CACHE_FILE = 'quick-sync.v8cache';
/** The script's first line, as the build writes it (the hash of the rest names this build): marks a script of ours. */
const SCRIPT_ID = /^\/\/ popbox quick paths ([0-9a-f]{64})\n/;
/** A cache file's first line: what it was made from and by. */
const CACHE_MAGIC = 'popbox-code-cache 1';

const debug = (text: string) => {
  if (process.env.POPBOX_DEBUG_CODE_CACHE) process.stderr.write(`popbox: code cache: ${text}\n`);
};

/** Where a user's cached files go when the folder beside the bundle cannot be written. */
function userCacheDir(): string | undefined {
  const env = process.env;
  if (process.platform === 'win32') return env.LOCALAPPDATA ? path.join(env.LOCALAPPDATA, 'Popbox', 'Cache') : undefined;
  if (process.platform === 'darwin') return env.HOME ? path.join(env.HOME, 'Library', 'Caches', 'Popbox') : undefined;
  const base = env.XDG_CACHE_HOME || (env.HOME ? path.join(env.HOME, '.cache') : undefined);
  return base ? path.join(base, 'popbox') : undefined;
}

/** The line a cache file starts with for this script (its build's hash) and this node, up to the data's own hash. */
const cacheHeader = (scriptId: string) => `${CACHE_MAGIC} ${scriptId} ${process.version} ${process.versions.v8} ${process.arch} `;

/** V8 checks no checksum of the data itself (node 20: a changed byte is accepted, and may crash the process): ours. */
const digest = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');
const DIGEST_CHARS = 64;

/** The cached data in `file` when it was made for this script by this node and is whole; undefined otherwise. */
function readCache(file: string, header: string): Buffer | undefined {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch {
    return undefined;
  }
  const start = header.length + DIGEST_CHARS + 1;
  if (bytes.length <= start || bytes.toString('latin1', 0, header.length) !== header) return undefined;
  const data = bytes.subarray(start);
  return bytes.toString('latin1', header.length, start) === `${digest(data)}\n` ? data : undefined;
}

/** `data` into `file` through a temporary file renamed over it; false when it cannot be written there. */
function writeCache(file: string, header: string, data: Buffer): boolean {
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  try {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(tmp, Buffer.concat([Buffer.from(`${header}${digest(data)}\n`, 'latin1'), data]));
    renameSync(tmp, file);
    return true;
  } catch {
    rmSync(tmp, { force: true });
    return false;
  }
}

/**
 * The quick sync from `dir`/quick-sync.cjs with its cache; null when there is no such script (the
 * CLI run from its TypeScript sources): the caller imports the module instead.
 */
export function loadQuickSync(dir: string): QuickScript | null {
  const file = path.join(dir, QUICK_SCRIPT);
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch {
    return null;
  }
  const source = bytes.toString('utf8');
  if (!SCRIPT_ID.test(source)) return null;
  // The whole script's hash, not only the build's on its first line: a script changed in place
  // (a packager's patch, a hand fix) keeps that line and maybe its length, and V8 would run the
  // cache of the old text (seen). ~0.2 ms for its ~100 KB.
  const header = cacheHeader(digest(bytes));
  const places = [path.join(dir, CACHE_FILE), ...[userCacheDir()].filter((d) => d !== undefined).map((d) => path.join(d, CACHE_FILE))];
  let cachedData: Buffer | undefined;
  for (const place of places) if ((cachedData ??= readCache(place, header))) break;
  const script = new vm.Script(source, { filename: file, ...(cachedData ? { cachedData } : {}) });
  const used = cachedData !== undefined && script.cachedDataRejected === false;
  // The script is one function expression, called as node calls a CommonJS module's.
  const wrapper = script.runInThisContext() as (exports: object, require: NodeJS.Require, module: { exports: object }, filename: string, dirname: string) => void;
  const module = { exports: {} };
  wrapper.call(module.exports, module.exports, createRequire(file), module, file, dir);
  const exported = module.exports as Pick<QuickScript, 'quickSync' | 'HandOver'>;
  return {
    quickSync: exported.quickSync,
    HandOver: exported.HandOver,
    keep(answered) {
      if (used) return debug('used');
      const found = cachedData ? 'rejected' : 'none';
      if (!answered) return debug(`${found}, not written (not answered here)`);
      // At exit, so what runs after the answer (the sockets' last events, the lock's release) is in it too.
      process.once('exit', () => {
        let written: string | undefined;
        try {
          const data = script.createCachedData();
          written = places.find((place) => writeCache(place, header, data));
        } catch {
          // No cache this time: never a failure of the command.
        }
        debug(`${found}, ${written ? `written to ${written}` : 'not written'}`);
      });
    },
  };
}
