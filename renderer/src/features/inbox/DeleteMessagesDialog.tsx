/** The question before Delete permanently: how many messages go, and what happens on the server. */
import type { AccountRow } from '../../db/database.js';
import { ConfirmDialog } from '../../app/ConfirmDialog.js';
import { serverCopiesText } from '../folders/FolderDialogs.js';
import { messagesText } from './undoable.js';

export function deleteMessagesLabel(count: number): string {
  return `Delete ${count === 1 ? 'this message' : messagesText(count)} permanently?`;
}

/** `accounts`: the accounts the messages belong to (their server settings decide what happens there). */
export function DeleteMessagesDialog(props: { count: number; accounts: readonly AccountRow[]; onConfirm: () => void; onClose: () => void }) {
  const { count, accounts } = props;
  return (
    <ConfirmDialog
      label={deleteMessagesLabel(count)}
      action="Delete permanently"
      danger
      onClose={props.onClose}
      onConfirm={async () => props.onConfirm()}
    >
      <p>{count === 1 ? 'The message is' : `The ${count.toLocaleString()} messages are`} deleted from this computer for good. This cannot be undone.</p>
      <p className="muted">{accounts.length > 1 ? 'Copies on the server follow each account’s settings.' : serverCopiesText(accounts[0])}</p>
    </ConfirmDialog>
  );
}
