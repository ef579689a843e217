/**
 * "Move to…" (the `m` key): the folders of the messages' account, filtered as the user types;
 * arrow keys choose, Enter moves, Escape closes. Messages of several accounts can only go to a
 * special folder, which each account has.
 */
import { useMemo, useState, type KeyboardEvent } from 'react';
import { Dialog } from '../../app/Dialog.js';
import { foldText } from '../../db/search.js';
import { folderName, type FolderNode } from './tree.js';

export interface PickerEntry {
  node: FolderNode;
  depth: number;
}

export function MovePicker(props: { /** What moves, as the toast will say it ("2 messages", "2 messages (4 copies)"). */ what: string; entries: readonly PickerEntry[]; current: ReadonlySet<string>; onPick: (key: string) => void; onClose: () => void }) {
  const [text, setText] = useState('');
  const [active, setActive] = useState(0);
  const shown = useMemo(() => {
    const q = foldText(text.trim());
    // While filtering, each folder shows its whole path ("Work / Projects"), flat.
    return q ? props.entries.filter((e) => foldText(folderName(e.node.key)).includes(q)).map((e) => ({ ...e, depth: 0, label: folderName(e.node.key) })) : props.entries.map((e) => ({ ...e, label: e.node.name }));
  }, [text, props.entries]);
  const pickable = shown.filter((e) => !props.current.has(e.node.key));
  const at = Math.min(active, pickable.length - 1);
  const chosen = at >= 0 ? pickable[at] : undefined;
  const onKey = (e: KeyboardEvent) => {
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      if (pickable.length) setActive((at + (e.key === 'ArrowDown' ? 1 : -1) + pickable.length) % pickable.length);
    } else if (e.key === 'Enter') {
      e.preventDefault();
      if (chosen) props.onPick(chosen.node.key);
    }
  };
  const optionId = (key: string) => `move-to-${key.replace(/[^A-Za-z0-9_-]/g, (c) => `_${c.charCodeAt(0).toString(16)}`)}`;
  return (
    <Dialog label={`Move ${props.what} to…`} onClose={props.onClose} className="move-picker" heading>
      <input
        autoFocus
        role="combobox"
        aria-label="Folder"
        aria-expanded="true"
        aria-controls="move-to-list"
        aria-activedescendant={chosen ? optionId(chosen.node.key) : undefined}
        placeholder="Type to filter the folders"
        value={text}
        onChange={(e) => {
          setText(e.target.value);
          setActive(0);
        }}
        onKeyDown={onKey}
      />
      <ul id="move-to-list" role="listbox" aria-label="Folders" className="picker-list">
        {shown.map((e) => {
          const here = props.current.has(e.node.key);
          return (
            <li
              key={e.node.key}
              id={optionId(e.node.key)}
              role="option"
              aria-selected={chosen?.node.key === e.node.key}
              aria-disabled={here || undefined}
              className={`picker-option${chosen?.node.key === e.node.key ? ' active' : ''}`}
              style={{ paddingLeft: 10 + e.depth * 16 }}
              onMouseDown={(ev) => ev.preventDefault()}
              onClick={() => !here && props.onPick(e.node.key)}
            >
              {e.label}
              {here && <span className="muted"> (here)</span>}
            </li>
          );
        })}
        {shown.length === 0 && <li className="muted picker-none">No folder matches “{text}”.</li>}
      </ul>
    </Dialog>
  );
}
