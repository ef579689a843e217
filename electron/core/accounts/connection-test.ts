/** The connection test of the add-account flow: connect, log in, look, and leave. */
import type { AccountSettings, SmtpConnectionTest, SmtpServer } from '../../../shared/accounts.js';
import type { ConnectionReport, ConnectionTest } from '../../../shared/contract.js';
import type { Credentials } from '../pop3/auth.js';
import { Pop3Client, type Pop3ConnectOptions } from '../pop3/client.js';
import { isPop3Error } from '../pop3/errors.js';

export async function probeConnection(connect: Pop3ConnectOptions, credentials: Credentials): Promise<ConnectionReport> {
  const pop = await Pop3Client.connect(connect);
  try {
    await pop.login(credentials);
    const stat = await pop.stat();
    const caps = pop.capabilities;
    // Servers under-report CAPA: with mail in the box, ask UIDL itself.
    let uidl = caps?.uidl ?? false;
    if (!uidl && stat.count > 0) {
      uidl = await pop.uidlOne(1).then(
        () => true,
        (e: unknown) => {
          if (isPop3Error(e) && e.code === 'command') return false;
          throw e;
        },
      );
    }
    const report: ConnectionReport = {
      greeting: pop.greeting,
      secure: pop.secure,
      fingerprint256: pop.fingerprint256 ?? null,
      capabilities: caps?.lines ?? [],
      pipelining: caps?.pipelining ?? false,
      uidl,
      messageCount: stat.count,
      mailboxBytes: stat.size,
      loginDelaySeconds: caps?.loginDelaySeconds ?? null,
      expireDays: caps?.expire ?? null,
    };
    await pop.quit();
    return report;
  } catch (e) {
    pop.close();
    throw e;
  }
}

/** Whether a connection test names exactly the stored account's server, login and certificate rules. */
export function sameConnection(a: AccountSettings, t: ConnectionTest): boolean {
  const pin = (f: string | undefined) => f?.replace(/:/g, '').toUpperCase();
  return (
    a.host.toLowerCase() === t.host.toLowerCase() &&
    a.port === t.port &&
    a.security === t.security &&
    a.user === t.user &&
    (a.authMechanism ?? null) === (t.authMechanism ?? null) &&
    a.allowInsecureAuth === (t.allowInsecureAuth ?? false) &&
    pin(a.tlsFingerprint) === pin(t.tlsFingerprint)
  );
}

/** Whether an SMTP test names exactly the stored outgoing server, login and certificate rules. */
export function sameSmtpConnection(s: SmtpServer, t: SmtpConnectionTest): boolean {
  const pin = (f: string | undefined) => f?.replace(/:/g, '').toUpperCase();
  return (
    s.host.toLowerCase() === t.host.toLowerCase() &&
    s.port === t.port &&
    s.security === t.security &&
    s.auth === (t.auth ?? 'password') &&
    s.user === t.user &&
    (s.mechanism ?? null) === (t.mechanism ?? null) &&
    s.allowInsecureAuth === (t.allowInsecureAuth ?? false) &&
    pin(s.tlsFingerprint) === pin(t.tlsFingerprint)
  );
}
