/**
 * Accounts (DESIGN §1): the settings file, the secrets that go with it, and the one place the
 * login for a connection is built (`credentialsFor`, where OAuth tokens will come in) together
 * with where it connects (`connectOptions`). Every change is reported through `onChange`, so
 * the scheduler and the renderer follow whoever made it (a window, the CLI).
 */
import { passwordDestinationChanged, type AccountInput, type AccountPatch, type AccountSettings } from '../../../shared/accounts.js';
import type { ConnectionReport, ConnectionTest } from '../../../shared/contract.js';
import { AppFailure } from '../errors.js';
import type { Credentials } from '../pop3/auth.js';
import type { Pop3ConnectOptions } from '../pop3/client.js';
import { resolvePassword, type SecretStore } from '../secrets/index.js';
import { AccountMailbox } from '../store/mailbox.js';
import { clearCertificateBlock } from '../sync/last-certificate.js';
import type { AccountStore } from './account-store.js';
import { probeConnection, sameConnection } from './connection-test.js';

/** What a login needs besides the password. */
export type LoginSettings = Pick<AccountSettings, 'user' | 'authMechanism' | 'allowInsecureAuth'>;

export interface AccountsServiceOptions {
  dataDir: string;
  secrets: SecretStore;
  /** Extra connection options (tests: a CA for a private server). */
  connectExtras?: (account: AccountSettings) => Partial<Pop3ConnectOptions>;
  /** After every add, update, reorder and removal, with the accounts as they are now. */
  onChange: (accounts: AccountSettings[]) => void;
}

export class AccountsService {
  constructor(
    readonly store: AccountStore,
    private readonly opts: AccountsServiceOptions,
  ) {}

  list(): AccountSettings[] {
    return this.store.list();
  }

  get(idOrName: string): AccountSettings {
    return this.store.get(idOrName);
  }

  /** Add an account; a keychain password is stored first, so a failed save leaves no account without one. */
  async add(input: AccountInput, password?: string): Promise<AccountSettings> {
    const account = await this.store.add(input);
    if (account.password.source === 'keychain') {
      if (password === undefined) {
        await this.store.remove(account.id);
        throw new AppFailure('invalid', 'a password is needed for an account whose password lives in the keychain');
      }
      try {
        await this.opts.secrets.set(account.id, password);
      } catch (e) {
        await this.store.remove(account.id);
        throw e;
      }
    }
    this.changed();
    return account;
  }

  /**
   * A change that would send the stored password elsewhere (host, port, security, clear-text
   * login allowed, a new certificate pin) forgets it first: the keychain entry is deleted, and
   * a password command set on the command line gives way to the keychain unless the change also
   * comes from the command line (`fromCommandLine`), where the person typing sees both.
   */
  async update(idOrName: string, patch: AccountPatch, password?: string, opts: { fromCommandLine?: boolean } = {}): Promise<AccountSettings> {
    const account = await this.store.update(idOrName, patch, async (current, next) => {
      if (!passwordDestinationChanged(current, next)) return next;
      if (next.password.source === 'command' && opts.fromCommandLine) return next;
      await this.opts.secrets.delete(current.id);
      return { ...next, password: { source: 'keychain' } };
    });
    if (password !== undefined && account.password.source === 'keychain') await this.opts.secrets.set(account.id, password);
    this.changed();
    // Saved in the settings form, where a changed certificate is shown with both fingerprints.
    await clearCertificateBlock(AccountMailbox.dirFor(this.opts.dataDir, account.id)).catch(() => {});
    return account;
  }

  /** The order the user wants the accounts in (every id once); the file keeps it. */
  async reorder(ids: string[]): Promise<AccountSettings[]> {
    const accounts = await this.store.reorder(ids);
    this.changed();
    return accounts;
  }

  async remove(idOrName: string): Promise<AccountSettings> {
    const account = await this.store.remove(idOrName);
    await this.opts.secrets.delete(account.id).catch(() => {});
    this.changed();
    return account;
  }

  /** The login for a connection to the account's server: the one place it is built. */
  async credentialsFor(account: AccountSettings): Promise<Credentials> {
    return loginCredentials(account, await resolvePassword(account, this.opts.secrets));
  }

  connectOptions(account: AccountSettings, lastSeenFingerprint256?: string): Pop3ConnectOptions {
    const extras = this.opts.connectExtras?.(account);
    const tls = account.tlsFingerprint ? { pinnedFingerprint256: account.tlsFingerprint } : lastSeenFingerprint256 ? { lastSeenFingerprint256 } : {};
    return {
      host: account.host,
      port: account.port,
      security: account.security,
      pipelining: account.pipelining,
      ...extras,
      tls: { ...tls, ...extras?.tls },
    };
  }

  /** Connect and log in without saving anything: what the add-account flow shows before saving. */
  async testConnection(test: ConnectionTest): Promise<ConnectionReport> {
    const login: LoginSettings = { user: test.user, ...(test.authMechanism ? { authMechanism: test.authMechanism } : {}), allowInsecureAuth: test.allowInsecureAuth === true };
    let credentials: Credentials;
    if (test.password !== undefined) credentials = loginCredentials(login, test.password);
    else {
      // The stored password goes only where it is stored for: the caller's settings must be
      // the account's own (an untrusted caller could name any host), else it must be typed.
      if (!test.accountId) throw new AppFailure('invalid', 'Enter the password to test the connection.');
      const account = this.get(test.accountId);
      if (!sameConnection(account, test)) throw new AppFailure('invalid', 'These settings differ from the saved ones: enter the password to test them.');
      credentials = await this.credentialsFor(account);
    }
    return probeConnection(
      {
        host: test.host,
        port: test.port,
        security: test.security,
        tls: test.tlsFingerprint ? { pinnedFingerprint256: test.tlsFingerprint } : {},
        timeouts: { connectMs: 15_000, greetingMs: 15_000, idleMs: 30_000 },
      },
      credentials,
    );
  }

  private changed(): void {
    this.opts.onChange(this.store.list());
  }
}

function loginCredentials(login: LoginSettings, password: string): Credentials {
  return { user: login.user, password, ...(login.authMechanism ? { mechanism: login.authMechanism } : {}), allowInsecure: login.allowInsecureAuth };
}
