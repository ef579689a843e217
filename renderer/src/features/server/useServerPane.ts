/**
 * Whether the list pane shows an account's On the server view instead of a folder, and which
 * account's. The view closes by itself when its account is removed (here or in another window).
 */
import { useEffect, useMemo, useState } from 'react';
import type { PopboxApi } from '../../api/client.js';
import { contractSource, type ServerSource } from './source.js';

export interface ServerPane {
  /** The account whose server is shown, or null (a folder is). */
  accountId: string | null;
  open(accountId: string): void;
  close(): void;
  source: ServerSource;
}

/** `accounts`: the accounts as the window knows them (undefined while they load). */
export function useServerPane(api: PopboxApi, accounts: readonly { id: string }[] | undefined): ServerPane {
  const [accountId, setAccountId] = useState<string | null>(null);
  const source = useMemo(() => contractSource(api), [api]);
  const gone = !!accountId && !!accounts && !accounts.some((a) => a.id === accountId);
  useEffect(() => {
    if (gone) setAccountId(null);
  }, [gone]);
  return { accountId: gone ? null : accountId, open: setAccountId, close: () => setAccountId(null), source };
}
