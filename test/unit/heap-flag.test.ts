/**
 * `popbox` starts node with --max-semi-space-size=2 (a big download stays under 100 MB, issue 18
 * P3), which makes V8 refuse node's built-in code cache; electron/cli/heap-flag.ts sets the flag
 * back to its default once node has started (quick paths) and again before the full path loads.
 * What must hold for a user: the young generation stays at 2 MB through it all (the memory the
 * flag is there for), a worker started by the full path (the parse worker) gets the small young
 * generation too, nothing is printed (node's DEP0111 warning), and node's TLS module then loads
 * from the cache (the time saved).
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '..', '..');

/** A node started as `popbox` is, running `body` after importing heap-flag.ts (through tsx). */
function runNode(body: string, env: NodeJS.ProcessEnv = {}): { stdout: string; stderr: string; status: number | null } {
  const script = `
    import v8 from 'node:v8';
    import { quickStartHeapFlag, restoreHeapFlag } from ${JSON.stringify(path.join(root, 'electron/cli/heap-flag.ts'))};
    const newSpaceMB = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size / 1048576;
    const churn = () => { const keep = []; for (let i = 0; i < 4e5; i++) { const o = { i, s: 'x'.repeat(40) + i }; if (i % 8 === 0) keep.push(o); } return keep.length; };
    ${body}
  `;
  const r = spawnSync(process.execPath, ['--max-semi-space-size=2', '--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, NODE_OPTIONS: '', ...env },
  });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status };
}

describe('the CLI heap flag (heap-flag.ts)', () => {
  it('keeps the young generation at 2 MB after the flag is set back, and prints nothing', () => {
    const r = runNode(`quickStartHeapFlag(); churn(); console.log(JSON.stringify({ mb: newSpaceMB() }));`);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    // Two semi-spaces of 2 MB; without the flag this grows to 32 MB under the same churn.
    expect(JSON.parse(r.stdout).mb).toBeLessThanOrEqual(4);
  });

  it('gives a worker started after restoreHeapFlag the small young generation', () => {
    const r = runNode(`
      quickStartHeapFlag();
      restoreHeapFlag();
      const { Worker } = await import('node:worker_threads');
      const w = new Worker(${JSON.stringify(`
        (async () => {
          const v8 = await import('node:v8'); const { parentPort } = await import('node:worker_threads');
          const keep = []; for (let i = 0; i < 4e5; i++) { const o = { i, s: 'x'.repeat(40) + i }; if (i % 8 === 0) keep.push(o); }
          parentPort.postMessage(v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size / 1048576);
        })();
      `)}, { eval: true });
      const mb = await new Promise((resolve, reject) => { w.once('message', resolve); w.once('error', reject); });
      await w.terminate();
      console.log(JSON.stringify({ mb }));
    `);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout).mb).toBeLessThanOrEqual(4);
  });

  it("loads node's TLS module from node's code cache once the flag is set back", () => {
    const load = (reset: boolean) =>
      runNode(`${reset ? 'quickStartHeapFlag();' : ''} await import('node:tls'); console.log('ok');`, { NODE_DEBUG_NATIVE: 'CODE_CACHE' });
    const tlsCache = (stderr: string) => /Code cache of tls \(\w+\) is (accepted|rejected)/.exec(stderr)?.[1];
    const without = load(false);
    expect(without.status, without.stderr).toBe(0);
    // The premise: with the flag on the command line, node refuses its cache.
    expect(tlsCache(without.stderr)).toBe('rejected');
    const withReset = load(true);
    expect(withReset.status, withReset.stderr).toBe(0);
    expect(tlsCache(withReset.stderr)).toBe('accepted');
  });
});
