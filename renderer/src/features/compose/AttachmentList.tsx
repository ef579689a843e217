/** The message's attachments: name and size, Remove; the total, and a size warning when there is one. */
import { formatBytes } from '../../app/format.js';
import type { ComposeState } from './model.js';

export function AttachmentList({ state, onRemoveStored, onRemoveFile, warning, error }: { state: ComposeState; onRemoveStored: (i: number) => void; onRemoveFile: (key: string) => void; warning: string | null; error: string | null }) {
  const items = [
    ...state.stored.map((a, i) => ({ key: `s${i}-${a.id}-${a.attachmentId ?? ''}`, name: a.filename, size: a.size, remove: () => onRemoveStored(i) })),
    ...state.files.map((f) => ({ key: f.key, name: f.filename, size: f.size, remove: () => onRemoveFile(f.key) })),
  ];
  if (items.length === 0 && !warning && !error) return null;
  const total = items.reduce((n, a) => n + a.size, 0);
  return (
    <div className="compose-attachments">
      {items.length > 0 && (
        <ul aria-label="Attachments">
          {items.map((a) => (
            <li key={a.key} className="compose-attachment">
              <span className="att-name">{a.name}</span> <span className="muted">{formatBytes(a.size)}</span>
              <button type="button" className="small" aria-label={`Remove ${a.name}`} onClick={a.remove}>
                Remove
              </button>
            </li>
          ))}
          {items.length > 1 && <li className="muted compose-attachment-total">{`${items.length} attachments, ${formatBytes(total)}`}</li>}
        </ul>
      )}
      {(error ?? warning) && (
        <p className="field-error" role="alert">
          {error ?? warning}
        </p>
      )}
    </div>
  );
}
