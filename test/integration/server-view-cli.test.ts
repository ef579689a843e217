/**
 * `popbox server` as a user meets it (issue 16 §3), the bundled CLI against a real Dovecot: the
 * last listing without connecting, --refresh, the table and its totals, --json; delete by UIDL
 * (what will go, then what happened; gone from Dovecot's Maildir); download headers only; the
 * account's --junk-on-server switch; and the same command inside a running Popbox (its control
 * socket) while that process holds the data directory.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerListing } from '../../shared/server-view.js';
import { MailService } from '../../electron/core/mail-service.js';
import { MemorySecretStore } from '../../electron/core/secrets/index.js';
import { startWebHost } from '../../electron/webhost/server.js';
import { runCli } from '../support/cli-bundle.js';
import { dovecotUnavailable, startDovecot, type DovecotServer } from '../support/dovecot.js';

const missing = dovecotUnavailable();
if (missing && process.env.CI) throw new Error(`The server CLI suite needs: ${missing}`);
const suite = missing ? describe.skip : describe;

const message = (n: number) => Buffer.from(`From: Writer ${n} <w${n}@example.org>\nTo: jo@example.org\nSubject: letter ${n}\nDate: Sun, 6 Dec 2026 0${n}:00:00 +0000\n\nbody ${n}\n${'line\n'.repeat(n * 50)}`);

suite('popbox server (Dovecot)', () => {
  let dc: DovecotServer;
  let base: string;
  let dataDir: string;
  const cli = (...args: string[]) => runCli(dataDir, ...args);
  const onServer = async () => (await dc.mailbox('jo')).map((m) => /Subject: (.*)/.exec(m.bytes.toString())![1]!);

  beforeAll(async () => {
    dc = await startDovecot({ users: [{ name: 'jo', password: 'jo-pw' }] });
    await dc.deliver('jo', [1, 2, 3, 4].map(message));
    base = await fs.mkdtemp(path.join(os.tmpdir(), 'popbox-server-cli-'));
    dataDir = path.join(base, 'data');
  });

  afterAll(async () => {
    await dc?.stop();
    if (base) await fs.rm(base, { recursive: true, force: true });
  });

  it('account add|set --junk-on-server yes|no', async () => {
    const add = await cli('account', 'add', 'Jo', '--host', '127.0.0.1', '--port', String(dc.tlsPort), '--security', 'tls', '--user', 'jo', '--tls-fingerprint', dc.fingerprint256, '--password-command', 'echo jo-pw', '--leave-on-server', '--junk-on-server', 'yes');
    expect(add.stderr).toBe('');
    expect(add.code).toBe(0);
    const junkOn = async () => (JSON.parse((await cli('account', 'list', '--json')).stdout) as { junkOnServer: boolean }[])[0]!.junkOnServer;
    expect(await junkOn()).toBe(true);
    expect((await cli('account', 'set', 'Jo', '--junk-on-server', 'no')).code).toBe(0);
    expect(await junkOn()).toBe(false);
    const bad = await cli('account', 'set', 'Jo', '--junk-on-server', 'maybe');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--junk-on-server must be yes or no/);
  }, 120_000);

  it('lists the server: nothing before a refresh, then the table and its totals', async () => {
    const before = await cli('server', 'Jo');
    expect(before.code).toBe(0);
    expect(before.stdout).toMatch(/never listed/);
    const r = await cli('server', 'Jo', '--refresh');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const rows = r.stdout.trimEnd().split('\n');
    expect(rows).toHaveLength(5);
    // Newest first: its server number, state, date, sender and subject.
    const uidls = (JSON.parse((await cli('server', 'Jo', '--json')).stdout) as ServerListing).messages.map((m) => m.uidl);
    expect(rows[0]).toMatch(/^\s+4\s+\S+\s+not downloaded\s+.*2026-12-06\s+Writer 4\s+letter 4$/);
    // The UIDL in full: what "server delete|download" take.
    expect(rows[0]!.split(/\s+/)[2]).toBe(uidls[0]);
    expect(rows[3]).toMatch(/^\s+1\s+.*Writer 1\s+letter 1$/);
    expect(rows[4]).toMatch(/^4 messages, \d+(\.\d)? KB on the server; listed /);
  }, 120_000);

  it('deletes by UIDL, saying what goes and what happened; downloads headers only', async () => {
    const listing = JSON.parse((await cli('server', 'Jo', '--json')).stdout) as ServerListing;
    const uidl = (n: number) => listing.messages.find((m) => m.subject === `letter ${n}`)!.uidl;
    const del = await cli('server', 'delete', 'Jo', uidl(1), uidl(2));
    expect(del.stderr).toBe('');
    expect(del.code).toBe(0);
    expect(del.stdout).toMatch(/deleting on the server \(gone from every device/);
    expect(del.stdout).toContain(`${uidl(1)}  not downloaded  Writer 1: letter 1`);
    expect(del.stdout).toMatch(/deleted 2 on the server\n$/);
    expect(await onServer()).toEqual(['letter 3', 'letter 4']);

    const dl = await cli('server', 'download', 'Jo', uidl(3), '--headers-only');
    expect(dl.stdout).toBe('downloaded 1 (headers only); 0 already here; 0 no longer on the server\n');
    const stored = JSON.parse((await cli('messages', '--json')).stdout) as { subject: string; partial: boolean }[];
    expect(stored).toEqual([expect.objectContaining({ subject: 'letter 3', partial: true })]);
    const after = await cli('server', 'Jo');
    expect(after.stdout).toMatch(/headers only\s+.*letter 3/);
    expect(after.stdout).toMatch(/^2 messages/m);
    expect((await cli('server', 'delete', 'Jo')).code).toBe(2); // no UIDL: a usage error, nothing deleted
  }, 120_000);

  it('runs inside a running Popbox through its control socket', async () => {
    const service = await MailService.open({ dataDir, secrets: new MemorySecretStore() });
    const host = await startWebHost({ service, staticDir: base, downloadsDir: path.join(base, 'dl') });
    try {
      const changed: string[] = [];
      service.on('serverChanged', (e) => changed.push(e.accountId));
      const r = await cli('server', 'Jo', '--refresh', '--json');
      expect(r.stderr).toBe('');
      const l = JSON.parse(r.stdout) as ServerListing;
      expect(l.messages.map((m) => m.subject)).toEqual(['letter 4', 'letter 3']);
      expect(changed).toEqual([l.accountId]); // the window hears of it at once
    } finally {
      await host.close();
      await service.close();
    }
  }, 120_000);
});
