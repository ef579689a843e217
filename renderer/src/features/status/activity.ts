/** What the accounts are doing right now, for places that would otherwise look idle (an empty list). */
import { useLiveQuery } from 'dexie-react-hooks';
import { useServices } from '../../app/context.js';
import { progressText } from './explain.js';

/** "Downloading 106 of 300 · …" while some account checks for mail, else null. */
export function useSyncActivity(): string | null {
  const { db } = useServices();
  const statuses = useLiveQuery(() => db.status.toArray(), [db]) ?? [];
  const busy = statuses.find((s) => s.state === 'syncing' && s.progress) ?? statuses.find((s) => s.state === 'syncing' || s.state === 'queued');
  if (!busy) return null;
  return busy.progress ? `${progressText(busy.progress)}. Messages appear here as they arrive.` : 'Checking for new mail…';
}
