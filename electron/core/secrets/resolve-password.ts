/** The password for a login, from wherever the account says it lives. */
import type { AccountSettings } from '../../../shared/accounts.js';
import { AppFailure, quoteForMessage } from '../errors.js';
import { runPasswordCommand, type PasswordCommandOptions } from './password-command.js';
import type { SecretStore } from './secret-store.js';

export async function resolvePassword(
  account: Pick<AccountSettings, 'id' | 'name' | 'password'>,
  secrets: SecretStore,
  options: PasswordCommandOptions = {},
): Promise<string> {
  switch (account.password.source) {
    case 'keychain': {
      const secret = await secrets.get(account.id);
      if (secret === null) {
        throw new AppFailure('secret', `no password is stored for account ${quoteForMessage(account.name)}; set it again`);
      }
      return secret;
    }
    case 'command':
      return runPasswordCommand(account.password.command, options);
  }
}
