/**
 * The CLI as a child process against our fault server, for what a user sees where Dovecot does
 * not go: a server without UIDL, and the output when it is piped or the subjects are long.
 */
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bundleCli, runCli } from '../support/cli-bundle.js';
import { miniPop3, startFaultServer, type FaultServer, type MiniOptions } from '../support/fault-server.js';

let server: FaultServer | undefined;
let dataDir: string;

beforeEach(async () => {
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'popbox-cli-fault-'));
});
afterEach(async () => {
  await server?.close();
  expect(server?.errors ?? []).toEqual([]);
  server = undefined;
  await fs.rm(dataDir, { recursive: true, force: true });
});

const message = (subject: string, from = 'Ann <ann@example.org>') =>
  Buffer.from(`From: ${from}\r\nSubject: ${subject}\r\nMessage-ID: <${encodeURIComponent(subject).slice(0, 40)}@x>\r\n\r\nbody\r\n`);

/** A fault server holding `messages`, and an account "Box" for it in the data directory. */
async function serveAccount(messages: Buffer[], options: Partial<MiniOptions> = {}): Promise<void> {
  server = await startFaultServer((conn) => miniPop3(conn, { messages, ...options }));
  const add = await runCli(
    dataDir, 'account', 'add', 'Box', '--host', '127.0.0.1', '--port', String(server.port), '--security', 'none',
    '--user', 'alice', '--password-command', 'echo pw', '--allow-insecure-auth',
  );
  expect(add).toMatchObject({ code: 0 });
}

describe('a server without UIDL', () => {
  it('lists every downloaded message right after the sync that took them off the server', async () => {
    const subjects = Array.from({ length: 12 }, (_, i) => `no-uidl message ${i + 1}`);
    await serveAccount(subjects.map((s) => message(s)), {
      capa: ['USER'],
      override: async (c, verb) => (verb === 'UIDL' ? (await c.send('-ERR unknown command'), true) : false),
    });
    const sync = await runCli(dataDir, 'sync');
    expect(sync).toMatchObject({ code: 0, stdout: 'Box: 12 new, 12 deleted on server\n' });
    const listed = JSON.parse((await runCli(dataDir, 'messages', '--json')).stdout) as { subject: string; account: string }[];
    expect(listed.map((m) => m.subject).sort()).toEqual([...subjects].sort());
    expect(new Set(listed.map((m) => m.account))).toEqual(new Set(['Box']));
  });
});

describe('output a reader cuts short, and long lines', () => {
  /** Two cells for CJK and emoji, one for the rest: enough for the strings these tests use. */
  const cells = (text: string) =>
    [...new Intl.Segmenter(undefined, { granularity: 'grapheme' }).segment(text)].reduce(
      (n, { segment }) => n + (/[\u3040-\u30ff\u4e00-\u9fff]|\p{Extended_Pictographic}/u.test(segment) ? 2 : 1),
      0,
    );

  it('piped into head (npm run cli -- messages | head), the CLI exits 0 with nothing on stderr', async () => {
    // Far more than a pipe holds (64 KB), so the CLI is still writing when head has gone.
    const long = 'a rather long subject that goes on and on '.repeat(8);
    await serveAccount(Array.from({ length: 400 }, (_, i) => message(`${i} ${long}`)));
    expect(await runCli(dataDir, 'sync')).toMatchObject({ code: 0 });
    const cli = await bundleCli();
    const shell = async (pipeline: string) => {
      const { stdout, stderr } = await promisify(execFile)('bash', ['-c', `${pipeline}; echo "exit \${PIPESTATUS[0]}"`], {
        cwd: path.resolve(import.meta.dirname, '..', '..'),
        env: { ...process.env, CLI: cli, DATA: dataDir, COLUMNS: '400' },
      });
      return { stdout, stderr };
    };
    const table = await shell('npm run --silent cli -- --data-dir "$DATA" messages | head -n 1');
    expect(table.stderr).toBe('');
    // id, marks (new, flagged, partial), folder, date (none here), sender, subject.
    expect(table.stdout).toMatch(/^[0-9a-f]+ {2}N {4}Inbox {21}Ann <ann@example.org> +\d+ a rather long [^\n]+\nexit 0\n$/);
    const json = await shell('node "$CLI" --data-dir "$DATA" messages --json | head -c 20');
    expect(json.stderr).toBe('');
    expect(json.stdout).toMatch(/^\[\n {2}\{\n {4}"id": "[0-9a-f]*exit 0\n$/);

    // A reader that closes before the first byte.
    const child = spawn(process.execPath, [cli, '--data-dir', dataDir, 'messages'], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
  });

  it('cuts long senders and subjects to the terminal by display width, with an ellipsis', async () => {
    const subjects = {
      ascii: 'The quarterly report on everything that happened in the department this year, with appendices',
      cjk: '日本語の件名がとても長い場合には列の幅で切り詰められるべきです',
      emoji: '👨‍👩‍👧 family news 👨‍👩‍👧 more family news 👨‍👩‍👧 and even more family news',
      short: 'Hi',
    };
    const longSender = 'Maximilian Alexander Featherstonehaugh-Worthington <max@example.org>';
    await serveAccount(Object.values(subjects).map((s) => message(s, s === 'Hi' ? longSender : undefined)));
    expect(await runCli(dataDir, 'sync')).toMatchObject({ code: 0 });
    for (const columns of [80, 120]) {
      const r = await promisify(execFile)(process.execPath, [await bundleCli(), '--data-dir', dataDir, 'messages'], {
        env: { ...process.env, COLUMNS: String(columns) },
      });
      const rows = r.stdout.trimEnd().split('\n');
      expect(rows).toHaveLength(4);
      for (const row of rows) expect(cells(row)).toBeLessThanOrEqual(columns);
      for (const [name, subject] of Object.entries(subjects)) {
        const row = rows.find((l) => l.includes(subject.slice(0, 2)))!;
        expect(row, name).toBeDefined();
        const shown = row.slice(row.indexOf(subject.slice(0, 2)));
        if (name === 'short') {
          expect(shown).toBe('Hi');
          expect(row).toContain('Maximilian'); // the sender, cut to its column
          expect(row).not.toContain('max@example.org>');
          expect(row).toMatch(/… {2}Hi$/);
          continue;
        }
        expect(cells(row), name).toBe(columns); // the subject fills the rest of the line exactly
        expect(shown.endsWith('…'), name).toBe(true);
        const kept = shown.slice(0, -1).trimEnd(); // a wide character that did not fit leaves a space before the …
        expect(subject.startsWith(kept), name).toBe(true);
        // Never half a character: the cut falls where the subject's next character begins.
        const next = [...new Intl.Segmenter(undefined, { granularity: 'grapheme' }).segment(subject)].find((g) => g.index >= kept.length);
        expect(next?.index, name).toBe(kept.length);
      }
    }
  });
});
