/**
 * What a wrong password costs in refused logins (review s10 of c7318e6). A server that counts
 * refusals may lock the account after a few, so one check must not send a wrong password more
 * often than it has to. At a server without AUTH-RESP-CODE a wrong password and "not this form"
 * look alike (a bare -ERR): Popbox tries PLAIN in its two forms, then stops; with AUTH-RESP-CODE
 * [AUTH] stops it at once. A kept password the server refused is tried afresh with only the
 * mechanism and form last refused. Counted at a scripted server offering SASL CRAM-MD5 PLAIN.
 */
import { afterEach, expect, it } from 'vitest';
import { Pop3Client } from '../../electron/core/pop3/client.js';
import type { Credentials } from '../../electron/core/pop3/auth.js';
import { FAULT_FINGERPRINT, sleep, startFaultServer, type FaultServer } from '../support/fault-server.js';

let server: FaultServer | undefined;
afterEach(async () => server?.close());

interface Server {
  tls: boolean;
  authRespCode?: boolean;
  /** The password the server takes (every other one is refused). */
  password?: string;
  /** Hang up right after the first refusal (as a server does whose idle limit a slow password command passed). */
  dropAfterFirstRefusal?: boolean;
}

async function login(s: Server, creds: Credentials): Promise<{ outcome: string; message: string; sent: string[] }> {
  const refusal = s.authRespCode ? '-ERR [AUTH] Authentication failed.' : '-ERR Authentication failed.';
  const plainOk = (b64: string) => Buffer.from(b64, 'base64').toString('utf8').split('\0')[2] === s.password;
  server = await startFaultServer(async (conn) => {
    let refusals = 0;
    const refuse = async () => {
      await conn.send(refusal);
      if (++refusals === 1 && s.dropAfterFirstRefusal) {
        await sleep(50);
        conn.end();
      }
    };
    await conn.send('+OK ready');
    for (;;) {
      const line = await conn.readLine();
      if (line === null) return;
      const oneLine = /^AUTH PLAIN (\S+)$/.exec(line);
      if (line === 'CAPA') await conn.write(`+OK\r\nUSER\r\nUIDL\r\nRESP-CODES\r\n${s.authRespCode ? 'AUTH-RESP-CODE\r\n' : ''}SASL CRAM-MD5 PLAIN\r\n.\r\n`);
      else if (oneLine) await (plainOk(oneLine[1]!) ? conn.send('+OK in') : refuse());
      else if (line === 'AUTH PLAIN') {
        await conn.send('+ ');
        await (plainOk((await conn.readLine()) ?? '') ? conn.send('+OK in') : refuse());
      } else if (line === 'AUTH CRAM-MD5') {
        await conn.send('+ PDEyMzQ1QGhvc3Q+');
        await conn.readLine();
        await refuse(); // no CRAM secret for this user: CRAM-MD5 never logs in here
      } else if (line === 'QUIT') {
        await conn.send('+OK bye');
        return;
      } else await conn.send('-ERR ?');
    }
  }, { tls: s.tls });
  const pop = await Pop3Client.connect({
    host: '127.0.0.1',
    port: server.port,
    security: s.tls ? 'tls' : 'plain',
    ...(s.tls ? { tls: { pinnedFingerprint256: FAULT_FINGERPRINT } } : {}),
    timeouts: { idleMs: 3000 },
  });
  let outcome = 'logged in';
  let message = '';
  try {
    await pop.login(creds);
  } catch (e) {
    outcome = (e as { code: string }).code;
    message = (e as Error).message;
  }
  await pop.quit().catch(() => {});
  const sent = server.connections[0]!.received.filter((l) => l.startsWith('AUTH')).map((l) => l.replace(/^AUTH PLAIN \S+/, 'AUTH PLAIN <ir>'));
  return { outcome, message, sent };
}

const wrong: Credentials = { user: 'alice', password: 'wrong' };
const rotatedWrong: Credentials = { ...wrong, refresh: async () => ({ user: 'alice', password: 'wrong2' }) };

it('TLS, wrong password, no response codes: the two PLAIN forms, then the refusal (2 attempts, no CRAM-MD5)', async () => {
  expect(await login({ tls: true }, wrong)).toMatchObject({ outcome: 'auth', sent: ['AUTH PLAIN <ir>', 'AUTH PLAIN'] });
});

it('TLS, wrong password, AUTH-RESP-CODE: [AUTH] stops at once (1 attempt)', async () => {
  expect(await login({ tls: true, authRespCode: true }, wrong)).toMatchObject({ outcome: 'auth', sent: ['AUTH PLAIN <ir>'] });
});

it('TLS, kept password refused, the command prints another wrong one: one more attempt, in the form last refused (3)', async () => {
  expect(await login({ tls: true }, rotatedWrong)).toMatchObject({ outcome: 'auth', sent: ['AUTH PLAIN <ir>', 'AUTH PLAIN', 'AUTH PLAIN'] });
  await server?.close();
  expect(await login({ tls: true, authRespCode: true }, rotatedWrong)).toMatchObject({ outcome: 'auth', sent: ['AUTH PLAIN <ir>', 'AUTH PLAIN <ir>'] });
});

it('TLS, kept password refused, the command prints the right one: logs in with it', async () => {
  const rotated: Credentials = { ...wrong, refresh: async () => ({ user: 'alice', password: 'right' }) };
  expect(await login({ tls: true, password: 'right' }, rotated)).toMatchObject({ outcome: 'logged in', sent: ['AUTH PLAIN <ir>', 'AUTH PLAIN', 'AUTH PLAIN'] });
});

it('plain connection with the insecure-login opt-in: CRAM-MD5 once, then the PLAIN forms (3 attempts, never CRAM-MD5 again)', async () => {
  const r = await login({ tls: false }, { ...wrong, allowInsecure: true });
  expect(r).toMatchObject({ outcome: 'auth', sent: ['AUTH CRAM-MD5', 'AUTH PLAIN <ir>', 'AUTH PLAIN'] });
  const rr = await (async () => {
    await server?.close();
    return login({ tls: false }, { ...rotatedWrong, allowInsecure: true });
  })();
  expect(rr).toMatchObject({ outcome: 'auth', sent: ['AUTH CRAM-MD5', 'AUTH PLAIN <ir>', 'AUTH PLAIN', 'AUTH PLAIN'] });
});

it('the server hangs up while the password command runs: the user is told the password was refused, not that the link dropped', async () => {
  const judged: string[] = [];
  const slow: Credentials = {
    ...wrong,
    onRefused: () => judged.push('kept'),
    refresh: async () => {
      await sleep(300);
      return { user: 'alice', password: 'wrong2', onRefused: () => judged.push('fresh') };
    },
  };
  const r = await login({ tls: true, authRespCode: true, dropAfterFirstRefusal: true }, slow);
  expect(r.outcome).toBe('auth');
  expect(r.sent).toEqual(['AUTH PLAIN <ir>']);
  // The fresh password was never sent, so it is not marked refused: the next check tries it.
  expect(judged).toEqual([]);
});
