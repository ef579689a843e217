/**
 * `popbox send` and `popbox outbox` as a user runs them (issue 15): the bundled CLI in child
 * processes, an account set up through the CLI sending through a private Postfix on loopback,
 * Dovecot delivering by LMTP to a second account on the same server, which syncs it back by POP3.
 * What is checked is what the user notices: the message arrives once with its subject, body and
 * attachment; Sent holds the very bytes the server got; the Outbox is empty after; with Postfix
 * stopped the message waits in the Outbox (shown as retrying) and goes out, once, when asked.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { serveCli } from '../../electron/cli/serve.js';
import { MailService } from '../../electron/core/mail-service.js';
import { MemorySecretStore } from '../../electron/core/secrets/index.js';
import { bundleCli, runCli } from '../support/cli-bundle.js';
import type { DovecotServer } from '../support/dovecot.js';
import type { PostfixServer } from '../support/postfix.js';
import { sendSuite, startSendServers, type SendServers } from '../support/send-servers.js';
import { sleep } from '../support/servers.js';

const suite = sendSuite('the send-through-the-CLI suite');

interface MessageJson {
  id: string;
  messageId: string | null;
  subject: string;
  from: string;
  folder: string;
  hasAttachments: boolean;
  path: string;
}

suite('popbox send and popbox outbox through Postfix, back by POP3 from Dovecot', () => {
  let servers: SendServers;
  let dc: DovecotServer;
  let pf: PostfixServer;
  let dataDir: string;
  const cli = (...args: string[]) => runCli(dataDir, ...args);
  const messages = async (...args: string[]) => JSON.parse((await cli('messages', '--json', ...args)).stdout) as MessageJson[];
  const outbox = async () => JSON.parse((await cli('outbox', '--json')).stdout) as Record<string, unknown>[];

  const smtpOptions = (p: PostfixServer) => ['--smtp-host', '127.0.0.1', '--smtp-port', String(p.submissionsPort), '--smtp-security', 'tls', '--smtp-tls-fingerprint', p.fingerprint256];

  beforeAll(async () => {
    servers = await startSendServers({ users: [{ name: 'alice', password: 'alice-pw' }, { name: 'bob', password: 'bob-pw' }] });
    ({ dovecot: dc, postfix: pf } = servers);
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'popbox-send-cli-'));
    const pop = (user: string) => ['--host', '127.0.0.1', '--port', String(dc.tlsPort), '--security', 'tls', '--tls-fingerprint', dc.fingerprint256, '--user', user, '--password-command', `echo ${user}-pw`];
    const alice = await cli('account', 'add', 'Alice', ...pop('alice'), ...smtpOptions(pf), '--smtp-user', 'alice', '--smtp-password-command', 'echo alice-pw', '--from', 'alice@example.org', '--from-name', 'Alice Exämple');
    expect(alice.stderr).toBe('');
    expect(alice.code).toBe(0);
    expect(await cli('account', 'add', 'Bob', ...pop('bob'))).toMatchObject({ code: 0 });
  });
  afterAll(async () => {
    await servers?.stop();
    if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
  });

  /** Waits until Dovecot has `n` messages for `user` with this text, then a little longer to see that no more come. */
  async function delivered(user: string, needle: string, n = 1): Promise<number> {
    const count = async () => (await dc.mailbox(user)).filter((m) => m.bytes.includes(needle)).length;
    const deadline = Date.now() + 20_000;
    while ((await count()) < n && Date.now() < deadline) await sleep(100);
    await sleep(500);
    return count();
  }

  it('send --now delivers once; Bob syncs it with its subject, body and attachment; Sent holds the bytes the server got; the Outbox is empty', async () => {
    const body = path.join(dataDir, 'body.txt');
    await fs.writeFile(body, 'Hallo Bob,\nhier ist der Bericht.\n\n.\nA line with only a dot above.\n');
    const report = path.join(dataDir, 'Bericht.pdf');
    const pdf = Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.alloc(3000, 0xa7)]);
    await fs.writeFile(report, pdf);

    const sent = await cli('send', '--account', 'Alice', '--to', 'bob@example.org', '--bcc', 'alice@example.org', '--subject', 'Grüße aus Köln', '--body-file', body, '--attach', report, '--now');
    expect(sent.stderr).toBe('');
    expect(sent.code).toBe(0);
    expect(sent.stdout).toMatch(/^sent \S+ \(the server said: 250 /);

    // The Sent copy: its exact bytes, CRLF throughout, no Bcc header.
    const [inSent, ...more] = await messages('--account', 'Alice', '--folder', 'Sent');
    expect(more).toEqual([]);
    expect(inSent!.path).toContain(`${path.sep}.Sent${path.sep}cur${path.sep}`);
    expect(inSent!.subject).toBe('Grüße aus Köln');
    const sentBytes = await fs.readFile(inSent!.path);
    expect(sentBytes.toString('latin1').replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
    expect(sentBytes.toString('latin1')).not.toMatch(/^Bcc:/im);
    const messageId = inSent!.messageId!;
    expect(messageId).toMatch(/^<.+@example\.org>$/);

    // Delivered exactly once to Bob (and to Alice as Bcc, once).
    expect(await delivered('bob', messageId)).toBe(1);
    expect(await delivered('alice', messageId)).toBe(1);
    expect(await outbox()).toEqual([]);
    expect(await messages('--account', 'Alice', '--folder', 'Outbox')).toEqual([]);

    // Bob's sync brings it back: subject, sender, body, attachment; the bytes end with what was sent.
    expect(await cli('sync', 'Bob')).toMatchObject({ code: 0, stdout: 'Bob: 1 new, 1 deleted on server\n' });
    const got = (await messages('--account', 'Bob')).filter((m) => m.messageId === messageId);
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({ subject: 'Grüße aus Köln', from: 'Alice Exämple <alice@example.org>', folder: 'Inbox', hasAttachments: true });
    const received = await fs.readFile(got[0]!.path);
    // Postfix and Dovecot only add trace headers above the message.
    expect(received.subarray(received.length - sentBytes.length).equals(sentBytes)).toBe(true);
    expect(received.toString('latin1')).toContain('hier ist der Bericht.');
    expect(received.toString('latin1')).not.toContain('alice@example.org>\r\nBcc');
    const parsed = await simpleParser(received);
    expect(parsed.text).toBe('Hallo Bob,\nhier ist der Bericht.\n\n.\nA line with only a dot above.'); // format=flowed: a flowed reader drops the last line end
    expect(parsed.attachments.map((a) => [a.filename, a.contentType, a.content.equals(pdf)])).toEqual([['Bericht.pdf', 'application/pdf', true]]);
  });

  it('with Postfix stopped the message waits in the Outbox (retrying); after Postfix is back, outbox resend delivers it once', async () => {
    await pf.stop();
    const sent = await cli('send', '--account', 'Alice', '--to', 'bob@example.org', '--subject', 'While offline', '--body', 'Sent while the server was down.', '--now');
    expect(sent.stderr).toBe('');
    expect(sent.code).toBe(0);
    const id = /^(\S+) waits in the Outbox: network: /.exec(sent.stdout)?.[1];
    expect(id, sent.stdout).toBeDefined();
    expect(sent.stdout).toMatch(/it will be tried again at .+ "popbox outbox" shows it\n$/);

    expect(await outbox()).toEqual([
      expect.objectContaining({ id, account: 'Alice', state: 'retrying', attempts: 1, nextAttemptAt: expect.any(Number), lastError: expect.objectContaining({ code: 'network' }), from: 'alice@example.org', to: ['bob@example.org'] }),
    ]);
    const table = await cli('outbox');
    expect(table.stdout).toMatch(new RegExp(`^${id}  Alice\\s+retrying\\s+1 attempt\\s+.+network: `, 'm'));
    // Nothing lost: its file is in Alice's Outbox.
    const waiting = await messages('--account', 'Alice', '--folder', 'Outbox');
    expect(waiting.map((m) => [m.id, m.subject])).toEqual([[id, 'While offline']]);
    const queuedBytes = await fs.readFile(waiting[0]!.path);

    // A new Postfix (new ports and certificate): the account follows it, and the user sends it now.
    pf = await servers.addPostfix();
    expect(await cli('account', 'set', 'Alice', ...smtpOptions(pf))).toMatchObject({ code: 0 });
    const resend = await cli('outbox', 'resend', id!);
    expect(resend.stderr).toBe('');
    expect(resend).toMatchObject({ code: 0, stdout: expect.stringMatching(new RegExp(`^sent ${id} \\(the server said: 250 `)) });
    expect(await outbox()).toEqual([]);
    const inSent = (await messages('--account', 'Alice', '--folder', 'Sent')).find((m) => m.id === id)!;
    expect((await fs.readFile(inSent.path)).equals(queuedBytes)).toBe(true);

    const messageId = inSent.messageId!;
    expect(await delivered('bob', messageId)).toBe(1);
    expect(await cli('sync', 'Bob')).toMatchObject({ code: 0 });
    expect((await messages('--account', 'Bob')).filter((m) => m.subject === 'While offline')).toHaveLength(1);
  });

  it('send --later queues for that time and ends at once; outbox send (no ID) sends everything waiting now; discard says what it did', async () => {
    const later = new Date(Date.now() + 3 * 3600_000);
    const pad = (n: number) => String(n).padStart(2, '0');
    const local = `${later.getFullYear()}-${pad(later.getMonth() + 1)}-${pad(later.getDate())}T${pad(later.getHours())}:${pad(later.getMinutes())}`;
    const queue = async (subject: string) => {
      const r = await cli('send', '--account', 'Alice', '--to', 'bob@example.org', '--subject', subject, '--body', 'For later.', '--later', local);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const id = /^(\S+) is in the Outbox and will be sent at /.exec(r.stdout)?.[1];
      expect(id, r.stdout).toBeDefined();
      return id!;
    };
    const first = await queue('Later one');
    const second = await queue('Later two');
    const third = await queue('Later three');
    const waiting = await outbox();
    expect(waiting.map((i) => [i.id, i.state])).toEqual([[first, 'waiting'], [second, 'waiting'], [third, 'waiting']]);
    // Due at the minute given, in local time.
    const due = new Date(later);
    due.setSeconds(0, 0);
    expect(waiting[0]!.nextAttemptAt).toBe(due.getTime());
    expect(await delivered('bob', 'Later one', 0)).toBe(0);

    const gone = await cli('outbox', 'discard', third);
    expect(gone).toMatchObject({ code: 0, stdout: `moved ${third} to Trash, unsent\n` });
    const now = await cli('outbox', 'send');
    expect(now.stderr).toBe('');
    expect(now.code).toBe(0);
    expect(now.stdout).toMatch(new RegExp(`^sent ${first} .*\nsent ${second} `, 's'));
    expect(await outbox()).toEqual([]);
    expect(await delivered('bob', 'Later one')).toBe(1);
    expect(await delivered('bob', 'Later two')).toBe(1);
    expect(await delivered('bob', 'Later three', 0)).toBe(0);
    expect(await cli('outbox', 'send')).toMatchObject({ code: 0, stdout: 'nothing waits in the Outbox\n' });

    // A time in the past or not a time: plain words, exit 2, nothing queued.
    for (const [when, words] of [['2001-01-01T08:00', /that time has passed/], ['tomorrow', /give a date and time like 2026-12-24T08:00/], ['2026-12-24', /give a date and time/]] as const) {
      const bad = await cli('send', '--account', 'Alice', '--to', 'bob@example.org', '--subject', 'x', '--body', 'x', '--later', when);
      expect(bad.code, when).toBe(2);
      expect(bad.stderr, when).toMatch(words);
    }
    expect(await outbox()).toEqual([]);
  });

  /** The bundled CLI in `cwd`, with `input` on its standard input. */
  async function cliWithInput(cwd: string, input: string, ...args: string[]) {
    const child = spawn(process.execPath, [await bundleCli(), '--data-dir', dataDir, ...args], { cwd, env: { ...process.env, POPBOX_DATA_DIR: '' }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (t: string) => (stdout += t));
    child.stderr.setEncoding('utf8').on('data', (t: string) => (stderr += t));
    child.stdin.end(input);
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    return { code, stdout, stderr };
  }

  it('while Popbox runs, send runs inside it and the app sends it: the body from standard input, an --attach path relative to the terminal', async () => {
    const service = await MailService.open({ dataDir, secrets: new MemorySecretStore() });
    const control = await serveCli(service);
    expect(control).not.toBeNull();
    const alice = service.accounts.get('Alice').id;
    const events: string[] = [];
    service.on('outboxChanged', (e) => events.push(e.accountId));
    const here = await fs.mkdtemp(path.join(dataDir, 'cwd-'));
    await fs.writeFile(path.join(here, 'notes.txt'), 'attached notes\n');
    let messageId: string;
    try {
      const r = await cliWithInput(here, 'Typed on standard input.\nSecond line.\n', 'send', '--account', 'Alice', '--to', 'bob@example.org', '--subject', 'From the running app', '--attach', 'notes.txt', '--now');
      expect(r.stderr).toBe('');
      expect(r).toMatchObject({ code: 0, stdout: expect.stringMatching(/^sent \S+ \(the server said: 250 /) });
      // The app's own outbox did it: its events went to its windows, its Sent has the message.
      expect(events.length).toBeGreaterThan(0);
      expect(new Set(events)).toEqual(new Set([alice]));
      const inSent = service.messages({ accountId: alice }).filter((m) => m.folder === 'Sent' && m.summary.subject === 'From the running app');
      expect(inSent).toHaveLength(1);
      messageId = inSent[0]!.summary.messageId!;
      expect(await service.outboxStatus()).toEqual([]);
    } finally {
      await control?.close();
      await service.close();
    }
    expect(await delivered('bob', messageId)).toBe(1);
    expect(await cli('sync', 'Bob')).toMatchObject({ code: 0 });
    const [got, ...more] = (await messages('--account', 'Bob')).filter((m) => m.messageId === messageId);
    expect(more).toEqual([]);
    const parsed = await simpleParser(await fs.readFile(got!.path));
    expect(parsed.text).toBe('Typed on standard input.\nSecond line.'); // format=flowed: the last line end is dropped
    expect(parsed.attachments.map((a) => [a.filename, a.content.toString()])).toEqual([['notes.txt', 'attached notes\n']]);
  });

  it('refuses what cannot be sent in plain words, exit code 2, and queues nothing', async () => {
    for (const [args, message] of [
      [['send', '--account', 'Alice', '--to', 'not-an-address', '--subject', 's', '--body', 'b'], /To: "not-an-address" is not an email address/],
      [['send', '--account', 'Bob', '--to', 'bob@example.org', '--subject', 's', '--body', 'b'], /account "Bob" has no outgoing server/],
      [['send', '--account', 'Alice', '--to', 'bob@example.org', '--subject', 's', '--body', 'b', '--identity', 'ceo@bank.example'], /account "Alice" has no identity ceo@bank\.example/],
      [['send', '--account', 'Alice', '--subject', 's', '--body', 'b'], /send needs at least one --to/],
      [['send', '--account', 'Alice', '--to', 'bob@example.org', '--subject', 's', '--body', 'b', '--attach', path.join(dataDir, 'missing.pdf')], /--attach .*missing\.pdf: no such file/],
      [['outbox', 'discard', 'no-such-id'], /not in the Outbox/],
    ] as const) {
      const r = await cli(...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
    }
    expect(await outbox()).toEqual([]);
  });
});
