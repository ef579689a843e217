/**
 * The head every whole-App screen test in jsdom shares: elements given a size (jsdom lays
 * nothing out, so the message list's virtualizer would render no rows), and the App rendered
 * over a read model pulling from the API under test.
 */
import { render } from '@testing-library/react';
import { App } from '../../../renderer/src/app/App.js';
import { ServicesContext } from '../../../renderer/src/app/context.js';
import type { PopboxApi } from '../../../shared/api.js';
import type { PopboxDb } from '../../../renderer/src/db/database.js';
import { ReadModel } from '../../../renderer/src/db/read-model.js';

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
