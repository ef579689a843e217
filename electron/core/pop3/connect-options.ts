/**
 * Where a check of an account connects, and how its server's certificate is checked: the one
 * rule the app's sync, Server view and the CLI's quick path (cli/quick-sync.ts) all connect by.
 * Kept light (type imports only) for the CLI's quick path, which must not load the schema or
 * MailService.
 */
import type { Pop3ConnectOptions } from './client.js';

/** The connection settings of an account (AccountSettings and the CLI's QuickAccount both fit). */
export interface ConnectSettings {
  host: string;
  port: number;
  security: Pop3ConnectOptions['security'];
  pipelining: boolean;
  tlsFingerprint?: string | undefined;
}

/**
 * A pinned certificate alone decides (the CA chain and host name are not consulted); otherwise
 * the host name and CA chain do, and the certificate last seen there, if any, is named when they
 * refuse (a certificate changed under an existing account).
 */
export function accountConnectOptions(account: ConnectSettings, lastSeenFingerprint256?: string): Pop3ConnectOptions {
  return {
    host: account.host,
    port: account.port,
    security: account.security,
    pipelining: account.pipelining,
    tls: account.tlsFingerprint ? { pinnedFingerprint256: account.tlsFingerprint } : lastSeenFingerprint256 ? { lastSeenFingerprint256 } : {},
  };
}
