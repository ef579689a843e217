/**
 * The contract over ipcMain (DESIGN §1): one handler for every call, each validated by its zod
 * schema in the dispatcher and answered as a Result; calls from anything but our own top frame
 * on our own origin are refused. Events are pushed to the window.
 */
import type { IpcMain, IpcMainInvokeEvent, WebContents } from 'electron';
import { EVENT_NAMES, IPC_CALL, IPC_EVENT } from '../../shared/api.js';
import type { Result } from '../../shared/contract.js';
import type { createDispatcher } from '../core/contract-handler.js';
import type { MailService } from '../core/mail-service.js';
import { isTrustedSender } from './security.js';

export function senderOf(event: Pick<IpcMainInvokeEvent, 'senderFrame' | 'sender'>): { url: string; top: boolean } | null {
  const frame = event.senderFrame;
  if (!frame) return null;
  return { url: frame.url, top: frame === event.sender.mainFrame };
}

export function registerContract(ipcMain: IpcMain, dispatch: ReturnType<typeof createDispatcher>): () => void {
  ipcMain.handle(IPC_CALL, async (event, method: unknown, input: unknown): Promise<Result<unknown>> => {
    if (!isTrustedSender(senderOf(event))) return { ok: false, error: { code: 'invalid', message: 'refused: not the app’s own window' } };
    if (typeof method !== 'string') return { ok: false, error: { code: 'invalid', message: 'method must be a string' } };
    return dispatch(method, input);
  });
  return () => ipcMain.removeHandler(IPC_CALL);
}

/**
 * Forwards every MailService event to the windows open now (the mail window and each compose
 * window: a compose window follows its Outbox to say "Sent", as the mail window does).
 */
export function forwardEvents(service: MailService, targets: () => Iterable<WebContents>): () => void {
  const offs = EVENT_NAMES.map((name) =>
    service.on(name, (payload) => {
      for (const wc of targets()) if (!wc.isDestroyed()) wc.send(IPC_EVENT, name, payload);
    }),
  );
  return () => offs.forEach((off) => off());
}
