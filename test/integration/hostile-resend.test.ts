/**
 * "May have been sent" is the user's call, never the page's (DESIGN §3 invariants 8 and 9): the
 * renderer is untrusted, so resendMessage of a message that may already be with its recipients
 * asks a native question in main (HostServices.confirm) before anything goes out. No answer, or
 * "Cancel", sends nothing and says `cancelled` (a code the UI can ignore); the web host, which has
 * no native dialog, refuses by default and names the terminal command; the CLI does not ask.
 * A mini SMTP server on loopback records every message it takes.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Result } from '../../shared/contract.js';
import { createDispatcher, mailServiceHandlers, type ConfirmQuestion } from '../../electron/core/contract-handler.js';
import { MailService } from '../../electron/core/mail-service.js';
import { MemorySecretStore } from '../../electron/core/secrets/index.js';
import { AccountMailbox } from '../../electron/core/store/mailbox.js';
import { webHostServices } from '../../electron/webhost/server.js';
import { FAULT_FINGERPRINT, startFaultServer, type FaultServer } from '../support/fault-server.js';
import { miniSmtp } from '../support/mini-smtp.js';

const SECRET = 'pop secret';
const SMTP_SECRET = 'smtp secret';

describe('sending again what may have been sent: only after a native confirmation', () => {
  let smtp: FaultServer;
  const mail: { from: string; to: string[]; lines: string[] }[] = [];
  const logins: [string, string][] = [];
  let dataDir: string;
  let service: MailService;
  const secrets = new MemorySecretStore();
  const asked: ConfirmQuestion[] = [];
  let answer: boolean | 'throw' | Promise<boolean> = false;
  let dispatch: ReturnType<typeof createDispatcher>;
  let accountId: string;

  const call = (method: string, input: unknown): Promise<Result<unknown>> => dispatch(method, input);
  const status = async () => (await call('outboxStatus', { accountId })) as { ok: true; value: { id: string; state: string }[] };

  async function open(): Promise<void> {
    service = await MailService.open({ dataDir, secrets });
    dispatch = createDispatcher(
      mailServiceHandlers(service, {
        chooseSaveDestination: async () => null,
        confirm: async (q) => {
          asked.push(q);
          if (answer === 'throw') throw new Error('the window is gone');
          return answer;
        },
        // Answered at once, then again: the pause after Cancel (test/unit/native-questions.test.ts) is off here.
        pauseAfterCancelMs: 0,
      }),
    );
  }

  /** A message queued for an hour from now, then a crash right after its final dot went out: "may have been sent" on reopening. */
  async function maybeSentMessage(subject: string): Promise<string> {
    const r = (await call('send', { accountId, to: ['bob@example.org'], subject, text: 'hello', sendAt: Date.now() + 3600_000 })) as { ok: true; value: { id: string } };
    expect(r).toMatchObject({ ok: true });
    const id = r.value.id;
    await service.close();
    const at = Date.now();
    await fs.appendFile(path.join(AccountMailbox.dirFor(dataDir, accountId), 'outbox.jsonl'), `${JSON.stringify({ t: 'attempt', id, n: 1, at })}\n${JSON.stringify({ t: 'dot', id, n: 1, at })}\n`);
    await open();
    const deadline = Date.now() + 5000;
    while ((await status()).value.find((i) => i.id === id)?.state !== 'maybe-sent' && Date.now() < deadline) await new Promise((res) => setTimeout(res, 20));
    expect((await status()).value.find((i) => i.id === id)).toMatchObject({ state: 'maybe-sent' });
    return id;
  }

  beforeAll(async () => {
    smtp = await startFaultServer((conn) => miniSmtp(conn, { password: SMTP_SECRET, logins, mail }), { tls: true });
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'popbox-hostile-resend-'));
    await open();
    const r = (await call('addAccount', {
      account: {
        name: 'Alice',
        email: 'alice@example.org',
        host: '127.0.0.1',
        port: 1,
        security: 'tls',
        user: 'alice',
        password: { source: 'keychain' },
        smtp: { host: '127.0.0.1', port: smtp.port, security: 'tls', user: 'alice', tlsFingerprint: FAULT_FINGERPRINT },
      },
      password: SECRET,
      smtpPassword: SMTP_SECRET,
    })) as { ok: true; value: { id: string } };
    expect(r).toMatchObject({ ok: true });
    accountId = r.value.id;
  });
  afterAll(async () => {
    await service?.close();
    await smtp?.close();
    if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
  });
  beforeEach(() => {
    asked.length = 0;
    mail.length = 0;
    vi.restoreAllMocks();
  });

  it('"Cancel" (or no answer) sends nothing and says cancelled; "Send again" sends it once', async () => {
    const id = await maybeSentMessage('Maybe sent');
    answer = false;
    expect(await call('resendMessage', { id })).toMatchObject({ ok: false, error: { code: 'cancelled' } });
    expect(asked).toHaveLength(1);
    expect(asked[0]).toMatchObject({ title: expect.any(String), confirmLabel: 'Send again', cancelLabel: 'Cancel', command: `popbox outbox resend ${id}` });
    expect(asked[0]!.message).toMatch(/may already have been sent/i);
    expect(asked[0]!.detail).toMatch(/bob@example\.org/);
    answer = 'throw';
    expect(await call('resendMessage', { id })).toMatchObject({ ok: false });
    await new Promise((res) => setTimeout(res, 300));
    expect(mail).toEqual([]);
    expect((await status()).value.find((i) => i.id === id)).toMatchObject({ state: 'maybe-sent' });

    answer = true;
    expect(await call('resendMessage', { id })).toEqual({ ok: true, value: null });
    const deadline = Date.now() + 10_000;
    while ((await status()).value.some((i) => i.id === id) && Date.now() < deadline) await new Promise((res) => setTimeout(res, 25));
    expect((await status()).value.find((i) => i.id === id)).toBeUndefined();
    expect(mail.map((m) => m.to)).toEqual([['bob@example.org']]);
    expect(mail[0]!.lines.some((l) => l === 'Subject: Maybe sent')).toBe(true);
  });

  it('a message that cannot have reached anyone is sent now without a question', async () => {
    const r = (await call('send', { accountId, to: ['bob@example.org'], subject: 'Later', text: 'hi', sendAt: Date.now() + 3600_000 })) as { ok: true; value: { id: string } };
    expect(await call('resendMessage', { id: r.value.id })).toEqual({ ok: true, value: null });
    const deadline = Date.now() + 10_000;
    while (mail.length === 0 && Date.now() < deadline) await new Promise((res) => setTimeout(res, 25));
    expect(asked).toEqual([]);
    expect(mail).toHaveLength(1);
  });

  it('the web host refuses by default, naming the command to run in a terminal; an option answers for tests', async () => {
    const id = await maybeSentMessage('Maybe sent, web');
    const web = createDispatcher(mailServiceHandlers(service, webHostServices({ downloadsDir: path.join(dataDir, 'dl') })));
    const refused = await web('resendMessage', { id });
    expect(refused).toMatchObject({ ok: false, error: { code: 'unsupported', message: expect.stringContaining(`popbox outbox resend ${id}`) } });
    await new Promise((res) => setTimeout(res, 300));
    expect(mail).toEqual([]);
    const yes = createDispatcher(mailServiceHandlers(service, webHostServices({ downloadsDir: path.join(dataDir, 'dl'), confirm: async () => true })));
    expect(await yes('resendMessage', { id })).toEqual({ ok: true, value: null });
    const deadline = Date.now() + 10_000;
    while (mail.length === 0 && Date.now() < deadline) await new Promise((res) => setTimeout(res, 25));
    expect(mail).toHaveLength(1);
  });

  it('a status read before the last attempt ended (stale, "waiting"): the outbox itself still refuses without the question', async () => {
    const id = await maybeSentMessage('Maybe sent, stale status');
    // What a read made before the attempt's outcome was recorded says: nothing to ask about.
    vi.spyOn(service, 'outboxStatus').mockResolvedValue([]);
    answer = false;
    expect(await call('resendMessage', { id })).toMatchObject({ ok: false, error: { code: 'cancelled' } });
    expect(asked).toHaveLength(1);
    await new Promise((res) => setTimeout(res, 300));
    expect(mail).toEqual([]);
    vi.restoreAllMocks();
    expect((await status()).value.find((i) => i.id === id)).toMatchObject({ state: 'maybe-sent' });
    await service.markSent(id);
  });

  it('Send again clicked three times while the question is open: one dialog, one answer for all, sent once', async () => {
    const id = await maybeSentMessage('Maybe sent, many clicks');
    let say!: (yes: boolean) => void;
    answer = new Promise<boolean>((res) => (say = res));
    const calls = [call('resendMessage', { id }), call('resendMessage', { id }), call('resendMessage', { id })];
    await new Promise((res) => setTimeout(res, 200));
    expect(asked).toHaveLength(1);
    say(true);
    expect(await Promise.all(calls)).toEqual([0, 1, 2].map(() => ({ ok: true, value: null })));
    const deadline = Date.now() + 10_000;
    while ((await status()).value.some((i) => i.id === id) && Date.now() < deadline) await new Promise((res) => setTimeout(res, 25));
    await new Promise((res) => setTimeout(res, 300));
    expect(mail).toHaveLength(1);
    expect(asked).toHaveLength(1);
  });

  it('the CLI (trusted, a person at a terminal) sends again without a question; the core alone never does unconfirmed', async () => {
    const id = await maybeSentMessage('Maybe sent, CLI');
    await expect(service.resendMessage(id)).rejects.toMatchObject({ code: 'invalid', message: expect.stringMatching(/may already have been sent/) });
    await service.resendMessage(id, { confirmed: true });
    const deadline = Date.now() + 10_000;
    while (mail.length === 0 && Date.now() < deadline) await new Promise((res) => setTimeout(res, 25));
    expect(asked).toEqual([]);
    expect(mail).toHaveLength(1);
  });
});
