/**
 * The head every whole-App screen test in jsdom shares: elements given a size (jsdom lays
 * nothing out, so the message list's virtualizer would render no rows), and the App rendered
 * over a read model pulling from the API under test.
 */
import { cleanup, render } from '@testing-library/react';
import { IDBKeyRange, indexedDB } from 'fake-indexeddb';
import { afterEach, beforeAll, beforeEach } from 'vitest';
import { App } from '../../../renderer/src/app/App.js';
import { ServicesContext } from '../../../renderer/src/app/context.js';
import type { PopboxApi } from '../../../shared/api.js';
import { PopboxDb } from '../../../renderer/src/db/database.js';
import { ReadModel } from '../../../renderer/src/db/read-model.js';
import { serviceApi, type ServiceApi } from '../service-api.js';

/** Call once per file (in `beforeAll`): every element measures this size, and ResizeObserver never fires. */
export function giveElementsASize(size: { width: number; height: number } = { width: 400, height: 800 }): void {
  Object.defineProperty(HTMLElement.prototype, 'clientHeight', { configurable: true, get: () => size.height });
  Object.defineProperty(HTMLElement.prototype, 'clientWidth', { configurable: true, get: () => size.width });
  Object.defineProperty(HTMLElement.prototype, 'offsetHeight', { configurable: true, get: () => size.height });
  Object.defineProperty(HTMLElement.prototype, 'offsetWidth', { configurable: true, get: () => size.width });
  globalThis.ResizeObserver ??= class {
    observe() {}
    unobserve() {}
    disconnect() {}
  } as unknown as typeof ResizeObserver;
}

/**
 * Renders the App over `db`, its read model pulling from `api` (a pull still running when the
 * test closes the database is not a failure of the test). `stop` ends the pulling.
 */
export function renderApp(db: PopboxDb, api: PopboxApi): { readModel: ReadModel; stop: () => void } {
  const readModel = new ReadModel(db, api, undefined, () => {});
  const stop = readModel.start();
  render(
    <ServicesContext.Provider value={{ api, db, readModel }}>
      <App />
    </ServicesContext.Provider>,
  );
  return { readModel, stop };
}

export interface AppPerTest {
  /** This test's service and API (fresh before each test, closed after it). */
  readonly s: ServiceApi;
  /** This test's read-model database (fresh before each test, closed after it). */
  readonly db: PopboxDb;
  /** Draws the App over this test's database, pulling from `api` (default: the service's own). */
  render(api?: PopboxApi): { readModel: ReadModel; stop: () => void };
}

/**
 * The head of a whole-App screen test file, called once at its top: elements given a size, a
 * fresh service and read-model database before each test (`name` keeps the databases of
 * different files apart), and after it the App unrendered, its pulling stopped and both closed.
 */
export function appPerTest(name: string): AppPerTest {
  let s: ServiceApi | undefined;
  let db: PopboxDb | undefined;
  let stop: (() => void) | undefined;
  let n = 0;
  beforeAll(() => giveElementsASize());
  beforeEach(async () => {
    s = await serviceApi();
    db = new PopboxDb(`${name}-${process.pid}-${++n}`, { indexedDB, IDBKeyRange });
  });
  afterEach(async () => {
    cleanup();
    stop?.();
    stop = undefined;
    db?.close();
    await s?.close();
  });
  const now = <T,>(v: T | undefined): T => {
    if (v === undefined) throw new Error('appPerTest: used outside a test');
    return v;
  };
  return {
    get s() {
      return now(s);
    },
    get db() {
      return now(db);
    },
    render(api) {
      const drawn = renderApp(now(db), api ?? now(s).api);
      stop = drawn.stop;
      return drawn;
    },
  };
}

/** Two accounts, Home and Work, on one never-reached server, checked by hand only: for tests of what each account's status shows. */
export async function addHomeAndWork(s: ServiceApi): Promise<{ home: { id: string }; work: { id: string } }> {
  const account = (name: string) => ({ name, host: '127.0.0.1', port: 995, security: 'tls' as const, user: 'me', checkAtStartup: false, password: { source: 'keychain' as const } });
  return { home: await s.service.addAccount(account('Home'), 'pw'), work: await s.service.addAccount(account('Work'), 'pw') };
}
