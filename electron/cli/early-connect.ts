/**
 * `popbox sync`: the first account's POP3 connection opened before the rest of the quick path
 * loads (issue 18 P0). Most of an empty check's wall time is the server's (its login process, the
 * TLS handshake, the greeting): started here, that happens while node compiles the quick path,
 * instead of after it. Only connecting, TLS (certificate checks unchanged: Pop3Client.connect with
 * the options the check itself would use), the greeting and CAPA happen early; the login waits
 * for the quick check, which holds the data directory's lock and the account's first (one session
 * per account, DESIGN §3.4).
 *
 * Opened only where the quick check goes on to connect to that server, over this connection: a
 * sync the running app does not answer (its control socket is looked at first), an accounts.json
 * the quick path accepts (so the full path's schema accepts it too), the account named, no
 * certificate block on it, nothing on disk that leaves the check to the full path (which would
 * connect again). What the quick check does not take all the same (the lock held by another
 * Popbox, a file changed in between) is closed by release(): QUIT once the greeting came
 * (dropped instead when the server takes seconds to say anything).
 */
import path from 'node:path';
import { Pop3Client } from '../core/pop3/client.js';
import { accountConnectOptions } from '../core/pop3/connect-options.js';
import { certificateBlockSync, lastSeenCertificate } from '../core/sync/last-certificate.js';
import type { OpenedConnection } from '../core/sync/quick-check.js';
import { maildirUnchanged } from '../core/sync/quick-check-stamp.js';
import { pickAccounts, readAccounts } from './quick-accounts.js';
import { nothingElseToDo } from './quick-sync-gate.js';

/** How long release() waits for an untaken connection's greeting and QUIT before dropping it. */
const RELEASE_WAIT_MS = 3000;

export interface EarlyConnection extends OpenedConnection {
  /** If the check did not take it: QUIT, once connected (dropped if that takes the server longer than a few seconds). */
  release(): Promise<void>;
}

/** The early connection for `sync [NAME...]` on `dataDir`; undefined where none is opened. */
export async function connectEarly(dataDir: string, names: string[]): Promise<EarlyConnection | undefined> {
  dataDir = path.resolve(dataDir);
  const accounts = pickAccounts(await readAccounts(dataDir), names);
  const account = accounts?.[0];
  if (!accounts || !account) return undefined;
  const dirs = accounts.map((a) => path.join(dataDir, 'accounts', a.id));
  const accountDir = dirs[0]!;
  // What the quick path and the first quick check look at before they connect (quick-sync.ts,
  // quick-check.ts), looked at here without their locks: where either would leave the check to
  // the full path, it makes its own connection, and this one would be a second.
  if (certificateBlockSync(accountDir)) return undefined;
  if (!(await nothingElseToDo(dataDir, accounts, dirs, Date.now())) || !(await maildirUnchanged(accountDir))) return undefined;
  const options = accountConnectOptions(account, await lastSeenCertificate(accountDir, account));
  const key = JSON.stringify(options);
  const abort = new AbortController();
  let state: 'open' | 'taken' | 'released' = 'open';
  const connecting = Pop3Client.connect({ ...options, signal: abort.signal });
  connecting.catch(() => {}); // the taker sees the failure; untaken, it is nothing
  return {
    take(wanted) {
      if (state !== 'open' || JSON.stringify(wanted) !== key) return undefined;
      state = 'taken';
      return connecting;
    },
    async release() {
      if (state !== 'open') return;
      state = 'released';
      // A server that stalls gets this long to finish its greeting and answer QUIT, not the
      // connection's own timeouts: the command goes on (or ends) without the connection.
      const deadline = setTimeout(() => abort.abort(), RELEASE_WAIT_MS);
      try {
        const pop = await connecting.catch(() => undefined);
        await pop?.quit().catch(() => pop.close());
      } finally {
        clearTimeout(deadline);
      }
    },
  };
}
