/**
 * Where the desktop app keeps passwords (DESIGN §5): the OS keychain through keytar; where no
 * keychain answers, Electron's safeStorage (an encrypted file in the data directory), with a
 * visible warning when its Linux backend is `basic_text` (a fixed key: not really secret).
 * The Electron object is passed in, so this file imports only electron's types and is unit-tested.
 */
import type { SafeStorage } from 'electron';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { PasswordStore } from '../../shared/accounts.js';
import { AppFailure } from '../core/errors.js';
import { KeytarSecretStore, MemorySecretStore, type SecretStore } from '../core/secrets/index.js';
import { checkSecretArgs } from '../core/secrets/secret-store.js';
import { storageError, writeFileAtomic } from '../core/store/durable.js';

/** The part of Electron's safeStorage we use. */
export interface SafeStorageLike {
  isEncryptionAvailable(): boolean;
  encryptString(plain: string): Buffer;
  decryptString(encrypted: Buffer): string;
  /** Linux only. Electron's own answer type, so a backend name misspelt here fails to compile. */
  getSelectedStorageBackend?(): ReturnType<SafeStorage['getSelectedStorageBackend']>;
}

/**
 * With `basic_text` (Linux, no keyring answered) safeStorage encrypts with a key built into
 * Chromium: the file is scrambled, not protected, and the screens must not say "encrypted".
 */
function safeStorageKind(safe: SafeStorageLike): PasswordStore {
  return safe.getSelectedStorageBackend?.() === 'basic_text' ? 'fixed-key-file' : 'encrypted-file';
}

/** Secrets encrypted by safeStorage, base64 in one JSON file replaced atomically. */
export class SafeStorageSecretStore implements SecretStore {
  readonly kind: PasswordStore;
  constructor(
    private readonly safe: SafeStorageLike,
    private readonly file: string,
  ) {
    this.kind = safeStorageKind(safe);
  }

  private async readAll(): Promise<Record<string, string>> {
    try {
      const parsed = JSON.parse(await fs.readFile(this.file, 'utf8')) as unknown;
      return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, string>) : {};
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return {};
      if (e instanceof SyntaxError) throw new AppFailure('secret', `${this.file} is damaged; enter the passwords again`);
      throw storageError(`cannot read ${this.file}`, e);
    }
  }

  async get(accountId: string): Promise<string | null> {
    checkSecretArgs(accountId);
    const all = await this.readAll();
    const sealed = all[accountId];
    if (sealed === undefined) return null;
    try {
      return this.safe.decryptString(Buffer.from(sealed, 'base64'));
    } catch {
      throw new AppFailure('secret', 'the stored password cannot be decrypted on this system; enter it again');
    }
  }

  async set(accountId: string, secret: string): Promise<void> {
    checkSecretArgs(accountId, secret);
    if (!this.safe.isEncryptionAvailable()) throw new AppFailure('secret', 'no way to encrypt passwords on this system');
    const all = await this.readAll();
    all[accountId] = this.safe.encryptString(secret).toString('base64');
    await writeFileAtomic(this.file, JSON.stringify(all, null, 2) + '\n');
  }

  async delete(accountId: string): Promise<void> {
    checkSecretArgs(accountId);
    const all = await this.readAll();
    if (!(accountId in all)) return;
    delete all[accountId];
    await writeFileAtomic(this.file, JSON.stringify(all, null, 2) + '\n');
  }
}

export interface ChosenSecretStore {
  /** Its `kind` says which was chosen (shared/accounts.ts PasswordStore). */
  store: SecretStore;
  /** Shown to the user when their passwords are less protected than they might expect. */
  warning: string | null;
}

const PROBE_ACCOUNT = 'popbox-keychain-probe';

/** Keychain if it answers in time, else safeStorage, else memory; with the warning to show. */
export async function chooseSecretStore(opts: { dataDir: string; safeStorage: SafeStorageLike; keychain?: SecretStore; probeTimeoutMs?: number }): Promise<ChosenSecretStore> {
  const keychain = opts.keychain ?? new KeytarSecretStore();
  const answered = await Promise.race([
    keychain.get(PROBE_ACCOUNT).then(
      () => true,
      () => false,
    ),
    new Promise<boolean>((r) => setTimeout(() => r(false), opts.probeTimeoutMs ?? 3_000).unref()),
  ]);
  if (answered) return { store: keychain, warning: null };
  if (opts.safeStorage.isEncryptionAvailable()) {
    const store = new SafeStorageSecretStore(opts.safeStorage, path.join(opts.dataDir, 'secrets.json'));
    return {
      store,
      warning:
        store.kind === 'fixed-key-file'
          ? 'No keychain is available: passwords are stored with a fixed key that other programs can undo. Install and unlock a keyring (GNOME Keyring or KWallet) to protect them.'
          : null,
    };
  }
  return {
    store: new MemorySecretStore(),
    warning: 'No keychain is available: passwords are kept only until Popbox quits. Use a password command, or install a keyring.',
  };
}
