/**
 * Saved searches on the screen: running one from the sidebar (a search of all folders under its
 * name), Save search, and the sidebar's context menu (Rename…, Move up, Move down, Delete). The
 * list itself is main's (useSavedSearches); this holds only which one is shown and which dialog is open.
 */
import { createElement, useState, type ReactNode } from 'react';
import type { PopboxApi } from '../../../../shared/api.js';
import type { SavedSearch } from '../../../../shared/search.js';
import type { MenuSpec } from '../inbox/menus.js';
import { NameDialog } from './NameDialog.js';
import { addSaved, moveSaved, nameProblem, removeSaved, renameSaved } from './saved.js';
import type { SavedSearchListProps } from './SavedSearchList.js';
import { useSavedSearches } from './useSavedSearches.js';

export interface SavedSearchUi {
  /** The saved search the list shows, while its query is the one in the box. */
  active: SavedSearch | null;
  sidebar: SavedSearchListProps;
  /** Opens the Save search dialog for the query in the box. */
  save: () => void;
  /** Leaves the saved search (a folder was chosen): the box is cleared with it. */
  leave: () => void;
  /** The open dialog, if any. */
  element: ReactNode;
}

type NameDialogState = { kind: 'save'; query: string } | { kind: 'rename'; saved: SavedSearch } | null;

const newId = () => (globalThis.crypto?.randomUUID?.() ?? `s${Date.now().toString(36)}${Math.random().toString(36).slice(2)}`);

export function useSavedSearchUi(opts: {
  api: PopboxApi;
  search: string;
  /** Puts a query in the box and searches all folders (or not). */
  run: (query: string, all: boolean) => void;
  showMenu: (spec: MenuSpec, at: { x: number; y: number }) => void;
  /** Says what was done, in the status line. */
  notice: (text: string) => void;
}): SavedSearchUi {
  const { list, replace } = useSavedSearches(opts.api);
  const [activeId, setActiveId] = useState<string | null>(null);
  const [dialog, setDialog] = useState<NameDialogState>(null);
  const found = list.find((s) => s.id === activeId) ?? null;
  // Typing in the box makes it another search: the saved one is no longer what is shown.
  const active = found && found.query === opts.search ? found : null;

  const runSaved = (s: SavedSearch) => {
    setActiveId(s.id);
    opts.run(s.query, true);
  };
  const change = async (next: SavedSearch[], done?: string) => {
    const why = await replace(next);
    if (why) opts.notice(`Saved searches not changed: ${why}`);
    else if (done) opts.notice(done);
    return why;
  };
  const menu = (s: SavedSearch, at: { x: number; y: number }) => {
    const i = list.findIndex((x) => x.id === s.id);
    opts.showMenu(
      {
        label: `Saved search ${s.name}`,
        items: [
          { label: 'Run', onSelect: () => runSaved(s) },
          { label: 'Rename…', onSelect: () => setDialog({ kind: 'rename', saved: s }) },
          { label: 'Move up', disabled: i <= 0, onSelect: () => void change(moveSaved(list, s.id, -1)), separatorBefore: true },
          { label: 'Move down', disabled: i < 0 || i >= list.length - 1, onSelect: () => void change(moveSaved(list, s.id, 1)) },
          {
            label: 'Delete',
            separatorBefore: true,
            onSelect: () => {
              if (activeId === s.id) setActiveId(null);
              void change(removeSaved(list, s.id), `Deleted the saved search “${s.name}”. Its messages are where they were.`);
            },
          },
        ],
      },
      at,
    );
  };

  const element =
    dialog &&
    createElement(NameDialog, {
      label: dialog.kind === 'save' ? 'Save search' : `Rename “${dialog.saved.name}”`,
      initial: dialog.kind === 'save' ? dialog.query.trim() : dialog.saved.name,
      action: dialog.kind === 'save' ? 'Save' : 'Rename',
      problem: (name: string) => nameProblem(list, name, dialog.kind === 'rename' ? dialog.saved.id : undefined),
      onClose: () => setDialog(null),
      onDone: async (name: string) => {
        if (dialog.kind === 'rename') return replace(renameSaved(list, dialog.saved.id, name));
        const s: SavedSearch = { id: newId(), name, query: dialog.query };
        const why = await replace(addSaved(list, s));
        if (!why) setActiveId(s.id);
        return why;
      },
    });

  return {
    active,
    sidebar: { list, activeId: active?.id ?? null, onRun: runSaved, onContextMenu: menu },
    save: () => setDialog({ kind: 'save', query: opts.search }),
    leave: () => {
      if (active) opts.run('', false);
      setActiveId(null);
    },
    element,
  };
}
