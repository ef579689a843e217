/**
 * The conversation switch of the list (t, or the Conversations button): on, the view's ids are
 * grouped one row per thread, and a command on rows (`targets`) acts on their conversations'
 * messages in the view. Remembered across starts.
 */
import { useCallback, useMemo, useState, useSyncExternalStore } from 'react';
import type { PopboxApi } from '../../../../shared/api.js';
import type { MessageStore } from '../../db/message-store.js';
import { conversationJunkTargets, conversationTargets, groupByConversation, ThreadInfoCache, type RowOrder, type ThreadInfo } from './conversation.js';
import { ownAddresses, type OwnAddressSource } from '../../../../shared/own-addresses.js';
import { threadModelFor, type ThreadModel } from './thread-model.js';
import './threads.css';

const KEY = 'popbox.conversations';

export function useThreadModel(api: PopboxApi): ThreadModel {
  const model = threadModelFor(api);
  useSyncExternalStore(model.subscribe, model.getVersion);
  return model;
}

export interface Conversations {
  on: boolean;
  toggle: () => void;
  /** The list's rows: one per conversation when on. */
  ids: string[];
  info: ReadonlyMap<string, ThreadInfo>;
  /** What a command on these rows acts on: on, all their conversations' messages in the view; off, the rows. */
  targets: (rowIds: readonly string[]) => string[];
  /** What Junk / Not junk on these rows acts on: on, only their conversations' messages on each row's side of the outsider split. */
  junkTargets: (rowIds: readonly string[]) => string[];
  /** The user's addresses, read once here and handed to the reading pane's conversation (the outsider split). */
  own: ReadonlySet<string>;
}

/**
 * `accounts`: whose addresses are the user's (the outsider split leaves them out). `order`: the
 * list's order, which conversation rows follow by the newest message each shows.
 */
export function useConversations(api: PopboxApi, store: MessageStore, ids: string[], accounts?: readonly OwnAddressSource[], order?: RowOrder | null): Conversations {
  const model = useThreadModel(api);
  const [on, setOn] = useState(() => {
    try {
      return localStorage.getItem(KEY) === '1';
    } catch {
      return false;
    }
  });
  const toggle = useCallback(() => {
    setOn((was) => {
      try {
        localStorage.setItem(KEY, was ? '0' : '1');
      } catch {
        // a window without storage forgets the choice at close
      }
      return !was;
    });
  }, []);
  // One cache for the model and store (both live as long as the window): a change of either
  // recounts only the conversations it touched (ThreadInfoCache checks each entry's members).
  const cache = useMemo(() => new ThreadInfoCache(), [model, store]);
  const grouped = useMemo(() => (on ? groupByConversation(ids, model, store, cache.validate(model.version, store.version), order) : null), [on, ids, model, model.version, store.version, cache, order]);
  // The view's messages, looked up only when a command runs on conversation rows.
  const listed = useMemo(() => (on ? { ids, set: null as Set<string> | null } : null), [on, ids]);
  const targets = useCallback(
    (rowIds: readonly string[]) => {
      if (!listed) return [...rowIds];
      listed.set ??= new Set(listed.ids);
      return conversationTargets(rowIds, model, listed.set);
    },
    [listed, model],
  );
  const own = useMemo(() => ownAddresses(accounts ?? []), [accounts]);
  const junkTargets = useCallback(
    (rowIds: readonly string[]) => {
      if (!listed) return [...rowIds];
      listed.set ??= new Set(listed.ids);
      return conversationJunkTargets(rowIds, model, listed.set, store, own);
    },
    [listed, model, store, own],
  );
  return { on, toggle, ids: grouped?.ids ?? ids, info: grouped?.info ?? new Map(), targets, junkTargets, own };
}
