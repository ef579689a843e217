/** Every header field of a message, decoded, in a dialog (Thunderbird's View › Headers › All). */
import { useEffect, useState } from 'react';
import { call, isApiError } from '../../api/client.js';
import { useServices } from '../../app/context.js';
import { Dialog } from '../../app/Dialog.js';
import { headerFields, type HeaderField } from './headers.js';

export function AllHeaders({ id, onClose }: { id: string; onClose: () => void }) {
  const { api } = useServices();
  const [fields, setFields] = useState<HeaderField[] | string | null>(null);
  useEffect(() => {
    call(api, 'rawSource', { id }).then(
      (src) => setFields(headerFields(src.text)),
      (e: unknown) => setFields(isApiError(e) ? e.message : String(e)),
    );
  }, [api, id]);
  return (
    <Dialog label="All headers" onClose={onClose} className="headers-dialog">
      <div className="dialog-head">
        <h2>All headers</h2>
        <button type="button" onClick={onClose}>
          Close
        </button>
      </div>
      {fields === null ? (
        <p>Loading…</p>
      ) : typeof fields === 'string' ? (
        <p role="alert">{fields}</p>
      ) : (
        <dl className="all-headers">
          {fields.map((f, i) => (
            <div key={i}>
              <dt>{f.name}</dt>
              <dd>{f.value}</dd>
            </div>
          ))}
        </dl>
      )}
    </Dialog>
  );
}
