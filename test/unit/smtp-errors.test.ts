/**
 * nodemailer's failures in our codes: what the outbox will decide from (send again, ask for the
 * password, tell the user the server's words, or "may have been sent"). The error objects have
 * the fields nodemailer 10 sets (code, command, response, responseCode, rejectedErrors), with
 * replies as Postfix words them (seen in test/integration/smtp-postfix.test.ts).
 */
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { toAppError } from '../../electron/core/errors.js';
import { NetError } from '../../electron/core/net/errors.js';
import { connectionOptions, fromNodemailer, messageIdOf, parseEhlo, parseReply, SmtpError, type SmtpStage } from '../../electron/core/smtp/index.js';
import { fromNetError } from '../../electron/core/smtp/errors.js';

const WHERE = 'smtp.example.org:465';

/** An Error as nodemailer's _formatError builds it. */
function nm(code: string, command: string, response?: string, extra: Record<string, unknown> = {}): Error {
  const e = new Error(`${code} failure${response ? `: ${response}` : ''}`) as Error & Record<string, unknown>;
  e.code = code;
  e.command = command;
  if (response) {
    e.response = response;
    const n = Number(/^\d+/.exec(response)?.[0]);
    if (n) e.responseCode = n;
  }
  return Object.assign(e, extra);
}

const map = (e: unknown, stage: SmtpStage) => fromNodemailer(e, stage, WHERE);

