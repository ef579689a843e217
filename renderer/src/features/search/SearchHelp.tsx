/** The "?" beside the search box: the query forms as chips that add themselves to the query. */
import { useState } from 'react';
import { Dialog } from '../../app/Dialog.js';
import { OPERATORS } from './operators.js';

export function SearchHelp({ onPick }: { onPick: (example: string) => void }) {
  const [open, setOpen] = useState(false);
  return (
    <>
      <button type="button" className="search-help-button small" aria-label="Search operators" title="What you can type in search" onClick={() => setOpen(true)}>
        ?
      </button>
      {open && (
        <Dialog label="Search operators" heading onClose={() => setOpen(false)} className="search-help">
          <p className="muted">Combine any of these; every part must match. The last word matches the start of words while you type.</p>
          <ul className="search-operators">
            {OPERATORS.map((o) => (
              <li key={o.form}>
                <button
                  type="button"
                  className="chip"
                  title={`Add ${o.example} to the search`}
                  onClick={() => {
                    setOpen(false);
                    onPick(o.example);
                  }}
                >
                  {o.example}
                </button>{' '}
                <span>{o.what}</span>
              </li>
            ))}
          </ul>
        </Dialog>
      )}
    </>
  );
}
