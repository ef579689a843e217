/**
 * Commands on messages go up to main only (DESIGN §2); the list changes when the change comes
 * back down the feed. A command that fails is reported, never applied locally.
 *
 * They go up one after another, in the order given: main opens an account's mailbox for one
 * command at a time and refuses a second one meanwhile (in-use), so Delete (move this one to
 * Trash, open the next, which marks it read) lost one of its two commands when both overlapped.
 */
import type { PopboxApi } from '../../../../shared/api.js';
import type { JunkedBy } from '../../../../shared/changes.js';
import { call } from '../../api/client.js';

export interface MessageActions {
  setSeen(ids: string[], seen: boolean): Promise<void>;
  setFlagged(ids: string[], flagged: boolean): Promise<void>;
  trash(ids: string[]): Promise<void>;
  restore(ids: string[]): Promise<void>;
  /** Into a folder of their own account (a special folder's key names it in every account). */
  move(ids: string[], folder: string): Promise<void>;
  /** The copies' ids (none when it failed). */
  copy(ids: string[], folder: string): Promise<string[]>;
  /** Into Archive/<year>. */
  archive(ids: string[]): Promise<void>;
  /** Junk (learned as junk, into Junk) or Not junk (learned as good, out of Junk); `undo` takes the other back. */
  junk(ids: string[], junk: boolean, undo?: boolean): Promise<void>;
  /** Several moves in one step (an undo puts each group back where it was; into Junk, with who had filed it there). */
  moveEach(groups: readonly { ids: string[]; folder: string; junkedBy?: JunkedBy | null }[]): Promise<void>;
  /** Several flag changes in one step (an undo sets each group's previous flags). */
  flagEach(groups: readonly { ids: string[]; flags: { seen?: boolean; flagged?: boolean } }[]): Promise<void>;
  /** Asks nothing: the question before it is the caller's (a dialog in the window). */
  deleteForGood(ids: string[]): Promise<void>;
}

export function messageActions(api: PopboxApi, report: (message: string) => void): MessageActions {
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
    move: (ids, folder) => run('Move', () => call(api, 'moveMessages', { ids, folder })),
    copy: async (ids, folder) => {
      let copies: string[] = [];
      await run('Copy', async () => (copies = (await call(api, 'copyMessages', { ids, folder })).ids));
      return copies;
    },
    archive: (ids) => run('Archive', () => call(api, 'archive', { ids })),
    junk: (ids, junk, undo) => run(junk ? 'Junk' : 'Not junk', () => call(api, junk ? 'markJunk' : 'markNotJunk', { ids, ...(undo ? { undo } : {}) })),
    moveEach: (groups) =>
      run('Undo', async () => {
        for (const g of groups) await call(api, 'moveMessages', g);
      }),
    flagEach: (groups) =>
      run('Undo', async () => {
        for (const g of groups) await call(api, 'setFlags', g);
      }),
    deleteForGood: (ids) => run('Delete permanently', () => call(api, 'deleteForGood', { ids })),
  };
}
