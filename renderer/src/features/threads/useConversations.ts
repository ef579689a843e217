/**
 * The conversation switch of the list (t, or the Conversations button): on, the view's ids are
 * grouped one row per thread. Remembered across starts.
 */
import { useCallback, useMemo, useState, useSyncExternalStore } from 'react';
import type { PopboxApi } from '../../../../shared/api.js';
import type { MessageStore } from '../../db/message-store.js';
import { groupByConversation, type ThreadInfo } from './conversation.js';
import { threadModelFor, type ThreadModel } from './thread-model.js';
import './threads.css';

const KEY = 'popbox.conversations';

export function useThreadModel(api: PopboxApi): ThreadModel {
  const model = threadModelFor(api);
  useSyncExternalStore(model.subscribe, model.getVersion);
  return model;
}

export function useConversations(api: PopboxApi, store: MessageStore, ids: string[]): { on: boolean; toggle: () => void; ids: string[]; info: ReadonlyMap<string, ThreadInfo> } {
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
  const grouped = useMemo(() => (on ? groupByConversation(ids, model, store) : null), [on, ids, model, model.version, store.version]);
  return { on, toggle, ids: grouped?.ids ?? ids, info: grouped?.info ?? new Map() };
}
