/**
 * Filtering survives kill -9 (issue 16 §1, DESIGN §3 invariant 10): `popbox rules run` files
 * 3,000 messages by four rules (move + mark read, junk, delete to Trash, flag) and is SIGKILLed
 * at a random moment; the next start must list every message exactly once, in the folder its one
 * file is in, and running the rules again must then leave each where its rules say, with the
 * flags they set in its file name. Kill times come from a seeded PRNG (POPBOX_CRASH_SEED),
 * spread over the flag changes and the moves of an uninterrupted run measured first. The kills
 * run two at a time, each on its own copy (POPBOX_CRASH_LANES=1: one at a time).
 */
import { execFile, spawn } from 'node:child_process';
import { watch } from 'node:fs';
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
const COUNT = 3_000;
const SEED = Number(process.env.POPBOX_CRASH_SEED ?? 0x16f11e25) >>> 0;
const KILLS = process.env.POPBOX_SOAK ? 30 : 6;

/** Where message i must end up, and the flags its file name must carry, by the rules below. */
function expected(i: number): { folder: string; seen: boolean; flagged: boolean } {
  const last = i % 10;
  const folder = last === 3 ? 'Receipts' : last === 7 ? 'Junk' : last === 9 ? 'Trash' : 'INBOX';
  return { folder, seen: i % 4 === 0 || last === 3, flagged: String(i).includes('5') };
}

