/** The window: toolbar, folders, message list, reading pane, status; settings and first run. */
import { useLiveQuery } from 'dexie-react-hooks';
import { lazy, Suspense, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { call } from '../api/client.js';
import type { MessageRow } from '../db/database.js';
import { folderOf, type MailboxView } from '../db/message-store.js';
import { messageActions, type MessageActions } from '../features/inbox/actions.js';
import { COMMAND_LABELS, commandsFor, type Command } from '../features/inbox/commands.js';
import { MessageList } from '../features/inbox/MessageList.js';
import { SelectionSummary } from '../features/inbox/SelectionSummary.js';
import { useViewIds } from '../features/inbox/useViewIds.js';
import { SearchBox } from '../features/search/SearchBox.js';
import { Sidebar } from '../features/sidebar/Sidebar.js';
import { StatusArea } from '../features/status/StatusArea.js';
import { useSyncActivity } from '../features/status/activity.js';
import { syncSummaryText } from '../features/status/explain.js';
import { noMatchText } from '../features/search/no-match.js';
import { useServices } from './context.js';
import { shortcutFor } from './keyboard.js';
import { useLayout } from './layout.js';
import { SHARE, SIDEBAR_WIDTH, ZOOM } from './view-settings.js';
import { Menu, type MenuItem } from './Menu.js';
import { overlayOpen } from './overlay.js';
import { ShortcutsHelp } from './ShortcutsHelp.js';
import { Splitter } from './Splitter.js';

// Loaded when first needed, so a start only parses what the message list needs (the reading
// pane brings DOMPurify; the account screens are rarely open).
const AddAccount = lazy(() => import('../features/accounts/AddAccount.js').then((m) => ({ default: m.AddAccount })));
const SettingsView = lazy(() => import('../features/accounts/AccountSettings.js').then((m) => ({ default: m.SettingsView })));
const loadReadingPane = () => import('../features/reader/ReadingPane.js');
const ReadingPane = lazy(() => loadReadingPane().then((m) => ({ default: m.ReadingPane })));

/** Whether a message belongs in a view (its folder, and its account for an account's Inbox). */
function inView(row: MessageRow, view: MailboxView): boolean {
  return row.folder === folderOf(view) && (view.kind !== 'account' || row.accountId === view.accountId);
}

/** setFlags takes at most this many ids per call (the contract's limit). */
const IDS_PER_CALL = 100_000;

type Screen = { kind: 'mail' } | { kind: 'settings'; accountId: string | null; focusPassword: boolean };

export interface AppProps {
  /** A message clicked in the start-up snapshot before the app was ready: opened on mount. */
  takeSnapshotClick?: () => string | null;
}

export function App({ takeSnapshotClick }: AppProps = {}) {
  const { api, db, readModel } = useServices();
  const stored = useLiveQuery(() => db.accounts.toArray(), [db]);
  // A cold start with last session's first rows at hand shows the mail at once; the accounts
  // follow from IndexedDB a moment later.
  const accounts = stored ?? (readModel.store.headFor({ kind: 'unified' }, 'date') ? [] : undefined);
  const [screen, setScreen] = useState<Screen>({ kind: 'mail' });
  const [view, setView] = useState<MailboxView>({ kind: 'unified' });
  const [search, setSearch] = useState('');
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const [focused, setFocused] = useState<string | null>(null);
  const [openId, setOpenId] = useState<string | null>(null);
  const [anchor, setAnchor] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [getting, setGetting] = useState(false);
  const [layout, setLayout] = useLayout();
  const [menu, setMenu] = useState<{ label: string; items: MenuItem[]; at: { x: number; y: number } } | null>(null);
  const [help, setHelp] = useState(false);
  /** The row a context menu is open for, outlined while it is. */
  const [contextId, setContextId] = useState<string | null>(null);
  const searchRef = useRef<HTMLInputElement>(null);
  const gridRef = useRef<HTMLDivElement>(null);
  const panesRef = useRef<HTMLDivElement>(null);
  const mailPanesRef = useRef<HTMLDivElement>(null);
  const { ids, complete } = useViewIds(view, layout.sort, layout.reversed, search.trim());
  const activity = useSyncActivity();

  // Printing shows the open message alone (print CSS); its HTML frame grows to its whole
  // height first, or only the part that fits the pane would be printed.
  useEffect(() => {
    const frames = () => document.querySelectorAll<HTMLIFrameElement>('iframe.message-frame');
    const fit = () => {
      for (const f of frames()) {
        const h = f.contentDocument?.documentElement.scrollHeight;
        if (h) f.style.height = `${h}px`;
      }
    };
    const unfit = () => frames().forEach((f) => (f.style.height = ''));
    window.addEventListener('beforeprint', fit);
    window.addEventListener('afterprint', unfit);
    return () => {
      window.removeEventListener('beforeprint', fit);
      window.removeEventListener('afterprint', unfit);
    };
  }, []);

  // Ctrl +/-: the whole window, as a browser zooms a page (CSS zoom scales layout, not a bitmap).
  useEffect(() => {
    document.documentElement.style.zoom = layout.zoom === 1 ? '' : String(layout.zoom);
  }, [layout.zoom]);

  // The reading pane is fetched once the list is up, so opening the first message does not wait.
  useEffect(() => {
    const t = setTimeout(() => void loadReadingPane(), 300);
    return () => clearTimeout(t);
  }, []);

  const actions = useMemo(() => messageActions(api, setNotice, (q) => window.confirm(q)), [api]);

  const open = useCallback(
    async (id: string) => {
      setOpenId(id);
      setFocused(id);
      const row = readModel.store.get(id);
      if (row && !row.seen) await actions.setSeen([id], true);
    },
    [readModel, actions],
  );

  useEffect(() => {
    const id = takeSnapshotClick?.();
    if (id) {
      setSelected(new Set([id]));
      void open(id);
    }
  }, []);

  const click = (id: string, mods: { shift: boolean; toggle: boolean }) => {
    if (mods.toggle) {
      const next = new Set(selected);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      setSelected(next);
      setAnchor(id);
      setFocused(id);
      return;
    }
    if (mods.shift && anchor) {
      const a = ids.indexOf(anchor);
      const b = ids.indexOf(id);
      if (a >= 0 && b >= 0) {
        setSelected(new Set(ids.slice(Math.min(a, b), Math.max(a, b) + 1)));
        setFocused(id);
        return;
      }
    }
    setSelected(new Set([id]));
    setAnchor(id);
    void open(id);
  };

  const getMail = useCallback(async () => {
    setGetting(true);
    setNotice(null);
    try {
      const outcomes = await call(api, 'syncNow', {});
      setNotice(syncSummaryText(outcomes));
    } catch (e) {
      setNotice(`Get Mail failed: ${(e as Error).message}`);
    } finally {
      setGetting(false);
    }
  }, [api]);

  // The shell's menus, tray and notifications ask for things through the `command` event.
  useEffect(() => {
    const offCommand = api.on('command', ({ command, id }) => {
      if (command === 'get-mail') void getMail();
      else if (command === 'open-settings') setScreen({ kind: 'settings', accountId: null, focusPassword: false });
      else if (command === 'focus-search') {
        setScreen({ kind: 'mail' });
        setTimeout(() => searchRef.current?.focus(), 0);
      } else if (command === 'open-message' && id) {
        setScreen({ kind: 'mail' });
        setView({ kind: 'unified' });
        setSelected(new Set([id]));
        void open(id);
      }
    });
    const offNotice = api.on('notice', ({ message }) => setNotice(message));
    return () => {
      offCommand();
      offNotice();
    };
  }, [api, getMail, open]);

  // Selection follows what is still in the view.
  useEffect(() => {
    if (selected.size === 0) return; // nothing to check (and no 100,000-entry set per keystroke)
    const present = new Set(ids);
    if ([...selected].some((id) => !present.has(id))) setSelected(new Set([...selected].filter((id) => present.has(id))));
  }, [ids]);

  // The open message leaves the reading pane when it leaves the view (moved to Trash or restored
  // elsewhere, by a bulk command, another window or the shell), so the pane never offers the
  // other folder's buttons for it.
  useEffect(() => {
    if (!openId || !readModel.store.loaded) return;
    const row = readModel.store.get(openId);
    if (!row || !inView(row, view)) setOpenId(null);
  }, [ids]);

  const targets = () => (selected.size > 0 ? [...selected] : focused ? [focused] : []);

  /**
   * Messages leaving the view (to Trash, restored, deleted): the selection moves to the next
   * message still there, as in Thunderbird, but only once the command is certain: a Delete
   * permanently the user cancels changes nothing.
   */
  const leave = (c: 'trash' | 'restore' | 'delete', t: string[]) => {
    if (t.length === 0) return;
    if (c === 'delete' && !actions.confirmDelete(t.length)) return;
    // The move goes up first, then the next message is opened (and marked read).
    void (c === 'trash' ? actions.trash(t) : c === 'restore' ? actions.restore(t) : actions.deleteForGood(t));
    const gone = new Set(t);
    if ((openId && gone.has(openId)) || (focused && gone.has(focused)) || [...selected].some((id) => gone.has(id))) {
      let i = -1;
      for (let k = ids.length - 1; k >= 0; k--) {
        if (gone.has(ids[k]!)) {
          i = k;
          break;
        }
      }
      // Nothing to move to when none of them is listed (a search that hides the open message).
      let after: string | null = null;
      for (let k = i + 1; i >= 0 && k < ids.length && after === null; k++) if (!gone.has(ids[k]!)) after = ids[k]!;
      for (let k = i - 1; k >= 0 && after === null; k--) if (!gone.has(ids[k]!)) after = ids[k]!;
      setSelected(after ? new Set([after]) : new Set());
      setAnchor(after);
      setFocused(after);
      if (after) void open(after);
      else setOpenId(null);
    }
  };

  const runCommand = (c: Command, t: string[]) => {
    if (t.length === 0) return;
    if (c === 'read' || c === 'unread') void actions.setSeen(t, c === 'read');
    else if (c === 'flag' || c === 'unflag') void actions.setFlagged(t, c === 'flag');
    else leave(c, t);
  };

  // What the reading pane's buttons do: the same as the list's commands, selection included.
  const paneActions: MessageActions = {
    ...actions,
    trash: async (t) => leave('trash', t),
    restore: async (t) => leave('restore', t),
    deleteForGood: async (t) => leave('delete', t),
    confirmDelete: () => true,
  };

  /** Every unread message of the folder (not only a search's matches), in one command per 100,000. */
  const markAllRead = (of: MailboxView = view) => {
    const store = readModel.store;
    if (!store.loaded) return;
    const unread = store.viewIds(of, 'date').filter((id) => !store.get(id)?.seen);
    if (unread.length === 0) {
      setNotice('Every message here is already read.');
      return;
    }
    for (let k = 0; k < unread.length; k += IDS_PER_CALL) void actions.setSeen(unread.slice(k, k + IDS_PER_CALL), true);
  };

  const zoomBy = (step: number) => setLayout({ zoom: step === 0 ? 1 : Math.round((layout.zoom + step) * 10) / 10 });

  const contextMenu = (id: string, at: { x: number; y: number }) => {
    // On a selected row: the whole selection; elsewhere that row alone, leaving the selection be.
    const t = selected.has(id) ? [...selected] : [id];
    setContextId(id);
    const rows = t.flatMap((m) => readModel.store.get(m) ?? []);
    const items: MenuItem[] = commandsFor(rows).map((c, i) => ({
      label: COMMAND_LABELS[c],
      onSelect: () => runCommand(c, rows.map((r) => r.id)),
      separatorBefore: i === 2,
    }));
    if (items.length) setMenu({ label: t.length === 1 ? 'Message' : `${t.length} messages`, items, at });
  };

  const folderMenu = (v: MailboxView, at: { x: number; y: number }) => {
    const unread = readModel.store.loaded ? readModel.store.unreadCount(v) : 0;
    setMenu({
      label: 'Folder',
      at,
      items: [{ label: 'Mark all as read', disabled: v.kind === 'trash' || unread === 0, onSelect: () => markAllRead(v) }],
    });
  };

  const viewMenu = (at: { x: number; y: number }) =>
    setMenu({
      label: 'View',
      at,
      items: [
        { label: 'Wide layout (list beside message)', kind: 'radio', checked: layout.mode === 'wide', onSelect: () => setLayout({ mode: 'wide' }) },
        { label: 'Classic layout (list above message)', kind: 'radio', checked: layout.mode === 'classic', onSelect: () => setLayout({ mode: 'classic' }) },
        { label: 'Folders', kind: 'check', checked: !layout.sidebarHidden, hint: 'F9', onSelect: () => setLayout({ sidebarHidden: !layout.sidebarHidden }), separatorBefore: true },
        { label: 'Zoom in', hint: 'Ctrl +', disabled: layout.zoom >= ZOOM.max, onSelect: () => zoomBy(ZOOM.step), separatorBefore: true },
        { label: 'Zoom out', hint: 'Ctrl −', disabled: layout.zoom <= ZOOM.min, onSelect: () => zoomBy(-ZOOM.step) },
        { label: `Actual size (now ${Math.round(layout.zoom * 100)}%)`, hint: 'Ctrl 0', onSelect: () => zoomBy(0) },
        { label: 'Keyboard shortcuts', hint: '?', onSelect: () => setHelp(true), separatorBefore: true },
      ],
    });

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      // A dialog or menu owns the keys while it is open: nothing acts on the mail behind it.
      if (screen.kind !== 'mail' || overlayOpen()) return;
      const s = shortcutFor(e, e.target);
      if (!s) return;
      const move = (delta: number) => {
        if (ids.length === 0) return;
        const i = focused ? ids.indexOf(focused) : -1;
        const next = ids[Math.max(0, Math.min(ids.length - 1, i + delta))]!;
        setSelected(new Set([next]));
        setAnchor(next);
        void open(next);
        // The keys now act in the list: Enter opens this message, not the folder button that
        // still had focus after a click on a folder.
        if (!gridRef.current?.contains(document.activeElement)) gridRef.current?.focus({ preventScroll: true });
      };
      e.preventDefault();
      switch (s) {
        case 'next':
          return move(1);
        case 'previous':
          return move(-1);
        case 'open':
          if (focused) void open(focused);
          return;
        case 'trash':
          return leave(view.kind === 'trash' ? 'delete' : 'trash', targets());
        case 'toggle-unread':
          {
            const live = targets().flatMap((id) => readModel.store.get(id) ?? []);
            if (live.length) void actions.setSeen(live.map((r) => r.id), !live.every((r) => r.seen));
          }
          return;
        case 'toggle-flag':
          {
            const live = targets().flatMap((id) => readModel.store.get(id) ?? []);
            if (live.length) void actions.setFlagged(live.map((r) => r.id), !live.every((r) => r.flagged));
          }
          return;
        case 'search':
          searchRef.current?.focus();
          searchRef.current?.select();
          return;
        case 'get-mail':
          void getMail();
          return;
        case 'select-all':
          setSelected(new Set(ids));
          return;
        case 'clear-selection':
          setSelected(new Set());
          setOpenId(null);
          return;
        case 'mark-all-read':
          return markAllRead();
        case 'first':
          return move(-ids.length);
        case 'last':
          return move(ids.length);
        case 'help':
          setHelp(true);
          return;
        case 'toggle-folders':
          setLayout({ sidebarHidden: !layout.sidebarHidden });
          return;
        case 'zoom-in':
          return zoomBy(ZOOM.step);
        case 'zoom-out':
          return zoomBy(-ZOOM.step);
        case 'zoom-reset':
          return zoomBy(0);
        case 'print':
          if (openId && selected.size <= 1) window.print();
          return;
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  });

  if (accounts === undefined) return <div className="loading">Loading…</div>;

  if (stored?.length === 0 && screen.kind === 'mail') {
    return (
      <main className="welcome">
        <h1>Welcome to Popbox</h1>
        <p>Your POP3 mail, downloaded safely to this computer and readable offline. Start by adding an account.</p>
        <Suspense fallback={<p>Loading…</p>}>
          <AddAccount onDone={() => setView({ kind: 'unified' })} />
        </Suspense>
      </main>
    );
  }

  if (screen.kind === 'settings') {
    return (
      <Suspense fallback={<div className="loading">Loading…</div>}>
        <SettingsView accountId={screen.accountId} focusPassword={screen.focusPassword} onClose={() => setScreen({ kind: 'mail' })} />
      </Suspense>
    );
  }

  const emptyText = search.trim() ? noMatchText(search) : view.kind === 'trash' ? 'Trash is empty.' : (activity ?? 'No messages yet. Use Get Mail to check now.');

  const wide = layout.mode === 'wide';
  // Drag positions are in window pixels; CSS zoom scales what the pane widths mean.
  const sidebarAt = (x: number) => (x - (panesRef.current?.getBoundingClientRect().left ?? 0)) / layout.zoom;
  const shareAt = (x: number, y: number) => {
    const r = mailPanesRef.current?.getBoundingClientRect();
    if (!r) return wide ? layout.listWidth : layout.listHeight;
    return wide ? (x - r.left) / r.width : (y - r.top) / r.height;
  };
  const selectedIds = selected.size > 1 ? [...selected] : null;

  return (
    <div className={`app layout-${layout.mode}`}>
      <header className="toolbar">
        <button
          type="button"
          className="folders-toggle"
          aria-pressed={!layout.sidebarHidden}
          title="Show or hide the folders (F9)"
          onClick={() => setLayout({ sidebarHidden: !layout.sidebarHidden })}
        >
          Folders
        </button>
        <button type="button" className="primary" onClick={() => void getMail()} disabled={getting} aria-busy={getting}>
          Get Mail
        </button>
        <SearchBox ref={searchRef} value={search} onChange={setSearch} />
        <button
          type="button"
          className="view-button"
          aria-haspopup="menu"
          aria-expanded={menu?.label === 'View'}
          onClick={(e) => {
            const r = e.currentTarget.getBoundingClientRect();
            viewMenu({ x: r.left, y: r.bottom + 2 });
          }}
        >
          View
        </button>
        <button type="button" className="settings-button" onClick={() => setScreen({ kind: 'settings', accountId: view.kind === 'account' ? view.accountId : null, focusPassword: false })}>
          Account settings
        </button>
      </header>
      <div className="panes" ref={panesRef} style={{ ['--sidebar-w' as string]: `${layout.sidebarWidth}px`, ['--list-share' as string]: `${(wide ? layout.listWidth : layout.listHeight) * 100}%` }}>
        {!layout.sidebarHidden && (
          <>
            <Sidebar
              view={view}
              onContextMenu={folderMenu}
              onSelect={(v) => {
                setView(v);
                setSelected(new Set());
                setOpenId(null);
                setFocused(null);
              }}
            />
            <Splitter
              label="Resize the folders"
              orientation="vertical"
              value={layout.sidebarWidth}
              min={SIDEBAR_WIDTH.min}
              max={SIDEBAR_WIDTH.max}
              step={16}
              toValue={sidebarAt}
              onChange={(w) => setLayout({ sidebarWidth: w })}
              describe={(w) => `${Math.round(w)} pixels`}
            />
          </>
        )}
        <div className="mail-panes" ref={mailPanesRef}>
          <div className="list-slot">
            <MessageList
              ids={ids}
              loading={!complete}
              selected={selected}
              focused={focused}
              sort={layout.sort}
              reversed={layout.reversed}
              onSort={(sort, reversed) => setLayout({ sort, reversed })}
              onClick={click}
              onOpen={(id) => void open(id)}
              onContextMenu={contextMenu}
              contextId={menu ? contextId : null}
              onMarkAllRead={view.kind === 'trash' ? undefined : () => markAllRead()}
              gridRef={gridRef}
              emptyText={emptyText}
            />
          </div>
          <Splitter
            label={wide ? 'Resize the message list' : 'Resize the message list (height)'}
            orientation={wide ? 'vertical' : 'horizontal'}
            value={wide ? layout.listWidth : layout.listHeight}
            min={SHARE.min}
            max={SHARE.max}
            step={0.05}
            toValue={shareAt}
            onChange={(v) => setLayout(wide ? { listWidth: v } : { listHeight: v })}
            describe={(v) => `${Math.round(v * 100)}%`}
          />
          {selectedIds ? (
            <SelectionSummary
              ids={selectedIds}
              onCommand={runCommand}
              onClear={() => {
                setSelected(new Set());
                setOpenId(null);
              }}
            />
          ) : (
            <Suspense fallback={<section className="reader empty-reader" aria-label="Message" />}>
              <ReadingPane id={openId} actions={paneActions} />
            </Suspense>
          )}
        </div>
      </div>
      <StatusArea notice={notice} onOpenSettings={(accountId, focusPassword) => setScreen({ kind: 'settings', accountId, focusPassword: !!focusPassword })} />
      {menu && <Menu label={menu.label} items={menu.items} at={menu.at} onClose={() => setMenu(null)} />}
      {help && <ShortcutsHelp onClose={() => setHelp(false)} />}
    </div>
  );
}
