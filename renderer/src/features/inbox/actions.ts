/**
 * Commands on messages go up to main only (DESIGN §2); the list changes when the change comes
 * back down the feed. A command that fails is reported, never applied locally.
 *
 * They go up one after another, in the order given: main opens an account's mailbox for one
 * command at a time and refuses a second one meanwhile (in-use), so Delete (move this one to
 * Trash, open the next, which marks it read) lost one of its two commands when both overlapped.
 */
import type { PopboxApi } from '../../../../shared/api.js';
import { call } from '../../api/client.js';

export interface MessageActions {
  setSeen(ids: string[], seen: boolean): Promise<void>;
  setFlagged(ids: string[], flagged: boolean): Promise<void>;
  trash(ids: string[]): Promise<void>;
  restore(ids: string[]): Promise<void>;
  /** Asks first; the caller deletes only on yes (and moves nothing on no). */
  confirmDelete(count: number): boolean;
  deleteForGood(ids: string[]): Promise<void>;
}

export function messageActions(api: PopboxApi, report: (message: string) => void, confirm: (question: string) => boolean): MessageActions {
  let queue: Promise<void> = Promise.resolve();
  const run = (what: string, fn: () => Promise<unknown>): Promise<void> =>
    (queue = queue.then(async () => {
      try {
        await fn();
      } catch (e) {
        report(`${what} failed: ${(e as Error).message}`);
      }
    }));
  return {
    setSeen: (ids, seen) => run(seen ? 'Mark as read' : 'Mark as unread', () => call(api, 'setFlags', { ids, flags: { seen } })),
    setFlagged: (ids, flagged) => run(flagged ? 'Flag' : 'Unflag', () => call(api, 'setFlags', { ids, flags: { flagged } })),
    trash: (ids) => run('Move to Trash', () => call(api, 'moveToTrash', { ids })),
    restore: (ids) => run('Restore', () => call(api, 'restore', { ids })),
    confirmDelete: (n) => confirm(`Delete ${n === 1 ? 'this message' : `${n.toLocaleString()} messages`} permanently? This cannot be undone.`),
    deleteForGood: (ids) => run('Delete permanently', () => call(api, 'deleteForGood', { ids })),
  };
}
