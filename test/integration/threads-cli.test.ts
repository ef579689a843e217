/**
 * `popbox threads` as a script reads it (issue 17 §2): conversations newest first, each with
 * its message ids, a reply filed in Sent inside its thread, and the same threads through the
 * contract's `threads` method with a cursor.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MailService } from '../../electron/core/mail-service.js';
import { MemorySecretStore } from '../../electron/core/secrets/index.js';
import { messageIdFor } from '../../electron/core/store/ids.js';
import { bundleCli } from '../support/cli-bundle.js';

const exec = promisify(execFile);

interface Line {
  thread: string;
  subject: string;
  newest: string;
  count: number;
  unread: number;
  messages: string[];
  folders: string[];
}

describe('popbox threads', () => {
  let base: string;
  let cliPath: string;
  let dataDir: string;
  const id: Record<string, string> = {};

  async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    try {
      const { stdout, stderr } = await exec(process.execPath, [cliPath, '--data-dir', dataDir, ...args], { env: { ...process.env, POPBOX_DATA_DIR: '', COLUMNS: '100' } });
      return { code: 0, stdout, stderr };
    } catch (e) {
      const err = e as { code: number; stdout: string; stderr: string };
      return { code: err.code, stdout: err.stdout, stderr: err.stderr };
    }
  }

  beforeAll(async () => {
    cliPath = await bundleCli();
    base = await fs.mkdtemp(path.join(os.tmpdir(), 'popbox-cli-threads-'));
    dataDir = path.join(base, 'data');
    const service = await MailService.open({ dataDir, secrets: new MemorySecretStore() });
    const account = await service.addAccount({ name: 'Home', host: '127.0.0.1', port: 995, security: 'tls', user: 'u', password: { source: 'command', command: 'echo pw' } });
    await service.close();
    const maildir = path.join(dataDir, 'accounts', account.id, 'Maildir');
    const put = async (name: string, folder: string, flags: string, headers: string) => {
      id[name] = messageIdFor(account.id, name);
      await fs.writeFile(path.join(maildir, folder, 'cur', `${id[name]}:2,${flags}`), `From: Ann <ann@example.org>\r\n${headers}\r\n\r\nbody of ${name}\r\n`);
    };
    await put('plan', '', 'S', 'Subject: Trip to the lake\r\nMessage-ID: <plan@example.org>\r\nDate: Mon, 02 Feb 2026 10:00:00 +0000');
    await put('reply', '', '', 'Subject: Re: Trip to the lake\r\nMessage-ID: <reply@example.org>\r\nIn-Reply-To: <plan@example.org>\r\nReferences: <plan@example.org>\r\nDate: Tue, 03 Feb 2026 10:00:00 +0000');
    await put('mine', '.Sent', 'S', 'Subject: Re: Trip to the lake\r\nMessage-ID: <mine@example.org>\r\nReferences: <plan@example.org> <reply@example.org>\r\nDate: Wed, 04 Feb 2026 10:00:00 +0000');
    // An old mailer's answer: no References, no In-Reply-To, only the subject.
    await put('outlook', '', '', 'Subject: RE: Trip to the lake\r\nMessage-ID: <outlook@example.org>\r\nDate: Thu, 05 Feb 2026 09:00:00 +0000');
    await put('other', '', '', 'Subject: Re: hi\r\nMessage-ID: <other@example.org>\r\nDate: Fri, 06 Feb 2026 10:00:00 +0000');
    await fs.rm(path.join(dataDir, 'closed-cleanly'));
  });

  afterAll(async () => {
    if (base) await fs.rm(base, { recursive: true, force: true });
  });

  it('lists conversations newest first with their ids oldest first; a reply in Sent is in its thread', async () => {
    const run = await cli('threads', '--json');
    expect(run.code).toBe(0);
    const lines = JSON.parse(run.stdout) as Line[];
    expect(lines.map((l) => l.messages)).toEqual([[id.other], [id.plan, id.reply, id.mine, id.outlook]]);
    expect(lines[1]).toMatchObject({ subject: 'Trip to the lake', count: 4, unread: 2, newest: '2026-02-05T09:00:00.000Z', folders: ['Inbox', 'Sent'] });
    const sent = JSON.parse((await cli('threads', '--folder', 'Sent', '--json')).stdout) as Line[];
    expect(sent.map((l) => l.messages)).toEqual([[id.plan, id.reply, id.mine, id.outlook]]);
    const text = await cli('threads');
    expect(text.stdout.split('\n')[2]).toMatch(new RegExp(`^${lines[1]!.thread}  2026-02-05  4 messages\\s+2 new\\s+Trip to the lake$`));
    expect(text.stdout.split('\n')[3]).toBe(`  ${[id.plan, id.reply, id.mine, id.outlook].join(' ')}`);
    expect((await cli('threads', '--folder', 'Nowhere')).stderr).toMatch(/no folder "Nowhere"/);
  });

  it('the contract answers the same conversations, then only what changed after a cursor', async () => {
    const service = await MailService.open({ dataDir, secrets: new MemorySecretStore() });
    try {
      const first = service.threadChanges();
      expect(first.full).toBe(true);
      expect(first.threads).toEqual([{ id: expect.any(String), ids: [id.plan, id.reply, id.mine, id.outlook] }]);
      const hints: number[] = [];
      service.on('threadsChanged', ({ version }) => hints.push(version));
      await service.deleteForGood([id.reply!]);
      expect(hints.length).toBe(1);
      const next = service.threadChanges({ epoch: first.epoch, version: first.version });
      expect(next).toMatchObject({ full: false, threads: [{ id: first.threads[0]!.id, ids: [id.plan, id.mine, id.outlook] }], gone: [] });
      expect(service.threadChanges({ epoch: 'another process', version: 3 }).full).toBe(true);
    } finally {
      await service.close();
    }
  });
});
