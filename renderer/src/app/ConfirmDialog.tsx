/** A question with Cancel and one action: Cancel has the focus, so Enter or Escape keeps everything. */
import { useState, type ReactNode } from 'react';
import { refusedAtClose } from '../../../shared/error-codes.js';
import { isApiError } from '../api/client.js';
import { CLOSING_TEXT } from './closing.js';
import { Dialog } from './Dialog.js';

/** The plain words of a failed action, shown in the dialog that asked for it. */
export const failureText = (e: unknown): string => (refusedAtClose(e) ? CLOSING_TEXT : isApiError(e) || e instanceof Error ? e.message : String(e));

/** The action's failure is shown in the dialog (which stays open); success closes it. */
export function ConfirmDialog(props: { label: string; children: ReactNode; action: string; danger?: boolean; onConfirm: () => Promise<void>; onClose: () => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const confirm = async () => {
    setBusy(true);
    setError(null);
    try {
      await props.onConfirm();
      props.onClose();
    } catch (e) {
      setError(failureText(e));
      setBusy(false);
    }
  };
  return (
    <Dialog label={props.label} onClose={props.onClose} className="confirm-dialog" heading>
      {props.children}
      {error && <p role="alert">{error}</p>}
      <div className="form-actions">
        <button type="button" onClick={props.onClose} autoFocus>
          Cancel
        </button>
        <button type="button" className={props.danger ? 'danger' : 'primary'} onClick={() => void confirm()} disabled={busy} aria-busy={busy}>
          {props.action}
        </button>
      </div>
    </Dialog>
  );
}
