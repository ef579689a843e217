/**
 * One account's server listing as main has it: the cached listing at once, a refresh from the
 * server when asked (and on opening when it was never listed), and the listing asked again on
 * every `serverChanged` for the account. Answers that cross are put in the order they were
 * asked: one older than what is shown is dropped.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import type { AppError } from '../../../../shared/errors.js';
import type { ServerListing } from '../../../../shared/server-view.js';
import { isApiError } from '../../api/client.js';
import type { ServerSource } from './source.js';

export type ServerFailure = Pick<AppError, 'code' | 'message'>;

export interface ServerListingState {
  listing: ServerListing | null;
  /** Connected to the server right now (Refresh). */
  refreshing: boolean;
  /** The last refresh or read failed, and why (cleared by the next success). */
  error: ServerFailure | null;
  refresh(): void;
  /** Main answered that these are gone from the server: show them gone before the listing comes back. */
  drop(uidls: readonly string[]): void;
}

export function failureOf(e: unknown): ServerFailure {
  if (isApiError(e)) return { code: e.code, message: e.message };
  return { code: 'protocol', message: e instanceof Error ? e.message : String(e) };
}

/** The requests of one account's view: a new account (or unmounting) starts a new one. */
interface Round {
  asked: number;
  applied: number;
  refreshes: number;
  over: boolean;
}

export function useServerListing(source: ServerSource, accountId: string): ServerListingState {
  const [listing, setListing] = useState<ServerListing | null>(null);
  const [refreshing, setRefreshing] = useState(false);
  const [error, setError] = useState<ServerFailure | null>(null);
  const round = useRef<Round>({ asked: 0, applied: 0, refreshes: 0, over: true });

  const load = useCallback(
    async (refresh: boolean): Promise<ServerListing | null> => {
      const r = round.current;
      const n = ++r.asked;
      if (refresh) setRefreshing(++r.refreshes > 0);
      try {
        const got = await source.listing(accountId, refresh);
        if (r.over) return null;
        if (n < r.applied) {
          // Overtaken by a later read: main's cache holds what this refresh found; read it again.
          if (refresh) void load(false);
          return null;
        }
        r.applied = n;
        setListing(got);
        setError(null);
        return got;
      } catch (e) {
        if (!r.over && n >= r.applied) setError(failureOf(e));
        return null;
      } finally {
        if (refresh && !r.over) setRefreshing(--r.refreshes > 0);
      }
    },
    [source, accountId],
  );

  useEffect(() => {
    const r: Round = { asked: 0, applied: 0, refreshes: 0, over: false };
    round.current = r;
    setListing(null);
    setError(null);
    setRefreshing(false);
    // Never listed: look at the server now, as opening MailWasher does.
    void load(false).then((got) => got && got.listedAt === null && !r.over && void load(true));
    const off = source.onChanged((id) => id === accountId && void load(false));
    return () => {
      r.over = true;
      off();
    };
  }, [source, accountId, load]);

  const drop = useCallback((uidls: readonly string[]) => {
    const gone = new Set(uidls);
    setListing((l) => {
      if (!l) return l;
      const leaving = l.messages.filter((m) => gone.has(m.uidl));
      const bytes = leaving.reduce((n, m) => n + m.size, 0);
      return { ...l, messages: l.messages.filter((m) => !gone.has(m.uidl)), messageCount: Math.max(0, l.messageCount - leaving.length), mailboxBytes: Math.max(0, l.mailboxBytes - bytes) };
    });
  }, []);

  return { listing, refreshing, error, refresh: () => void load(true), drop };
}
