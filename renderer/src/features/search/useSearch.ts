/**
 * The search box's question answered by main (issue 17): asked as the person types (after a short
 * pause, the query exactly as typed so main can take the last word as a prefix), asked again
 * when the mail changes (one question on its way at a time), and an answer never replaced by an
 * older one. The previous answer stays while the next is on its way, so the list never blanks
 * between keystrokes.
 */
import { useEffect, useRef, useState } from 'react';
import type { PopboxApi } from '../../../../shared/api.js';
import type { SearchInput, SearchResult } from '../../../../shared/search.js';
import { call, isApiError } from '../../api/client.js';
import { INBOX } from '../../../../shared/folders.js';
import type { MailboxView } from '../../db/message-store.js';

/** How long typing pauses before main is asked: fast typists send one question per word, not per key. */
export const SEARCH_DEBOUNCE_MS = 120;

export type SearchScope = Pick<SearchInput, 'accountId' | 'folder'>;

/** What part of the mail a view's search covers: the Unified Inbox is every account's Inbox. */
export function searchScope(view: MailboxView): SearchScope {
  if (view.kind === 'folder') return { accountId: view.accountId, folder: view.folder };
  if (view.kind === 'unified') return { folder: INBOX };
  return {};
}

/**
 * Whether the query names its own place (in:FOLDER, account:NAME): then it searches all mail, as
 * in Gmail, rather than only inside the folder on screen (where in:Archive would find nothing).
 */
export function queryChoosesPlace(query: string): boolean {
  return /(^|[\s(])-?(in|account):\S/i.test(query);
}

export type SearchAnswer =
  /** Nothing typed. */
  | { status: 'idle' }
  /** main has not answered this question yet; `previous` is the last answer (another question's). */
  | { status: 'searching'; key: string; previous: SearchResult | null }
  | { status: 'answered'; key: string; result: SearchResult }
  | { status: 'failed'; key: string; message: string };

/** The question as one string: an answer belongs to exactly one. */
export const searchKey = (query: string, scope: SearchScope) => JSON.stringify([query, scope.accountId ?? null, scope.folder ?? null]);

/** A question on its way; `again`: the mail changed meanwhile, so ask once more when it lands. */
type Flight = { again: (() => void) | null };

/** `refresh`: changes when the mail does (the store's version), so main is asked again. */
export function useSearch(api: PopboxApi, query: string, scope: SearchScope, refresh: unknown): SearchAnswer {
  const key = searchKey(query, scope);
  const blank = query.trim() === '';
  const [answer, setAnswer] = useState<SearchAnswer>({ status: 'idle' });
  // Questions in the order asked, and the newest question whose answer is shown. Asked again
  // because the mail changed, the same question's earlier answer still counts until the newer
  // one comes, and a question already due is not put off: a sync changing the mail faster than
  // main answered (a loaded machine, a long download) left the search "Searching…" until the
  // mail stopped changing, never asked at all when it changed more often than the typing pause.
  const asked = useRef({ n: 0, shown: 0, key: '' });
  const due = useRef<{ key: string; timer: ReturnType<typeof setTimeout> } | null>(null);
  // Questions on their way, by key, each with the asking to do again when it lands. One at a time
  // per key: a sync of hundreds of messages changes the mail every few tens of ms, and asking on
  // each change cost main a full-text query every ~150 ms for the whole sync, several at once. The
  // mail changing while one is on its way asks once more when it lands (after the typing pause),
  // however many changes came.
  const flying = useRef(new Map<string, Flight>());
  useEffect(() => {
    const q = asked.current;
    if (blank) {
      q.key = '';
      if (due.current) clearTimeout(due.current.timer);
      due.current = null;
      setAnswer({ status: 'idle' });
      return;
    }
    q.key = key;
    setAnswer((a) => (a.status !== 'idle' && a.key === key ? a : { status: 'searching', key, previous: a.status === 'answered' ? a.result : a.status === 'searching' ? a.previous : null }));
    // Already due: it asks about the mail as it is when it goes.
    if (due.current?.key === key) return;
    if (due.current) clearTimeout(due.current.timer);
    due.current = null;
    const askSoon = (go: () => void) => {
      const timer = setTimeout(() => {
        due.current = null;
        go();
      }, SEARCH_DEBOUNCE_MS);
      due.current = { key, timer };
    };
    const ask = () => {
      const n = ++q.n;
      const flight: Flight = { again: null };
      flying.current.set(key, flight);
      const take = (next: SearchAnswer) => {
        flying.current.delete(key);
        if (q.key !== key) return;
        if (n >= q.shown) {
          q.shown = n;
          setAnswer(next);
        }
        // After the pause too: a main answering in a few ms is not asked on every change.
        if (flight.again && !due.current) askSoon(flight.again);
      };
      call(api, 'search', { query, ...scope }).then(
        (result) => take({ status: 'answered', key, result }),
        (e: unknown) => take({ status: 'failed', key, message: isApiError(e) ? e.message : 'this version of Popbox cannot search message bodies' }),
      );
    };
    const onItsWay = flying.current.get(key);
    if (onItsWay) {
      onItsWay.again = ask;
      return;
    }
    askSoon(ask);
  }, [api, key, blank, refresh]);
  useEffect(
    () => () => {
      if (due.current) clearTimeout(due.current.timer);
      due.current = null;
      asked.current.key = '';
    },
    [],
  );
  // Until the effect runs, an answer to another question is not this one's.
  if (blank) return { status: 'idle' };
  if (answer.status !== 'idle' && answer.key !== key) return { status: 'searching', key, previous: answer.status === 'answered' ? answer.result : answer.status === 'searching' ? answer.previous : null };
  return answer.status === 'idle' ? { status: 'searching', key, previous: null } : answer;
}
