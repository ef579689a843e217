/** The bar above the panes: Folders, Get Mail, Write, the search box, View and Account settings. */
import type { RefObject } from 'react';
import { SearchBox } from '../features/search/SearchBox.js';

export function Toolbar(props: {
  foldersShown: boolean;
  onToggleFolders: () => void;
  getting: boolean;
  onGetMail: () => void;
  searchRef: RefObject<HTMLInputElement | null>;
  search: string;
  onSearch: (text: string) => void;
  /** Enter or ↓ in the search box: on to the results. */
  onSearchEnter?: () => void;
  viewMenuOpen: boolean;
  onViewMenu: (at: { x: number; y: number }) => void;
  onSettings: () => void;
  /** Write a new message (C or N). */
  onCompose?: () => void;
}) {
  return (
    <header className="toolbar">
      <button type="button" className="folders-toggle" aria-pressed={props.foldersShown} title="Show or hide the folders (F9)" onClick={props.onToggleFolders}>
        Folders
      </button>
      <button type="button" className="primary" onClick={props.onGetMail} disabled={props.getting} aria-busy={props.getting}>
        Get Mail
      </button>
      {props.onCompose && (
        <button type="button" className="compose-button" onClick={props.onCompose} title="Write a new message (C)">
          Write
        </button>
      )}
      <SearchBox ref={props.searchRef} value={props.search} onChange={props.onSearch} {...(props.onSearchEnter ? { onEnter: props.onSearchEnter } : {})} />
      <button
        type="button"
        className="view-button"
        aria-haspopup="menu"
        aria-expanded={props.viewMenuOpen}
        onClick={(e) => {
          const r = e.currentTarget.getBoundingClientRect();
          props.onViewMenu({ x: r.left, y: r.bottom + 2 });
        }}
      >
        View
      </button>
      <button type="button" className="settings-button" onClick={props.onSettings}>
        Account settings
      </button>
    </header>
  );
}
