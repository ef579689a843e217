/** Naming a saved search (Save search, Rename…): the name is checked as it is typed, in plain words. */
import { useState } from 'react';
import { Dialog } from '../../app/Dialog.js';

export function NameDialog({ label, initial, action, problem, onDone, onClose }: {
  label: string;
  initial: string;
  /** The button's word: Save, Rename. */
  action: string;
  /** Why a name cannot be used, or null. */
  problem: (name: string) => string | null;
  /** Resolves to main's refusal in plain words, or null when done. */
  onDone: (name: string) => Promise<string | null>;
  onClose: () => void;
}) {
  const [name, setName] = useState(initial);
  const [refused, setRefused] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const wrong = problem(name);
  const submit = async () => {
    if (wrong || busy) return;
    setBusy(true);
    const why = await onDone(name.trim());
    setBusy(false);
    if (why) setRefused(why);
    else onClose();
  };
  const shown = refused ?? (name.trim() ? wrong : null);
  return (
    <Dialog label={label} onClose={onClose} className="folder-dialog" heading>
      <form
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <label className="field">
          <span>Name</span>
          <input
            autoFocus
            value={name}
            maxLength={200}
            aria-invalid={!!shown}
            aria-describedby="search-name-error"
            onChange={(e) => {
              setName(e.target.value);
              setRefused(null);
            }}
          />
        </label>
        <p id="search-name-error" role="alert" className="error-text">
          {shown ?? ''}
        </p>
        <div className="form-actions">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={!!wrong || busy} aria-busy={busy}>
            {action}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
