/**
 * The Outbox of some accounts as main knows it: asked once, then again on each `outboxChanged`
 * for one of them (the event carries only the account's id, never the messages).
 */
import { useEffect, useState } from 'react';
import type { OutboxItem } from '../../../../shared/contract.js';
import { call } from '../../api/client.js';
import { useServices } from '../../app/context.js';

export function useOutbox(accountIds: readonly string[]): OutboxItem[] | null {
  const { api } = useServices();
  const [items, setItems] = useState<Map<string, OutboxItem[]>>(new Map());
  const [loaded, setLoaded] = useState(false);
  const key = accountIds.join('\u0000');
  useEffect(() => {
    let live = true;
    // Answers can cross: only the latest asked for an account counts.
    const asked = new Map<string, number>();
    const load = (accountId: string) => {
      const n = (asked.get(accountId) ?? 0) + 1;
      asked.set(accountId, n);
      return call(api, 'outboxStatus', { accountId }).then(
        (list) => {
          if (!live || asked.get(accountId) !== n) return;
          setItems((m) => new Map(m).set(accountId, list));
        },
        // An account removed meanwhile, or main busy: the next event asks again.
        () => {},
      );
    };
    void Promise.all(accountIds.map(load)).then(() => live && setLoaded(true));
    const off = api.on('outboxChanged', ({ accountId }) => {
      if (accountIds.includes(accountId)) void load(accountId);
    });
    return () => {
      live = false;
      off();
    };
  }, [api, key]);
  if (!loaded) return null;
  return accountIds.flatMap((id) => items.get(id) ?? []).sort((a, b) => a.queuedAt - b.queuedAt);
}

/** Now, again every second while something counts down ("Sends in 4 s"). */
export function useNow(ticking: boolean): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!ticking) return;
    setNow(Date.now());
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, [ticking]);
  return now;
}
