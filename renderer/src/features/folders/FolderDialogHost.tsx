/**
 * Shows the open filing dialog: New folder, Rename, Delete folder, Empty Trash, the Move to…
 * picker and the question before Delete permanently; each sends its command up and says what
 * happened.
 */
import { INBOX, isWithin, pathOf } from '../../../../shared/folders.js';
import { call } from '../../api/client.js';
import { ConfirmDialog } from '../../app/ConfirmDialog.js';
import { useServices } from '../../app/context.js';
import type { AccountRow } from '../../db/database.js';
import type { MailboxView, MessageStore } from '../../db/message-store.js';
import { DeleteMessagesDialog } from '../inbox/DeleteMessagesDialog.js';
import { messagesText, takenText } from '../inbox/undoable.js';
import { deleteFolderText, emptyTrashText, FolderNameDialog, serverCopiesText } from './FolderDialogs.js';
import { MovePicker } from './MovePicker.js';
import type { Filing, FilingDialog } from './useFiling.js';

/** Every folder of an account at or below `folder`, with their messages. */
export function within(store: MessageStore, accountId: string, folder: string): { subfolders: number; messages: number } {
  const keys = new Set([folder, ...store.folders(accountId).map((f) => f.key), ...store.filedFolders(accountId)].filter((k) => isWithin(k, folder)));
  let messages = 0;
  for (const k of keys) messages += store.folderCounts(accountId, k).total;
  return { subfolders: keys.size - 1, messages };
}

export function FolderDialogHost(props: {
  dialog: FilingDialog;
  filing: Filing;
  accounts: readonly AccountRow[];
  accountName: (id: string) => string;
  view: MailboxView;
  setView: (v: MailboxView) => void;
  announce: (text: string, undoable: boolean) => void;
  /** Tells the view's watcher that this window renames or deletes the folder (it says nothing then). */
  expectFolderChange: (accountId: string, folder: string) => void;
}) {
  const { api, readModel } = useServices();
  const { dialog: d, filing, accountName, view, setView, announce } = props;
  const close = () => filing.setDialog(null);
  const store = readModel.store;
  switch (d.kind) {
    case 'move': {
      const rows = d.ids.flatMap((id) => store.get(id) ?? []);
      const here = new Set(rows.map((r) => r.folder));
      return (
        <MovePicker
          what={takenText(store, rows.map((r) => r.id))}
          entries={filing.pickerEntries(d.ids)}
          current={here.size === 1 ? here : new Set()}
          onClose={close}
          onPick={(folder) => {
            close();
            filing.moveTo(
              rows.map((r) => r.id),
              folder,
            );
          }}
        />
      );
    }
    case 'delete-messages': {
      const accountIds = new Set(d.ids.flatMap((id) => store.get(id)?.accountId ?? []));
      return <DeleteMessagesDialog count={d.ids.length} accounts={props.accounts.filter((a) => accountIds.has(a.id))} onClose={close} onConfirm={() => filing.deleteForGood(d.ids)} />;
    }
    case 'new':
    case 'rename': {
      const taken = new Set([...store.folders(d.accountId).map((f) => f.key), ...store.filedFolders(d.accountId)]);
      const path = d.kind === 'rename' ? pathOf(d.folder) : d.parent;
      return (
        <FolderNameDialog
          accountName={accountName(d.accountId)}
          parent={d.kind === 'rename' ? path.slice(0, -1) : path}
          current={d.kind === 'rename' ? { key: d.folder, name: path[path.length - 1] ?? d.folder } : undefined}
          taken={taken}
          onClose={close}
          onSubmit={async (newPath) => {
            if (d.kind === 'new') {
              await call(api, 'createFolder', { accountId: d.accountId, path: newPath });
              return;
            }
            props.expectFolderChange(d.accountId, d.folder);
            const info = await call(api, 'renameFolder', { accountId: d.accountId, folder: d.folder, path: newPath });
            // The list follows the folder (or the folder below it) it was showing.
            if (view.kind === 'folder' && view.accountId === d.accountId && isWithin(view.folder, d.folder)) setView({ ...view, folder: info.key + view.folder.slice(d.folder.length) });
            announce(`Renamed “${path[path.length - 1]}” to “${newPath[newPath.length - 1]}”.`, false);
          }}
        />
      );
    }
    case 'delete': {
      const name = pathOf(d.folder).at(-1) ?? d.folder;
      const { messages, subfolders } = within(store, d.accountId, d.folder);
      return (
        <ConfirmDialog
          label={`Delete the folder “${name}”?`}
          action="Delete folder"
          danger
          onClose={close}
          onConfirm={async () => {
            props.expectFolderChange(d.accountId, d.folder);
            await call(api, 'deleteFolder', { accountId: d.accountId, folder: d.folder });
            if (view.kind === 'folder' && view.accountId === d.accountId && isWithin(view.folder, d.folder)) setView({ kind: 'folder', accountId: d.accountId, folder: INBOX });
            announce(`Deleted the folder “${name}”${messages ? `; its ${messagesText(messages)} went to Trash` : ''}.`, false);
          }}
        >
          <p>{deleteFolderText(name, messages, subfolders)}</p>
        </ConfirmDialog>
      );
    }
    case 'empty-trash': {
      const { messages } = within(store, d.accountId, 'Trash');
      const account = props.accounts.find((a) => a.id === d.accountId);
      return (
        <ConfirmDialog
          label="Empty Trash?"
          action="Empty Trash"
          danger
          onClose={close}
          onConfirm={async () => {
            await call(api, 'emptyTrash', { accountId: d.accountId });
            announce(`Deleted ${messagesText(messages)} from Trash for good.`, false);
          }}
        >
          <p>{emptyTrashText(accountName(d.accountId), messages)}</p>
          <p className="muted">{serverCopiesText(account)}</p>
        </ConfirmDialog>
      );
    }
  }
}
