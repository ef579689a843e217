/**
 * `popbox` starts node with --max-semi-space-size=2 (a big download stays under 100 MB, issue 18
 * P3), which makes V8 refuse node's built-in code cache; electron/cli/heap-flag.ts sets the flag
 * back to its default once node has started and leaves it so, and the parse worker gets its small
 * young generation from its own resourceLimits (core/ingest/parse-pool.ts), not from the flag.
 * What must hold for a user: the young generation stays at 2 MB (the memory the flag is there
 * for), the parse worker's too, nothing is printed (node's DEP0111 warning), and node's TLS module
 * loads from the cache (the time saved) on the quick path and on the full path (a send) alike.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '..', '..');
const heapFlag = JSON.stringify(path.join(root, 'electron/cli/heap-flag.ts'));
const parsePool = JSON.stringify(path.join(root, 'electron/core/ingest/parse-pool.ts'));

/** Node's flags as `popbox` starts (build/popbox.cjs's #! line), with tsx for the TypeScript sources. */
const NODE_ARGS = ['--max-semi-space-size=2', '--import', 'tsx'];

function node(args: string[], env: NodeJS.ProcessEnv = {}): { stdout: string; stderr: string; status: number | null } {
  const r = spawnSync(process.execPath, [...NODE_ARGS, ...args], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, NODE_OPTIONS: '', POPBOX_DATA_DIR: '', ...env },
  });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status };
}

/** A node started as `popbox` is, running `body` after importing heap-flag.ts (through tsx). */
function runNode(body: string, env: NodeJS.ProcessEnv = {}) {
  const script = `
    import v8 from 'node:v8';
    import { quickStartHeapFlag } from ${heapFlag};
    const newSpaceMB = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size / 1048576;
    const churn = () => { const keep = []; for (let i = 0; i < 4e5; i++) { const o = { i, s: 'x'.repeat(40) + i }; if (i % 8 === 0) keep.push(o); } return keep.length; };
    ${body}
  `;
  return node(['--input-type=module', '-e', script], env);
}

/** A worker's source (CommonJS or module alike) that allocates as a parse does, then measures the size its young generation grew to. */
const CHURN_AND_MEASURE = `
  const v8 = process.getBuiltinModule('node:v8');
  const keep = []; for (let i = 0; i < 4e5; i++) { const o = { i, s: 'x'.repeat(40) + i }; if (i % 8 === 0) keep.push(o); }
  const mb = v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size / 1048576;`;

/** "accepted" or "rejected": what node said of its cached code for node:tls (NODE_DEBUG_NATIVE=CODE_CACHE). */
const tlsCache = (stderr: string) => /Code cache of tls \(\w+\) is (accepted|rejected)/.exec(stderr)?.[1];

describe('the CLI heap flag (heap-flag.ts)', () => {
  it('keeps the young generation at 2 MB after the flag is set back, and prints nothing', () => {
    const r = runNode(`quickStartHeapFlag(); churn(); console.log(JSON.stringify({ mb: newSpaceMB() }));`);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    // Two semi-spaces of 2 MB; without the flag this grows to 32 MB under the same churn.
    expect(JSON.parse(r.stdout).mb).toBeLessThanOrEqual(4);
  });

  it("gives the parse worker the small young generation from its own limits, the flag set back", () => {
    // The pool's real start (its resourceLimits), with a stand-in worker that answers a job with
    // its new_space size; beside it a plain worker of the same process, for the premise.
    const standIn = `
      const { parentPort } = process.getBuiltinModule('node:worker_threads');
      parentPort.on('message', (req) => {
        ${CHURN_AND_MEASURE}
        parentPort.postMessage({ answers: req.jobs.map((j) => ({ job: j.job, parsed: { mb } })) });
      });
      parentPort.postMessage({ ready: true });`;
    const plain = `const { parentPort } = process.getBuiltinModule('node:worker_threads'); ${CHURN_AND_MEASURE} parentPort.postMessage(mb);`;
    const r = runNode(`
      quickStartHeapFlag();
      const { Worker } = await import('node:worker_threads');
      const { ParsePool } = await import(${parsePool});
      const pool = new ParsePool({ entry: { eval: ${JSON.stringify(standIn)} }, size: 1, startAt: 0 });
      const parsed = await pool.parse('/nonexistent/message');
      await pool.close();
      const w = new Worker(${JSON.stringify(plain)}, { eval: true });
      const plainMb = await new Promise((resolve, reject) => { w.once('message', resolve); w.once('error', reject); });
      await w.terminate();
      console.log(JSON.stringify({ pool: parsed.mb, plain: plainMb }));
    `);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    const { pool, plain: plainMb } = JSON.parse(r.stdout) as { pool: number; plain: number };
    // The premise: with the flag set back, a worker without limits of its own grows past 4 MB.
    expect(plainMb).toBeGreaterThan(4);
    expect(pool).toBeLessThanOrEqual(4);
  }, 60_000);

  it("loads node's TLS module from node's code cache once the flag is set back", () => {
    const load = (reset: boolean) => runNode(`${reset ? 'quickStartHeapFlag();' : ''} await import('node:tls'); console.log('ok');`, { NODE_DEBUG_NATIVE: 'CODE_CACHE' });
    const without = load(false);
    expect(without.status, without.stderr).toBe(0);
    // The premise: with the flag on the command line, node refuses its cache.
    expect(tlsCache(without.stderr)).toBe('rejected');
    const withReset = load(true);
    expect(withReset.status, withReset.stderr).toBe(0);
    expect(tlsCache(withReset.stderr)).toBe('accepted');
  });

  it("loads node's TLS module from the cache on the full path too (popbox send)", () => {
    // `send --now` is a full-path command that loads node:tls (the SMTP client); its server is a
    // closed loopback port, so it ends at once with the message waiting in the Outbox.
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'popbox-heap-flag-'));
    try {
      const fp = Array.from({ length: 32 }, () => 'AA').join(':');
      const cli = (...args: string[]) => node([path.join(root, 'electron/cli/index.ts'), '--data-dir', dataDir, ...args], { NODE_DEBUG_NATIVE: 'CODE_CACHE' });
      const add = cli('account', 'add', 'x', '--host', '127.0.0.1', '--port', '1', '--security', 'tls', '--user', 'u', '--password-command', 'echo pw', '--tls-fingerprint', fp,
        '--smtp-host', '127.0.0.1', '--smtp-port', '1', '--smtp-security', 'tls', '--smtp-no-auth', '--smtp-tls-fingerprint', fp, '--from', 'a@example.com');
      expect(add.status, add.stderr).toBe(0);
      const send = cli('send', '--account', 'x', '--to', 'b@example.com', '--subject', 's', '--body', 'hi', '--now');
      expect(send.stdout + send.stderr).toMatch(/waits in the Outbox/);
      expect(tlsCache(send.stderr)).toBe('accepted');
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});
