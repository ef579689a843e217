/**
 * The CLI as users run it: the plain-JavaScript bundle that `popbox` (package.json bin) and
 * `npm run cli` start (build/bundle-cli.mjs), rebuilt first when its sources changed. Tests and
 * benchmarks start it as `node <bundle> …`: one build per process, no TypeScript compiler per run.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

const root = path.resolve(import.meta.dirname, '..', '..');
const run = promisify(execFile);

/**
 * The node flags `popbox` starts with: those on build/popbox.cjs's `#!/usr/bin/env -S node …`
 * line (--max-semi-space-size=2, issue 18 P3), so tests and benchmarks start what users start.
 */
export const CLI_NODE_FLAGS: readonly string[] = (() => {
  const shebang = readFileSync(path.join(root, 'build', 'popbox.cjs'), 'utf8').split('\n', 1)[0]!;
  const m = /^#!\/usr\/bin\/env -S node((?: --[\w-]+(?:=\S+)?)*)\s*$/.exec(shebang);
  if (!m) throw new Error(`build/popbox.cjs: a first line other than "#!/usr/bin/env -S node [--flag…]": ${shebang}`);
  return m[1]!.split(' ').filter(Boolean);
})();

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

/** Run `popbox --data-dir DIR ARGS…` (with popbox's node flags) to the end; a non-zero exit is a result, not an error. */
export function runCli(dataDir: string, ...args: string[]): Promise<CliResult> {
  return runCliWithEnv({}, dataDir, ...args);
}

/** runCli with these environment variables added (e.g. NODE_EXTRA_CA_CERTS: a CA the whole process trusts). */
export async function runCliWithEnv(env: NodeJS.ProcessEnv, dataDir: string, ...args: string[]): Promise<CliResult> {
  const cli = await bundleCli();
  try {
    const { stdout, stderr } = await run(process.execPath, [...CLI_NODE_FLAGS, cli, '--data-dir', dataDir, ...args], {
      cwd: root,
      env: { ...process.env, POPBOX_DATA_DIR: '', ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}
