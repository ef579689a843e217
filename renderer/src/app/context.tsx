/** What every feature needs, handed down by context (no module-level singletons). */
import { createContext, useContext, useSyncExternalStore } from 'react';
import type { PopboxApi } from '../api/client.js';
import type { PopboxDb } from '../db/database.js';
import type { MessageStore } from '../db/message-store.js';
import type { ReadModel } from '../db/read-model.js';

export interface AppServices {
  api: PopboxApi;
  db: PopboxDb;
  readModel: ReadModel;
}

export const ServicesContext = createContext<AppServices | null>(null);

export function useServices(): AppServices {
  const s = useContext(ServicesContext);
  if (!s) throw new Error('useServices outside <ServicesContext>');
  return s;
}

/** The message store, re-rendering the caller whenever what it holds changes. */
export function useMessages(): MessageStore {
  const { readModel } = useServices();
  useSyncExternalStore(readModel.store.subscribe, readModel.store.getVersion);
  return readModel.store;
}
