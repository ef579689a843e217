/**
 * The contract over ipcMain (DESIGN §1): one handler for every call, each validated by its zod
 * schema in the dispatcher and answered as a Result; calls from anything but our own top frame
 * on our own origin are refused. Events are pushed to the window.
 */
import type { IpcMain, IpcMainInvokeEvent, WebContents } from 'electron';
import { EVENT_NAMES, IPC_CALL, IPC_EVENT } from '../../shared/api.js';
import type { EventName, Result } from '../../shared/contract.js';
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

/** What a compose window is told: its Outbox's changes, to say "Sent" (nothing of the mail it does not show). */
export const COMPOSE_WINDOW_EVENTS: readonly EventName[] = ['outboxChanged'];

/**
 * Forwards MailService's events (`names`, every one unless given) to the windows `targets` gives
 * at that moment.
 */
export function forwardEvents(service: MailService, targets: () => Iterable<WebContents>, names: readonly EventName[] = EVENT_NAMES): () => void {
  const offs = names.map((name) =>
    service.on(name, (payload) => {
      for (const wc of targets()) if (!wc.isDestroyed()) wc.send(IPC_EVENT, name, payload);
    }),
  );
  return () => offs.forEach((off) => off());
}
