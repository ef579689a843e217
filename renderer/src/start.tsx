/** The app: the API (preload or web host), the read model, the React tree (loaded by main.tsx). */
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { getApi } from './api/client.js';
import { App } from './app/App.js';
import { ServicesContext } from './app/context.js';
import { PopboxDb } from './db/database.js';
import type { StoredHead } from './db/head.js';
import { ReadModel } from './db/read-model.js';
import { followTheme } from './app/theme.js';

export function start(root: HTMLElement, head: StoredHead | null, takeSnapshotClick: () => string | null): void {
  performance.mark('popbox:app');
  const api = getApi();
  followTheme(api);
  const db = new PopboxDb();
  const readModel = new ReadModel(db, api);
  // The first screenful from the last session, before the first render.
  readModel.primeHead(head);
  readModel.start();

  createRoot(root).render(
    <StrictMode>
      <ServicesContext.Provider value={{ api, db, readModel }}>
        <App takeSnapshotClick={takeSnapshotClick} />
      </ServicesContext.Provider>
    </StrictMode>,
  );
}
