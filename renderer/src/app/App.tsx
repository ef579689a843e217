/** The window: toolbar, folders, message list, reading pane, status; settings and first run. */
import { useLiveQuery } from 'dexie-react-hooks';
import { lazy, Suspense, useEffect, useMemo, useRef, useState } from 'react';
import { INBOX, roleOf } from '../../../shared/folders.js';
import type { MailboxView } from '../db/message-store.js';
import { messageActions, type MessageActions } from '../features/inbox/actions.js';
import { junkSplit, type Command } from '../features/inbox/commands.js';
import { emptyListText, placeOfRows, viewTitle } from '../features/inbox/list-text.js';
import { messageMenu, type MenuSpec } from '../features/inbox/menus.js';
import { undoableActions } from '../features/inbox/undoable.js';
import { useSelection } from '../features/inbox/useSelection.js';
import { SearchStatus, searchCountText } from '../features/search/SearchStatus.js';
import { useSavedSearchUi } from '../features/search/useSavedSearchUi.js';
import { queryChoosesPlace } from '../features/search/useSearch.js';
import { useSearchView } from '../features/search/useSearchView.js';
import { FolderDialogHost } from '../features/folders/FolderDialogHost.js';
import { folderMenu } from '../features/folders/folderMenu.js';
import { inTrash } from '../features/folders/tree.js';
import type { MessageRow } from '../db/database.js';
import { isOwnMail } from '../db/rows.js';
import { useFiling } from '../features/folders/useFiling.js';
import { useFollowFolder } from '../features/folders/useFollowFolder.js';
import { useComposer } from '../features/compose/useComposer.js';
import { MessageList } from '../features/inbox/MessageList.js';
import { sendConversationKey } from '../features/threads/keys.js';
import { useConversations } from '../features/threads/useConversations.js';
import { SelectionSummary } from '../features/inbox/SelectionSummary.js';
import { useServerPane } from '../features/server/useServerPane.js';
import { Sidebar } from '../features/sidebar/Sidebar.js';
import { StatusArea } from '../features/status/StatusArea.js';
import { useSyncActivity } from '../features/status/activity.js';
import { useServices } from './context.js';
import type { Shortcut } from './keyboard.js';
import { useLayout } from './layout.js';
import { Menu } from './Menu.js';
import { Panes } from './Panes.js';
import { ShortcutsHelp } from './ShortcutsHelp.js';
import { Toast } from './Toast.js';
import { Toolbar } from './Toolbar.js';
import { usePrintWholeMessage } from './usePrint.js';
import { useGetMail, useShellCommands } from './useShellCommands.js';
import { useShortcuts } from './useShortcuts.js';
import { useUndo } from './useUndo.js';
import { Welcome } from './Welcome.js';
import { viewMenu, zoomAfter } from './view-menu.js';
import { ZOOM } from './view-settings.js';

// Loaded when first needed, so a start only parses what the message list needs (the reading
// pane brings DOMPurify; the account screens are rarely open).
const SettingsView = lazy(() => import('../features/accounts/AccountSettings.js').then((m) => ({ default: m.SettingsView })));
const ServerView = lazy(() => import('../features/server/ServerView.js').then((m) => ({ default: m.ServerView })));
const OutboxView = lazy(() => import('../features/outbox/OutboxView.js').then((m) => ({ default: m.OutboxView })));
const loadReadingPane = () => import('../features/reader/ReadingPane.js');
const ReadingPane = lazy(() => loadReadingPane().then((m) => ({ default: m.ReadingPane })));

/** What the keys still do while the On the server view fills the list pane. */
const WINDOW_SHORTCUTS: ReadonlySet<Shortcut> = new Set(['get-mail', 'help', 'toggle-folders', 'zoom-in', 'zoom-out', 'zoom-reset', 'search', 'compose', 'undo']);

/** setFlags takes at most this many ids per call (the contract's limit). */
const IDS_PER_CALL = 100_000;

type Screen = { kind: 'mail' } | { kind: 'settings'; accountId: string | null; focusPassword: boolean };

export interface AppProps {
  /** A message clicked in the start-up snapshot before the app was ready: opened on mount. */
  takeSnapshotClick?: () => string | null;
}

