/** In the reading pane's place while several messages are selected: how many, and what to do with them. */
import { useMessages } from '../../app/context.js';
import type { MessageRow } from '../../db/database.js';
import { COMMAND_LABELS, commandsFor, type Command } from './commands.js';

export function SelectionSummary({ ids, onCommand, onClear }: { ids: readonly string[]; onCommand: (c: Command, ids: string[]) => void; onClear: () => void }) {
  const store = useMessages();
  const rows = ids.flatMap((id): MessageRow[] => {
    const r = store.get(id);
    return r ? [r] : [];
  });
  const unread = rows.filter((r) => !r.seen).length;
  const flagged = rows.filter((r) => r.flagged).length;
  return (
    <section className="reader selection-summary" aria-label="Message">
      <h2>{rows.length.toLocaleString()} messages selected</h2>
      <p className="muted">
        {unread.toLocaleString()} unread · {flagged.toLocaleString()} flagged
      </p>
      <div className="reader-actions" role="toolbar" aria-label="Selected messages">
        {commandsFor(rows).map((c) => (
          <button key={c} type="button" className={c === 'delete' ? 'danger' : undefined} onClick={() => onCommand(c, rows.map((r) => r.id))}>
            {COMMAND_LABELS[c]}
          </button>
        ))}
        <button type="button" onClick={onClear}>
          Clear selection
        </button>
      </div>
      <p className="hint">Escape clears the selection.</p>
    </section>
  );
}
