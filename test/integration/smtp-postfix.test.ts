/**
 * Sending through a real Postfix on loopback (test/support/postfix.ts) in front of a real
 * Dovecot: what Popbox's SMTP layer sends is delivered by LMTP into the recipient's Maildir
 * and read back by POP3 with Popbox's own Pop3Client, byte for byte. Each refusal a user can
 * meet comes back as the code the outbox will act on, with the server's words and whether the
 * final dot had gone out (DESIGN §3, invariant 9).
 */
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { simpleParser } from 'mailparser';
import MailComposer from 'nodemailer/lib/mail-composer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Pop3Client } from '../../electron/core/pop3/index.js';
import { probe, sendRaw, SmtpError, type SmtpSettings } from '../../electron/core/smtp/index.js';
import type { DovecotServer } from '../support/dovecot.js';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.js';
import { toCrlf } from '../support/mailgen.js';
import type { PostfixServer } from '../support/postfix.js';
import { sendSuite, startSendServers, type SendServers } from '../support/send-servers.js';
import { sleep, until } from '../support/servers.js';
import { readAll } from '../support/streams.js';

const suite = sendSuite('the Postfix suite');

const SMALL_LIMIT = 200 * 1024;
const USERS = [
  { name: 'alice', password: 'alice-pw' },
  { name: 'bob', password: 'bob-pw' },
  { name: 'carol', password: 'carol-pw' },
];
const SUBJECT = 'Grüße aus Köln — ça va? ✓ 日本語の件名';

/** A message as compose will make it: MailComposer, a non-ASCII subject (RFC 2047), an attachment. */
async function composeMessage(tag: string, attachment: Buffer): Promise<Buffer> {
  return new MailComposer({
    from: { name: 'Älice Ünger', address: 'alice@example.org' },
    to: 'bob@example.org',
    subject: SUBJECT,
    messageId: `<${tag}@popbox.test>`,
    date: new Date('2026-12-05T10:00:00Z'),
    text: `Hallo Bob,\n\nanbei die Datei (${tag}).\n.\n..leading dots survive\nÄÖÜ äöü ß\n`,
    attachments: [{ filename: 'Prüfbericht 2026.bin', content: attachment, contentType: 'application/octet-stream' }],
  })
    .compile()
    .build();
}

/** The bytes SMTP carries: every line end CRLF, and a last line without one gains it before the dot. */
function onTheWire(message: Buffer): Buffer {
  const crlf = toCrlf(message);
  return crlf.subarray(-2).toString() === '\r\n' ? crlf : Buffer.concat([crlf, Buffer.from('\r\n')]);
}

/** What POP3 serves is the original after the headers Postfix and Dovecot put on top (Return-Path, Delivered-To, Received). */
function originalWithin(served: Buffer, original: Buffer): Buffer {
  const firstLine = original.subarray(0, original.indexOf('\r\n') + 2);
  const at = served.indexOf(firstLine);
  expect(at, 'the original first header line is in what POP3 served').toBeGreaterThan(0);
  return served.subarray(at);
}

