/**
 * The SMTP envelope of a message to an address beyond ASCII (RFC 6531), as it goes on the wire:
 * a scripted server records every command line. Offering SMTPUTF8, it sees MAIL FROM … SMTPUTF8
 * and the UTF-8 address in RCPT TO as is; not offering it, it sees no MAIL FROM at all and the
 * send fails for good ('unsupported', not retryable) with words naming the address.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Identity } from '../../shared/accounts.js';
import { buildMessage } from '../../electron/core/compose/build-message.js';
import { sendRaw, SmtpError, type SmtpSettings } from '../../electron/core/smtp/index.js';
import { startFaultServer, type FaultConn, type FaultServer } from '../support/fault-server.js';

const me: Identity = { id: 'me', name: 'Me', address: 'me@example.org' };

/** Takes any envelope and message; EHLO offers SMTPUTF8 or not. */
async function script(conn: FaultConn, smtpUtf8: boolean): Promise<void> {
  await conn.write('220 test ESMTP\r\n');
  for (;;) {
    const line = await conn.readLine();
    if (line === null) return;
    const verb = line.split(' ')[0]!.toUpperCase();
    if (verb === 'EHLO') await conn.write(`250-test\r\n250-8BITMIME\r\n${smtpUtf8 ? '250-SMTPUTF8\r\n' : ''}250 SIZE 1000000\r\n`);
    else if (verb === 'DATA') {
      await conn.write('354 go ahead\r\n');
      for (let l = await conn.readLine(); l !== null && l !== '.'; l = await conn.readLine());
      await conn.write('250 2.0.0 Ok: queued as ABC123\r\n');
    } else if (verb === 'QUIT') {
      await conn.write('221 bye\r\n');
      return;
    } else await conn.write('250 2.1.0 Ok\r\n');
  }
}

describe('SMTPUTF8 on the wire', () => {
  let server: FaultServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });
  const settings = (port: number): SmtpSettings => ({ host: '127.0.0.1', port, security: 'plain', timeouts: { connectMs: 2000, greetingMs: 2000, idleMs: 2000 } });

  it('offered: MAIL FROM carries SMTPUTF8, RCPT TO the UTF-8 address as is, the header the address unencoded', async () => {
    server = await startFaultServer((c) => script(c, true));
    const built = await buildMessage(me, { to: ['用户@例子.广告'], cc: ['jörg@example.org', 'bob@example.org'], subject: 's', text: 'x' });
    const r = await sendRaw(settings(server.port), { from: built.envelope.from, to: built.envelope.to, raw: built.raw });
    expect(r.accepted).toEqual(['用户@例子.广告', 'jörg@example.org', 'bob@example.org']);
    const lines = server.connections[0]!.received;
    expect(lines.find((l) => l.startsWith('MAIL FROM'))).toMatch(/^MAIL FROM:<me@example\.org> SMTPUTF8( |$)/);
    expect(lines.filter((l) => l.startsWith('RCPT TO'))).toEqual(['RCPT TO:<用户@例子.广告>', 'RCPT TO:<jörg@example.org>', 'RCPT TO:<bob@example.org>']);
    expect(lines).toContain('To: 用户@例子.广告');
  });

  it('not offered: nothing is sent, and the failure is for good and names each such address', async () => {
    server = await startFaultServer((c) => script(c, false));
    const built = await buildMessage(me, { to: ['jörg@example.org', '用户@例子.广告', 'bob@example.org'], subject: 's', text: 'x' });
    const err = await sendRaw(settings(server.port), { from: built.envelope.from, to: built.envelope.to, raw: built.raw }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SmtpError);
    expect(err).toMatchObject({ code: 'unsupported', stage: 'envelope', retryable: false, maybeSent: false });
    expect((err as SmtpError).message).toMatch(/^jörg@example\.org and 用户@例子\.广告 need a server that accepts international addresses \(SMTPUTF8\); this one \(127\.0\.0\.1:\d+\) does not$/);
    expect(server.connections[0]!.received.some((l) => /^(MAIL|RCPT|DATA)/.test(l))).toBe(false);
  });
});
