/** What the accounts are doing right now, for places that would otherwise look idle (an empty list). */
import { useMemo } from 'react';
import { useLiveQuery } from 'dexie-react-hooks';
import { useServices } from '../../app/context.js';
import { inAccountOrder, type AccountRow, type StatusRow } from '../../db/database.js';
import type { MailboxView } from '../../db/message-store.js';
import { progressText } from './explain.js';

/**
 * What `view`'s empty list says while mail is being checked for, else null. An account's folder
 * speaks of that account alone (another account's "Downloading 2 of 5" in it would promise mail
 * that never comes there); the Unified Inbox and a search of all folders speak of every account,
 * naming the one shown when there are several.
 */
export function activityText(view: MailboxView, accounts: readonly AccountRow[], statuses: readonly StatusRow[]): string | null {
  const byId = new Map(statuses.map((s) => [s.accountId, s]));
  const mine = view.kind === 'folder' ? accounts.filter((a) => a.id === view.accountId) : accounts;
  const rows = mine.flatMap((a) => {
    const s = byId.get(a.id);
    return s ? [{ name: a.name, s }] : [];
  });
  // One downloading says more than one still connecting.
  const busy = rows.find(({ s }) => s.state === 'syncing' && s.progress) ?? rows.find(({ s }) => s.state === 'syncing' || s.state === 'queued');
  if (!busy) return null;
  const whose = view.kind !== 'folder' && accounts.length > 1 ? `${busy.name}: ` : '';
  return busy.s.progress ? `${whose}${progressText(busy.s.progress)}. Messages appear here as they arrive.` : `${whose}Checking for new mail…`;
}

/**
 * activityText for `view`, kept up to date from the read model's statuses. `accounts`: the
 * caller's (App already holds them; a second live query of the same table here ran beside it).
 */
export function useSyncActivity(view: MailboxView, accounts: readonly AccountRow[] | undefined): string | null {
  const { db } = useServices();
  // A copy: inAccountOrder sorts in place, and the caller's array is the caller's.
  const ordered = useMemo(() => inAccountOrder([...(accounts ?? [])]), [accounts]);
  const statuses = useLiveQuery(() => db.status.toArray(), [db]) ?? [];
  return activityText(view, ordered, statuses);
}
