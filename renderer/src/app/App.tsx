/** The window: toolbar, folders, message list, reading pane, status; settings and first run. */
import { useLiveQuery } from 'dexie-react-hooks';
import { lazy, Suspense, useCallback, useEffect, useMemo, useRef, useState, type DragEvent } from 'react';
import { INBOX, isWithin, pathOf, roleOf } from '../../../shared/folders.js';
import { call } from '../api/client.js';
import type { MessageRow } from '../db/database.js';
import { inView, type MailboxView } from '../db/message-store.js';
import { messageActions, type MessageActions } from '../features/inbox/actions.js';
import { COMMAND_KEYS, COMMAND_LABELS, commandsFor, type Command } from '../features/inbox/commands.js';
import { messagesText, undoableActions, undoLast } from '../features/inbox/undoable.js';
import { DRAG_TYPE, dragInfo, type DragInfo } from '../features/folders/drag.js';
import { ConfirmDialog, deleteFolderText, emptyTrashText, FolderNameDialog, serverCopiesText } from '../features/folders/FolderDialogs.js';
import { MovePicker } from '../features/folders/MovePicker.js';
import { flatten, folderName, folderTree, inTrash, type FolderNode } from '../features/folders/tree.js';
import type { FolderTarget } from '../features/sidebar/Sidebar.js';
import { Toast, type ToastNote } from './Toast.js';
import { UndoHistory } from './undo.js';
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

/** setFlags takes at most this many ids per call (the contract's limit). */
const IDS_PER_CALL = 100_000;

type Screen = { kind: 'mail' } | { kind: 'settings'; accountId: string | null; focusPassword: boolean };

/** The folder dialogs and the Move to… picker. */
type FolderDialog =
  | { kind: 'new'; accountId: string; parent: string[] }
  | { kind: 'rename'; accountId: string; folder: string }
  | { kind: 'delete'; accountId: string; folder: string }
  | { kind: 'empty-trash'; accountId: string }
  | { kind: 'move'; ids: string[] };

/** Folders no message is moved into by hand: Drafts and the Outbox hold what the user writes. */
const NOT_A_TARGET = new Set(['Drafts', 'Outbox']);

