/**
 * Accounts (DESIGN §1): the settings file, the secrets that go with it, and the one place the
 * login for a connection is built (`credentialsFor`, where OAuth tokens will come in) together
 * with where it connects (`connectOptions`). Every change is reported through `onChange`, so
 * the scheduler and the renderer follow whoever made it (a window, the CLI).
 */
import {
  incomingPasswordSpreads,
  passwordDestinationChanged,
  smtpDestinationChanged,
  type AccountInput,
  type AccountPatch,
  type AccountSettings,
  type SmtpConnectionTest,
  type SmtpServer,
} from '../../../shared/accounts.js';
import type { ConnectionReport, ConnectionTest } from '../../../shared/contract.js';
import { AppFailure, quoteForMessage } from '../errors.js';
import type { Credentials } from '../pop3/auth.js';
import type { Pop3ConnectOptions } from '../pop3/client.js';
import { accountConnectOptions } from '../pop3/connect-options.js';
import { MemorySecretStore, resolvePassword, sessionPasswordMissing, type SecretStore } from '../secrets/index.js';
import { probe as probeSmtp, type ProbeResult, type SmtpSettings } from '../smtp/index.js';
import { AccountMailbox } from '../store/mailbox.js';
import { clearCertificateBlock } from '../sync/last-certificate.js';
import type { AccountStore } from './account-store.js';
import { probeConnection, sameConnection, sameSmtpConnection } from './connection-test.js';

/** The keychain entry of an account's outgoing server password (the incoming one is under the bare id). */
export function smtpSecretKey(accountId: string): string {
  return `${accountId}:smtp`;
}

/** Where the passwords of a change come from besides the patch. */
export interface PasswordChange {
  /** The change comes from the command line, where the person typing sees every setting (keeps password commands). */
  fromCommandLine?: boolean;
  /** The outgoing server's password, for its own keychain entry. */
  smtpPassword?: string;
}

/** What a login needs besides the password. */
export type LoginSettings = Pick<AccountSettings, 'user' | 'authMechanism' | 'allowInsecureAuth'>;

export interface AccountsServiceOptions {
  dataDir: string;
  secrets: SecretStore;
  /** Extra connection options (tests: a CA for a private server). */
  connectExtras?: (account: AccountSettings) => Partial<Pop3ConnectOptions>;
  /** The same for the outgoing server (tests: a CA for a private Postfix). */
  smtpExtras?: (account: AccountSettings) => Partial<SmtpSettings>;
  /** After every add, update, reorder and removal, with the accounts as they are now. */
  onChange: (accounts: AccountSettings[]) => void;
}

/** The settings a password command's answer was given for: the command itself and where the login goes. */
function commandPasswordKey(account: AccountSettings): string {
  return JSON.stringify([account.password, account.host, account.port, account.user]);
}

export class AccountsService {
  /**
   * Passwords from a password command, by account, with the settings they came from: the command
   * (a process to start, and a GPG or pass prompt for some) runs once for the app's life, not at
   * every check. Only in this process's memory, never written or sent to the renderer (DESIGN
   * §3.6). Asked for afresh when the server refuses it ([AUTH]): at once, and the same login tries
   * the new answer if it differs (Credentials.refresh: a password changed at the provider and in
   * the user's store goes on working); forgotten when the account's password settings, host,
   * port or user change. Keychain passwords are not kept: another Popbox process (the CLI)
   * can set a new one without this one hearing of it.
   */
  private readonly commandPasswords = new Map<string, { settings: string; password: Promise<string> }>();
  /**
   * Passwords whose source is "session": typed in the screens, kept only in this process's memory
   * (never on disk, never sent to the renderer) and asked for again at the next start, through
   * the same status and settings flow as a refused password. The way on where no keychain answers.
   */
  private readonly sessionSecrets = new MemorySecretStore();

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

