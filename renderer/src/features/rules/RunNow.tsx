/**
 * "Run now": the saved filters, in order, over the stored messages of the Inbox (or of every
 * folder filters may touch), with one line saying what they did.
 */
import { useState } from 'react';
import { MAX_RUN_IDS, type RuleOutcome } from '../../../../shared/rules.js';
import { call } from '../../api/client.js';
import { useServices } from '../../app/context.js';
import { plainError } from '../accounts/plain-error.js';
import { SCOPE_WORDS, scopeIds, type Scope } from './scope.js';

/** runRules takes at most this many ids per call (the contract's limit, what main runs at once). */
const IDS_PER_CALL = MAX_RUN_IDS;

const count = (n: number, what: string) => `${n.toLocaleString('en')} ${what}${n === 1 ? '' : 's'}`;

/** "Checked 6 messages: 3 matched (3 moved, 1 marked read)." */
export function runResultText(checked: number, outcomes: readonly RuleOutcome[]): string {
  if (checked === 0) return 'There are no messages there to check.';
  if (outcomes.length === 0) return `Checked ${count(checked, 'message')}: no filter matched.`;
  const moved = outcomes.filter((o) => o.movedTo !== undefined).length;
  const copied = outcomes.filter((o) => o.copiedTo.length > 0).length;
  const read = outcomes.filter((o) => o.markedRead).length;
  const flagged = outcomes.filter((o) => o.flagged).length;
  const server = outcomes.filter((o) => o.deleteOnServer).length;
  const did = [moved && `${moved} moved`, copied && `${copied} copied`, read && `${read} marked read`, flagged && `${flagged} flagged`, server && `${server} to be deleted from the server`].filter(Boolean);
  return `Checked ${count(checked, 'message')}: ${outcomes.length} matched${did.length ? ` (${did.join(', ')})` : ''}.`;
}

export function RunNow({ scope, unsaved, anyOn, onRan }: { scope: Scope; unsaved: boolean; anyOn: boolean; onRan?: () => void }) {
  const { api, readModel } = useServices();
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ text: string; error: boolean } | null>(null);
  const run = async () => {
    setBusy(true);
    setResult(null);
    try {
      const ids = scopeIds(readModel.store, scope);
      const outcomes: RuleOutcome[] = [];
      for (let k = 0; k < ids.length; k += IDS_PER_CALL) outcomes.push(...(await call(api, 'runRules', { ids: ids.slice(k, k + IDS_PER_CALL) })));
      setResult({ text: runResultText(ids.length, outcomes), error: false });
    } catch (e) {
      setResult({ text: `The filters did not run: ${plainError(e)}`, error: true });
    } finally {
      setBusy(false);
      onRan?.();
    }
  };
  const label = scope === 'inbox' ? 'Run now on Inbox' : 'Run now on all folders';
  return (
    <section className="rule-run" aria-label="Run filters now">
      <button type="button" onClick={() => void run()} disabled={busy || !anyOn} aria-busy={busy} aria-describedby="rule-run-note">
        {busy ? 'Running…' : label}
      </button>
      <span id="rule-run-note" className="muted">
        {' '}
        {!anyOn ? 'Every filter is off.' : unsaved ? 'Runs the saved filters: your unsaved changes are not used.' : `Runs the saved filters, in order, over ${SCOPE_WORDS[scope]}.`}
      </span>
      {result && (
        <p role={result.error ? 'alert' : 'status'} className={`rule-run-result${result.error ? ' error-text' : ''}`}>
          {result.text}
        </p>
      )}
    </section>
  );
}
