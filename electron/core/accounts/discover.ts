/**
 * From an email address to server settings: a well-known provider's, or what answers on the
 * mail domain's likely hosts — implicit TLS on 995 first (RFC 8314), then 110 with STLS.
 * A server whose certificate is not trusted still counts as found: the connection test that
 * follows shows its fingerprint and lets the user decide.
 */
import type { Discovery } from '../../../shared/contract.js';
import { candidateHosts, domainOf, providerFor, type ServerSettings } from '../../../shared/providers.js';
import { AppFailure } from '../errors.js';
import { Pop3Client } from '../pop3/client.js';
import { isPop3Error } from '../pop3/errors.js';

export type Probe = (server: ServerSettings, signal: AbortSignal) => Promise<boolean>;

const PROBE_TIMEOUT_MS = 6_000;

/** Is there a POP3 server at `server` (a greeting, over TLS where asked)? */
export const probePop3: Probe = async (server, signal) => {
  try {
    const pop = await Pop3Client.connect({
      ...server,
      signal,
      timeouts: { connectMs: PROBE_TIMEOUT_MS, greetingMs: PROBE_TIMEOUT_MS, idleMs: PROBE_TIMEOUT_MS },
    });
    pop.close();
    return true;
  } catch (e) {
    return isPop3Error(e) && e.code === 'certificate';
  }
};

export async function discoverServer(email: string, probe: Probe = probePop3): Promise<Discovery> {
  const domain = domainOf(email);
  if (!domain) throw new AppFailure('invalid', 'email: must be an email address');
  const known = providerFor(email);
  if (known) {
    return {
      provider: known.name,
      note: known.note ?? null,
      server: { host: known.host, port: known.port, security: known.security },
      user: known.userIsAddress ? email : email.slice(0, email.lastIndexOf('@')),
    };
  }
  const hosts = candidateHosts(domain);
  for (const [port, security] of [[995, 'tls'], [110, 'starttls']] as const) {
    const ac = new AbortController();
    const found = await Promise.all(hosts.map((host) => probe({ host, port, security }, ac.signal).catch(() => false)));
    ac.abort();
    const i = found.indexOf(true);
    if (i >= 0) return { provider: null, note: null, server: { host: hosts[i]!, port, security }, user: email };
  }
  return { provider: null, note: null, server: null, user: email };
}
