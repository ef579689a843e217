/** Boot: the API (preload or web host), the read model, the React tree. */
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { getApi } from './api/client.js';
import { App } from './app/App.js';
import { ServicesContext } from './app/context.js';
import { PopboxDb } from './db/database.js';
import { ReadModel } from './db/read-model.js';
import './app/styles.css';

performance.mark('popbox:start');
const api = getApi();
const db = new PopboxDb();
const readModel = new ReadModel(db, api);
// The first screenful from the last session, before the first render.
readModel.primeHead();
readModel.start();

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <ServicesContext.Provider value={{ api, db, readModel }}>
      <App />
    </ServicesContext.Provider>
  </StrictMode>,
);
