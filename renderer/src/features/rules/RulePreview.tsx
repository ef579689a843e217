/**
 * The live preview: which stored messages the filter being edited would act on, asked of main
 * (previewRule) a moment after the person stops typing, and shown from the read model (subject,
 * sender, folder). Nothing changes; main looks at the newest 5,000 messages at most.
 */
import { useEffect, useState } from 'react';
import { INBOX } from '../../../../shared/folders.js';
import type { Rule } from '../../../../shared/rules.js';
import { call } from '../../api/client.js';
import { useMessages, useServices } from '../../app/context.js';
import { senderLabel } from '../../db/rows.js';
import { folderName } from '../folders/tree.js';
import { plainError } from '../accounts/plain-error.js';
import { inScope, type Scope } from './scope.js';

/** Asked for at most this many ids; the first few are listed. */
const MAX = 1000;
const SHOWN = 5;
const DEBOUNCE_MS = 350;


/** "12 messages", "More than 1,000 messages", with the scope's words. */
export function previewCountText(count: number, truncated: boolean, scope: Scope): string {
  const where = scope === 'inbox' ? 'in the Inbox' : 'in these folders';
  if (count === 0 && !truncated) return `No stored message ${where} matches.`;
  if (truncated && count >= MAX) return `More than ${MAX.toLocaleString('en')} stored messages ${where} match.`;
  const n = `${count.toLocaleString('en')} stored message${count === 1 ? '' : 's'}`;
  return truncated ? `${n} ${where} match among the newest 5,000 looked at (older ones were not checked).` : `${n} ${where} ${count === 1 ? 'matches' : 'match'}.`;
}

/** `asked`: changes after each Run now, so the preview then counts what is left to match. */
export function RulePreview({ rule, scope, accountName, asked = 0 }: { rule: Rule | null; scope: Scope; accountName: (id: string) => string | null; asked?: number }) {
  const { api } = useServices();
  const store = useMessages();
  const [result, setResult] = useState<{ ids: string[]; truncated: boolean } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const key = rule ? JSON.stringify(rule) : null;
  useEffect(() => {
    if (!rule) {
      setResult(null);
      return;
    }
    let live = true;
    setBusy(true);
    const t = setTimeout(() => {
      call(api, 'previewRule', { rule, max: MAX, ...(scope === 'inbox' ? { folder: INBOX } : {}) }).then(
        // Main looks in every folder; the ones Run now leaves alone are not counted either.
        (r) => live && (setResult({ ids: r.ids.filter((id) => inScope(store.get(id)?.folder ?? INBOX, scope)), truncated: r.truncated }), setError(null), setBusy(false)),
        (e: unknown) => live && (setError(plainError(e)), setBusy(false)),
      );
    }, DEBOUNCE_MS);
    return () => {
      live = false;
      clearTimeout(t);
    };
  }, [api, key, scope, asked]);

  const rows = (result?.ids ?? []).flatMap((id) => store.get(id) ?? []);
  const more = (result?.ids.length ?? 0) - Math.min(SHOWN, rows.length);
  return (
    <section className="rule-preview" aria-label="Preview" aria-busy={busy}>
      <h3>Preview</h3>
      {!rule ? (
        <p className="muted">The preview shows once every condition is complete.</p>
      ) : error ? (
        <p role="alert">The preview failed: {error}</p>
      ) : !result ? (
        <p className="muted">Looking at stored mail…</p>
      ) : (
        <>
          <p role="status" className="preview-count">
            {previewCountText(result.ids.length, result.truncated, scope)}
          </p>
          {rows.length > 0 && (
            <ul className="plain-list preview-list" aria-label="Matching messages">
              {rows.slice(0, SHOWN).map((r) => {
                const account = accountName(r.accountId);
                return (
                  <li key={r.id}>
                    <strong>{r.subject || '(no subject)'}</strong>
                    <span className="muted"> · {senderLabel(r.from)}</span>
                    <span className="muted">
                      {' '}
                      · {folderName(r.folder)}
                      {account ? ` (${account})` : ''}
                    </span>
                  </li>
                );
              })}
            </ul>
          )}
          {more > 0 && <p className="muted">…and {result.truncated ? 'at least ' : ''}{more.toLocaleString('en')} more.</p>}
        </>
      )}
    </section>
  );
}
