/**
 * Moves survive kill -9 (issue 14 §2, DESIGN §3 invariant 10): the CLI moves (or archives)
 * 10,000 messages and is SIGKILLed at a random moment; the next start must list every message
 * exactly once, in the folder its one file is in, and finishing the move must then leave all of
 * them filed. Kill times come from a seeded PRNG (POPBOX_CRASH_SEED), scaled to an uninterrupted
 * run measured first; POPBOX_SOAK=1 kills more often. The kills run two at a time, each on its own
 * copy (POPBOX_CRASH_LANES=1: one at a time).
 */
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MailService } from '../../electron/core/mail-service.js';
import { MemorySecretStore } from '../../electron/core/secrets/index.js';
import { messageIdFor } from '../../electron/core/store/ids.js';
import { bundleCli } from '../support/cli-bundle.js';
import { CRASH_LANES, inLanes } from '../support/lanes.js';
import { mulberry32 } from '../support/mailgen.js';

const run = promisify(execFile);
const COUNT = 10_000;
const SEED = Number(process.env.POPBOX_CRASH_SEED ?? 0x0f01de25) >>> 0;
const KILLS = process.env.POPBOX_SOAK ? 40 : 8;

interface Listed {
  id: string;
  folder: string;
}

describe('crash safety of moves: SIGKILL the CLI while it files 10,000 messages', () => {
  let base: string;
  let template: string;
  let cliPath: string;
  let accountDir: string;
  const ids: string[] = [];

  beforeAll(async () => {
    cliPath = await bundleCli();
    base = await fs.mkdtemp(path.join(os.tmpdir(), 'popbox-crash-moves-'));
    template = path.join(base, 'template');
    const service = await MailService.open({ dataDir: template, secrets: new MemorySecretStore() });
    const account = await service.addAccount({ name: 'Home', host: '127.0.0.1', port: 995, security: 'tls', user: 'u', password: { source: 'command', command: 'echo pw' } });
    await service.createFolder(account.id, ['Receipts']);
    await service.close();
    accountDir = path.join('accounts', account.id);
    // Ten thousand small messages as another tool would have delivered them, over ten years.
    const cur = path.join(template, accountDir, 'Maildir', 'cur');
    const write = (i: number) => {
      const id = messageIdFor(account.id, `u${i}`);
      ids[i] = id;
      const date = new Date(Date.UTC(2016 + (i % 10), i % 12, 1 + (i % 28))).toUTCString();
      return fs.writeFile(path.join(cur, `${id}:2,${i % 3 === 0 ? 'S' : ''}`), `From: n${i}@example.org\r\nSubject: message ${i}\r\nDate: ${date}\r\n\r\nbody ${i}\r\n`);
    };
    // A hundred writes in flight at a time: one by one, the writes alone took seconds.
    for (let i = 0; i < COUNT; i += 100) await Promise.all(Array.from({ length: Math.min(100, COUNT - i) }, (_, j) => write(i + j)));
    // Opening without the clean-close mark reconciles: every file gets its record.
    await fs.rm(path.join(template, 'closed-cleanly'), { force: true });
    const again = await MailService.open({ dataDir: template, secrets: new MemorySecretStore() });
    expect(again.messages()).toHaveLength(COUNT);
    await again.close();
  }, 300_000);

  afterAll(async () => {
    if (base) await fs.rm(base, { recursive: true, force: true });
  });

  async function copyOfTemplate(name: string): Promise<string> {
    const dir = path.join(base, name);
    await run('cp', ['-a', template, dir]);
    return dir;
  }

  const cliArgs = (dataDir: string, how: 'move' | 'archive') => (how === 'move' ? [cliPath, '--data-dir', dataDir, 'move', ...ids, 'Receipts'] : [cliPath, '--data-dir', dataDir, 'archive', ...ids]);

  /** Runs the CLI, killing it after `killAfterMs` (never, when undefined); the time it ran. */
  function runCli(dataDir: string, how: 'move' | 'archive', killAfterMs?: number): Promise<{ ms: number; code: number | null; stderr: string }> {
    return new Promise((resolve, reject) => {
      const started = performance.now();
      const child = spawn(process.execPath, cliArgs(dataDir, how), { env: { ...process.env, POPBOX_DATA_DIR: '' }, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const timer = killAfterMs === undefined ? null : setTimeout(() => child.kill('SIGKILL'), killAfterMs);
      child.on('error', reject);
      child.on('exit', (code) => {
        if (timer) clearTimeout(timer);
        resolve({ ms: performance.now() - started, code, stderr });
      });
    });
  }

  /** Every file on disk by id: the folders (Maildir++ directories) it is found in. */
  async function filesOnDisk(dataDir: string): Promise<Map<string, string[]>> {
    const root = path.join(dataDir, accountDir, 'Maildir');
    const out = new Map<string, string[]>();
    const dirs = ['', ...(await fs.readdir(root)).filter((d) => d.startsWith('.'))];
    for (const dir of dirs) {
      for (const sub of ['cur', 'new']) {
        for (const name of await fs.readdir(path.join(root, dir, sub)).catch(() => [] as string[])) {
          const id = name.split(':')[0]!;
          out.set(id, [...(out.get(id) ?? []), dir === '' ? 'INBOX' : dir.slice(1)]);
        }
      }
    }
    return out;
  }

  async function listed(dataDir: string): Promise<Listed[]> {
    const { stdout } = await run(process.execPath, [cliPath, '--data-dir', dataDir, 'messages', '--json'], { env: { ...process.env, POPBOX_DATA_DIR: '' }, maxBuffer: 256 * 1024 * 1024 });
    const list = JSON.parse(stdout) as { id: string; folder: string }[];
    return list.map((m) => ({ id: m.id, folder: m.folder }));
  }

  /** After a kill: every message once in the list, in the one folder its one file is in. */
  async function checkExactlyOnce(dataDir: string): Promise<{ moved: number }> {
    const list = await listed(dataDir);
    expect(list).toHaveLength(COUNT);
    expect(new Set(list.map((m) => m.id)).size).toBe(COUNT);
    const disk = await filesOnDisk(dataDir);
    expect(disk.size).toBe(COUNT);
    let moved = 0;
    for (const m of list) {
      const places = disk.get(m.id) ?? [];
      expect(places, `message ${m.id}`).toHaveLength(1);
      // The list shows names ("Archive/2019"); the disk, keys ("Archive.2019").
      expect(m.folder.replace(/\//g, '.').replace(/^Inbox$/, 'INBOX')).toBe(places[0]);
      if (places[0] !== 'INBOX') moved++;
    }
    return { moved };
  }

  it(`${KILLS} kills: every message listed once, in exactly one folder, and the move then finishes`, async () => {
    // The kills run in lanes at once (test/support/lanes.ts), so the run they are scaled to is
    // measured the same way: as many clean moves at once as there are lanes, their mean.
    const clean = await Promise.all(
      Array.from({ length: Math.min(CRASH_LANES, KILLS) }, async (_, i) => {
        const calibration = await copyOfTemplate(`calibrate-${i}`);
        const r = await runCli(calibration, 'move');
        expect(r.code, r.stderr).toBe(0);
        expect((await checkExactlyOnce(calibration)).moved).toBe(COUNT);
        await fs.rm(calibration, { recursive: true, force: true });
        return r.ms;
      }),
    );
    const cleanMs = clean.reduce((a, b) => a + b, 0) / clean.length;
    // Most kills land in the second half of the run, where the renames happen (the first is
    // Node's start and the reading of the journal). Drawn in order, whichever lane runs them.
    const rng = mulberry32(SEED);
    const kills = Array.from({ length: KILLS }, () => cleanMs * (0.35 + 0.75 * rng()));
    let midway = 0;
    await inLanes(KILLS, async (k) => {
      const how = k % 2 === 0 ? 'move' : 'archive';
      const dataDir = await copyOfTemplate(`kill-${k}`);
      const at = kills[k]!;
      const killed = await runCli(dataDir, how, at);
      const { moved } = await checkExactlyOnce(dataDir);
      if (moved > 0 && moved < COUNT) midway++;
      if (process.env.POPBOX_CRASH_VERBOSE) console.log(`kill ${k} (${how}) at ${at.toFixed(0)} ms (${killed.code === null ? 'killed' : `exited ${killed.code}`}): ${moved} of ${COUNT} filed`);
      // Finishing the job files every message, each still once.
      const finish = await runCli(dataDir, how);
      expect(finish.code, finish.stderr).toBe(0);
      expect((await checkExactlyOnce(dataDir)).moved).toBe(COUNT);
      await fs.rm(dataDir, { recursive: true, force: true });
    });
    console.log(`moves crash suite: ${KILLS} kills, ${midway} in the middle of the renames`);
    // The kills are spread over the run the clean one took, so some must land among the renames.
    expect(midway).toBeGreaterThan(0);
  }, 900_000);
});
