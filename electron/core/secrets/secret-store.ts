/**
 * Where passwords live (DESIGN §5): behind one interface, so the keychain, Electron's
 * safeStorage and tests can stand in for each other. Keyed by account id, never by name: a
 * rename must not lose the password.
 */
import type { PasswordStore } from '../../../shared/accounts.js';
import { AppFailure } from '../errors.js';

export interface SecretStore {
  /** Where the secrets really are, for the screens' words (shared/accounts.ts PasswordStore). */
  readonly kind: PasswordStore;
  /** The secret, or null when none is stored for this account. */
  get(accountId: string): Promise<string | null>;
  set(accountId: string, secret: string): Promise<void>;
  /** Removing a secret that is not there is not an error. */
  delete(accountId: string): Promise<void>;
}

/** Refuses what no store can keep, the same way in every implementation. */
export function checkSecretArgs(accountId: string, secret?: string): void {
  if (accountId === '') throw new AppFailure('invalid', 'account id: must not be empty');
  if (secret === '') throw new AppFailure('invalid', 'password: must not be empty');
}

/** For tests and the web host: nothing leaves the process. */
export class MemorySecretStore implements SecretStore {
  readonly kind = 'memory';
  private readonly secrets = new Map<string, string>();

  async get(accountId: string): Promise<string | null> {
    checkSecretArgs(accountId);
    return this.secrets.get(accountId) ?? null;
  }

  async set(accountId: string, secret: string): Promise<void> {
    checkSecretArgs(accountId, secret);
    this.secrets.set(accountId, secret);
  }

  async delete(accountId: string): Promise<void> {
    checkSecretArgs(accountId);
    this.secrets.delete(accountId);
  }
}