/** What the window title and the list's heading call a view. */
function viewTitle(view: MailboxView, accountName: (id: string) => string): string {
  if (view.kind === 'unified') return 'Unified Inbox';
  if (view.kind === 'all') return 'All folders';
  return `${folderName(view.folder)} — ${accountName(view.accountId)}`;
}

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
  const [history] = useState(() => new UndoHistory());
  const [toast, setToast] = useState<ToastNote | null>(null);
  const [dialog, setDialog] = useState<FolderDialog | null>(null);
  const [drag, setDrag] = useState<DragInfo | null>(null);
  const [searchAll, setSearchAll] = useState(false);
  const searchRef = useRef<HTMLInputElement>(null);
  const gridRef = useRef<HTMLDivElement>(null);
  const panesRef = useRef<HTMLDivElement>(null);
  const mailPanesRef = useRef<HTMLDivElement>(null);
  // A search of all mail lists every folder of every account; otherwise the list is the folder's.
  const listView: MailboxView = search.trim() && searchAll ? { kind: 'all' } : view;
  const { ids, complete } = useViewIds(listView, layout.sort, layout.reversed, search.trim());
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

  const plainActions = useMemo(() => messageActions(api, setNotice, (q) => window.confirm(q)), [api]);
  const announce = useCallback((text: string, undoable: boolean) => setToast((t) => ({ text, undoable, n: (t?.n ?? 0) + 1 })), []);
  // What the user does is recorded for Undo; marking a message read by opening it is not.
  const actions = useMemo(() => undoableActions(plainActions, readModel.store, history, announce), [plainActions, readModel, history, announce]);
  const undo = () => void undoLast(history, announce);

  const open = useCallback(
    async (id: string) => {
      setOpenId(id);
      setFocused(id);
      const row = readModel.store.get(id);
      if (row && !row.seen) await plainActions.setSeen([id], true);
    },
    [readModel, plainActions],
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
        // Its own folder (a rule may have filed it elsewhere than the Inbox).
        const row = readModel.store.get(id);
        setView(row && row.folder !== INBOX ? { kind: 'folder', accountId: row.accountId, folder: row.folder } : { kind: 'unified' });
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
    if (!row || !inView(row, listView)) setOpenId(null);
  }, [ids]);

  const targets = () => (selected.size > 0 ? [...selected] : focused ? [focused] : []);

  /**
   * Messages leaving the view (moved, archived, to Trash, restored, deleted): the selection
   * moves to the next message still there, as in Thunderbird, but only once the command is
   * certain: a Delete permanently the user cancels changes nothing.
   */
  const leave = (c: 'trash' | 'restore' | 'delete' | 'archive', t: string[]) => {
    if (t.length === 0) return;
    if (c === 'delete' && !actions.confirmDelete(t.length)) return;
    leaveWith(t, () => (c === 'trash' ? actions.trash(t) : c === 'restore' ? actions.restore(t) : c === 'archive' ? actions.archive(t) : actions.deleteForGood(t)));
  };

  const leaveWith = (t: string[], command: () => Promise<unknown>) => {
    if (t.length === 0) return;
    // The move goes up first, then the next message is opened (and marked read).
    void command();
    // A search of all mail still lists what moved (unless it was deleted).
    if (listView.kind === 'all') return;
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
    else if (c === 'move') setDialog({ kind: 'move', ids: t });
    else leave(c, t);
  };

  /** Into a folder (Trash through moveToTrash, so Restore knows where they came from). */
  const moveTo = (t: string[], folder: string) => leaveWith(t, () => (folder === 'Trash' ? actions.trash(t) : actions.move(t, folder)));

  const accountName = (id: string) => accounts?.find((a) => a.id === id)?.name ?? 'this account';

  /** The folders the picker offers for these messages: their account's, or the special ones they share. */
  const pickerEntries = (t: string[]): { node: FolderNode; depth: number }[] => {
    const rows = t.flatMap((id) => readModel.store.get(id) ?? []);
    const accountIds = new Set(rows.map((r) => r.accountId));
    const only = accountIds.size === 1 ? [...accountIds][0]! : null;
    const tree = folderTree(only ? readModel.store.folders(only) : [], only ? readModel.store.filedFolders(only) : []);
    const entries = flatten(only ? tree : tree.filter((n) => n.role !== null).map((n) => ({ ...n, children: [] })));
    return entries.filter((e) => !NOT_A_TARGET.has(e.node.key));
  };

  const dragStart = (id: string, e: DragEvent) => {
    const info = dragInfo(readModel.store, selected.has(id) ? [...selected] : [id]);
    if (!info) return e.preventDefault();
    e.dataTransfer.effectAllowed = 'copyMove';
    e.dataTransfer.setData(DRAG_TYPE, JSON.stringify(info.ids));
    e.dataTransfer.setData('text/plain', messagesText(info.ids.length));
    if (info.ids.length > 1) {
      // "3 messages" under the pointer rather than a picture of the one row grabbed.
      const ghost = document.createElement('div');
      ghost.className = 'drag-ghost';
      ghost.textContent = messagesText(info.ids.length);
      document.body.append(ghost);
      e.dataTransfer.setDragImage(ghost, 12, 12);
      setTimeout(() => ghost.remove(), 0);
    }
    setDrag(info);
  };

  /** Messages dropped on a folder of their own account (the sidebar refuses any other). */
  const drop = (t: string[], folder: string, copy: boolean) => {
    setDrag(null);
    if (NOT_A_TARGET.has(folder)) return;
    if (copy) void actions.copy(t, folder);
    else moveTo(t, folder);
  };

  // What the reading pane's buttons do: the same as the list's commands, selection included.
  const paneActions: MessageActions = {
    ...actions,
    trash: async (t) => leave('trash', t),
    archive: async (t) => leave('archive', t),
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
      hint: COMMAND_KEYS[c],
      onSelect: () => runCommand(c, rows.map((r) => r.id)),
      separatorBefore: i === 2,
    }));
    if (items.length) setMenu({ label: t.length === 1 ? 'Message' : `${t.length} messages`, items, at });
  };

  const folderMenu = (target: FolderTarget, at: { x: number; y: number }) => {
    const store = readModel.store;
    if (target.kind === 'account') {
      setMenu({ label: accountName(target.accountId), at, items: [{ label: 'New folder…', onSelect: () => setDialog({ kind: 'new', accountId: target.accountId, parent: [] }) }] });
      return;
    }
    const v: MailboxView = target.kind === 'unified' ? { kind: 'unified' } : { kind: 'folder', accountId: target.accountId, folder: target.folder };
    const unread = store.loaded ? store.unreadCount(v) : 0;
    const items: MenuItem[] = [];
    if (target.kind === 'folder' && inTrash(target.folder)) {
      const total = store.folderCounts(target.accountId, target.folder).total;
      if (target.folder === 'Trash') items.push({ label: 'Empty Trash…', disabled: total === 0, onSelect: () => setDialog({ kind: 'empty-trash', accountId: target.accountId }) });
    } else items.push({ label: 'Mark all as read', disabled: unread === 0, onSelect: () => markAllRead(v) });
    if (target.kind === 'folder') {
      const { accountId, folder } = target;
      // The special folders stay (Archive's year folders are the user's to rename or delete).
      const userFolder = roleOf(folder) === null && !store.folders(accountId).some((f) => f.key === folder && f.role !== null);
      if (!inTrash(folder) && !NOT_A_TARGET.has(folder)) items.push({ label: 'New folder inside…', separatorBefore: true, onSelect: () => setDialog({ kind: 'new', accountId, parent: pathOf(folder) }) });
      if (userFolder) {
        items.push({ label: 'Rename…', onSelect: () => setDialog({ kind: 'rename', accountId, folder }) });
        items.push({ label: 'Delete…', onSelect: () => setDialog({ kind: 'delete', accountId, folder }) });
      }
    }
    setMenu({ label: target.kind === 'unified' ? 'Unified Inbox' : folderName(target.folder), at, items });
  };

  /** Every folder of an account at or below `folder`, with their messages. */
  const within = (accountId: string, folder: string) => {
    const keys = new Set([folder, ...readModel.store.folders(accountId).map((f) => f.key), ...readModel.store.filedFolders(accountId)].filter((k) => isWithin(k, folder)));
    let messages = 0;
    for (const k of keys) messages += readModel.store.folderCounts(accountId, k).total;
    return { subfolders: keys.size - 1, messages };
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
        case 'trash': {
          // In Trash, Delete deletes for good; anywhere else it moves to Trash.
          const t = targets();
          const rows = t.flatMap((id) => readModel.store.get(id) ?? []);
          return leave(rows.length > 0 && rows.every((r) => inTrash(r.folder)) ? 'delete' : 'trash', t);
        }
        case 'move':
          if (targets().length) setDialog({ kind: 'move', ids: targets() });
          return;
        case 'archive': {
          const t = targets().filter((id) => !inTrash(readModel.store.get(id)?.folder ?? ''));
          return leave('archive', t);
        }
        case 'undo':
          return undo();
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

  const title = viewTitle(view, accountName);
  useEffect(() => {
    document.title = `${title} — Popbox`;
  }, [title]);

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

  const folderView = view.kind === 'folder' ? view : null;
  const emptyText = search.trim()
    ? noMatchText(search)
    : folderView && folderView.folder === 'Trash'
      ? 'Trash is empty.'
      : folderView && folderView.folder !== INBOX
        ? `No messages in ${folderName(folderView.folder)}.`
        : (activity ?? 'No messages yet. Use Get Mail to check now.');
  // Where each message is, when the list spans folders (and, for the Unified Inbox, accounts).
  const several = (accounts?.length ?? 0) > 1;
  const placeOf =
    listView.kind === 'all'
      ? (r: MessageRow) => (several ? `${accountName(r.accountId)} › ${folderName(r.folder)}` : folderName(r.folder))
      : listView.kind === 'unified' && several
        ? (r: MessageRow) => accountName(r.accountId)
        : undefined;

  const renderDialog = (d: FolderDialog) => {
    const close = () => setDialog(null);
    const store = readModel.store;
    switch (d.kind) {
      case 'move': {
        const rows = d.ids.flatMap((id) => store.get(id) ?? []);
        const here = new Set(rows.map((r) => r.folder));
        return (
          <MovePicker
            count={rows.length}
            entries={pickerEntries(d.ids)}
            current={here.size === 1 ? here : new Set()}
            onClose={close}
            onPick={(folder) => {
              close();
              moveTo(
                rows.map((r) => r.id),
                folder,
              );
            }}
          />
        );
      }
      case 'new':
      case 'rename': {
        const taken = new Set([...store.folders(d.accountId).map((f) => f.key), ...store.filedFolders(d.accountId)]);
        const path = d.kind === 'rename' ? pathOf(d.folder) : d.parent;
        return (
          <FolderNameDialog
            accountName={accountName(d.accountId)}
            parent={d.kind === 'rename' ? path.slice(0, -1) : path}
            current={d.kind === 'rename' ? { key: d.folder, name: path[path.length - 1] ?? d.folder } : undefined}
            taken={taken}
            onClose={close}
            onSubmit={async (newPath) => {
              if (d.kind === 'new') {
                await call(api, 'createFolder', { accountId: d.accountId, path: newPath });
                return;
              }
              const info = await call(api, 'renameFolder', { accountId: d.accountId, folder: d.folder, path: newPath });
              // The list follows the folder (or the folder below it) it was showing.
              if (view.kind === 'folder' && view.accountId === d.accountId && isWithin(view.folder, d.folder)) setView({ ...view, folder: info.key + view.folder.slice(d.folder.length) });
              announce(`Renamed “${path[path.length - 1]}” to “${newPath[newPath.length - 1]}”.`, false);
            }}
          />
        );
      }
      case 'delete': {
        const name = pathOf(d.folder).at(-1) ?? d.folder;
        const { messages, subfolders } = within(d.accountId, d.folder);
        return (
          <ConfirmDialog
            label={`Delete the folder “${name}”?`}
            action="Delete folder"
            danger
            onClose={close}
            onConfirm={async () => {
              await call(api, 'deleteFolder', { accountId: d.accountId, folder: d.folder });
              if (view.kind === 'folder' && view.accountId === d.accountId && isWithin(view.folder, d.folder)) setView({ kind: 'folder', accountId: d.accountId, folder: INBOX });
              announce(`Deleted the folder “${name}”${messages ? `; its ${messagesText(messages)} went to Trash` : ''}.`, false);
            }}
          >
            <p>{deleteFolderText(name, messages, subfolders)}</p>
          </ConfirmDialog>
        );
      }
      case 'empty-trash': {
        const { messages } = within(d.accountId, 'Trash');
        const account = accounts?.find((a) => a.id === d.accountId);
        return (
          <ConfirmDialog
            label="Empty Trash?"
            action="Empty Trash"
            danger
            onClose={close}
            onConfirm={async () => {
              await call(api, 'emptyTrash', { accountId: d.accountId });
              announce(`Deleted ${messagesText(messages)} from Trash for good.`, false);
            }}
          >
            <p>{emptyTrashText(accountName(d.accountId), messages)}</p>
            <p className="muted">{serverCopiesText(account)}</p>
          </ConfirmDialog>
        );
      }
    }
  };

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
        <button type="button" className="settings-button" onClick={() => setScreen({ kind: 'settings', accountId: view.kind === 'folder' ? view.accountId : null, focusPassword: false })}>
          Account settings
        </button>
      </header>
      <div className="panes" ref={panesRef} style={{ ['--sidebar-w' as string]: `${layout.sidebarWidth}px`, ['--list-share' as string]: `${(wide ? layout.listWidth : layout.listHeight) * 100}%` }}>
        {!layout.sidebarHidden && (
          <>
            <Sidebar
              view={view}
              onContextMenu={folderMenu}
              onNewFolder={(accountId) => setDialog({ kind: 'new', accountId, parent: [] })}
              drag={drag}
              onDrop={drop}
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
              onMarkAllRead={listView.kind === 'all' || (folderView && inTrash(folderView.folder)) ? undefined : () => markAllRead()}
              gridRef={gridRef}
              emptyText={emptyText}
              title={listView.kind === 'all' ? 'Search of all folders' : title}
              placeOf={placeOf}
              onDragStart={dragStart}
              onDragEnd={() => setDrag(null)}
              searchScope={search.trim() ? { all: searchAll, onChange: setSearchAll } : undefined}
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
              <ReadingPane id={openId} actions={paneActions} onMoveTo={(id) => setDialog({ kind: 'move', ids: [id] })} />
            </Suspense>
          )}
        </div>
      </div>
      <StatusArea notice={notice} onOpenSettings={(accountId, focusPassword) => setScreen({ kind: 'settings', accountId, focusPassword: !!focusPassword })} />
      {menu && <Menu label={menu.label} items={menu.items} at={menu.at} onClose={() => setMenu(null)} />}
      {help && <ShortcutsHelp onClose={() => setHelp(false)} />}
      {dialog && renderDialog(dialog)}
      <Toast note={toast} onUndo={undo} onClose={() => setToast(null)} />
    </div>
  );
}
