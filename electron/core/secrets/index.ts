export type { SecretStore } from './secret-store.js';
export { MemorySecretStore } from './secret-store.js';
export { KeytarSecretStore, KEYCHAIN_SERVICE } from './keytar-secret-store.js';
export type { Keytar, KeytarSecretStoreOptions } from './keytar-secret-store.js';
export { runPasswordCommand } from './password-command.js';
export type { PasswordCommandOptions } from './password-command.js';
export { resolvePassword, sessionPasswordMissing } from './resolve-password.js';
