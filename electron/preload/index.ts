/**
 * The preload: `window.popbox`, built from the contract's names by the same buildApi as the web
 * host's, and nothing else — no ipcRenderer, no process, no generic send. Bundled to one
 * CommonJS file (sandboxed preloads cannot load ES modules): `npm run build`.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { buildApi, IPC_CALL, IPC_EVENT } from '../../shared/api.js';
import type { Result } from '../../shared/contract.js';

const api = buildApi(
  (method, input) => ipcRenderer.invoke(IPC_CALL, method, input) as Promise<Result<unknown>>,
  (event, listener) => {
    const handler = (_e: IpcRendererEvent, name: unknown, payload: unknown) => {
      if (name === event) (listener as (p: unknown) => void)(payload);
    };
    ipcRenderer.on(IPC_EVENT, handler);
    return () => {
      ipcRenderer.removeListener(IPC_EVENT, handler);
    };
  },
);

contextBridge.exposeInMainWorld('popbox', api);
