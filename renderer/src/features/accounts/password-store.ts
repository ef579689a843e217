/**
 * Where a password typed in the settings is really kept, in the Password fields' hints: "Stored in
 * your system's keychain" was said while the app kept it in memory (`--secrets memory`) or in
 * safeStorage's file (walkthrough m1). Main says which store it uses; asked once per window.
 */
import { useEffect, useState } from 'react';
import type { PasswordStore } from '../../../../shared/accounts.js';
import { call, type PopboxApi } from '../../api/client.js';
import { useServices } from '../../app/context.js';
import type { TypedPasswordSource } from './outgoing.js';

const asked = new WeakMap<PopboxApi, Promise<PasswordStore>>();

/** The store main uses, or null until it has answered (or when it could not). */
export function usePasswordStore(): PasswordStore | null {
  const { api } = useServices();
  const [kind, setKind] = useState<PasswordStore | null>(null);
  useEffect(() => {
    let current = true;
    let answer = asked.get(api);
    if (!answer) {
      answer = call(api, 'passwordStore', {}).then((r) => r.kind);
      asked.set(api, answer);
      // A failed question is asked again by the next screen, not remembered.
      answer.catch(() => asked.delete(api));
    }
    answer.then(
      (k) => current && setKind(k),
      () => {},
    );
    return () => void (current = false);
  }, [api]);
  return kind;
}

/** Where a password typed now goes, in words; null while main has not said (better nothing than a wrong place). */
export function keptWhere(store: PasswordStore | null, source: TypedPasswordSource): string | null {
  if (source === 'session') return 'Not saved on this computer: Popbox keeps it only while it runs and asks for it again after each start.';
  switch (store) {
    case 'keychain':
      return 'Stored in your system’s keychain.';
    case 'encrypted-file':
      return 'Stored encrypted in Popbox’s data folder (no system keychain answered).';
    case 'fixed-key-file':
      // safeStorage's basic_text: "encrypted" with a key every copy of Chromium has, so not protected.
      return 'Saved in a file in Popbox’s data folder, not protected by a keychain (none answered): anyone who can read your files can read it.';
    case 'memory':
      return 'Kept only in memory while Popbox runs (no keychain is in use): type it again after Popbox restarts.';
    default:
      return null;
  }
}
