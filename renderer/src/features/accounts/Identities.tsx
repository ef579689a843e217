/**
 * Who the account writes as: several identities (name, address, reply-to, signature), one of
 * them the default for new messages. Each field says what is wrong as the user types.
 */
import type { IdentityDraft, IdentityProblems } from './outgoing.js';
import { Field } from './fields.js';

export interface IdentitiesProps {
  value: IdentityDraft[];
  onChange: (v: IdentityDraft[]) => void;
  problems: IdentityProblems[];
  /** The address a new identity starts from (the account's). */
  suggestedAddress: string;
}

export function Identities({ value, onChange, problems, suggestedAddress }: IdentitiesProps) {
  const update = (i: number, patch: Partial<IdentityDraft>) => onChange(value.map((d, j) => (j === i ? { ...d, ...patch } : d)));
  const makeDefault = (i: number) => onChange(value.map((d, j) => ({ ...d, default: j === i })));
  const remove = (i: number) => {
    const rest = value.filter((_, j) => j !== i);
    // The default goes with the one removed: the first left takes over (as main would).
    if (value[i]!.default && rest.length > 0) rest[0] = { ...rest[0]!, default: true };
    onChange(rest);
  };
  const add = () => {
    const taken = new Set(value.map((d) => d.address.trim().toLowerCase()));
    const address = taken.has(suggestedAddress.toLowerCase()) ? '' : suggestedAddress;
    onChange([...value, { name: value[0]?.name ?? '', address, replyTo: '', signature: '', default: value.length === 0 }]);
  };
  // "Default" only means something when there is a choice; with one, it is the one.
  const isDefault = (i: number) => value[i]!.default || (i === 0 && !value.some((d) => d.default));
  return (
    <fieldset className="identities">
      <legend>Identities</legend>
      <p className="hint">The names and addresses you send from with this account. New messages start from the default one.</p>
      {value.length === 0 && <p className="hint">No identity yet: add one to send mail.</p>}
      <ul className="identity-list">
        {value.map((d, i) => {
          const p = problems[i] ?? {};
          const label = d.address.trim() || 'New identity';
          return (
            <li key={d.id ?? `new-${i}`}>
              <fieldset className="identity" aria-label={`Identity ${label}`}>
                <legend>
                  {label}
                  {value.length > 1 && isDefault(i) && <span className="muted"> (default)</span>}
                </legend>
                <Field label="Your name" hint="As recipients see it; may be left empty." error={p.name}>
                  {(id, db) => <input id={id} value={d.name} onChange={(e) => update(i, { name: e.target.value })} aria-invalid={p.name ? true : undefined} aria-describedby={db} autoComplete="off" />}
                </Field>
                <Field label="Email address" error={p.address}>
                  {(id, db) => <input id={id} type="email" value={d.address} onChange={(e) => update(i, { address: e.target.value })} aria-invalid={p.address ? true : undefined} aria-describedby={db} autoComplete="off" spellCheck={false} />}
                </Field>
                <Field label="Reply-to address" hint="Optional: where replies should go, if not to this address." error={p.replyTo}>
                  {(id, db) => <input id={id} type="email" value={d.replyTo} onChange={(e) => update(i, { replyTo: e.target.value })} aria-invalid={p.replyTo ? true : undefined} aria-describedby={db} autoComplete="off" spellCheck={false} placeholder="Optional" />}
                </Field>
                <Field label="Signature" hint="Added below what you write, after a “-- ” line." error={p.signature}>
                  {(id, db) => <textarea id={id} rows={3} value={d.signature} onChange={(e) => update(i, { signature: e.target.value })} aria-invalid={p.signature ? true : undefined} aria-describedby={db} />}
                </Field>
                <div className="form-actions">
                  {value.length > 1 && !isDefault(i) && (
                    <button type="button" onClick={() => makeDefault(i)}>
                      Make default
                    </button>
                  )}
                  <button type="button" className="danger" onClick={() => remove(i)}>
                    Remove identity
                  </button>
                </div>
              </fieldset>
            </li>
          );
        })}
      </ul>
      <button type="button" onClick={add}>
        Add identity
      </button>
    </fieldset>
  );
}
