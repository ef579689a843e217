/**
 * On TLS the login sends PLAIN with its response on the AUTH line (RFC 5034). A server of the
 * older RFC 1734 form does not take a response there and answers a bare -ERR: Popbox then tries
 * PLAIN in two steps ("+" first), and nothing more: a wrong password at a server without
 * AUTH-RESP-CODE gets the same bare -ERR, and each further mechanism would be one more refused
 * login (login-refusals.test.ts counts them). A server that takes neither PLAIN form but would
 * take CRAM-MD5 is no longer reached by CRAM-MD5 on TLS (the account can name CRAM-MD5). A -ERR
 * with a response code ([AUTH], [SYS/TEMP]) says what happened: nothing more is sent.
 */
import { afterEach, expect, it } from 'vitest';
import { Pop3Client } from '../../electron/core/pop3/client.js';
import { FAULT_FINGERPRINT, startFaultServer, type FaultServer } from '../support/fault-server.js';

let server: FaultServer | undefined;
afterEach(async () => server?.close());

interface Script {
  /** The answer to AUTH PLAIN with its response on the line. */
  initial: string;
  /** Whether the two-step AUTH PLAIN and AUTH CRAM-MD5 log in (else bare -ERR). */
  twoStepPlain: boolean;
  cram: boolean;
  authRespCode?: boolean;
}

async function login(s: Script): Promise<{ outcome: string; sent: string[] }> {
  server = await startFaultServer(async (conn) => {
    await conn.send('+OK ready');
    for (;;) {
      const line = await conn.readLine();
      if (line === null) return;
      if (line === 'CAPA') await conn.write(`+OK\r\nUSER\r\nUIDL\r\nRESP-CODES\r\n${s.authRespCode === false ? '' : 'AUTH-RESP-CODE\r\n'}SASL CRAM-MD5 PLAIN\r\n.\r\n`);
      else if (/^AUTH PLAIN \S/.test(line)) await conn.send(s.initial);
      else if (line === 'AUTH PLAIN' || line === 'AUTH CRAM-MD5') {
        await conn.send(line === 'AUTH PLAIN' ? '+ ' : '+ PDEyMzQ1QGhvc3Q+');
        await conn.readLine();
        await conn.send((line === 'AUTH PLAIN' ? s.twoStepPlain : s.cram) ? '+OK in' : '-ERR no');
      } else if (line === 'QUIT') {
        await conn.send('+OK bye');
        return;
      } else await conn.send('-ERR ?');
    }
  }, { tls: true });
  const pop = await Pop3Client.connect({ host: '127.0.0.1', port: server.port, security: 'tls', tls: { pinnedFingerprint256: FAULT_FINGERPRINT }, timeouts: { idleMs: 3000 } });
  let outcome = 'logged in';
  try {
    await pop.login({ user: 'alice', password: 'pw' });
  } catch (e) {
    outcome = (e as { code: string }).code;
  }
  await pop.quit().catch(() => {});
  const sent = server.connections[0]!.received.filter((l) => l.startsWith('AUTH')).map((l) => l.replace(/^AUTH PLAIN \S+/, 'AUTH PLAIN <ir>'));
  return { outcome, sent };
}

it('a bare -ERR to the one-line AUTH PLAIN: PLAIN in two steps logs in', async () => {
  expect(await login({ initial: '-ERR unknown argument', twoStepPlain: true, cram: true })).toEqual({ outcome: 'logged in', sent: ['AUTH PLAIN <ir>', 'AUTH PLAIN'] });
});

it('a server that takes neither PLAIN form: the two PLAIN forms and no CRAM-MD5 after them', async () => {
  expect(await login({ initial: '-ERR unknown argument', twoStepPlain: false, cram: true, authRespCode: false })).toEqual({ outcome: 'auth', sent: ['AUTH PLAIN <ir>', 'AUTH PLAIN'] });
});

it('bare -ERRs to every form: read as before (with AUTH-RESP-CODE a refused password would say [AUTH])', async () => {
  const r = await login({ initial: '-ERR unknown argument', twoStepPlain: false, cram: false });
  expect(r.sent).toEqual(['AUTH PLAIN <ir>', 'AUTH PLAIN']);
  // With AUTH-RESP-CODE a bare -ERR is not a credentials refusal: what the user sees is a server fault.
  expect(r.outcome).toBe('sys-temp');
});

it('[AUTH] or [SYS/TEMP] to the one-line AUTH PLAIN: nothing more is sent', async () => {
  expect(await login({ initial: '-ERR [AUTH] invalid credentials', twoStepPlain: true, cram: true })).toEqual({ outcome: 'auth', sent: ['AUTH PLAIN <ir>'] });
  await server?.close();
  expect(await login({ initial: '-ERR [SYS/TEMP] try later', twoStepPlain: true, cram: true })).toEqual({ outcome: 'sys-temp', sent: ['AUTH PLAIN <ir>'] });
});
