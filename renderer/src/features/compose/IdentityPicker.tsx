/** From: one of the account's identities (a menu when it has several). */
import type { PublicAccount } from '../../../../shared/contract.js';
import { identityOf } from './signature.js';

const label = (i: { name: string; address: string }) => (i.name ? `${i.name} <${i.address}>` : i.address);

export function IdentityPicker({ account, identityId, onChange, error }: { account: PublicAccount | undefined; identityId: string | null; onChange: (id: string) => void; error?: string | null }) {
  const identities = account?.identities ?? [];
  const current = identityOf(account, identityId);
  return (
    <div className={`compose-row${error ? ' has-error' : ''}`}>
      <label className="compose-label" htmlFor="compose-from">
        From
      </label>
      {identities.length > 1 ? (
        <select id="compose-from" value={current?.id ?? ''} onChange={(e) => onChange(e.target.value)}>
          {identities.map((i) => (
            <option key={i.id} value={i.id}>
              {label(i)}
            </option>
          ))}
        </select>
      ) : (
        <output id="compose-from" className="compose-from">
          {current ? label(current) : account ? `${account.name} (no address to send from yet: set up its outgoing server in the account’s settings)` : ''}
        </output>
      )}
      {error && (
        <p className="field-error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}
