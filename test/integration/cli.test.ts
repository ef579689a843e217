/**
 * The CLI as a user runs it (a child process, the documented command forms) against a real
 * Dovecot: accounts, sync, messages, delete, pending, and what bad input gets.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli-bundle.js';
import { dovecotUnavailable, startDovecot, type DovecotServer } from '../support/dovecot.js';
import { generateMessages, toCrlf } from '../support/mailgen.js';

const unavailable = dovecotUnavailable();
if (unavailable && process.env.CI) throw new Error(`Dovecot is required in CI: ${unavailable}`);
if (unavailable) console.warn(`Skipping the CLI suite: ${unavailable}`);
const suite = unavailable ? describe.skip : describe;

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const cli = runCli;

suite('popbox CLI', () => {
  let dc: DovecotServer;
  let dataDir: string;
  const messages = generateMessages({ seed: 5, count: 6, mix: 'small' });

  beforeAll(async () => {
    dc = await startDovecot({ users: [{ name: 'cli', password: 'cli-pw' }] });
    await dc.deliver('cli', messages);
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'popbox-cli-'));
  });
  afterAll(async () => {
    await dc?.stop();
    if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
  });

  const addArgs = () => [
    '--host', '127.0.0.1', '--port', String(dc.tlsPort), '--security', 'tls', '--user', 'cli',
    '--password-command', 'echo cli-pw', '--tls-fingerprint', dc.fingerprint256.replace(/:/g, '').toLowerCase(),
  ];

  it('adds an account and lists it without its password command', async () => {
    const add = await cli(dataDir, 'account', 'add', 'Home', ...addArgs(), '--leave-on-server', '--delete-when-deleted-locally');
    expect(add).toMatchObject({ code: 0 });
    expect(add.stdout).toMatch(/^added Home/);
    const list = await cli(dataDir, 'account', 'list', '--json');
    const [account] = JSON.parse(list.stdout) as Record<string, unknown>[];
    expect(account).toMatchObject({ name: 'Home', port: dc.tlsPort, security: 'tls', leaveOnServer: true, deleteWhenDeletedLocally: true, tlsFingerprint: dc.fingerprint256 });
    expect(account!.password).toEqual({ source: 'command' });
    // The command is configuration and stays in accounts.json; it is never printed back.
    expect(list.stdout).not.toContain('echo cli-pw');
  });

  it('syncs, and messages --json describes every stored file', async () => {
    const sync = await cli(dataDir, 'sync');
    expect(sync.stderr).toBe('');
    expect(sync).toMatchObject({ code: 0 });
    expect(sync.stdout).toMatch(/^Home: 6 new, 0 deleted on server/);
    const list = JSON.parse((await cli(dataDir, 'messages', '--json')).stdout) as Record<string, unknown>[];
    expect(list).toHaveLength(6);
    for (const m of list) {
      for (const key of ['id', 'account', 'uidl', 'messageId', 'subject', 'from', 'date', 'size', 'seen', 'flagged', 'trashed', 'folder', 'partial', 'path']) {
        expect(m).toHaveProperty(key);
      }
      expect(m.account).toBe('Home');
      expect(path.isAbsolute(m.path as string)).toBe(true);
    }
    const onDisk = await Promise.all(list.map(async (m) => sha(await fs.readFile(m.path as string))));
    expect(onDisk.sort()).toEqual(messages.map((m) => sha(toCrlf(m))).sort());
    expect((await cli(dataDir, 'sync', 'Home')).stdout).toMatch(/^Home: 0 new/);
  });

  it('deletes locally for good; pending shows the server deletion; the next sync makes it', async () => {
    const list = JSON.parse((await cli(dataDir, 'messages', '--json')).stdout) as { id: string; uidl: string; path: string }[];
    const victim = list[0]!;
    expect(await cli(dataDir, 'delete', victim.id)).toMatchObject({ code: 0 });
    await expect(fs.access(victim.path)).rejects.toThrow();
    const pending = JSON.parse((await cli(dataDir, 'pending', '--json')).stdout) as { id: string; reason: string; account: string }[];
    expect(pending).toEqual([expect.objectContaining({ id: victim.id, reason: 'deleted-locally', account: 'Home' })]);
    expect((await cli(dataDir, 'sync')).stdout).toMatch(/^Home: 0 new, 1 deleted on server/);
    expect((await dc.mailbox('cli')).length).toBe(5);
    expect(JSON.parse((await cli(dataDir, 'pending', '--json')).stdout)).toEqual([]);
    expect(JSON.parse((await cli(dataDir, 'messages', '--json')).stdout)).toHaveLength(5);
  });

  it('changes settings with account set', async () => {
    expect(await cli(dataDir, 'account', 'set', 'Home', '--no-leave-on-server', '--no-delete-when-deleted-locally', '--check-every', '5')).toMatchObject({ code: 0 });
    const [account] = JSON.parse((await cli(dataDir, 'account', 'list', '--json')).stdout) as Record<string, unknown>[];
    expect(account).toMatchObject({ leaveOnServer: false, deleteWhenDeletedLocally: false, checkEveryMinutes: 5 });
    expect((await cli(dataDir, 'pending', '--json')).stdout).toContain('"reason": "downloaded"');
    expect((await cli(dataDir, 'sync')).stdout).toMatch(/5 deleted on server/);
    expect(await dc.mailbox('cli')).toEqual([]);
  });

  describe('bad input gets one line, a non-zero exit, and changes nothing', () => {
    async function accountsFile(): Promise<string> {
      return fs.readFile(path.join(dataDir, 'accounts.json'), 'utf8');
    }

    it('a bad port', async () => {
      const before = await accountsFile();
      const r = await cli(dataDir, 'account', 'add', 'Other', ...addArgs().map((a) => (a === String(dc.tlsPort) ? '70000' : a)));
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/port/);
      expect(await accountsFile()).toBe(before);
    });

    it('an unknown account', async () => {
      for (const args of [['sync', 'Nope'], ['messages', '--account', 'Nope'], ['account', 'set', 'Nope', '--port', '995']]) {
        const r = await cli(dataDir, ...args);
        expect(r.code).not.toBe(0);
        expect(r.stderr.trim().split('\n')[0]).toMatch(/not-found/);
      }
    });

    it('an unknown message id', async () => {
      const r = await cli(dataDir, 'delete', 'ffffffffffffffff');
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/not-found/);
    });

    it('a password command that fails: sync reports NAME: CODE: message', async () => {
      await cli(dataDir, 'account', 'add', 'Broken', ...addArgs().map((a) => (a === 'echo cli-pw' ? 'exit 3' : a)));
      const r = await cli(dataDir, 'sync', 'Broken');
      expect(r.code).toBe(1);
      expect(r.stderr.trim()).toMatch(/^Broken: secret: .+/);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    });

    it('a wrong password is an auth failure for that account only', async () => {
      await cli(dataDir, 'account', 'add', 'Wrong', ...addArgs().map((a) => (a === 'echo cli-pw' ? 'echo nope' : a)));
      const r = await cli(dataDir, 'sync', 'Home', 'Wrong');
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/^Home: /m);
      expect(r.stderr.trim()).toMatch(/^Wrong: auth: /);
    });

    it('an unreadable data directory', async () => {
      const file = path.join(dataDir, 'not-a-dir');
      await fs.writeFile(file, 'x');
      const r = await cli(file, 'account', 'list');
      expect(r.code).not.toBe(0);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/storage: cannot use the data directory/);
    });
  });
});
