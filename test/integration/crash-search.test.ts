/**
 * The search index survives kill -9 (issue 17 §1): `popbox search` indexes 2,000 stored messages
 * before it answers and is SIGKILLed at random moments while it does; the next search must find
 * every message exactly once (by a word all share, and some by their own word), and a message
 * deleted meanwhile must not come back. Kill times come from a seeded PRNG (POPBOX_CRASH_SEED),
 * spread over an uninterrupted run measured first.
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
import { mulberry32 } from '../support/mailgen.js';

const run = promisify(execFile);
const COUNT = 2_000;
const SEED = Number(process.env.POPBOX_CRASH_SEED ?? 0x5ea7c4) >>> 0;
const KILLS = process.env.POPBOX_SOAK ? 20 : 5;
const env = { ...process.env, POPBOX_DATA_DIR: '' };

describe('crash safety of the search index: SIGKILL `popbox search` while it indexes 2,000 messages', () => {
  let base: string;
  let template: string;
  let cliPath: string;
  let accountId: string;

  beforeAll(async () => {
    cliPath = await bundleCli();
    base = await fs.mkdtemp(path.join(os.tmpdir(), 'popbox-crash-search-'));
    template = path.join(base, 'template');
    const service = await MailService.open({ dataDir: template, secrets: new MemorySecretStore() });
    accountId = (await service.addAccount({ name: 'Home', host: '127.0.0.1', port: 995, security: 'tls', user: 'u', password: { source: 'command', command: 'echo pw' } })).id;
    await service.close();
    const cur = path.join(template, 'accounts', accountId, 'Maildir', 'cur');
    for (let i = 0; i < COUNT; i++) {
      const body = `Dear reader,\r\n\r\nthe wombat${i}q report is attached in words: crashword ${'lorem ipsum dolor sit amet '.repeat(20 + (i % 40))}\r\n`;
      await fs.writeFile(path.join(cur, `${messageIdFor(accountId, `u${i}`)}:2,`), `From: n${i}@example.org\r\nSubject: message ${i}\r\nDate: Mon, 01 Jun 2026 10:00:00 +0000\r\n\r\n${body}`);
    }
    // Journal every file (reconcile), then start the copies without any index.
    await fs.rm(path.join(template, 'closed-cleanly'), { force: true });
    const again = await MailService.open({ dataDir: template, secrets: new MemorySecretStore() });
    expect(again.messages()).toHaveLength(COUNT);
    await again.close();
    await fs.rm(path.join(template, 'search'), { recursive: true, force: true });
  }, 300_000);

  afterAll(async () => {
    if (base) await fs.rm(base, { recursive: true, force: true });
  });

  async function copyOfTemplate(name: string): Promise<string> {
    const dir = path.join(base, name);
    await run('cp', ['-a', template, dir]);
    return dir;
  }

  function search(dataDir: string, query: string, killAfterMs?: number): Promise<{ ms: number; code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
      const started = performance.now();
      const child = spawn(process.execPath, [cliPath, '--data-dir', dataDir, 'search', '--json', '--limit', '10000', query], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      if (killAfterMs !== undefined) setTimeout(() => child.kill('SIGKILL'), killAfterMs);
      child.on('error', reject);
      child.on('exit', (code) => resolve({ ms: performance.now() - started, code, stdout, stderr }));
    });
  }

  async function ids(dataDir: string, query: string): Promise<string[]> {
    const r = await search(dataDir, query);
    expect(r.code, r.stderr).toBe(0);
    return (JSON.parse(r.stdout) as { id: string }[]).map((m) => m.id);
  }

  /** Every live message once for the shared word, and found by its own word. */
  async function checkExactlyOnce(dataDir: string, live: Set<number>, rng: () => number): Promise<void> {
    const all = await ids(dataDir, 'crashword');
    expect(all).toHaveLength(live.size);
    expect(new Set(all)).toEqual(new Set([...live].map((i) => messageIdFor(accountId, `u${i}`))));
    const some = [0, 1, 2].map(() => Math.floor(rng() * COUNT));
    const found = await ids(dataDir, some.map((i) => `wombat${i}q`).join(' OR '));
    expect(new Set(found)).toEqual(new Set(some.filter((i) => live.has(i)).map((i) => messageIdFor(accountId, `u${i}`))));
    expect(found).toHaveLength(new Set(found).size);
  }

  it(`${KILLS} kills while indexing: afterwards each message is found exactly once`, async () => {
    const calibration = await copyOfTemplate('calibrate');
    const clean = await search(calibration, 'crashword');
    expect(clean.code, clean.stderr).toBe(0);
    expect(JSON.parse(clean.stdout)).toHaveLength(COUNT);
    const rng = mulberry32(SEED);
    for (let k = 0; k < KILLS; k++) {
      const dataDir = await copyOfTemplate(`kill-${k}`);
      const live = new Set([...Array(COUNT).keys()]);
      const killed = await search(dataDir, 'crashword', clean.ms * (0.2 + 0.8 * rng()));
      // Some mail is deleted while the index is half built (by another tool: the files go).
      for (let d = 0; d < 5; d++) {
        const i = Math.floor(rng() * COUNT);
        const name = (await fs.readdir(path.join(dataDir, 'accounts', accountId, 'Maildir', 'cur'))).find((f) => f.startsWith(messageIdFor(accountId, `u${i}`)));
        if (name) await fs.rm(path.join(dataDir, 'accounts', accountId, 'Maildir', 'cur', name));
        live.delete(i);
      }
      // The deletions are seen by reconcile: a start after a kill (no clean-close mark) does it.
      await fs.rm(path.join(dataDir, 'closed-cleanly'), { force: true });
      if (process.env.POPBOX_CRASH_VERBOSE) console.log(`kill ${k}: ${killed.code === null ? 'killed' : `exited ${killed.code}`}`);
      await checkExactlyOnce(dataDir, live, rng);
      await fs.rm(dataDir, { recursive: true, force: true });
    }
  }, 900_000);
});
