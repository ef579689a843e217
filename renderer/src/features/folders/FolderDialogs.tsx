/** The folder dialogs: a name for a new or renamed folder, and the words of the questions before Delete and Empty Trash. */
import { useState, type FormEvent } from 'react';
import { folderPathProblem, keyOf } from '../../../../shared/folders.js';
import { failureText as failure } from '../../app/ConfirmDialog.js';
import { Dialog } from '../../app/Dialog.js';
import type { AccountRow } from '../../db/database.js';
import { messagesText } from '../inbox/undoable.js';

/**
 * New folder (in `parent`, [] for the top of the account) or Rename (`current`: the folder's
 * key and name). The name is checked as it is typed, in the words the store would refuse it with.
 */
export function FolderNameDialog(props: {
  accountName: string;
  parent: readonly string[];
  current?: { key: string; name: string };
  /** Keys of the account's folders, to refuse a name that is taken. */
  taken: ReadonlySet<string>;
  onSubmit: (path: string[]) => Promise<void>;
  onClose: () => void;
}) {
  const [name, setName] = useState(props.current?.name ?? '');
  const [touched, setTouched] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const path = [...props.parent, name];
  const key = keyOf(path);
  const problem = folderPathProblem(path) ?? (props.taken.has(key) && key !== props.current?.key ? `There is already a folder named “${name}” here.` : null);
  const unchanged = props.current !== undefined && name === props.current.name;
  const shown = touched ? (problem ?? error) : error;
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setTouched(true);
    if (problem || busy) return;
    if (unchanged) return props.onClose();
    setBusy(true);
    setError(null);
    try {
      await props.onSubmit(path);
      props.onClose();
    } catch (err) {
      setError(failure(err));
      setBusy(false);
    }
  };
  const where = props.parent.length ? `Inside “${props.parent.join(' / ')}” in ${props.accountName}.` : `At the top of ${props.accountName}.`;
  return (
    <Dialog label={props.current ? `Rename “${props.current.name}”` : 'New folder'} onClose={props.onClose} className="folder-dialog" heading>
      <form onSubmit={(e) => void submit(e)} noValidate>
        <label className="field">
          <span>Folder name</span>
          <input
            autoFocus
            value={name}
            aria-invalid={!!shown}
            aria-describedby="folder-name-where folder-name-error"
            onChange={(e) => {
              setName(e.target.value);
              setTouched(true);
              setError(null);
            }}
          />
        </label>
        <p id="folder-name-where" className="hint">
          {where}
        </p>
        <p id="folder-name-error" role="alert" className="error-text">
          {shown ?? ''}
        </p>
        <div className="form-actions">
          <button type="button" onClick={props.onClose}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={busy || (touched && !!problem)} aria-busy={busy}>
            {props.current ? 'Rename' : 'Create'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}

export function deleteFolderText(name: string, messages: number, subfolders: number): string {
  const below = subfolders === 0 ? '' : subfolders === 1 ? ' and its subfolder' : ` and its ${subfolders} subfolders`;
  if (messages === 0) return `“${name}”${below} ${subfolders ? 'are' : 'is'} empty: nothing goes to Trash.`;
  return `${messages === 1 ? 'The 1 message' : `The ${messages.toLocaleString()} messages`} in “${name}”${below} go to Trash, where you can still restore them.`;
}

/** What happens on the server when Trash is emptied, from the account's leave-on-server settings. */
export function serverCopiesText(a: Pick<AccountRow, 'leaveOnServer' | 'deleteWhenDeletedLocally' | 'deleteAfterDays'> | undefined): string {
  if (!a) return 'Copies on the server follow the account’s settings.';
  if (!a.leaveOnServer) return 'This account does not keep mail on the server, so nothing there changes.';
  if (a.deleteWhenDeletedLocally) return 'Copies still on the server are deleted there at the next Get Mail, as this account’s settings ask.';
  if (a.deleteAfterDays !== null) return `Copies on the server stay until ${a.deleteAfterDays} days after they were downloaded, as this account’s settings ask.`;
  return 'Copies on the server stay there: this account’s settings leave them.';
}

export function emptyTrashText(accountName: string, count: number): string {
  return `${count === 1 ? 'The 1 message' : `All ${messagesText(count)}`} in ${accountName}’s Trash will be deleted for good. This cannot be undone.`;
}
