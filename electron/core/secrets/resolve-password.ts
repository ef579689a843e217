/** The password for a login, from wherever the account says it lives. */
import type { AccountSettings } from '../../../shared/accounts.js';
import { AppFailure, quoteForMessage } from '../errors.js';
import { runPasswordCommand, type PasswordCommandOptions } from './password-command.js';
import type { SecretStore } from './secret-store.js';

/** Why a login has no password to go with: a "session" password typed in another run (or another process, the CLI). */
export function sessionPasswordMissing(accountName: string, what = 'the password'): AppFailure {
  return new AppFailure(
    'secret',
    `${what} of account ${quoteForMessage(accountName)} is kept only while Popbox runs, not saved on this computer; enter it again`,
  );
}

/**
 * `session`: the passwords typed in this process and kept in its memory only (source "session");
 * a process without them (the CLI, a new start) asks for the password again.
 */
export async function resolvePassword(
  account: Pick<AccountSettings, 'id' | 'name' | 'password'>,
  secrets: SecretStore,
  options: PasswordCommandOptions = {},
  session?: SecretStore,
): Promise<string> {
  switch (account.password.source) {
    case 'keychain': {
      const secret = await secrets.get(account.id);
      if (secret === null) {
        throw new AppFailure('secret', `no password is stored for account ${quoteForMessage(account.name)}; set it again`);
      }
      return secret;
    }
    case 'session': {
      const secret = session ? await session.get(account.id) : null;
      if (secret === null) throw sessionPasswordMissing(account.name);
      return secret;
    }
    case 'command':
      return runPasswordCommand(account.password.command, options);
  }
}
