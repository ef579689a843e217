/**
 * Sending through a second real MTA (issue 15 §4): Debian's Exim 4.96 on loopback (unpacked by
 * test/interop/fetch-exim.sh, started by test/support/exim.ts), delivering by LMTP into a private
 * Dovecot. Popbox's sender — sendRaw over STARTTLS and implicit TLS, and the Outbox behind
 * MailService.send — hands it a message with a non-ASCII subject and a binary attachment, and
 * what arrives in Bob's mailbox is the message as sent, byte for byte below Exim's and Dovecot's
 * trace headers; Bob's own POP3 sync reads back the subject and the attachment.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import MailComposer from 'nodemailer/lib/mail-composer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MailService } from '../../electron/core/mail-service.js';
import type { OutboxEvent } from '../../electron/core/outbox/index.js';
import { MemorySecretStore } from '../../electron/core/secrets/index.js';
import { sendRaw, type SmtpSettings } from '../../electron/core/smtp/index.js';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { EXIM_DOVECOT_CONFIG, eximUnavailable, startExim, type EximServer } from '../support/exim.js';
import { sleep } from '../support/servers.js';

const unavailable = eximUnavailable();
if (unavailable && process.env.CI) throw new Error(`Exim is required in CI: ${unavailable}`);
if (unavailable) console.warn(`Skipping the Exim sending suite: ${unavailable}`);
const suite = unavailable ? describe.skip : describe;

const USERS = [
  { name: 'alice', password: 'alice-pw' },
  { name: 'bob', password: 'bob-pw' },
];
const SUBJECT = 'Grüße aus Köln — 日本語の件名 ✉';
const lf = (b: Buffer) => Buffer.from(b.toString('latin1').replace(/\r\n/g, '\n'), 'latin1');

suite('sending through Exim (the second MTA), delivered by LMTP into Dovecot', () => {
  let dc: DovecotServer;
  let ex: EximServer;
  let dataDir: string;
  let service: MailService;

  beforeAll(async () => {
    dc = await startDovecot({ lmtp: true, users: USERS, extraConfig: EXIM_DOVECOT_CONFIG });
    ex = await startExim({ dovecot: dc, users: USERS });
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'popbox-smtp-exim-'));
    service = await MailService.open({ dataDir, secrets: new MemorySecretStore() });
  });
  afterAll(async () => {
    await service?.close();
    await ex?.stop();
    await dc?.stop();
    if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
  });

  /** Bob's delivered copies (bytes as Dovecot stored them: LF line ends) that contain `needle`. */
  async function deliveredTo(user: string, needle: string, n = 1): Promise<Buffer[]> {
    const find = async () => (await dc.mailbox(user)).filter((m) => m.bytes.includes(needle)).map((m) => m.bytes);
    const deadline = Date.now() + 20_000;
    while ((await find()).length < n && Date.now() < deadline) await sleep(100);
    await sleep(300); // and no second copy follows
    return find();
  }

  const settings = (port: number, security: 'tls' | 'starttls', method?: 'PLAIN' | 'LOGIN'): SmtpSettings => ({
    host: '127.0.0.1',
    port,
    security,
    auth: { user: 'alice', password: 'alice-pw', ...(method ? { method } : {}) },
    tls: { ca: ex.caPem, servername: 'localhost' },
    timeouts: { connectMs: 5000, greetingMs: 5000, idleMs: 10_000 },
  });

  for (const [label, security, method] of [
    ['STARTTLS, AUTH LOGIN', 'starttls', 'LOGIN'],
    ['implicit TLS, AUTH PLAIN', 'tls', 'PLAIN'],
  ] as const) {
    it(`sendRaw over ${label}: Exim takes it and Bob's Maildir holds the message as sent, attachment included`, async () => {
      const attachment = randomBytes(200_000);
      const tag = `exim-raw-${security}`;
      const raw = await new MailComposer({
        from: 'Alice Exämple <alice@example.org>',
        to: 'bob@example.org',
        subject: SUBJECT,
        messageId: `<${tag}@popbox.test>`,
        text: 'Hallo Bob,\nanbei die Datei.\n.\nA line with only a dot above.\n',
        attachments: [{ filename: 'Übersicht.bin', content: attachment, contentType: 'application/octet-stream' }],
      })
        .compile()
        .build();
      const port = security === 'tls' ? ex.submissionsPort : ex.submissionPort;
      const r = await sendRaw(settings(port, security, method), { from: 'alice@example.org', to: ['bob@example.org'], raw });
      expect(r.accepted).toEqual(['bob@example.org']);
      expect(r.response).toMatch(/^250 /);
      expect(r.serverId).toMatch(/^[A-Za-z0-9-]+$/);

      const got = await deliveredTo('bob', `<${tag}@popbox.test>`);
      expect(got).toHaveLength(1);
      const stored = got[0]!;
      // Exim and Dovecot only add trace headers above the message (Dovecot stores LF line ends).
      const sent = lf(raw);
      expect(stored.subarray(stored.length - sent.length).equals(sent)).toBe(true);
      expect(stored.toString('latin1')).toMatch(/^Received: from \[127\.0\.0\.1\][\s\S]*\(Exim 4\./m);
      const parsed = await simpleParser(stored);
      expect(parsed.subject).toBe(SUBJECT);
      expect(parsed.attachments.map((a) => [a.filename, a.content.equals(attachment)])).toEqual([['Übersicht.bin', true]]);
    });
  }

  it('MailService.send through the Outbox: sent once, Sent holds the bytes Exim got, Bob syncs it back with subject and attachment', async () => {
    const pop = (user: string) => ({
      name: user === 'alice' ? 'Alice' : 'Bob',
      email: `${user}@example.org`,
      host: '127.0.0.1',
      port: dc.tlsPort,
      security: 'tls' as const,
      user,
      tlsFingerprint: dc.fingerprint256,
      password: { source: 'keychain' as const },
    });
    const alice = await service.addAccount(
      { ...pop('alice'), smtp: { host: '127.0.0.1', port: ex.submissionPort, security: 'starttls', user: 'alice', tlsFingerprint: ex.fingerprint256, password: { source: 'incoming' } } },
      'alice-pw',
    );
    const bob = await service.addAccount(pop('bob'), 'bob-pw');

    const events: OutboxEvent[] = [];
    const off = service.onOutbox((e) => events.push(e));
    const pdf = Buffer.concat([Buffer.from('%PDF-1.4\n'), randomBytes(300_000)]);
    const text = 'Hallo Bob,\r\nhier ist der Bericht über Köln.\r\n\r\nAlice\r\n';
    const { id, messageId } = await service.send({
      accountId: alice.id,
      to: ['Bob <bob@example.org>'],
      subject: SUBJECT,
      text,
      attachments: [{ filename: 'Bericht Köln.pdf', contentType: 'application/pdf', content: pdf.toString('base64') }],
      now: true,
    });
    const deadline = Date.now() + 30_000;
    while (!events.some((e) => e.kind === 'sent' && e.id === id) && Date.now() < deadline) {
      const failed = events.find((e) => e.kind === 'changed' && e.item.id === id && (e.item.state === 'failed' || e.item.state === 'maybe-sent'));
      if (failed) throw new Error(`the outbox did not send it: ${JSON.stringify(failed)}`);
      await sleep(50);
    }
    off();
    const sentEvent = events.find((e) => e.kind === 'sent' && e.id === id);
    expect(sentEvent).toMatchObject({ kind: 'sent', response: expect.stringMatching(/^250 OK id=/) });
    expect(await service.outboxStatus(alice.id)).toEqual([]);

    // Alice's Sent copy is what went to Exim.
    const inSent = service.messages({ accountId: alice.id }).filter((m) => m.summary.messageId === messageId);
    expect(inSent.map((m) => m.folder)).toEqual(['Sent']);
    const sentBytes = await fs.readFile(inSent[0]!.path);

    // Delivered once; below the trace headers, the very bytes of Sent.
    const got = await deliveredTo('bob', messageId);
    expect(got).toHaveLength(1);
    const sentLf = lf(sentBytes);
    expect(got[0]!.subarray(got[0]!.length - sentLf.length).equals(sentLf)).toBe(true);

    // Bob's POP3 sync brings it back: CRLF again, the sent bytes at its end, subject and attachment intact.
    const [outcome] = await service.sync([bob.id]);
    expect(outcome).toMatchObject({ ok: true });
    const mine = service.messages({ accountId: bob.id }).filter((m) => m.summary.messageId === messageId);
    expect(mine).toHaveLength(1);
    const received = await fs.readFile(mine[0]!.path);
    expect(received.subarray(received.length - sentBytes.length).equals(sentBytes)).toBe(true);
    const parsed = await simpleParser(received);
    expect(parsed.subject).toBe(SUBJECT);
    expect(parsed.text).toContain('hier ist der Bericht über Köln.');
    expect(parsed.attachments.map((a) => [a.filename, a.contentType, a.content.equals(pdf)])).toEqual([['Bericht Köln.pdf', 'application/pdf', true]]);
  });
});