  /**
   * Add an account; its keychain passwords are stored before anyone hears of it, and a failure
   * takes the account (and what was stored) back out, so no account is left without its password.
   * `smtpPassword` is the outgoing server's own (needed when it has its own keychain entry).
   */
  async add(input: AccountInput, password?: string, opts: Pick<PasswordChange, 'smtpPassword'> = {}): Promise<AccountSettings> {
    const account = await this.store.add(input);
    const undo = async () => {
      await this.store.remove(account.id);
      await this.forgetSecrets(account.id);
    };
    try {
      const incoming = this.entryStore(account.password);
      if (incoming) {
        if (password === undefined) throw new AppFailure('invalid', 'a password is needed for an account whose password is typed in Popbox');
        await incoming.set(account.id, password);
      }
      const outgoing = this.smtpEntryStore(account.smtp);
      if (outgoing) {
        if (opts.smtpPassword === undefined) {
          throw new AppFailure('invalid', 'a password is needed for the outgoing server (or choose the incoming server’s password for it)');
        }
        await outgoing.set(smtpSecretKey(account.id), opts.smtpPassword);
      }
    } catch (e) {
      await undo();
      throw e;
    }
    this.changed();
    return account;
  }

  /**
   * A change that would send the stored password elsewhere (host, port, security, clear-text
   * login allowed, a certificate pin set, changed or removed) forgets it first: the keychain
   * entry is deleted whatever the source now, a session password too, and
   * a password command set on the command line gives way to the keychain unless the change also
   * comes from the command line (`fromCommandLine`), where the person typing sees both.
   */
  async update(idOrName: string, patch: AccountPatch, password?: string, opts: PasswordChange = {}): Promise<AccountSettings> {
    let before: AccountSettings | undefined;
    const account = await this.store.update(idOrName, patch, async (current, next) => {
      before = current;
      let saved = next;
      // The incoming password goes somewhere new: its own server moved, or the outgoing server
      // starts using it or moves while using it. The second is a defence against the screens
      // (a hostile page borrowing the incoming password for a new host); on the command line the
      // person typing sees both servers, and forgetting the incoming password there broke mail.
      const spreads = incomingPasswordSpreads(current, next) && opts.fromCommandLine !== true;
      if (passwordDestinationChanged(current, next) || spreads) {
        if (!(next.password.source === 'command' && opts.fromCommandLine)) {
          const forgotten = await this.forgetForNewServer(current.id, current.password.source === 'session');
          saved = { ...saved, password: sourceAfterMove(saved.password, forgotten) };
        }
      }
      await this.leaveKeychain(current.id, current.password, saved.password);
      // The outgoing server's own password, by the same rules.
      if (smtpDestinationChanged(current.smtp, next.smtp)) {
        const keepsCommand = saved.smtp?.password.source === 'command' && opts.fromCommandLine === true;
        // Someone who keeps a password command may have no keychain at all: then there is
        // nothing in it to forget, and the command stays.
        const mayFail = keepsCommand || saved.smtp === null || current.smtp?.password.source === 'session';
        const forgotten = await this.forgetForNewServer(smtpSecretKey(current.id), mayFail);
        if (saved.smtp !== null && !keepsCommand) saved = { ...saved, smtp: { ...saved.smtp, password: sourceAfterMove(saved.smtp.password, forgotten) } };
      }
      await this.leaveKeychain(smtpSecretKey(current.id), current.smtp?.password, saved.smtp?.password);
      return saved;
    });
    // A password command's answer does not outlive the settings it was for: a new command, or
    // the login going to another server or user, leaves no old secret in memory.
    if (before && commandPasswordKey(before) !== commandPasswordKey(account)) {
      this.commandPasswords.delete(account.id);
    }
    const incoming = this.entryStore(account.password);
    if (password !== undefined && incoming) await incoming.set(account.id, password);
    const outgoing = this.smtpEntryStore(account.smtp);
    if (opts.smtpPassword !== undefined && outgoing) await outgoing.set(smtpSecretKey(account.id), opts.smtpPassword);
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
    this.commandPasswords.delete(account.id);
    await this.forgetSecrets(account.id);
    this.changed();
    return account;
  }

  /** The login for a connection to the account's server: the one place it is built. */
  async credentialsFor(account: AccountSettings): Promise<Credentials> {
    if (account.password.source !== 'command') return loginCredentials(account, await this.resolveIncoming(account));
    // The password came for these settings and this login: any change asks the command again.
    const settings = commandPasswordKey(account);
    const kept = this.commandPasswords.get(account.id);
    if (kept?.settings === settings) {
      const password = await kept.password;
      return {
        ...loginCredentials(account, password),
        onRefused: () => this.forgetCommandPassword(account.id, kept),
        // A kept password the server refuses may have been changed since (at the provider and
        // in the store the command reads): the command runs again and, if it now prints another
        // one, the same login tries that once. A server counting refusals sees at most one more.
        refresh: async () => {
          this.forgetCommandPassword(account.id, kept);
          const fresh = this.runPasswordCommand(account, settings);
          const answer = await fresh.password.catch(() => undefined);
          if (answer === undefined || answer === password) {
            this.forgetCommandPassword(account.id, fresh);
            return undefined;
          }
          return { ...loginCredentials(account, answer), onRefused: () => this.forgetCommandPassword(account.id, fresh) };
        },
      };
    }
    const entry = this.runPasswordCommand(account, settings);
    return { ...loginCredentials(account, await entry.password), onRefused: () => this.forgetCommandPassword(account.id, entry) };
  }

