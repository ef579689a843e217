/** The sidebar's saved searches: virtual folders in the person's order; a click runs one, a right-click offers Rename, Move, Delete. */
import type { MouseEvent } from 'react';
import type { SavedSearch } from '../../../../shared/search.js';

export interface SavedSearchListProps {
  list: readonly SavedSearch[];
  /** The saved search the list shows now, if any. */
  activeId: string | null;
  onRun: (s: SavedSearch) => void;
  onContextMenu: (s: SavedSearch, at: { x: number; y: number }) => void;
}

function menuAt(e: MouseEvent<HTMLElement>) {
  const r = e.currentTarget.getBoundingClientRect();
  return e.clientX || e.clientY ? { x: e.clientX, y: e.clientY } : { x: r.left + 16, y: r.bottom };
}

export function SavedSearchList({ list, activeId, onRun, onContextMenu }: SavedSearchListProps) {
  if (list.length === 0) return null;
  return (
    <section className="account-section saved-searches" aria-label="Saved searches">
      <div className="account-head">
        <span className="saved-searches-head">Saved searches</span>
      </div>
      <ul role="group" aria-label="Saved searches">
        {list.map((s) => (
          <li key={s.id}>
            <button
              type="button"
              className={`folder saved-search${s.id === activeId ? ' active' : ''}`}
              aria-current={s.id === activeId ? 'page' : undefined}
              title={s.query}
              data-saved-search={s.id}
              onClick={() => onRun(s)}
              onContextMenu={(e) => {
                e.preventDefault();
                onContextMenu(s, menuAt(e));
              }}
            >
              <span className="saved-search-icon" aria-hidden="true">
                ⌕
              </span>
              <span className="folder-label">{s.name}</span>
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}