describe('crash safety of filtering: SIGKILL `popbox rules run` while it files 3,000 messages', () => {
  let base: string;
  let template: string;
  let cliPath: string;
  let accountDir: string;
  const index = new Map<string, number>();

  beforeAll(async () => {
    cliPath = await bundleCli();
    base = await fs.mkdtemp(path.join(os.tmpdir(), 'popbox-crash-rules-'));
    template = path.join(base, 'template');
    const service = await MailService.open({ dataDir: template, secrets: new MemorySecretStore() });
    const account = await service.addAccount({ name: 'Home', host: '127.0.0.1', port: 995, security: 'tls', user: 'u', password: { source: 'command', command: 'echo pw' } });
    await service.createFolder(account.id, ['Receipts']);
    await service.saveRules([
      { name: 'Receipts', match: 'all', conditions: [{ field: 'subject', op: 'matches', value: 'message *3' }], actions: [{ t: 'move', folder: ['Receipts'] }, { t: 'mark-read' }] },
      { name: 'Junky', match: 'all', conditions: [{ field: 'subject', op: 'matches', value: 'message *7' }], actions: [{ t: 'junk' }] },
      { name: 'Bin', match: 'all', conditions: [{ field: 'subject', op: 'matches', value: 'message *9' }], actions: [{ t: 'delete' }] },
      { name: 'Fives', match: 'any', conditions: [{ field: 'subject', op: 'contains', value: '5' }], actions: [{ t: 'flag' }] },
    ]);
    await service.close();
    accountDir = path.join('accounts', account.id);
    const cur = path.join(template, accountDir, 'Maildir', 'cur');
    for (let i = 0; i < COUNT; i++) {
      const id = messageIdFor(account.id, `u${i}`);
      index.set(id, i);
      await fs.writeFile(path.join(cur, `${id}:2,${i % 4 === 0 ? 'S' : ''}`), `From: n${i}@example.org\r\nSubject: message ${i}\r\nDate: Mon, 01 Jun 2026 10:00:00 +0000\r\n\r\nbody ${i}\r\n`);
    }
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

  type Phase = 'flags' | 'moves';
  /** The directory whose first change starts a phase: flags are renames in the inbox, moves start with Receipts. */
  const phaseDir = (dataDir: string, phase: Phase) => path.join(dataDir, accountDir, 'Maildir', phase === 'flags' ? '' : '.Receipts', 'cur');

  /**
   * Runs `rules run`; with `kill`, SIGKILLs it that long after its phase began (reading and
   * matching 3,000 messages comes first, and a kill there proves little). For calibration, the
   * time from the start of each phase to the exit.
   */
  function runRules(dataDir: string, kill?: { phase: Phase; afterMs: number }): Promise<{ span: Record<Phase, number>; code: number | null; stderr: string }> {
    return new Promise((resolve, reject) => {
      const began: Partial<Record<Phase, number>> = {};
      const watchers = (['flags', 'moves'] as const).map((phase) =>
        watch(phaseDir(dataDir, phase), () => {
          if (began[phase] !== undefined) return;
          began[phase] = performance.now();
          if (kill?.phase === phase) setTimeout(() => child.kill('SIGKILL'), kill.afterMs);
        }),
      );
      const child = spawn(process.execPath, [cliPath, '--data-dir', dataDir, 'rules', 'run'], { env: { ...process.env, POPBOX_DATA_DIR: '' }, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('error', reject);
      child.on('exit', (code) => {
        for (const w of watchers) w.close();
        const end = performance.now();
        resolve({ span: { flags: end - (began.flags ?? end), moves: end - (began.moves ?? end) }, code, stderr });
      });
    });
  }

  /** Every file on disk by id: the folders it is found in and its flags. */
  async function filesOnDisk(dataDir: string): Promise<Map<string, { folder: string; flags: string }[]>> {
    const root = path.join(dataDir, accountDir, 'Maildir');
    const out = new Map<string, { folder: string; flags: string }[]>();
    const dirs = ['', ...(await fs.readdir(root)).filter((d) => d.startsWith('.'))];
    for (const dir of dirs) {
      for (const sub of ['cur', 'new']) {
        for (const name of await fs.readdir(path.join(root, dir, sub)).catch(() => [] as string[])) {
          const [id, info = ''] = name.split(':');
          out.set(id!, [...(out.get(id!) ?? []), { folder: dir === '' ? 'INBOX' : dir.slice(1), flags: info.replace(/^2,/, '') }]);
        }
      }
    }
    return out;
  }

  /** After a kill: every message once in the list, in the one folder its one file is in; how many are filed. */
  async function checkExactlyOnce(dataDir: string): Promise<{ filed: number }> {
    const { stdout } = await run(process.execPath, [cliPath, '--data-dir', dataDir, 'messages', '--json'], { env: { ...process.env, POPBOX_DATA_DIR: '' }, maxBuffer: 256 * 1024 * 1024 });
    const list = JSON.parse(stdout) as { id: string; folder: string }[];
    expect(list).toHaveLength(COUNT);
    expect(new Set(list.map((m) => m.id)).size).toBe(COUNT);
    const disk = await filesOnDisk(dataDir);
    expect(disk.size).toBe(COUNT);
    let filed = 0;
    for (const m of list) {
      const places = disk.get(m.id) ?? [];
      expect(places, `message ${m.id}`).toHaveLength(1);
      expect(m.folder.replace(/^Inbox$/, 'INBOX')).toBe(places[0]!.folder);
      if (places[0]!.folder !== 'INBOX') filed++;
    }
    return { filed };
  }

  /** After a full run: each message where its rules put it, with their flags. */
  async function checkFiled(dataDir: string): Promise<void> {
    const disk = await filesOnDisk(dataDir);
    for (const [id, places] of disk) {
      const want = expected(index.get(id)!);
      expect(places[0]!.folder, `message ${index.get(id)}`).toBe(want.folder);
      expect(places[0]!.flags.includes('S'), `message ${index.get(id)} seen`).toBe(want.seen);
      expect(places[0]!.flags.includes('F'), `message ${index.get(id)} flagged`).toBe(want.flagged);
    }
  }

  const toFile = [...Array(COUNT).keys()].filter((i) => expected(i).folder !== 'INBOX').length;

  it(`${KILLS} kills: every message listed once, in exactly one folder, and a second run files the rest`, async () => {
    // The kills run in lanes at once (test/support/lanes.ts), so the spans they are drawn from
    // are measured the same way: as many clean runs at once as there are lanes, their mean.
    const clean = await Promise.all(
      Array.from({ length: Math.min(CRASH_LANES, KILLS) }, async (_, i) => {
        const calibration = await copyOfTemplate(`calibrate-${i}`);
        const r = await runRules(calibration);
        expect(r.code, r.stderr).toBe(0);
        expect((await checkExactlyOnce(calibration)).filed).toBe(toFile);
        await checkFiled(calibration);
        await fs.rm(calibration, { recursive: true, force: true });
        return r.span;
      }),
    );
    const span = (phase: Phase) => clean.reduce((a, c) => a + c[phase], 0) / clean.length;
    // Half the kills among the flag changes, half among the moves; drawn in order, whichever lane runs them.
    const rng = mulberry32(SEED);
    const kills = Array.from({ length: KILLS }, (_, k) => {
      const phase: Phase = k % 2 === 0 ? 'flags' : 'moves';
      return { phase, afterMs: span(phase) * rng() };
    });
    let midway = 0;
    await inLanes(KILLS, async (k) => {
      const dataDir = await copyOfTemplate(`kill-${k}`);
      const { phase, afterMs: at } = kills[k]!;
      const killed = await runRules(dataDir, { phase, afterMs: at });
      const { filed } = await checkExactlyOnce(dataDir);
      if (filed > 0 && filed < toFile) midway++;
      if (process.env.POPBOX_CRASH_VERBOSE) console.log(`kill ${k} in the ${phase} at ${at.toFixed(0)} ms (${killed.code === null ? 'killed' : `exited ${killed.code}`}): ${filed} of ${toFile} filed`);
      const finish = await runRules(dataDir);
      expect(finish.code, finish.stderr).toBe(0);
      expect((await checkExactlyOnce(dataDir)).filed).toBe(toFile);
      await checkFiled(dataDir);
      await fs.rm(dataDir, { recursive: true, force: true });
    });
    // How many kills landed among the renames depends on this machine's speed (kills are timed in
    // ms from the clean run): logged, not asserted, so a slow or busy machine cannot fail the suite.
    // Every kill, wherever it landed, was checked above for each message listed once.
    console.log(`rules crash suite: ${KILLS} kills, ${midway} in the middle of the filing${midway === 0 ? ' (none: the timing missed the renames on this machine)' : ''}`);
  }, 900_000);
});
