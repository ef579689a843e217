/**
 * From an email address to server settings: a well-known provider's, or what answers on the
 * mail domain's likely hosts — for POP3 implicit TLS on 995 first (RFC 8314), then 110 with
 * STLS; for SMTP implicit TLS on 465 first, then 587 with STARTTLS. Both are probed at once.
 * A server whose certificate is not trusted still counts as found: the connection test that
 * follows shows its fingerprint and lets the user decide.
 */
import type { Discovery } from '../../../shared/contract.js';
import { candidateHosts, candidateSmtpHosts, domainOf, providerFor, type ServerSettings } from '../../../shared/providers.js';
import { AppFailure } from '../errors.js';
import { Pop3Client } from '../pop3/client.js';
import { isPop3Error } from '../pop3/errors.js';
import { isSmtpError, probe as smtpProbe } from '../smtp/index.js';

/** Is there a server of this kind at `server`? Injectable, so tests probe nothing real. */
export type Probe = (server: ServerSettings, signal: AbortSignal, kind: 'pop3' | 'smtp') => Promise<boolean>;

const PROBE_TIMEOUT_MS = 6_000;
const PROBE_TIMEOUTS = { connectMs: PROBE_TIMEOUT_MS, greetingMs: PROBE_TIMEOUT_MS, idleMs: PROBE_TIMEOUT_MS };

/** Is there a POP3 server at `server` (a greeting, over TLS where asked)? */
export async function probePop3(server: ServerSettings, signal: AbortSignal): Promise<boolean> {
  try {
    const pop = await Pop3Client.connect({ ...server, signal, timeouts: PROBE_TIMEOUTS });
    pop.close();
    return true;
  } catch (e) {
    return isPop3Error(e) && e.code === 'certificate';
  }
}

/** Is there an SMTP server at `server` (greeting and EHLO, over TLS where asked; no login)? */
export async function probeSmtpServer(server: ServerSettings, signal: AbortSignal): Promise<boolean> {
  try {
    await smtpProbe({ ...server, signal, timeouts: PROBE_TIMEOUTS });
    return true;
  } catch (e) {
    return isSmtpError(e) && e.code === 'certificate';
  }
}

export const probeServer: Probe = (server, signal, kind) => (kind === 'pop3' ? probePop3(server, signal) : probeSmtpServer(server, signal));

/** The first of `hosts` that answers, trying every host on one port before the next port. */
async function firstAnswering(hosts: string[], ports: readonly (readonly [number, ServerSettings['security']])[], kind: 'pop3' | 'smtp', probe: Probe): Promise<ServerSettings | null> {
  for (const [port, security] of ports) {
    const ac = new AbortController();
    const found = await Promise.all(hosts.map((host) => probe({ host, port, security }, ac.signal, kind).catch(() => false)));
    ac.abort();
    const i = found.indexOf(true);
    if (i >= 0) return { host: hosts[i]!, port, security };
  }
  return null;
}

export async function discoverServer(email: string, probe: Probe = probeServer): Promise<Discovery> {
  const domain = domainOf(email);
  if (!domain) throw new AppFailure('invalid', 'email: must be an email address');
  const known = providerFor(email);
  if (known) {
    return {
      provider: known.name,
      note: known.note ?? null,
      server: { host: known.host, port: known.port, security: known.security },
      smtp: { ...known.smtp },
      user: known.userIsAddress ? email : email.slice(0, email.lastIndexOf('@')),
    };
  }
  const [server, smtp] = await Promise.all([
    firstAnswering(candidateHosts(domain), [[995, 'tls'], [110, 'starttls']], 'pop3', probe),
    firstAnswering(candidateSmtpHosts(domain), [[465, 'tls'], [587, 'starttls']], 'smtp', probe),
  ]);
  return { provider: null, note: null, server, smtp, user: email };
}
