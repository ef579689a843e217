/**
 * The folder on screen can go while it is shown: another window or the command line deletes or
 * renames it. The list would then sit there empty, so the view follows it: to its new key when
 * the change reads as a rename (one folder left the account's tree and one came, the shown
 * folder's new place among what came), else to the account's Inbox; a short note says so.
 */
import { useEffect, useRef } from 'react';
import { displayPath, INBOX, isWithin, parentKey, pathOf, roleOf, type FolderInfo } from '../../../../shared/folders.js';
import { useMessages } from '../../app/context.js';
import type { MailboxView } from '../../db/message-store.js';

/** The keys in `keys` whose parent is not in `keys` (the tops of what went or came). */
function tops(keys: ReadonlySet<string>): string[] {
  return [...keys].filter((k) => {
    for (let p = parentKey(k); p !== null; p = parentKey(p)) if (keys.has(p)) return false;
    return true;
  });
}

/**
 * Where the shown folder `folder` went between two trees of its account: its new key, or null
 * when it was deleted (or the change cannot be told from a delete).
 */
export function followFolder(before: readonly FolderInfo[], after: readonly FolderInfo[], folder: string): string | null {
  const was = new Set(before.map((f) => f.key));
  const now = new Set(after.map((f) => f.key));
  const gone = tops(new Set([...was].filter((k) => !now.has(k))));
  const came = tops(new Set([...now].filter((k) => !was.has(k))));
  if (gone.length !== 1 || came.length !== 1 || !isWithin(folder, gone[0]!)) return null;
  const moved = came[0]! + folder.slice(gone[0]!.length);
  return now.has(moved) ? moved : null;
}

/**
 * `expect(accountId, folder)`: this window is about to rename or delete that folder itself (its
 * dialog moves the view and says so), so the note is not shown for it.
 */
export function useFollowFolder(view: MailboxView, setView: (v: MailboxView) => void, tell: (text: string) => void): { expect: (accountId: string, folder: string) => void } {
  const store = useMessages();
  const tree = view.kind === 'folder' ? store.folders(view.accountId) : null;
  const last = useRef<{ accountId: string; tree: readonly FolderInfo[] } | null>(null);
  const own = useRef(new Set<string>());

  useEffect(() => {
    if (view.kind !== 'folder' || !tree) {
      last.current = null;
      return;
    }
    const before = last.current?.accountId === view.accountId ? last.current.tree : null;
    last.current = { accountId: view.accountId, tree };
    if (!before || before === tree) return;
    const { accountId, folder } = view;
    const mine = [...own.current].some((k) => k.startsWith(`${accountId}\u0000`) && isWithin(folder, k.slice(accountId.length + 1)));
    for (const k of [...own.current]) if (k.startsWith(`${accountId}\u0000`)) own.current.delete(k);
    // Only a folder that was in the tree and left it: the special folders are always shown.
    const has = (t: readonly FolderInfo[]) => t.some((f) => f.key === folder);
    if (folder === INBOX || roleOf(folder) !== null || !has(before) || has(tree)) return;
    const name = pathOf(folder).at(-1) ?? folder;
    const moved = followFolder(before, tree, folder);
    setView({ kind: 'folder', accountId, folder: moved ?? INBOX });
    if (mine) return;
    if (!moved) return tell(`The folder “${name}” was deleted elsewhere; showing the Inbox.`);
    const to = pathOf(moved);
    tell(to.at(-1) === name ? `The folder “${name}” was moved elsewhere, to “${displayPath(to, ' / ')}”; showing it there.` : `The folder “${name}” was renamed to “${to.at(-1)}” elsewhere; showing it there.`);
  }, [view, tree]);

  return { expect: (accountId, folder) => own.current.add(`${accountId}\u0000${folder}`) };
}