suite('SMTP through Postfix, back by POP3 from Dovecot', () => {
  let servers: SendServers;
  let dc: DovecotServer;
  /** message_size_limit 30 MB (room for the 20 MB fault test). */
  let pf: PostfixServer;
  /** message_size_limit 200 KB, for the size refusals. */
  let small: PostfixServer;

  beforeAll(async () => {
    servers = await startSendServers({ users: USERS, postfix: { messageSizeLimit: 30 * 1024 * 1024 }, extraPostfix: [{ messageSizeLimit: SMALL_LIMIT }] });
    ({ dovecot: dc, postfix: pf, extra: [small] } = servers as SendServers & { extra: [PostfixServer] });
  });

  afterAll(async () => {
    await servers?.stop();
  });

  const settings = (server: PostfixServer, extra: Partial<SmtpSettings> = {}): SmtpSettings => ({
    host: '127.0.0.1',
    port: server.submissionsPort,
    security: 'tls',
    auth: { user: 'alice', password: 'alice-pw' },
    tls: { ca: server.caPem, servername: 'localhost' },
    timeouts: { connectMs: 5000, greetingMs: 5000, idleMs: 10_000 },
    ...extra,
  });

  /** Waits until `user`'s Maildir holds `count` messages, then downloads them all by POP3 (Popbox's client). */
  async function fetchByPop3(user: string, count: number): Promise<Buffer[]> {
    const deadline = Date.now() + 15_000;
    while ((await dc.mailbox(user)).length < count && Date.now() < deadline) await sleep(50);
    const pop = await Pop3Client.connect({
      host: '127.0.0.1',
      port: dc.tlsPort,
      security: 'tls',
      tls: { ca: dc.caPem, servername: 'localhost' },
      timeouts: { connectMs: 5000, greetingMs: 5000, idleMs: 10_000 },
    });
    try {
      await pop.login({ user, password: USERS.find((u) => u.name === user)!.password });
      const out: Buffer[] = [];
      for (const { id } of await pop.list()) out.push(await readAll(await pop.retr(id)));
      return out;
    } finally {
      await pop.quit();
    }
  }

  /** Nothing new for `user` a moment after a refusal (Postfix delivers within milliseconds here). */
  async function expectNothingDelivered(user: string): Promise<void> {
    await sleep(500);
    expect(await dc.mailbox(user)).toHaveLength(0);
  }

  async function expectSmtpError(p: Promise<unknown>): Promise<SmtpError> {
    const e = await p.then(
      () => {
        throw new Error('expected a refusal, the message was sent');
      },
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(SmtpError);
    return e as SmtpError;
  }

  describe('a message sent comes back by POP3, byte for byte', () => {
    for (const mode of ['tls', 'starttls'] as const) {
      it(`${mode === 'tls' ? 'implicit TLS (465)' : 'STARTTLS (587)'}: non-ASCII subject, an attachment`, async () => {
        await dc.clear('bob');
        const attachment = randomBytes(48 * 1024);
        const original = await composeMessage(`sent-${mode}`, attachment);
        expect(original.toString('latin1')).toMatch(/^Subject: =\?UTF-8\?[BQ]\?/m); // RFC 2047 on the wire

        const r = await sendRaw(settings(pf, mode === 'tls' ? {} : { port: pf.submissionPort, security: 'starttls' }), {
          from: 'alice@example.org',
          to: ['bob@example.org'],
          raw: original,
        });
        expect(r.accepted).toEqual(['bob@example.org']);
        expect(r.rejected).toEqual([]);
        expect(r.response).toMatch(/^250 /);
        expect(r.messageId).toBe(`<sent-${mode}@popbox.test>`);
        expect(r.serverId).toMatch(/^[0-9A-Za-z]+$/);
        expect(r.response).toContain(r.serverId);

        const [served] = await fetchByPop3('bob', 1);
        expect(served).toBeDefined();
        // Postfix and Dovecot add headers on top; from the original's first line on it is the
        // bytes that went on the wire (every line end CRLF: MailComposer leaves the text part's LFs bare).
        const tail = originalWithin(served!, original);
        expect(tail.equals(onTheWire(original))).toBe(true);
        expect(served!.toString('latin1')).toMatch(/^Received: from \[127\.0\.0\.1\]/m);

        const parsed = await simpleParser(served!);
        expect(parsed.subject).toBe(SUBJECT);
        expect(parsed.from?.value[0]).toEqual({ name: 'Älice Ünger', address: 'alice@example.org' });
        expect(parsed.text).toContain('..leading dots survive');
        expect(parsed.attachments).toHaveLength(1);
        expect(parsed.attachments[0]!.filename).toBe('Prüfbericht 2026.bin');
        expect(parsed.attachments[0]!.content.equals(attachment)).toBe(true);
      });
    }

    it('a stream of the message (as from a file in the Outbox), to two recipients', async () => {
      await dc.clear('bob');
      await dc.clear('carol');
      const original = await composeMessage('streamed', randomBytes(100 * 1024));
      const r = await sendRaw(settings(pf), {
        from: 'alice@example.org',
        to: ['bob@example.org', 'carol@example.org'],
        raw: Readable.from([original.subarray(0, 1000), original.subarray(1000)]),
        size: original.length,
      });
      expect(r.accepted.sort()).toEqual(['bob@example.org', 'carol@example.org']);
      expect(r.messageId).toBe('<streamed@popbox.test>');
      for (const user of ['bob', 'carol']) {
        const [served] = await fetchByPop3(user, 1);
        expect(originalWithin(served!, original).equals(onTheWire(original))).toBe(true);
      }
    });
  });

  describe('what the server offers', () => {
    it('probe on 587 after STARTTLS: SIZE, 8BITMIME, SMTPUTF8, AUTH mechanisms, the certificate', async () => {
      const p = await probe(settings(small, { port: small.submissionPort, security: 'starttls' }));
      expect(p.secure).toBe(true);
      expect(p.startTls).toBe(true);
      expect(p.fingerprint256).toBe(small.fingerprint256);
      expect(p.sizeLimit).toBe(SMALL_LIMIT);
      expect(p.eightBitMime).toBe(true);
      expect(p.smtpUtf8).toBe(true);
      expect(p.pipelining).toBe(true);
      expect(p.authMechanisms).toEqual(expect.arrayContaining(['PLAIN', 'LOGIN']));
      expect(p.authenticated).toBe(true);
    });

    it('probe on 465 without credentials does not log in; the clear port offers neither TLS nor STARTTLS', async () => {
      const tlsProbe = await probe(settings(pf, { auth: undefined }));
      expect(tlsProbe.secure).toBe(true);
      expect(tlsProbe.authenticated).toBe(false);
      expect(tlsProbe.sizeLimit).toBe(30 * 1024 * 1024);
      const clear = await probe(settings(pf, { port: pf.clearPort, security: 'plain', auth: undefined }));
      expect(clear.secure).toBe(false);
      expect(clear.startTls).toBe(false);
      expect(clear.authMechanisms).toEqual(expect.arrayContaining(['PLAIN']));
    });

    it('each password mechanism Dovecot offers through Postfix logs in', async () => {
      for (const method of ['PLAIN', 'LOGIN', 'CRAM-MD5'] as const) {
        const p = await probe(settings(pf, { auth: { user: 'carol', password: 'carol-pw', method } }));
        expect(p.authenticated, method).toBe(true);
      }
    });

    it('on 587 in plain, before STARTTLS: STARTTLS offered, no AUTH', async () => {
      const p = await probe(settings(pf, { port: pf.submissionPort, security: 'plain', auth: undefined }));
      expect(p.secure).toBe(false);
      expect(p.startTls).toBe(true);
      expect(p.authMechanisms).toEqual([]);
    });
  });

  describe('refusals, in our codes, with the server\'s words and before or after the final dot', () => {
    it('a wrong password: auth, before anything about the message', async () => {
      await dc.clear('bob');
      const e = await expectSmtpError(
        sendRaw(settings(pf, { auth: { user: 'alice', password: 'wrong' } }), { from: 'alice@example.org', to: ['bob@example.org'], raw: await composeMessage('bad-pw', Buffer.alloc(10)) }),
      );
      expect(e.code).toBe('auth');
      expect(e.stage).toBe('auth');
      expect(e.responseCode).toBe(535);
      expect(e.serverText).toMatch(/authentication failed/i);
      expect(e.afterFinalDot).toBe(false);
      expect(e.maybeSent).toBe(false);
      await expectNothingDelivered('bob');
    });

    for (const mode of ['tls', 'starttls'] as const) {
      it(`${mode}: a pinned fingerprint that is not the server's: certificate, with both fingerprints, and no password sent`, async () => {
        const wrongPin = 'AA:'.repeat(31) + 'AA';
        const log = pf.logSince();
        const e = await expectSmtpError(
          probe(settings(pf, { ...(mode === 'tls' ? {} : { port: pf.submissionPort, security: 'starttls' }), tls: { pinnedFingerprint256: wrongPin } })),
        );
        expect(e.code).toBe('certificate');
        expect(e.fingerprint256).toBe(pf.fingerprint256);
        expect(e.expectedFingerprint256).toBe(wrongPin);
        expect(e.stage).toBe('connect');
        await sleep(200);
        expect(log()).not.toMatch(/sasl_username|auth=/);
      });
    }

    it('the right pin replaces the CA chain; no pin and no trusted CA: certificate with the fingerprint to compare', async () => {
      const pinned = await probe(settings(pf, { port: pf.submissionPort, security: 'starttls', tls: { pinnedFingerprint256: pf.fingerprint256.toLowerCase() } }));
      expect(pinned.authenticated).toBe(true);
      const e = await expectSmtpError(probe(settings(pf, { tls: {} })));
      expect(e.code).toBe('certificate');
      expect(e.fingerprint256).toBe(pf.fingerprint256);
      expect(e.serverText).toMatch(/self.signed/i);
    });

    it('plain on the STARTTLS port: no password in the clear unless allowed, and then the server offers no AUTH', async () => {
      const refused = await expectSmtpError(probe(settings(pf, { port: pf.submissionPort, security: 'plain' })));
      expect(refused.code).toBe('insecure');
      const allowed = await expectSmtpError(probe(settings(pf, { port: pf.submissionPort, security: 'plain', allowInsecureAuth: true })));
      expect(allowed.code).toBe('unsupported');
      expect(allowed.message).toMatch(/STARTTLS/);
      // Where the server does take AUTH in the clear, allowing it works.
      const clear = await probe(settings(pf, { port: pf.clearPort, security: 'plain', allowInsecureAuth: true }));
      expect(clear.authenticated).toBe(true);
    });

    it('an unknown user at the domain: rejected at RCPT TO with the server\'s text, before the final dot', async () => {
      const e = await expectSmtpError(
        sendRaw(settings(pf), { from: 'alice@example.org', to: ['nobody@example.org'], raw: await composeMessage('unknown-user', Buffer.alloc(10)) }),
      );
      expect(e.code).toBe('rejected');
      expect(e.stage).toBe('envelope');
      expect(e.command).toBe('RCPT TO');
      expect(e.responseCode).toBe(550);
      expect(e.enhancedCode).toBe('5.1.1');
      expect(e.serverText).toMatch(/User unknown/i);
      expect(e.recipients).toEqual([expect.objectContaining({ address: 'nobody@example.org', code: 'rejected', responseCode: 550 })]);
      expect(e.afterFinalDot).toBe(false);
      expect(e.maybeSent).toBe(false);
    });

    it('another domain: relay access denied; mixed with a good recipient the message goes to the good one only', async () => {
      const e = await expectSmtpError(
        sendRaw(settings(pf), { from: 'alice@example.org', to: ['someone@elsewhere.test'], raw: await composeMessage('relay', Buffer.alloc(10)) }),
      );
      expect(e.code).toBe('rejected');
      expect(e.responseCode).toBe(554);
      expect(e.serverText).toMatch(/Relay access denied/i);

      await dc.clear('carol');
      const r = await sendRaw(settings(pf), {
        from: 'alice@example.org',
        to: ['nobody@example.org', 'carol@example.org'],
        raw: await composeMessage('mixed', Buffer.alloc(10)),
      });
      expect(r.accepted).toEqual(['carol@example.org']);
      expect(r.rejected).toEqual([expect.objectContaining({ address: 'nobody@example.org', code: 'rejected', responseCode: 550 })]);
      expect(r.rejected[0]!.serverText).toMatch(/User unknown/i);
      expect(await fetchByPop3('carol', 1)).toHaveLength(1);
    });

    it('too big, size known: refused before anything is sent (SIZE)', async () => {
      await dc.clear('bob');
      const big = await composeMessage('too-big', randomBytes(300 * 1024));
      const e = await expectSmtpError(sendRaw(settings(small), { from: 'alice@example.org', to: ['bob@example.org'], raw: big }));
      expect(e.code).toBe('size');
      expect(e.afterFinalDot).toBe(false);
      expect(e.maybeSent).toBe(false);
      await expectNothingDelivered('bob');
    });

    it('too big, size unknown: the server refuses it at the final dot — size, after the dot, but not "may have been sent"', async () => {
      await dc.clear('bob');
      const big = await composeMessage('too-big-stream', randomBytes(300 * 1024));
      const e = await expectSmtpError(
        sendRaw(settings(small, { port: small.submissionPort, security: 'starttls' }), { from: 'alice@example.org', to: ['bob@example.org'], raw: Readable.from([big]) }),
      );
      expect(e.code).toBe('size');
      expect(e.responseCode).toBe(552);
      expect(e.serverText).toMatch(/too big/i);
      expect(e.afterFinalDot).toBe(true);
      expect(e.maybeSent).toBe(false);
      await expectNothingDelivered('bob');
    });
  });

  describe('a connection lost during DATA: sent again, or "may have been sent"', () => {
    let proxy: FaultProxy;
    beforeAll(async () => {
      proxy = await startFaultProxy({ host: '127.0.0.1', port: pf.clearPort });
    });
    afterAll(async () => {
      await proxy?.close();
    });
    const viaProxy = (extra: Partial<SmtpSettings> = {}) =>
      settings(pf, { port: proxy.port, security: 'plain', allowInsecureAuth: true, tls: {}, ...extra });

    it('cut while the message is going out: network, before the final dot, and nothing arrives', async () => {
      await dc.clear('bob');
      const big = await composeMessage('cut-in-data', randomBytes(20 * 1024 * 1024));
      proxy.setPlan({ reset: { dir: 'up', at: 256 * 1024 } });
      try {
        const e = await expectSmtpError(sendRaw(viaProxy(), { from: 'alice@example.org', to: ['bob@example.org'], raw: Readable.from([big]) }));
        expect(e.code).toBe('network');
        expect(e.stage).toBe('data');
        expect(e.afterFinalDot).toBe(false);
        expect(e.maybeSent).toBe(false);
        expect(e.retryable).toBe(true);
      } finally {
        proxy.setPlan(null);
      }
      await expectNothingDelivered('bob');
    });

    it('cancelled while the message is going out: cancelled, before the final dot, and nothing arrives', async () => {
      await dc.clear('bob');
      const big = await composeMessage('cancelled', randomBytes(20 * 1024 * 1024));
      // Held far longer than the wait below may take to see it (the abort closes the connection), and
      // this send's idle timeout with it: under load a 5 s stall seen late let the 20 MB through before
      // the cancel (sent), and a stall seen more than the usual 10 s late ended in the idle timeout.
      proxy.setPlan({ stall: { dir: 'up', at: 256 * 1024, ms: 120_000 } });
      const abort = new AbortController();
      try {
        const before = proxy.connections();
        const sending = sendRaw(viaProxy({ signal: abort.signal, timeouts: { connectMs: 5000, greetingMs: 5000, idleMs: 60_000 } }), { from: 'alice@example.org', to: ['bob@example.org'], raw: Readable.from([big]) });
        // Cancelled once the message is going out (this connection held by the proxy at 256 KB), not
        // at a fixed 500 ms: on a loaded machine the login and envelope took longer, and the cancel
        // came before DATA.
        let settled = false;
        void sending.then(
          () => (settled = true),
          () => (settled = true),
        );
        await until('the message to be going out', () => settled || (proxy.connections() > before && proxy.lastBytes().up >= 256 * 1024), 120_000);
        abort.abort();
        const e = await expectSmtpError(sending);
        expect(e.code).toBe('cancelled');
        expect(e.stage).toBe('data');
        expect(e.maybeSent).toBe(false);
      } finally {
        proxy.setPlan(null);
      }
      await expectNothingDelivered('bob');
    });

    it('no answer to the final dot: timeout, "may have been sent" — and the server did take it', async () => {
      await dc.clear('bob');
      const msg = await composeMessage('no-final-answer', randomBytes(20 * 1024));
      const send = () => sendRaw(viaProxy({ timeouts: { connectMs: 5000, greetingMs: 5000, idleMs: 1000 } }), { from: 'alice@example.org', to: ['bob@example.org'], raw: msg });
      // A faithful run first, to learn how many bytes the server sends before its answer to the dot.
      const ok = await send();
      let down = -1;
      for (let i = 0; i < 40 && proxy.lastBytes().down !== down; i++) {
        down = proxy.lastBytes().down;
        await sleep(50);
      }
      const finalReply = Buffer.byteLength(`${ok.response}\r\n221 2.0.0 Bye\r\n`);
      await fetchByPop3('bob', 1);
      await dc.clear('bob');

      proxy.setPlan({ stall: { dir: 'down', at: down - finalReply, ms: 4000 } });
      try {
        const e = await expectSmtpError(send());
        expect(e.code).toBe('timeout');
        expect(e.stage).toBe('final-reply');
        expect(e.afterFinalDot).toBe(true);
        expect(e.maybeSent).toBe(true);
        expect(e.retryable).toBe(false);
      } finally {
        proxy.setPlan(null);
      }
      // Exactly why it must not be sent again silently: it arrived.
      const served = await fetchByPop3('bob', 1);
      expect(served).toHaveLength(1);
      expect(served[0]!.toString('latin1')).toContain('<no-final-answer@popbox.test>');
    });
  });
});
