/**
 * A CLI data directory with one account per Dovecot user, added as a user would type it
 * (`popbox account add Alice … --tls-fingerprint …`): each named after its login, capitalised.
 */
import { expect } from 'vitest';
import { runCli } from './cli-bundle.js';
import type { DovecotServer } from './dovecot.js';

/** Adds the accounts over implicit TLS, pinned to the server's certificate; resolves with their names. */
export async function addDovecotAccounts(dataDir: string, dc: DovecotServer, passwordOf: (user: string) => string): Promise<string[]> {
  const names: string[] = [];
  for (const user of dc.users) {
    const name = user[0]!.toUpperCase() + user.slice(1);
    const added = await runCli(dataDir, 'account', 'add', name, '--host', '127.0.0.1', '--port', String(dc.tlsPort), '--security', 'tls', '--user', user, '--password-command', `echo ${passwordOf(user)}`, '--tls-fingerprint', dc.fingerprint256);
    expect(added.stderr).toBe('');
    names.push(name);
  }
  return names;
}