export function App({ takeSnapshotClick }: AppProps = {}) {
  const { api, db, readModel } = useServices();
  const store = readModel.store;
  const stored = useLiveQuery(() => db.accounts.toArray(), [db]);
  // A cold start with last session's first rows at hand shows the mail at once; the accounts
  // follow from IndexedDB a moment later.
  const accounts = stored ?? (store.headFor({ kind: 'unified' }, 'date') ? [] : undefined);
  const accountName = (id: string) => accounts?.find((a) => a.id === id)?.name ?? 'this account';
  const [screen, setScreen] = useState<Screen>({ kind: 'mail' });
  const [view, setView] = useState<MailboxView>({ kind: 'unified' });
  const [search, setSearch] = useState('');
  const [searchAll, setSearchAll] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const [layout, setLayout] = useLayout();
  const [menu, setMenu] = useState<(MenuSpec & { at: { x: number; y: number } }) | null>(null);
  const [help, setHelp] = useState(false);
  /** The row a context menu is open for, outlined while it is. */
  const [contextId, setContextId] = useState<string | null>(null);
  const searchRef = useRef<HTMLInputElement>(null);
  const gridRef = useRef<HTMLDivElement>(null);
  // A search of all mail lists every folder of every account; otherwise the list is the folder's.
  // A query with in: or account: chooses its own place.
  const listView: MailboxView = search.trim() && (searchAll || queryChoosesPlace(search)) ? { kind: 'all' } : view;
  // A search is main's answer (ranked, with the words to mark); the in-memory filter paints first.
  const found = useSearchView(listView, layout.sort, layout.reversed, search);
  // Conversations on: one row per thread (features/threads); in the list's order (not a
  // search's ranking) each conversation goes where the whole conversation puts it (its newest
  // message by date, name or subject, its largest by size, flagged if any message is).
  const { sort, reversed } = layout;
  const rowOrder = useMemo(() => (found.answer.status === 'idle' ? { by: sort, reversed } : null), [found.answer.status, sort, reversed]);
  const conversations = useConversations(api, store, found.ids, accounts, rowOrder);
  const { ids } = conversations;
  const { complete } = found;
  const searching = found.answer.status !== 'idle';
  const activity = useSyncActivity(listView, accounts);
  const { toast, announce, remark, undo, dismiss, history } = useUndo();
  const plainActions = useMemo(() => messageActions(api, setNotice), [api]);
  // What the user does is recorded for Undo; marking a message read by opening it is not.
  const actions = useMemo(() => undoableActions(plainActions, store, history, announce), [plainActions, store, history, announce]);
  const selection = useSelection(store, ids, listView, plainActions.setSeen);
  const { selected, focused, openId, open } = selection;
  // What the keys and menus act on: the selection, else the focused row; in conversations, all
  // of those rows' conversations' messages in this view (the reading pane's buttons act on the open message alone).
  const targets = () => conversations.targets(selection.targets());
  const filing = useFiling(store, actions, selection, conversations.targets);
  const { leave } = filing;
  const follow = useFollowFolder(view, setView, (text) => announce(text, false));
  const composer = useComposer(api, accounts);
  const server = useServerPane(api, stored);
  // A search (typed or saved) shows its results: the list pane leaves the server view for them.
  useEffect(() => {
    if (search.trim()) server.close();
  }, [search]);
  // Writing: r, Shift+R, f on the open (else focused) message; c/n a new one from this folder's account.
  const write = (mode: 'new' | 'reply' | 'replyAll' | 'forward', id = openId ?? focused) =>
    mode === 'new' ? composer.open({ mode, ...(view.kind === 'folder' ? { accountId: view.accountId } : {}) }) : id && composer.open({ mode, id });
  // A message in Drafts opens where it can be written on.
  const openOrEdit = (id: string) => (store.get(id)?.folder === 'Drafts' ? composer.open({ mode: 'draft', id }) : void open(id));

  usePrintWholeMessage();
  // Ctrl +/-: the whole window, as a browser zooms a page (CSS zoom scales layout, not a bitmap).
  useEffect(() => {
    document.documentElement.style.zoom = layout.zoom === 1 ? '' : String(layout.zoom);
  }, [layout.zoom]);
  // The reading pane is fetched once the list is up, so opening the first message does not wait.
  useEffect(() => {
    const t = setTimeout(() => void loadReadingPane(), 300);
    return () => clearTimeout(t);
  }, []);
  useEffect(() => {
    const id = takeSnapshotClick?.();
    if (id) selection.show(id);
  }, []);

  const saved = useSavedSearchUi({
    api,
    search,
    run: (query, all) => {
      setSearch(query);
      setSearchAll(all);
      selection.reset();
    },
    showMenu: (spec, at) => showMenu(spec, at),
    notice: setNotice,
  });

  const { getting, getMail } = useGetMail(api, setNotice);
  useShellCommands(
    api,
    {
      getMail: () => void getMail(),
      openSettings: () => setScreen({ kind: 'settings', accountId: null, focusPassword: false }),
      focusSearch: () => {
        setScreen({ kind: 'mail' });
        setTimeout(() => searchRef.current?.focus(), 0);
      },
      openMessage: (id) => {
        setScreen({ kind: 'mail' });
        // Its own folder (a rule may have filed it elsewhere than the Inbox).
        const row = store.get(id);
        setView(row && row.folder !== INBOX ? { kind: 'folder', accountId: row.accountId, folder: row.folder } : { kind: 'unified' });
        selection.show(id);
      },
      notice: setNotice,
    },
    [getMail, open],
  );

  /**
   * Junk on these messages: the received ones move, and what was left (the user's own) is said in
   * the same note as the move and its Undo ("Marked 1 message as junk. 2 of your own messages were
   * left where they are."), not in the status bar beside it, where two notes competed.
   */
  const junkRows = (rows: readonly MessageRow[]) => {
    const { ids: t, skipped } = junkSplit(rows);
    if (t.length === 0) {
      if (skipped) announce(skipped, false);
      return;
    }
    leave('junk', t);
    if (skipped) remark(skipped);
  };

  const runCommand = (c: Command, rowIds: string[]) => {
    // Junk teaches the filter: on a conversation row, only the row's side of a planted reply.
    if (c === 'junk') return junkRows(conversations.junkTargets(rowIds).flatMap((id) => store.get(id) ?? []));
    const t = c === 'not-junk' ? conversations.junkTargets(rowIds) : conversations.targets(rowIds);
    if (t.length === 0) return;
    if (c === 'read' || c === 'unread') void actions.setSeen(t, c === 'read');
    else if (c === 'flag' || c === 'unflag') void actions.setFlagged(t, c === 'flag');
    else if (c === 'move') filing.setDialog({ kind: 'move', ids: t });
    else leave(c, t);
  };

  // What the reading pane's buttons do: the same as the list's commands, selection included.
  const paneActions: MessageActions = {
    ...actions,
    trash: async (t) => leave('trash', t),
    archive: async (t) => leave('archive', t),
    junk: async (t, on) => (on ? junkRows(t.flatMap((id) => store.get(id) ?? [])) : leave('not-junk', t)),
    restore: async (t) => leave('restore', t),
    deleteForGood: async (t) => leave('delete', t),
  };

  /** Every unread message of the folder (not only a search's matches), in one command per 100,000. */
  const markAllRead = (of: MailboxView = view) => {
    if (!store.loaded) return;
    const unread = store.viewIds(of, 'date').filter((id) => !store.get(id)?.seen);
    if (unread.length === 0) return setNotice('Every message here is already read.');
    for (let k = 0; k < unread.length; k += IDS_PER_CALL) void actions.setSeen(unread.slice(k, k + IDS_PER_CALL), true);
  };

  const zoomBy = (step: number) => setLayout({ zoom: zoomAfter(layout.zoom, step) });
  const showMenu = (spec: MenuSpec | null, at: { x: number; y: number }) => spec && setMenu({ ...spec, at });
  const contextMenu = (id: string, at: { x: number; y: number }) => {
    // On a selected row: the whole selection; elsewhere that row alone, leaving the selection be.
    const t = conversations.targets(selected.has(id) ? [...selected] : [id]);
    setContextId(id);
    showMenu(
      messageMenu(
        t.flatMap((m) => store.get(m) ?? []),
        t.length,
        runCommand,
      ),
      at,
    );
  };
  /** The rows the keys act on (the selection, else the focused message) that still exist. */
  const liveTargets = () => targets().flatMap((id) => store.get(id) ?? []);
  /** U and S: on for all of them unless all have it already. */
  const toggle = (flag: 'seen' | 'flagged') => {
    const live = liveTargets();
    if (live.length) void actions[flag === 'seen' ? 'setSeen' : 'setFlagged'](live.map((r) => r.id), !live.every((r) => r[flag]));
  };

  const step = (delta: number) => {
    // The keys now act in the list: Enter opens this message, not the folder button that
    // still had focus after a click on a folder.
    if (selection.step(delta) && !gridRef.current?.contains(document.activeElement)) gridRef.current?.focus({ preventScroll: true });
  };
  const shortcuts: Record<Shortcut, () => void> = {
    next: () => step(1),
    previous: () => step(-1),
    first: () => step(-ids.length),
    last: () => step(ids.length),
    open: () => focused && openOrEdit(focused),
    // In Trash, Delete deletes for good; anywhere else it moves to Trash.
    trash: () => {
      const rows = liveTargets();
      leave(rows.length > 0 && rows.every((r) => inTrash(r.folder)) ? 'delete' : 'trash', targets());
    },
    move: () => targets().length && filing.setDialog({ kind: 'move', ids: targets() }),
    archive: () => leave('archive', targets().filter((id) => !inTrash(store.get(id)?.folder ?? ''))),
    junk: () => {
      const rows = conversations
        .junkTargets(selection.targets())
        .flatMap((id) => store.get(id) ?? [])
        .filter((r) => !inTrash(r.folder));
      if (rows.length > 0 && rows.every((r) => r.folder === 'Junk')) leave('not-junk', rows.map((r) => r.id));
      else if (rows.length > 0) junkRows(rows);
    },
    undo,
    'toggle-unread': () => toggle('seen'),
    'toggle-flag': () => toggle('flagged'),
    search: () => (searchRef.current?.focus(), searchRef.current?.select()),
    'get-mail': () => void getMail(),
    'select-all': selection.selectAll,
    'clear-selection': selection.clear,
    'mark-all-read': () => markAllRead(),
    help: () => setHelp(true),
    'toggle-folders': () => setLayout({ sidebarHidden: !layout.sidebarHidden }),
    'zoom-in': () => zoomBy(ZOOM.step),
    'zoom-out': () => zoomBy(-ZOOM.step),
    'zoom-reset': () => zoomBy(0),
    print: () => openId && selected.size <= 1 && window.print(),
    reply: () => write('reply'),
    'reply-all': () => write('replyAll'),
    forward: () => write('forward'),
    compose: () => write('new'),
    'toggle-conversations': conversations.toggle,
    'expand-conversation': () => sendConversationKey('expand'),
    'next-in-conversation': () => sendConversationKey('next'),
    'previous-in-conversation': () => sendConversationKey('previous'),
  };
  // On the server, the list's keys are its own: only the window's shortcuts act from here.
  useShortcuts(screen.kind === 'mail', (s) => (!server.accountId || WINDOW_SHORTCUTS.has(s)) && shortcuts[s]());

  const title = viewTitle(view, accountName);
  useEffect(() => {
    document.title = `${title} — Popbox`;
  }, [title]);

  if (accounts === undefined) return <div className="loading">Loading…</div>;

  if (stored?.length === 0 && screen.kind === 'mail') return <Welcome onDone={() => setView({ kind: 'unified' })} />;

  if (screen.kind === 'settings') {
    return (
      <Suspense fallback={<div className="loading">Loading…</div>}>
        <SettingsView accountId={screen.accountId} focusPassword={screen.focusPassword} onClose={() => setScreen({ kind: 'mail' })} />
      </Suspense>
    );
  }

  const folderView = view.kind === 'folder' ? view : null;
  // In conversations the summary counts (and its buttons act on) the selected conversations' messages here.
  const selectedIds = selected.size > 1 ? conversations.targets([...selected]) : null;
  // The Outbox lists its messages with where each stands and what can be done about it.
  const outboxPane = folderView && roleOf(folderView.folder) === 'outbox' && listView === view && (
    <Suspense fallback={<div className="list-pane" />}>
      <OutboxView accountId={folderView.accountId} title={title} onOpen={(id) => void open(id)} onEdit={(id) => composer.open({ mode: 'draft', id })} onOpenSettings={(accountId, focusPassword) => setScreen({ kind: 'settings', accountId, focusPassword })} />
    </Suspense>
  );

  // An account's mailbox on the server, in place of the list; Enter on a downloaded row shows it in its folder.
  const serverPane = server.accountId && (
    <Suspense fallback={<div className="list-pane" />}>
      <ServerView
        accountId={server.accountId}
        accountName={accountName(server.accountId)}
        source={server.source}
        onNotice={(text) => announce(text, false)}
        onOpenSettings={(accountId, focusPassword) => setScreen({ kind: 'settings', accountId, focusPassword })}
        onOpen={(id) => {
          const row = store.get(id);
          server.close();
          setView(row ? { kind: 'folder', accountId: row.accountId, folder: row.folder } : { kind: 'unified' });
          selection.show(id);
        }}
      />
    </Suspense>
  );

  return (
    <div className={`app layout-${layout.mode}`}>
      <Toolbar
        foldersShown={!layout.sidebarHidden}
        onToggleFolders={() => setLayout({ sidebarHidden: !layout.sidebarHidden })}
        getting={getting}
        onGetMail={() => void getMail()}
        searchRef={searchRef}
        search={search}
        onSearch={setSearch}
        // The list gets the keys (j/k, Enter…) on the open message if the results list it, else the
        // focused one, else the first; nothing opens or is marked read that the person did not
        // choose (walkthrough m2: Enter opened the first result, and with the answer still coming
        // the pane once showed a message the list did not highlight). Enter there opens it.
        onSearchEnter={() => {
          const to = [openId, focused].find((id) => id !== null && ids.includes(id)) ?? ids[0];
          if (to === undefined) return;
          selection.point(to);
          gridRef.current?.focus({ preventScroll: true });
        }}
        viewMenuOpen={menu?.label === 'View'}
        onViewMenu={(at) => showMenu(viewMenu(layout, setLayout, () => setHelp(true)), at)}
        onSettings={() => setScreen({ kind: 'settings', accountId: folderView?.accountId ?? null, focusPassword: false })}
        onCompose={() => write('new')}
      />
      <Panes
        layout={layout}
        setLayout={setLayout}
        sidebar={
          <Sidebar
            // While a saved search is shown no folder is current (no folder has the 'all' view).
            view={saved.active ? { kind: 'all' } : view}
            savedSearches={saved.sidebar}
            onContextMenu={(target, at) => showMenu(folderMenu(target, store, { accountName, markAllRead, openDialog: filing.setDialog }), at)}
            onNewFolder={(accountId) => filing.setDialog({ kind: 'new', accountId, parent: [] })}
            drag={filing.drag}
            onDrop={filing.drop}
            serverAccountId={server.accountId}
            onServer={server.open}
            onSelect={(v) => {
              saved.leave();
              server.close();
              setView(v);
              selection.reset();
            }}
          />
        }
        list={
          serverPane || outboxPane || <MessageList
            ids={ids}
            loading={!complete}
            selected={selected}
            focused={focused}
            sort={layout.sort}
            reversed={layout.reversed}
            onSort={(sort, reversed) => setLayout({ sort, reversed })}
            onClick={selection.click}
            onOpen={openOrEdit}
            onContextMenu={contextMenu}
            contextId={menu ? contextId : null}
            onMarkAllRead={listView.kind === 'all' || (folderView && inTrash(folderView.folder)) ? undefined : () => markAllRead()}
            gridRef={gridRef}
            emptyText={found.pending ? 'Searching…' : emptyListText(search, listView, activity)}
            title={saved.active ? `Saved search: ${saved.active.name}` : listView.kind === 'all' ? 'Search of all folders' : title}
            marks={searching ? found : undefined}
            banner={searching ? <SearchStatus answer={found.answer} query={search} savedAs={saved.active?.name ?? null} onSave={saved.save} /> : undefined}
            countText={searching ? searchCountText(found.answer, ids.length) : undefined}
            ranked={found.answer.status === 'answered'}
            placeOf={placeOfRows(listView, accounts.length > 1, accountName)}
            onDragStart={filing.dragStart}
            onDragEnd={filing.endDrag}
            searchScope={search.trim() ? { all: searchAll, onChange: setSearchAll } : undefined}
            conversations={{ on: conversations.on, onToggle: conversations.toggle, info: conversations.info }}
            people={listView.kind === 'all' ? 'mixed' : listView === view && folderView && isOwnMail(folderView.folder) ? 'recipients' : 'senders'}
          />
        }
        message={
          selectedIds ? (
            <SelectionSummary ids={selectedIds} onCommand={(c) => runCommand(c, [...selected].filter((id) => store.get(id)))} onClear={selection.clear} />
          ) : (
            <Suspense fallback={<section className="reader empty-reader" aria-label="Message" />}>
              <ReadingPane id={openId} actions={paneActions} terms={found.terms} own={conversations.own} onMoveTo={(id) => filing.setDialog({ kind: 'move', ids: [id] })} onWrite={(mode, id) => (mode === 'draft' ? composer.open({ mode, id }) : write(mode, id))} />
            </Suspense>
          )
        }
      />
      {/* The toast sits just above the status bar however many lines the bar has, never over them. */}
      <div className="status-slot">
        <StatusArea notice={notice} onOpenSettings={(accountId, focusPassword) => setScreen({ kind: 'settings', accountId, focusPassword: !!focusPassword })} />
        <Toast note={toast} onUndo={undo} onClose={dismiss} />
      </div>
      {menu && <Menu label={menu.label} items={menu.items} at={menu.at} onClose={() => setMenu(null)} />}
      {help && <ShortcutsHelp onClose={() => setHelp(false)} />}
      {saved.element}
      {filing.dialog && (
        <FolderDialogHost dialog={filing.dialog} filing={filing} accounts={accounts} accountName={accountName} view={view} setView={setView} announce={announce} expectFolderChange={follow.expect} />
      )}
      {composer.element}
    </div>
  );
}
