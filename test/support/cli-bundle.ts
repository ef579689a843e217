/**
 * The CLI as users run it: the plain-JavaScript bundle that `popbox` (package.json bin) and
 * `npm run cli` start (build/bundle-cli.mjs), rebuilt first when its sources changed. Tests and
 * benchmarks start it as `node <bundle> …`: one build per process, no TypeScript compiler per run.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

const root = path.resolve(import.meta.dirname, '..', '..');
const run = promisify(execFile);

let bundled: Promise<string> | undefined;

/** Absolute path of the bundled CLI (`node <path> --data-dir DIR sync` …), built when stale. */
export function bundleCli(): Promise<string> {
  bundled ??= (async () => {
    const { ensureCli } = (await import(path.join(root, 'build', 'bundle-cli.mjs'))) as { ensureCli: () => Promise<string> };
    return ensureCli();
  })().catch((e: unknown) => {
    bundled = undefined; // a failed build may be retried
    throw e;
  });
  return bundled;
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run `popbox --data-dir DIR ARGS…` to the end; a non-zero exit is a result, not an error. */
export async function runCli(dataDir: string, ...args: string[]): Promise<CliResult> {
  const cli = await bundleCli();
  try {
    const { stdout, stderr } = await run(process.execPath, [cli, '--data-dir', dataDir, ...args], {
      cwd: root,
      env: { ...process.env, POPBOX_DATA_DIR: '' },
    });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}