describe('fromNodemailer', () => {
  it('a wrong password is auth; a temporary auth failure is sys-temp; 538 asks for encryption', () => {
    const wrong = map(nm('EAUTH', 'AUTH PLAIN', '535 5.7.8 Error: authentication failed: authentication failure'), 'auth');
    expect(wrong.code).toBe('auth');
    expect(wrong.responseCode).toBe(535);
    expect(wrong.enhancedCode).toBe('5.7.8');
    expect(wrong.serverText).toBe('Error: authentication failed: authentication failure');
    expect(wrong.message).toContain(WHERE);
    expect(map(nm('EAUTH', 'AUTH PLAIN', '454 4.7.0 Temporary authentication failure'), 'auth').code).toBe('sys-temp');
    expect(map(nm('EAUTH', 'AUTH LOGIN', '538 5.7.11 Encryption required for requested authentication mechanism'), 'auth').code).toBe('insecure');
    expect(map(nm('EAUTH', 'API'), 'auth').code).toBe('auth');
  });

  it('a refused recipient is rejected, before the final dot, with the server text per recipient', () => {
    const refusal = nm('EENVELOPE', 'RCPT TO', '550 5.1.1 <nobody@example.org>: Recipient address rejected: User unknown in virtual mailbox table', {
      rejected: ['nobody@example.org'],
      rejectedErrors: [
        nm('EENVELOPE', 'RCPT TO', '550 5.1.1 <nobody@example.org>: Recipient address rejected: User unknown in virtual mailbox table', { recipient: 'nobody@example.org' }),
      ],
    });
    const e = map(refusal, 'envelope');
    expect(e.code).toBe('rejected');
    expect(e.command).toBe('RCPT TO');
    expect(e.recipients).toEqual([
      {
        address: 'nobody@example.org',
        code: 'rejected',
        responseCode: 550,
        serverText: '<nobody@example.org>: Recipient address rejected: User unknown in virtual mailbox table',
      },
    ]);
    expect(e.message).toContain('nobody@example.org');
    expect(e.afterFinalDot).toBe(false);
    expect(e.maybeSent).toBe(false);
    expect(e.retryable).toBe(false);
  });

  it('a deferred recipient is sys-temp and retryable; a full mailbox (552 at RCPT) is a refusal, not size', () => {
    const later = map(nm('EENVELOPE', 'RCPT TO', '452 4.5.3 Error: too many recipients', { rejectedErrors: [nm('EENVELOPE', 'RCPT TO', '452 4.5.3 Error: too many recipients', { recipient: 'b@x.org' })] }), 'envelope');
    expect(later.code).toBe('sys-temp');
    expect(later.recipients?.[0]).toMatchObject({ address: 'b@x.org', code: 'sys-temp' });
    expect(later.retryable).toBe(true);
    expect(map(nm('EENVELOPE', 'RCPT TO', '552 5.2.2 Mailbox full'), 'envelope').code).toBe('rejected');
  });

  it('too big: 552 at MAIL FROM, 5.3.4 at the final dot, or nodemailer refusing against the announced SIZE', () => {
    expect(map(nm('EENVELOPE', 'MAIL FROM', '552 5.3.4 Message size exceeds fixed limit'), 'envelope').code).toBe('size');
    const atDot = map(nm('EMESSAGE', 'DATA', '552 5.3.4 Error: message file too big'), 'final-reply');
    expect(atDot.code).toBe('size');
    expect(atDot.afterFinalDot).toBe(true);
    expect(atDot.maybeSent).toBe(false); // the server answered: it did not take the message
    expect(map(nm('EMESSAGE', 'DATA', '552 Message too large'), 'final-reply').code).toBe('size');
    const local = map(Object.assign(new Error('Message size larger than allowed 204800'), { code: 'EMESSAGE', command: 'MAIL FROM' }), 'envelope');
    expect(local.code).toBe('size');
    expect(local.message).toContain('204800');
    expect(local.maybeSent).toBe(false);
  });

  it('the final dot refused for good or for now', () => {
    const spam = map(nm('EMESSAGE', 'DATA', '554 5.7.1 Message rejected as spam'), 'final-reply');
    expect(spam.code).toBe('rejected');
    expect(spam.serverText).toBe('Message rejected as spam');
    expect(spam.maybeSent).toBe(false);
    const greylisted = map(nm('EMESSAGE', 'DATA', '451 4.3.0 Error: queue file write error'), 'final-reply');
    expect(greylisted.code).toBe('sys-temp');
    expect(greylisted.retryable).toBe(true);
  });

  it('a connection lost before the final dot may be sent again; after it, "may have been sent"', () => {
    const before = map(nm('ECONNECTION', 'CONN', undefined, { originalCode: 'ECONNRESET' }), 'data');
    expect(before.code).toBe('network');
    expect(before.message).toContain('ECONNRESET');
    expect(before.maybeSent).toBe(false);
    expect(before.retryable).toBe(true);
    const after = map(nm('ECONNECTION', 'CONN'), 'final-reply');
    expect(after.code).toBe('network');
    expect(after.afterFinalDot).toBe(true);
    expect(after.maybeSent).toBe(true);
    expect(after.retryable).toBe(false);
    const silent = map(nm('ETIMEDOUT', 'CONN'), 'final-reply');
    expect(silent.code).toBe('timeout');
    expect(silent.maybeSent).toBe(true);
    expect(map(nm('ETIMEDOUT', 'CONN'), 'envelope').retryable).toBe(true);
  });

  it('a server closing with 421 is temporary; TLS, protocol, stream and local refusals have their own codes', () => {
    expect(map(nm('ECONNECTION', 'CONN', '421 4.3.2 Service shutting down'), 'envelope').code).toBe('sys-temp');
    expect(map(nm('ETLS', 'STARTTLS', '454 4.7.0 TLS not available due to local problem'), 'connect').code).toBe('tls');
    expect(map(nm('EPROTOCOL', 'CONN', '199 what'), 'connect').code).toBe('protocol');
    expect(map(nm('ESTREAM', 'API'), 'data').code).toBe('storage');
    expect(map(nm('EENVELOPE', 'API'), 'envelope').code).toBe('invalid');
    expect(map(nm('EABORT', 'API'), 'data').code).toBe('cancelled');
    expect(map(new Error('something odd'), 'connect').code).toBe('protocol');
    expect(map('not even an Error', 'connect').code).toBe('protocol');
  });

  it('server text is made inert: no control characters or bidi overrides, bounded, lines joined', () => {
    const e = map(nm('EENVELOPE', 'RCPT TO', `550-5.7.1 first line\r\n550 5.7.1 second\u202e line\u0007 ${'x'.repeat(500)}`), 'envelope');
    expect(e.serverText).toMatch(/^first line second\? line\? x+…$/);
    expect(e.serverText!.length).toBeLessThanOrEqual(301);
  });

  it('an SmtpError passes through unchanged', () => {
    const e = new SmtpError('size', 'too big', { stage: 'envelope' });
    expect(map(e, 'final-reply')).toBe(e);
  });
});

