/** Every header field of a message, decoded, in a dialog (Thunderbird's View › Headers › All). */
import { useMemo } from 'react';
import { Dialog } from '../../app/Dialog.js';
import { headerFields } from './headers.js';
import { useRawSource } from './useRawSource.js';

export function AllHeaders({ id, onClose }: { id: string; onClose: () => void }) {
  const src = useRawSource(id);
  const fields = useMemo(() => (src === null || typeof src === 'string' ? src : headerFields(src.text)), [src]);
  return (
    <Dialog label="All headers" onClose={onClose} className="headers-dialog" heading>
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
