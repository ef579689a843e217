/**
 * `popbox sync`'s quick path runs from one script with V8's code cache kept beside the bundle
 * (electron/cli/quick-script.ts, build/bundle-cli.mjs). What must hold for a user: the answer is
 * the same with a cache, without one, and with a cache file that is damaged, made for another
 * build or refused by V8 (each is replaced, and the start after that uses the new one); where the
 * bundle's folder cannot take the file, it goes to the user's cache folder; a check that finds
 * new mail still hands its session to the full path, which downloads it. Seen through
 * POPBOX_DEBUG_CODE_CACHE's line on stderr, never through timing.
 *
 * The tests run their own copy of the built bundle (in test/.tmp, so node_modules resolve as
 * beside dist/): a rebuild or another process's cache elsewhere changes nothing here.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { bundleCli, CLI_NODE_FLAGS } from '../support/cli-bundle.js';
import { dovecotUnavailable, startDovecot, type DovecotServer } from '../support/dovecot.js';
import { ageEveryMaildir } from '../support/maildir-age.js';
import { generateMessages } from '../support/mailgen.js';

const root = path.resolve(import.meta.dirname, '..', '..');
const run = promisify(execFile);

const unavailable = dovecotUnavailable();
if (unavailable && process.env.CI) throw new Error(`Dovecot is required in CI: ${unavailable}`);
if (unavailable) console.warn(`Skipping the CLI code cache suite: ${unavailable}`);
const suite = unavailable ? describe.skip : describe;

suite('popbox sync: the quick path with a code cache', () => {
  let dc: DovecotServer;
  let copyDir: string; // the bundle's copy: <copyDir>/popbox.cjs (where `popbox` starts), popbox.mjs, quick-sync.cjs, chunks/
  let entry: string; // the copy's popbox.cjs
  let installedBin: string; // build/popbox.cjs beside the copy, as installed
  let dataDir: string;
  let userCache: string; // XDG_CACHE_HOME for the runs
  const beside = () => path.join(copyDir, 'quick-sync.v8cache');
  const empty = 'Cc: 0 new, 0 deleted on server\n';

  /** `popbox --data-dir DIR ARGS…` from the copy, with the cache's debug line on (taken out of stderr into `cache`). */
  async function popbox(...args: string[]): Promise<{ code: number; stdout: string; stderr: string; cache: string | undefined }> {
    return popboxFrom(entry, {}, ...args);
  }

  /** The same from another start (`popbox`'s bin), with more environment. */
  async function popboxFrom(start: string, more: NodeJS.ProcessEnv, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string; cache: string | undefined }> {
    const env = { ...process.env, POPBOX_DATA_DIR: '', POPBOX_DEBUG_CODE_CACHE: '1', XDG_CACHE_HOME: userCache, ...more };
    let r: { code: number; stdout: string; stderr: string };
    try {
      r = { code: 0, ...(await run(process.execPath, [...CLI_NODE_FLAGS, start, '--data-dir', dataDir, ...args], { cwd: root, env })) };
    } catch (e) {
      r = e as { code: number; stdout: string; stderr: string };
    }
    const line = /^popbox: code cache: (.*)\n/m;
    return { code: r.code, stdout: r.stdout, stderr: r.stderr.replace(line, ''), cache: line.exec(r.stderr)?.[1] };
  }

  beforeAll(async () => {
    dc = await startDovecot({ users: [{ name: 'cc', password: 'cc-pw' }] });
    await dc.deliver('cc', generateMessages({ seed: 15, count: 3, mix: 'small' }));
    const bundle = await bundleCli();
    const built = JSON.parse(await fs.readFile(path.join(path.dirname(bundle), 'popbox.inputs.json'), 'utf8')) as { outputs: string[] };
    await fs.mkdir(path.join(root, 'test', '.tmp'), { recursive: true });
    copyDir = await fs.mkdtemp(path.join(root, 'test', '.tmp', 'cli-code-cache-'));
    entry = path.join(copyDir, path.basename(bundle));
    // `popbox` as installed: its bin beside a dist/cli (this copy) and no sources, so it never rebuilds.
    installedBin = path.join(copyDir, 'installed', 'build', 'popbox.cjs');
    await fs.mkdir(path.join(copyDir, 'installed', 'build'), { recursive: true });
    await fs.mkdir(path.join(copyDir, 'installed', 'dist'));
    for (const f of ['popbox.cjs', 'cli-fresh.cjs']) await fs.copyFile(path.join(root, 'build', f), path.join(copyDir, 'installed', 'build', f));
    await fs.symlink(copyDir, path.join(copyDir, 'installed', 'dist', 'cli'));
    for (const file of built.outputs) {
      const to = path.join(copyDir, path.relative(path.dirname(bundle), file));
      await fs.mkdir(path.dirname(to), { recursive: true });
      await fs.copyFile(file, to);
    }
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'popbox-code-cache-'));
    userCache = path.join(dataDir, 'user-cache');
    const account = ['--host', '127.0.0.1', '--port', String(dc.tlsPort), '--security', 'tls', '--tls-fingerprint', dc.fingerprint256, '--user', 'cc', '--password-command', 'echo cc-pw', '--leave-on-server'];
    expect(await popbox('account', 'add', 'Cc', ...account)).toMatchObject({ code: 0, stderr: '' });
    // New mail: the quick check finds work and the full path downloads it; no cache is made from such a run.
    expect(await popbox('sync')).toMatchObject({ code: 0, stdout: 'Cc: 3 new, 0 deleted on server\n', cache: 'none, not written (not answered here)' });
    // As a later check finds it: the quick path trusts only a Maildir older than the stamp the full path leaves.
    await ageEveryMaildir(dataDir);
    expect(await popbox('sync')).toMatchObject({ code: 0, stdout: empty, cache: 'none, not written (not answered here)' });
  });
  afterAll(async () => {
    await dc?.stop();
    if (copyDir) await fs.rm(copyDir, { recursive: true, force: true });
    if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    await fs.rm(beside(), { recursive: true, force: true });
    await fs.rm(userCache, { recursive: true, force: true });
  });

  it('makes the cache at the first empty check and uses it at the next, with the same answer', async () => {
    expect(await popbox('sync')).toEqual({ code: 0, stdout: empty, stderr: '', cache: `none, written to ${beside()}` });
    expect(await popbox('sync')).toEqual({ code: 0, stdout: empty, stderr: '', cache: 'used' });
  });

  // `popbox` starts node with a V8 flag, under which V8 refuses node's own code cache until the
  // CLI sets the flag back (electron/cli/heap-flag.ts, front.ts): node's ES module loader, loaded
  // before an ES module entry's first line, was compiled from source at every start.
  it("loads every node module after node's main script from node's code cache, through the bundle and through `popbox`", async () => {
    await popbox('sync');
    const compiledFromSource = (stderr: string) => [...stderr.matchAll(/Code cache of (\S+) \(\w+\) is rejected/g)].map((m) => m[1]);
    const debug = { NODE_DEBUG_NATIVE: 'CODE_CACHE' };
    for (const start of [entry, installedBin]) {
      const check = await popboxFrom(start, debug, 'sync');
      expect(check).toMatchObject({ code: 0, stdout: empty });
      expect(compiledFromSource(check.stderr), start).toEqual(['internal/main/run_main_module']);
      const list = await popboxFrom(start, debug, 'account', 'list');
      expect(list).toMatchObject({ code: 0, stdout: expect.stringMatching(/^Cc\t/) });
      expect(compiledFromSource(list.stderr), start).toEqual(['internal/main/run_main_module']);
    }
  });

  it('ignores a damaged cache or one made for another build, replaces it, and answers the same', async () => {
    await popbox('sync');
    const good = await fs.readFile(beside());
    const dataStart = good.indexOf(10) + 1; // the first line: what the cache was made from, and its data's hash
    // One byte of V8's data changed (node 20's V8 would take it as it is).
    const damaged = Buffer.from(good);
    damaged[dataStart + Math.floor((good.length - dataStart) / 2)]! ^= 0x5a;
    // A cache made from another script (another build of the bundle), its data whole.
    const foreign = Buffer.from(good);
    foreign.write('0'.repeat(64), 'popbox-code-cache 1 '.length, 'latin1');
    for (const bad of [damaged, foreign, Buffer.from('not a cache'), Buffer.alloc(0)]) {
      await fs.writeFile(beside(), bad);
      expect(await popbox('sync')).toEqual({ code: 0, stdout: empty, stderr: '', cache: `none, written to ${beside()}` });
      expect((await popbox('sync')).cache).toBe('used');
    }
  });

  it('never runs a cache made before the script was changed in place, even one of the same length and first line', async () => {
    await popbox('sync');
    expect((await popbox('sync')).cache).toBe('used');
    const script = path.join(copyDir, 'quick-sync.cjs');
    const original = await fs.readFile(script, 'utf8');
    // A packager's patch or a hand fix: same first line (the build's hash), same length, other text.
    const patched = original.replace('0 deleted on server`', '0 removed on server`');
    expect(patched.length).toBe(original.length);
    expect(patched).not.toBe(original);
    try {
      await fs.writeFile(script, patched);
      // V8 itself would take the old cache (it checks the source's length) and print "deleted".
      expect(await popbox('sync')).toEqual({ code: 0, stdout: 'Cc: 0 new, 0 removed on server\n', stderr: '', cache: `none, written to ${beside()}` });
      expect(await popbox('sync')).toEqual({ code: 0, stdout: 'Cc: 0 new, 0 removed on server\n', stderr: '', cache: 'used' });
    } finally {
      await fs.writeFile(script, original);
    }
  });

  it('compiles from source when V8 refuses the data, and writes a new cache', async () => {
    await popbox('sync');
    const good = await fs.readFile(beside());
    const firstLine = good.subarray(0, good.indexOf(10) + 1).toString('latin1');
    // Whole and made for this script by this node, as far as the file says; not V8's.
    const garbage = Buffer.alloc(4096, 7);
    const hash = createHash('sha256').update(garbage).digest('hex');
    await fs.writeFile(beside(), Buffer.concat([Buffer.from(firstLine.replace(/[0-9a-f]{64}\n$/, `${hash}\n`), 'latin1'), garbage]));
    expect(await popbox('sync')).toEqual({ code: 0, stdout: empty, stderr: '', cache: `rejected, written to ${beside()}` });
    expect((await popbox('sync')).cache).toBe('used');
  });

  it("keeps the cache in the user's cache folder when the bundle's folder cannot take it", async () => {
    // A folder where the file would go: nothing can be written or read there (as root, too).
    await fs.mkdir(beside());
    const inUserCache = path.join(userCache, 'popbox', 'quick-sync.v8cache');
    expect(await popbox('sync')).toEqual({ code: 0, stdout: empty, stderr: '', cache: `none, written to ${inUserCache}` });
    expect(await popbox('sync')).toEqual({ code: 0, stdout: empty, stderr: '', cache: 'used' });
  });

  it('hands a check that finds new mail to the full path from a cached start', async () => {
    await popbox('sync');
    await dc.deliver('cc', generateMessages({ seed: 16, count: 2, mix: 'small' }));
    expect(await popbox('sync')).toEqual({ code: 0, stdout: 'Cc: 2 new, 0 deleted on server\n', stderr: '', cache: 'used' });
    await ageEveryMaildir(dataDir);
    expect(await popbox('sync')).toEqual({ code: 0, stdout: empty, stderr: '', cache: 'used' });
  });
});
