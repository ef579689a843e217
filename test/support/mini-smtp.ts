/**
 * A tiny SMTP server for tests that need to see what a client logs in with, not to deliver
 * mail (Postfix does that: test/support/postfix.ts). It offers AUTH PLAIN and LOGIN, records
 * every user and password it is given, and takes no mail. On a fault server, so with the
 * fixture certificate for implicit TLS.
 */
import type { FaultConn } from './fault-server.js';

export interface MiniSmtpOptions {
  /** The password that logs in (any user). */
  password: string;
  /** Every login tried: [user, password]. */
  logins: [string, string][];
  /** Take mail too: each message's envelope and (dot-stuffed) lines, once the final dot was answered 250. */
  mail?: { from: string; to: string[]; lines: string[] }[];
}

const b64 = (s: string) => Buffer.from(s, 'base64').toString('utf8');

export async function miniSmtp(conn: FaultConn, o: MiniSmtpOptions): Promise<void> {
  await conn.send('220 mini ESMTP');
  const check = async (user: string, password: string) => {
    o.logins.push([user, password]);
    await conn.send(password === o.password ? '235 2.7.0 Authentication successful' : '535 5.7.8 Authentication failed');
  };
  let envelope: { from: string; to: string[] } = { from: '', to: [] };
  for (;;) {
    const line = await conn.readLine();
    if (line === null) return;
    const [verb = '', ...args] = line.split(' ');
    switch (verb.toUpperCase()) {
      case 'EHLO':
        await conn.write('250-mini\r\n250-SIZE 10240000\r\n250-8BITMIME\r\n250 AUTH PLAIN LOGIN\r\n');
        break;
      case 'AUTH': {
        const mech = (args[0] ?? '').toUpperCase();
        if (mech === 'PLAIN') {
          let resp = args[1];
          if (resp === undefined) {
            await conn.send('334 ');
            resp = (await conn.readLine()) ?? '';
          }
          const [, user = '', password = ''] = b64(resp).split('\0');
          await check(user, password);
        } else if (mech === 'LOGIN') {
          let user = args[1] !== undefined ? b64(args[1]) : undefined;
          if (user === undefined) {
            await conn.send('334 VXNlcm5hbWU6');
            user = b64((await conn.readLine()) ?? '');
          }
          await conn.send('334 UGFzc3dvcmQ6');
          await check(user, b64((await conn.readLine()) ?? ''));
        } else await conn.send('504 5.5.4 Unrecognized authentication type');
        break;
      }
      case 'QUIT':
        await conn.send('221 2.0.0 Bye');
        return;
      case 'MAIL':
      case 'RCPT':
        if (!o.mail) {
          await conn.send('502 5.5.2 Error: command not recognized');
          break;
        }
        if (verb.toUpperCase() === 'MAIL') envelope = { from: line.replace(/^MAIL FROM:\s*<?([^> ]*)>?.*$/i, '$1'), to: [] };
        else envelope.to.push(line.replace(/^RCPT TO:\s*<?([^> ]*)>?.*$/i, '$1'));
        await conn.send('250 2.1.0 Ok');
        break;
      case 'DATA': {
        if (!o.mail) {
          await conn.send('502 5.5.2 Error: command not recognized');
          break;
        }
        await conn.send('354 End data with <CR><LF>.<CR><LF>');
        const lines: string[] = [];
        for (let l = await conn.readLine(); l !== '.'; l = await conn.readLine()) {
          if (l === null) return;
          lines.push(l);
        }
        o.mail.push({ ...envelope, lines });
        await conn.send('250 2.0.0 Ok: queued as MINI');
        break;
      }
      case 'RSET':
      case 'NOOP':
        await conn.send('250 2.0.0 Ok');
        break;
      default:
        await conn.send('502 5.5.2 Error: command not recognized');
    }
  }
}