describe('what crosses to the UI', () => {
  it('toAppError keeps the code and the certificate fingerprints of an SmtpError', () => {
    const cert = fromNetError(new NetError('certificate', 'the certificate of x:465 does not match the pinned fingerprint', { fingerprint256: 'AB:CD', expectedFingerprint256: 'EF:01' }), 'connect');
    expect(toAppError(cert, 'x')).toEqual({ code: 'certificate', message: cert.message, fingerprint256: 'AB:CD', expectedFingerprint256: 'EF:01' });
    const rejected = map(nm('EENVELOPE', 'RCPT TO', '550 5.1.1 User unknown'), 'envelope');
    expect(toAppError(rejected, 'x')).toMatchObject({ code: 'rejected' });
    expect(toAppError(map(nm('EMESSAGE', 'MAIL FROM'), 'envelope'), 'x')).toMatchObject({ code: 'size' });
  });
});

describe('replies, EHLO and headers', () => {
  it('parseReply reads the number, the enhanced code and every line', () => {
    expect(parseReply('250 2.0.0 Ok: queued as 2755521B7CC')).toEqual({ responseCode: 250, enhancedCode: '2.0.0', text: 'Ok: queued as 2755521B7CC' });
    expect(parseReply('554 Relay access denied')).toEqual({ responseCode: 554, text: 'Relay access denied' });
    expect(parseReply('garbage')).toEqual({ text: 'garbage' });
  });

  it('parseEhlo: SIZE with and without a limit, AUTH in both spellings, the rest as flags', () => {
    const caps = parseEhlo(['PIPELINING', 'SIZE 204800', 'AUTH PLAIN LOGIN CRAM-MD5', 'AUTH=LOGIN', 'ENHANCEDSTATUSCODES', '8BITMIME', 'DSN', 'SMTPUTF8', 'CHUNKING', 'STARTTLS']);
    expect(caps).toEqual({
      sizeLimit: 204800,
      smtpUtf8: true,
      eightBitMime: true,
      pipelining: true,
      chunking: true,
      dsn: true,
      enhancedStatusCodes: true,
      authMechanisms: ['PLAIN', 'LOGIN', 'CRAM-MD5'],
      startTls: true,
    });
    expect(parseEhlo(['SIZE']).sizeLimit).toBe(0);
    expect(parseEhlo(['PIPELINING']).sizeLimit).toBeNull();
    expect(parseEhlo([]).authMechanisms).toEqual([]);
  });

  it('messageIdOf finds a folded Message-ID in the header block only', () => {
    expect(messageIdOf(Buffer.from('From: a@b\r\nMessage-ID:\r\n <x.1@b>\r\nSubject: s\r\n\r\nMessage-ID: <body@b>\r\n'))).toBe('<x.1@b>');
    expect(messageIdOf(Buffer.from('From: a@b\n\nMessage-ID: <body@b>\n'))).toBeUndefined();
  });
});

describe('connectionOptions', () => {
  const socket = new net.Socket();
  const base = { host: 'smtp.example.org', port: 465, auth: { user: 'u', password: 'p' } };

  it('implicit TLS: core/net made and checked the TLS connection, nodemailer does not redo it', () => {
    const o = connectionOptions({ ...base, security: 'tls' }, socket);
    expect(o).toMatchObject({ secure: true, secured: true, connection: socket, logger: false });
    expect(o.requireTLS).toBeUndefined();
  });

  it('STARTTLS is required, with core/net handshake options (checked after the handshake, before AUTH)', () => {
    const o = connectionOptions({ ...base, port: 587, security: 'starttls', tls: { servername: 'mail.example.org' } }, socket);
    expect(o).toMatchObject({ secure: false, requireTLS: true });
    expect(o.tls).toMatchObject({ rejectUnauthorized: false, minVersion: 'TLSv1.2', servername: 'mail.example.org' });
  });

  it('plain never upgrades by itself; the EHLO name is an address literal unless given', () => {
    const o = connectionOptions({ ...base, port: 25, security: 'plain' }, socket);
    expect(o).toMatchObject({ secure: false, ignoreTLS: true, name: '[127.0.0.1]' });
    expect(connectionOptions({ ...base, security: 'plain', clientName: 'laptop.example.org' }, socket).name).toBe('laptop.example.org');
  });
});
