/** The window: toolbar, folders, message list, reading pane, status; settings and first run. */
import { useLiveQuery } from 'dexie-react-hooks';
import { lazy, Suspense, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { call } from '../api/client.js';
import type { MailboxView, SortKey } from '../db/queries.js';
import { messageActions } from '../features/inbox/actions.js';
import { MessageList } from '../features/inbox/MessageList.js';
import { useViewIds } from '../features/inbox/useViewIds.js';
import { SearchBox } from '../features/search/SearchBox.js';
import { Sidebar } from '../features/sidebar/Sidebar.js';
import { StatusArea } from '../features/status/StatusArea.js';
import { useServices } from './context.js';
import { shortcutFor } from './keyboard.js';

// Loaded when first needed, so a start only parses what the message list needs (the reading
// pane brings DOMPurify; the account screens are rarely open).
const AddAccount = lazy(() => import('../features/accounts/AddAccount.js').then((m) => ({ default: m.AddAccount })));
const SettingsView = lazy(() => import('../features/accounts/AccountSettings.js').then((m) => ({ default: m.SettingsView })));
const loadReadingPane = () => import('../features/reader/ReadingPane.js');
const ReadingPane = lazy(() => loadReadingPane().then((m) => ({ default: m.ReadingPane })));

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
  const [sort, setSort] = useState<SortKey>('date');
  const [search, setSearch] = useState('');
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const [focused, setFocused] = useState<string | null>(null);
  const [openId, setOpenId] = useState<string | null>(null);
  const [anchor, setAnchor] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [getting, setGetting] = useState(false);
  const searchRef = useRef<HTMLInputElement>(null);
  const { ids, complete } = useViewIds(view, sort, search.trim());

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
      const failed = outcomes.filter((o) => !o.ok).length;
      const got = outcomes.reduce((n, o) => n + (o.ok ? o.result.downloaded + o.result.headersOnly : 0), 0);
      setNotice(failed ? null : got ? `${got} new message${got === 1 ? '' : 's'}.` : 'No new mail.');
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

  const targets = () => (selected.size > 0 ? [...selected] : focused ? [focused] : []);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (screen.kind !== 'mail') return;
      const s = shortcutFor(e, e.target);
      if (!s) return;
      const move = (delta: number) => {
        if (ids.length === 0) return;
        const i = focused ? ids.indexOf(focused) : -1;
        const next = ids[Math.max(0, Math.min(ids.length - 1, i + delta))]!;
        setSelected(new Set([next]));
        setAnchor(next);
        void open(next);
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
          const t = targets();
          if (t.length === 0) return;
          const i = ids.indexOf(t[t.length - 1]!);
          const after = ids.slice(i + 1).find((id) => !t.includes(id)) ?? ids.slice(0, i).reverse().find((id) => !t.includes(id)) ?? null;
          void (view.kind === 'trash' ? actions.deleteForGood(t) : actions.trash(t));
          setSelected(after ? new Set([after]) : new Set());
          setFocused(after);
          if (after) void open(after);
          else setOpenId(null);
          return;
        }
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

  const emptyText = search ? `No messages match “${search}”.` : view.kind === 'trash' ? 'Trash is empty.' : 'No messages yet. Use Get Mail to check now.';

  return (
    <div className="app">
      <header className="toolbar">
        <button type="button" className="primary" onClick={() => void getMail()} disabled={getting} aria-busy={getting}>
          Get Mail
        </button>
        <SearchBox ref={searchRef} value={search} onChange={setSearch} />
        {selected.size > 1 && (
          <div className="bulk" role="toolbar" aria-label="Selected messages">
            <span>{selected.size} selected</span>
            <button type="button" onClick={() => void actions.setSeen([...selected], true)}>
              Mark as read
            </button>
            {view.kind === 'trash' ? (
              <button type="button" onClick={() => void actions.restore([...selected])}>
                Restore
              </button>
            ) : (
              <button type="button" onClick={() => void actions.trash([...selected])}>
                Move to Trash
              </button>
            )}
          </div>
        )}
        <button type="button" className="settings-button" onClick={() => setScreen({ kind: 'settings', accountId: view.kind === 'account' ? view.accountId : null, focusPassword: false })}>
          Account settings
        </button>
      </header>
      <Sidebar
        view={view}
        onSelect={(v) => {
          setView(v);
          setSelected(new Set());
          setOpenId(null);
          setFocused(null);
        }}
      />
      <MessageList ids={ids} loading={!complete} selected={selected} focused={focused} sort={sort} onSort={setSort} onClick={click} onOpen={(id) => void open(id)} emptyText={emptyText} />
      <Suspense fallback={<section className="reader empty-reader" aria-label="Message" />}>
        <ReadingPane id={openId} actions={actions} />
      </Suspense>
      <StatusArea notice={notice} onOpenSettings={(accountId, focusPassword) => setScreen({ kind: 'settings', accountId, focusPassword: !!focusPassword })} />
    </div>
  );
}
