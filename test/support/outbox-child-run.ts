/**
 * Runs the outbox child (outbox-child.ts) in a process of its own and kills it with SIGKILL, by
 * its PID, at a chosen moment: a fixed time after it said `ready`, or as soon as `killWhen()`
 * says so (polled every few ms, e.g. once a fault proxy holds the connection at an SMTP step).
 * Shared by the kill -9 suites (outbox.test.ts: random moments; outbox-faults.test.ts: each step).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';

const repo = path.resolve(import.meta.dirname, '..', '..');
const CHILD = path.join(repo, 'test', 'support', 'outbox-child.ts');
/** Bundled once per test process: starting plain JavaScript takes a fraction of tsx's time per child on a busy machine. */
const BUNDLE = path.join(repo, 'dist', 'test', 'outbox-child.mjs');
let bundled: Promise<string> | undefined;

function bundleChild(): Promise<string> {
  bundled ??= (async () => {
    const { build } = await import('esbuild');
    const result = await build({ absWorkingDir: repo, entryPoints: [CHILD], bundle: true, platform: 'node', format: 'esm', target: 'node20', packages: 'external', outfile: BUNDLE, write: false, logLevel: 'warning' });
    await fs.mkdir(path.dirname(BUNDLE), { recursive: true });
    // Several test files may build it at once: each renames a whole file into place.
    const tmp = `${BUNDLE}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    await fs.writeFile(tmp, result.outputFiles[0]!.contents);
    await fs.rename(tmp, BUNDLE);
    return BUNDLE;
  })();
  return bundled;
}

export interface ChildRun {
  queued: [string, string][];
  /** The child's last line before it died or finished. */
  lastLine: string;
  killed: boolean;
  code: number | null;
  stderr: string;
  /** From 'ready' to the exit, ms. */
  workedMs: number;
}

export interface KillAt {
  /** SIGKILL this long after 'ready'. */
  afterMs?: number;
  /** SIGKILL once this is true (looked at every 5 ms after 'ready'). */
  when?: () => boolean;
}

/** Run the outbox child with this config file to the end, or until killed as `kill` says. */
export async function runChild(cfgFile: string, kill: KillAt | null): Promise<ChildRun> {
  const script = await bundleChild();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, cfgFile], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
    const queued: [string, string][] = [];
    let lastLine = '';
    let buffered = '';
    let stderr = '';
    let killed = false;
    let readyAt = 0;
    let poll: NodeJS.Timeout | null = null;
    const alive = () => child.exitCode === null && child.signalCode === null;
    const guard = setTimeout(() => {
      killed = child.kill('SIGKILL');
      reject(new Error(`the outbox child hung (last line: ${lastLine}); stderr: ${stderr}`));
    }, 60_000);
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      buffered += d.toString();
      let nl: number;
      while ((nl = buffered.indexOf('\n')) !== -1) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        lastLine = line;
        const q = /^queued (\S+) (\S+)$/.exec(line);
        if (q) queued.push([q[1]!, q[2]!]);
        if (line !== 'ready') continue;
        readyAt = performance.now();
        if (kill?.afterMs !== undefined) {
          setTimeout(() => {
            if (alive()) killed = child.kill('SIGKILL');
          }, kill.afterMs);
        }
        if (kill?.when) {
          const when = kill.when;
          poll = setInterval(() => {
            if (!alive()) return;
            if (when()) {
              killed = child.kill('SIGKILL');
              if (poll) clearInterval(poll);
            }
          }, 5);
        }
      }
    });
    child.on('exit', (code) => {
      clearTimeout(guard);
      if (poll) clearInterval(poll);
      resolve({ queued, lastLine, killed, code, stderr, workedMs: readyAt ? performance.now() - readyAt : 0 });
    });
  });
}
