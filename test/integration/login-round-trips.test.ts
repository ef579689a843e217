/**
 * What a check for mail costs in round trips before it knows anything (issue 18 P0): on a
 * verified TLS channel the password goes as AUTH PLAIN with its response on the same line (one
 * round trip, where CRAM-MD5 takes two), and where the CAPA before login said PIPELINING, the
 * CAPA after login and UIDL go out together. The server below answers neither of those two
 * before it has read both: a client that waits for CAPA's answer before sending UIDL never
 * gets one, and the test fails on its idle timeout.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Pop3Client } from '../../electron/core/pop3/client.js';
import { FAULT_FINGERPRINT, startFaultServer, type FaultConn, type FaultServer } from '../support/fault-server.js';

const BEFORE = ['USER', 'UIDL', 'PIPELINING', 'RESP-CODES', 'AUTH-RESP-CODE', 'SASL CRAM-MD5 PLAIN'];
const capaReply = (lines: string[]) => `+OK\r\n${lines.map((l) => `${l}\r\n`).join('')}.\r\n`;

/** Greeting, CAPA, a login, then the two commands after it read before either is answered. */
async function script(conn: FaultConn, after: string[]): Promise<void> {
  await conn.send('+OK ready');
  if ((await conn.readLine()) !== 'CAPA') return;
  await conn.write(capaReply(BEFORE));
  const auth = await conn.readLine();
  const m = /^AUTH PLAIN (\S+)$/.exec(auth ?? '');
  if (!m || Buffer.from(m[1]!, 'base64').toString('utf8') !== '\0alice\0pw') {
    await conn.send('-ERR [AUTH] not this way');
    return;
  }
  await conn.send('+OK logged in');
  const first = await conn.readLine();
  const second = await conn.readLine();
  if (first !== 'CAPA' || second !== 'UIDL') return;
  await conn.write(capaReply(after));
  await conn.write('+OK\r\n1 a\r\n2 b\r\n.\r\n');
  for (;;) {
    const line = await conn.readLine();
    if (line === null) return;
    if (line === 'QUIT') {
      await conn.send('+OK bye');
      return;
    }
    if (line === 'NOOP') await conn.send('+OK');
    else await conn.send('-ERR not here');
  }
}

describe('logging in and listing over verified TLS', () => {
  let server: FaultServer | undefined;
  afterEach(async () => {
    await server?.close();
    expect(server?.errors ?? []).toEqual([]);
    server = undefined;
  });

  const connect = (port: number) =>
    Pop3Client.connect({ host: '127.0.0.1', port, security: 'tls', tls: { pinnedFingerprint256: FAULT_FINGERPRINT }, timeouts: { idleMs: 3000 } });

  it('AUTH PLAIN with its response in one line, then CAPA and UIDL in one round trip', async () => {
    server = await startFaultServer((conn) => script(conn, BEFORE), { tls: true });
    const pop = await connect(server.port);
    expect(await pop.loginThenUidl({ user: 'alice', password: 'pw' })).toEqual([
      { id: 1, uid: 'a' },
      { id: 2, uid: 'b' },
    ]);
    expect(pop.pipelining).toBe(true);
    await pop.quit();
    const conn = server.connections[0]!;
    expect(conn.received.map((l) => l.replace(/^(AUTH PLAIN) \S+$/, '$1 <response>'))).toEqual(['CAPA', 'AUTH PLAIN <response>', 'CAPA', 'UIDL', 'QUIT']);
    // CAPA and UIDL arrived together (one read: sent without waiting for CAPA's answer).
    expect(conn.commandsPerRead).toEqual([1, 1, 2, 1]);
  });

  it('a CAPA after login without PIPELINING: nothing after UIDL is pipelined', async () => {
    server = await startFaultServer((conn) => script(conn, ['USER', 'UIDL']), { tls: true });
    const pop = await connect(server.port);
    await pop.loginThenUidl({ user: 'alice', password: 'pw' });
    expect(pop.pipelining).toBe(false);
    expect(pop.capabilities?.pipelining).toBe(false);
    await Promise.all([pop.noop(), pop.noop(), pop.noop()]);
    await pop.quit();
    const conn = server.connections[0]!;
    // Each NOOP came in a read of its own (one command at a time).
    expect(conn.commandsPerRead.slice(-4)).toEqual([1, 1, 1, 1]);
  });
});
