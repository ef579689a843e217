/** Loads the draft a request names, then shows the form (or why it could not start). */
import { useEffect, useState } from 'react';
import type { PublicAccount } from '../../../../shared/contract.js';
import type { Draft } from '../../../../shared/compose.js';
import type { PopboxApi } from '../../api/client.js';
import { failureText } from '../../app/ConfirmDialog.js';
import { ComposeForm, type ComposeFormProps } from './ComposeForm.js';
import { loadDraft, type ComposeRequest } from './load.js';

export function ComposeLoader({ api, request, accounts, ...rest }: { api: PopboxApi; request: ComposeRequest; accounts: PublicAccount[] } & Omit<ComposeFormProps, 'api' | 'draft' | 'accounts'>) {
  const [draft, setDraft] = useState<Draft | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    setDraft(null);
    setError(null);
    loadDraft(api, request).then(
      (d) => live && setDraft(d),
      (e: unknown) => live && setError(failureText(e)),
    );
    return () => {
      live = false;
    };
  }, [api, request]);
  if (error) {
    return (
      <div className="compose compose-failed">
        <h2 id={rest.headingId}>Cannot write this message</h2>
        <p role="alert">{error}</p>
        <button type="button" onClick={rest.onClose} autoFocus>
          Close
        </button>
      </div>
    );
  }
  if (!draft) {
    return (
      <div className="compose">
        <h2 id={rest.headingId} className="visually-hidden">
          New message
        </h2>
        <p className="muted">Loading…</p>
      </div>
    );
  }
  return <ComposeForm api={api} draft={draft} accounts={accounts} {...rest} />;
}
