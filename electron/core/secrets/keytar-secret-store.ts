/**
 * Secrets in the operating system's keychain through keytar (macOS Keychain, Windows
 * Credential Vault, libsecret on Linux). keytar is a native module: it is loaded on first use,
 * so a machine where it cannot load or no keyring answers still runs everything else, and the
 * failure becomes a `secret` error that points to the alternative.
 */
import { AppFailure } from '../errors.js';
import { checkSecretArgs, type SecretStore } from './secret-store.js';

export const KEYCHAIN_SERVICE = 'Popbox';

export interface Keytar {
  getPassword(service: string, account: string): Promise<string | null>;
  setPassword(service: string, account: string, password: string): Promise<void>;
  deletePassword(service: string, account: string): Promise<boolean>;
}

export interface KeytarSecretStoreOptions {
  /** Service name of the keychain entries; one entry per account id. */
  service?: string;
  /** How keytar is loaded; tests replace it. */
  load?: () => Promise<Keytar>;
}

const ALTERNATIVE = 'use a password command instead';

async function loadKeytar(): Promise<Keytar> {
  const mod = (await import('keytar')) as Keytar & { default?: Keytar };
  // keytar is CommonJS: its exports arrive as `default`, and as names only where node can see them.
  return mod.default ?? mod;
}

export class KeytarSecretStore implements SecretStore {
  readonly kind = 'keychain';
  private readonly service: string;
  private readonly load: () => Promise<Keytar>;
  private keytar: Promise<Keytar> | undefined;

  constructor(options: KeytarSecretStoreOptions = {}) {
    this.service = options.service ?? KEYCHAIN_SERVICE;
    this.load = options.load ?? loadKeytar;
  }

  async get(accountId: string): Promise<string | null> {
    checkSecretArgs(accountId);
    const keytar = await this.keytarModule();
    return this.call('read', () => keytar.getPassword(this.service, accountId));
  }

  async set(accountId: string, secret: string): Promise<void> {
    checkSecretArgs(accountId, secret);
    const keytar = await this.keytarModule();
    await this.call('store', () => keytar.setPassword(this.service, accountId, secret), secret);
  }

  async delete(accountId: string): Promise<void> {
    checkSecretArgs(accountId);
    const keytar = await this.keytarModule();
    await this.call('delete', () => keytar.deletePassword(this.service, accountId));
  }

  private keytarModule(): Promise<Keytar> {
    this.keytar ??= this.load().catch((e: unknown) => {
      throw new AppFailure('secret', `the system keychain is not available (keytar did not load: ${firstLine(e)}); ${ALTERNATIVE}`, {
        cause: e,
      });
    });
    return this.keytar;
  }

  private async call<T>(what: 'read' | 'store' | 'delete', op: () => Promise<T>, secret?: string): Promise<T> {
    try {
      return await op();
    } catch (e) {
      let reason = firstLine(e);
      // Keyring errors are not known to echo the secret; make sure of it anyway.
      if (secret) reason = reason.split(secret).join('…');
      throw new AppFailure(
        'secret',
        `the system keychain could not ${what} the password (${reason}); unlock or start the keyring, or ${ALTERNATIVE}`,
      );
    }
  }
}

function firstLine(e: unknown): string {
  const text = (e instanceof Error ? e.message : String(e)).split('\n', 1)[0] ?? '';
  // eslint-disable-next-line no-control-regex
  const clean = text.replace(/[\x00-\x1f\x7f]/g, '?');
  return clean.length > 200 ? `${clean.slice(0, 200)}…` : clean;
}