  /** Runs the account's password command and keeps its answer (a failed run is not kept). */
  private runPasswordCommand(account: AccountSettings, settings: string): { settings: string; password: Promise<string> } {
    const entry = { settings, password: resolvePassword(account, this.opts.secrets) };
    // A command that failed is run again next time (it may have been a pinentry closed).
    entry.password.catch(() => this.forgetCommandPassword(account.id, entry));
    this.commandPasswords.set(account.id, entry);
    return entry;
  }

  private forgetCommandPassword(id: string, entry: { settings: string; password: Promise<string> }): void {
    if (this.commandPasswords.get(id) === entry) this.commandPasswords.delete(id);
  }

  connectOptions(account: AccountSettings, lastSeenFingerprint256?: string): Pop3ConnectOptions {
    const extras = this.opts.connectExtras?.(account);
    const options = accountConnectOptions(account, lastSeenFingerprint256);
    return { ...options, ...extras, tls: { ...options.tls, ...extras?.tls } };
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

  /**
   * Everything a session with the account's outgoing server needs, the password resolved (from
   * its keychain entry, its password command, or the incoming server's): the one place SMTP
   * credentials are built. The outbox calls it for every attempt, so a changed setting or
   * password counts from the next one.
   */
  async smtpSettingsFor(accountId: string): Promise<SmtpSettings> {
    const account = this.get(accountId);
    const smtp = account.smtp;
    if (smtp === null) {
      throw new AppFailure('invalid', `account ${quoteForMessage(account.name)} has no outgoing server: set one up in its settings (or "popbox account set --smtp-host …")`);
    }
    const extras = this.opts.smtpExtras?.(account);
    const settings: SmtpSettings = {
      host: smtp.host,
      port: smtp.port,
      security: smtp.security,
      allowInsecureAuth: smtp.allowInsecureAuth,
      ...extras,
      tls: { ...(smtp.tlsFingerprint ? { pinnedFingerprint256: smtp.tlsFingerprint } : {}), ...extras?.tls },
    };
    if (smtp.auth === 'password') settings.auth = smtpAuth(smtp, await this.smtpPassword(account, smtp));
    return settings;
  }

  /**
   * Connect to an outgoing server, log in, read what it offers, and leave (the settings form's
   * test). Like testConnection, the stored password goes only to the stored server: other
   * settings need the password typed.
   */
  async testSmtp(test: SmtpConnectionTest): Promise<ProbeResult> {
    const auth = test.auth ?? 'password';
    let password: string | undefined;
    if (auth === 'password') {
      if (test.user === undefined) throw new AppFailure('invalid', 'user: is required to log in to the outgoing server');
      if (test.password !== undefined) password = test.password;
      else {
        if (!test.accountId) throw new AppFailure('invalid', 'Enter the password to test the outgoing server.');
        const account = this.get(test.accountId);
        if (account.smtp === null || !sameSmtpConnection(account.smtp, test)) {
          throw new AppFailure('invalid', 'These settings differ from the saved ones: enter the password to test them.');
        }
        password = await this.smtpPassword(account, account.smtp);
      }
    }
    const extras = test.accountId ? this.opts.smtpExtras?.(this.get(test.accountId)) : undefined;
    const pin = test.tlsFingerprint ? { pinnedFingerprint256: test.tlsFingerprint } : {};
    return probeSmtp({
      host: test.host,
      port: test.port,
      security: test.security,
      allowInsecureAuth: test.allowInsecureAuth === true,
      timeouts: { connectMs: 15_000, greetingMs: 15_000, idleMs: 30_000 },
      ...extras,
      tls: { ...pin, ...extras?.tls },
      ...(password !== undefined && test.user !== undefined
        ? { auth: smtpAuth({ user: test.user, ...(test.mechanism ? { mechanism: test.mechanism } : {}) }, password) }
        : {}),
    });
  }

  /** The outgoing server's password from where the account says it lives. */
  private async smtpPassword(account: AccountSettings, smtp: SmtpServer): Promise<string> {
    const source = smtp.password;
    if (source.source === 'incoming') return this.resolveIncoming(account);
    if (source.source === 'command') return resolvePassword({ ...account, password: source }, this.opts.secrets);
    const secret = await (source.source === 'session' ? this.sessionSecrets : this.opts.secrets).get(smtpSecretKey(account.id));
    if (secret === null) {
      if (source.source === 'session') throw sessionPasswordMissing(account.name, 'the outgoing server’s password');
      throw new AppFailure('secret', `no password is stored for the outgoing server of account ${quoteForMessage(account.name)}; set it again`);
    }
    return secret;
  }

  private resolveIncoming(account: AccountSettings): Promise<string> {
    return resolvePassword(account, this.opts.secrets, {}, this.sessionSecrets);
  }

  /** Where a password typed for this source is kept; null for one that is not typed (a command, the incoming one's). */
  private entryStore(source: SmtpServer['password']): SecretStore | null {
    return source.source === 'keychain' ? this.opts.secrets : source.source === 'session' ? this.sessionSecrets : null;
  }

  /** The store of the outgoing server's own password entry, if it has one. */
  private smtpEntryStore(smtp: SmtpServer | null): SecretStore | null {
    return smtp !== null && smtp.auth === 'password' ? this.entryStore(smtp.password) : null;
  }

  /**
   * Before a password can go to a new server: its session copy and its keychain entry are
   * forgotten whatever the source now, since an entry from an earlier keychain source (a detour
   * through "session") must not reach the new server when the source goes back to the keychain.
   * Whether the keychain confirmed; one that does not answer fails the change unless `mayFail`
   * (a session source's keychain may not answer: see sourceAfterMove).
   */
  private async forgetForNewServer(key: string, mayFail: boolean): Promise<boolean> {
    await this.sessionSecrets.delete(key);
    return this.opts.secrets.delete(key).then(
      () => true,
      (e: unknown) => {
        if (!mayFail) throw e;
        return false;
      },
    );
  }

  /**
   * Leaving the keychain forgets its entry now, not at some later change of server. What a
   * keychain that does not answer (the reason to choose "session") still holds was given for
   * this server, and a change of server tries again.
   */
  private async leaveKeychain(key: string, before: { source: string } | undefined, after: { source: string } | undefined): Promise<void> {
    if (before?.source === 'keychain' && after?.source !== 'keychain') await this.opts.secrets.delete(key).catch(() => {});
  }

  /** Every password entry of an account, in memory and (where it answers) in the keychain. */
  private async forgetSecrets(id: string): Promise<void> {
    for (const key of [id, smtpSecretKey(id)]) {
      await this.sessionSecrets.delete(key);
      await this.opts.secrets.delete(key).catch(() => {});
    }
  }

  private changed(): void {
    this.opts.onChange(this.store.list());
  }
}

/**
 * The source of a password whose server moved: a password command gives way to the keychain (the
 * caller keeps one given on the command line), and a keychain that did not confirm the delete
 * leaves the password a session one, never reading an entry that may still be there.
 */
function sourceAfterMove<S extends { source: string }>(next: S, forgotten: boolean): S | { source: 'session' } | { source: 'keychain' } {
  if (!forgotten || next.source === 'session') return { source: 'session' };
  return next.source === 'command' ? { source: 'keychain' } : next;
}

function loginCredentials(login: LoginSettings, password: string): Credentials {
  return { user: login.user, password, ...(login.authMechanism ? { mechanism: login.authMechanism } : {}), allowInsecure: login.allowInsecureAuth };
}

/** The SMTP login: a password for PLAIN, LOGIN, CRAM-MD5 (or the first offered), the access token for XOAUTH2. */
function smtpAuth(login: { user?: string | undefined; mechanism?: SmtpServer['mechanism'] }, password: string): NonNullable<SmtpSettings['auth']> {
  // The schema asks for a user wherever a login is set up; this only keeps an empty one from going out.
  const user = login.user ?? '';
  if (login.mechanism === 'XOAUTH2') return { user, accessToken: password };
  return { user, password, ...(login.mechanism ? { method: login.mechanism } : {}) };
}
