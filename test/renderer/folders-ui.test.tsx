/**
 * The folder UI's parts in jsdom: the tree the sidebar and picker show, Undo (what each command
 * records and how it is taken back), the Move to… picker's filter and keys, the folder name
 * dialog's plain-words checks, and what the Delete and Empty Trash questions say.
 */
import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { FolderInfo } from '../../shared/folders.js';
import { UndoHistory } from '../../renderer/src/app/undo.js';
import { MessageStore } from '../../renderer/src/db/message-store.js';
import { deleteFolderText, emptyTrashText, FolderNameDialog, serverCopiesText } from '../../renderer/src/features/folders/FolderDialogs.js';
import { MovePicker } from '../../renderer/src/features/folders/MovePicker.js';
import { flatten, folderTree, shownInSidebar } from '../../renderer/src/features/folders/tree.js';
import type { MessageActions } from '../../renderer/src/features/inbox/actions.js';
import { undoableActions, undoLast } from '../../renderer/src/features/inbox/undoable.js';
import { record } from './service-api.js';

afterEach(cleanup);

const f = (key: string, path: string[], role: FolderInfo['role'] = null): FolderInfo => ({ key, path, role });

describe('folder tree', () => {
  it('puts Inbox and the special folders first, Archive years newest first, then the user’s A to Z, nested', () => {
    const tree = folderTree([f('INBOX', ['Inbox'], 'inbox'), f('Work', ['Work']), f('Archive', ['Archive'], 'archive'), f('Archive.2024', ['Archive', '2024']), f('Archive.2026', ['Archive', '2026']), f('apple', ['apple'])], ['Work.Projects', 'Junk']);
    expect(tree.map((n) => n.key)).toEqual(['INBOX', 'Drafts', 'Sent', 'Outbox', 'Archive', 'Junk', 'Trash', 'apple', 'Work']);
    expect(tree.find((n) => n.key === 'Archive')!.children.map((n) => n.name)).toEqual(['2026', '2024']);
    // A folder that holds mail but is not in the tree yet is shown, under its parent.
    expect(tree.find((n) => n.key === 'Work')!.children.map((n) => n.key)).toEqual(['Work.Projects']);
    expect(flatten(tree).find((e) => e.node.key === 'Work.Projects')?.depth).toBe(1);
  });

  it('shows the standard folders even when empty (Inbox, Drafts, Sent, Archive, Junk, Trash); the Outbox only while something waits in it', () => {
    const tree = folderTree([]);
    expect(tree.filter((n) => shownInSidebar(n, 0)).map((n) => n.key)).toEqual(['INBOX', 'Drafts', 'Sent', 'Archive', 'Junk', 'Trash']);
    expect(shownInSidebar(tree.find((n) => n.key === 'Outbox')!, 1)).toBe(true);
  });
});

function storeWith(...records: ReturnType<typeof record>[]): MessageStore {
  const store = new MessageStore();
  store.commit(store.stage(records.map((m, i) => ({ s: i + 1, t: 'add' as const, m }))));
  return store;
}

function fakeActions() {
  const calls: [string, ...unknown[]][] = [];
  const log =
    (name: string) =>
    async (...args: unknown[]) => {
      calls.push([name, ...args]);
    };
  const actions = {
    setSeen: log('setSeen'),
    setFlagged: log('setFlagged'),
    trash: log('trash'),
    restore: log('restore'),
    move: log('move'),
    archive: log('archive'),
    moveEach: log('moveEach'),
    flagEach: log('flagEach'),
    deleteForGood: log('deleteForGood'),
    copy: async (ids: string[], folder: string) => {
      calls.push(['copy', ids, folder]);
      return ['copy-1'];
    },
  } as MessageActions;
  return { actions, calls };
}

describe('undo', () => {
  it('puts moved messages back in the folder each was in, one move per folder', async () => {
    const [a, b, c] = [record({ folder: 'INBOX' }), record({ folder: 'INBOX' }), record({ folder: 'Work' })];
    const store = storeWith(a, b, c);
    const { actions, calls } = fakeActions();
    const history = new UndoHistory();
    const said: [string, boolean][] = [];
    const announce = (t: string, u: boolean) => said.push([t, u]);
    const undoable = undoableActions(actions, store, history, announce);
    await undoable.move([a.id, b.id, c.id], 'Projects');
    expect(calls).toEqual([['move', [a.id, b.id, c.id], 'Projects']]);
    expect(said.at(-1)).toEqual(['Moved 3 messages to Projects.', true]);
    await undoLast(history, announce);
    expect(calls.at(-1)).toEqual([
      'moveEach',
      [
        { ids: [a.id, b.id], folder: 'INBOX' },
        { ids: [c.id], folder: 'Work' },
      ],
    ]);
    expect(said.at(-1)).toEqual(['Undone: moved 3 messages to Projects.', false]);
    await undoLast(history, announce);
    expect(said.at(-1)).toEqual(['Nothing to undo.', false]);
  });

  it('puts messages moved out of Junk back with who had filed each there, so the Junk bar says it again', async () => {
    const filtered = record({ folder: 'Junk', junkedBy: { by: 'filter', score: 0.9993 } });
    const ruled = record({ folder: 'Junk', junkedBy: { by: 'rule', rule: 'Offers' } });
    const older = record({ folder: 'Junk' });
    const inbox = record({ folder: 'INBOX' });
    const store = storeWith(filtered, ruled, older, inbox);
    const { actions, calls } = fakeActions();
    const history = new UndoHistory();
    const undoable = undoableActions(actions, store, history, () => {});
    await undoable.move([filtered.id, ruled.id, older.id, inbox.id], 'Projects');
    await undoLast(history, () => {});
    expect(calls.at(-1)).toEqual([
      'moveEach',
      [
        { ids: [filtered.id], folder: 'Junk', junkedBy: { by: 'filter', score: 0.9993 } },
        { ids: [ruled.id], folder: 'Junk', junkedBy: { by: 'rule', rule: 'Offers' } },
        // Filed before causes were recorded: none, not "You moved this here."
        { ids: [older.id], folder: 'Junk', junkedBy: null },
        { ids: [inbox.id], folder: 'INBOX' },
      ],
    ]);
  });

  it('sets each message’s previous flags, and goes several steps back, newest first', async () => {
    const [a, b] = [record({ flags: { seen: true, flagged: false } }), record()];
    const store = storeWith(a, b);
    const { actions, calls } = fakeActions();
    const history = new UndoHistory();
    const said: string[] = [];
    const undoable = undoableActions(actions, store, history, (t) => said.push(t));
    await undoable.setSeen([a.id, b.id], false);
    await undoable.archive([b.id]);
    expect(history.size).toBe(2);
    // The "Undone" note offers no Undo of its own: it would take back the older, unnamed step.
    let offered: boolean | undefined;
    await undoLast(history, (t, undoable) => (said.push(t), (offered = undoable)));
    expect(offered).toBe(false);
    expect(calls.at(-1)).toEqual(['moveEach', [{ ids: [b.id], folder: 'INBOX' }]]);
    expect(said.at(-1)).toBe('Undone: archived 1 message.');
    await undoLast(history, (t) => said.push(t));
    expect(calls.at(-1)).toEqual([
      'flagEach',
      [
        { ids: [a.id], flags: { seen: true } },
        { ids: [b.id], flags: { seen: false } },
      ],
    ]);
    expect(said.at(-1)).toBe('Undone: marked 2 messages as unread.');
  });

  it('keeps only the newest steps', () => {
    const h = new UndoHistory(2);
    for (const done of ['one', 'two', 'three']) h.push({ done, undo: async () => {} });
    expect([h.pop()?.done, h.pop()?.done, h.pop()]).toEqual(['three', 'two', undefined]);
  });
});

describe('Move to… picker', () => {
  it('filters as you type, skips the folder the messages are in, and moves on Enter', () => {
    const entries = flatten(folderTree([f('Work', ['Work']), f('Work.Projects', ['Work', 'Projects']), f('Clients', ['Clients'])]));
    const onPick = vi.fn();
    render(<MovePicker what="2 messages" entries={entries} current={new Set(['INBOX'])} onPick={onPick} onClose={() => {}} />);
    const box = screen.getByRole('combobox', { name: 'Folder' });
    expect(screen.getByRole('dialog', { name: 'Move 2 messages to…' })).toBeTruthy();
    fireEvent.change(box, { target: { value: 'proj' } });
    expect(screen.getAllByRole('option').map((o) => o.textContent)).toEqual(['Work / Projects']);
    fireEvent.change(box, { target: { value: '' } });
    // Inbox is where they are: the first choice is the next folder, and arrows move from there.
    expect(screen.getByRole('option', { selected: true }).textContent).toBe('Drafts');
    fireEvent.keyDown(box, { key: 'ArrowUp' });
    expect(screen.getByRole('option', { selected: true }).textContent).toBe('Projects');
    fireEvent.keyDown(box, { key: 'Enter' });
    expect(onPick).toHaveBeenCalledWith('Work.Projects');
  });
});

describe('folder dialogs', () => {
  it('explain a name that cannot be used, in plain words, before anything is sent', () => {
    const onSubmit = vi.fn(async () => {});
    render(<FolderNameDialog accountName="Home" parent={[]} taken={new Set(['Work'])} onSubmit={onSubmit} onClose={() => {}} />);
    const name = screen.getByLabelText('Folder name');
    fireEvent.change(name, { target: { value: 'inbox' } });
    expect(screen.getByRole('alert').textContent).toMatch(/“Inbox” is taken by the inbox itself/);
    fireEvent.change(name, { target: { value: 'Work' } });
    expect(screen.getByRole('alert').textContent).toBe('There is already a folder named “Work” here.');
    fireEvent.submit(name.closest('form')!);
    expect(onSubmit).not.toHaveBeenCalled();
    fireEvent.change(name, { target: { value: 'Family' } });
    expect(screen.getByRole('alert').textContent).toBe('');
    fireEvent.submit(name.closest('form')!);
    expect(onSubmit).toHaveBeenCalledWith(['Family']);
  });

  it('say how much goes to Trash, and what Empty Trash does on the server', () => {
    expect(deleteFolderText('Work', 12, 2)).toBe('The 12 messages in “Work” and its 2 subfolders go to Trash, where you can still restore them.');
    expect(deleteFolderText('Work', 0, 0)).toBe('“Work” is empty: nothing goes to Trash.');
    expect(emptyTrashText('Home', 1)).toBe('The 1 message in Home’s Trash will be deleted for good. This cannot be undone.');
    expect(serverCopiesText({ leaveOnServer: false, deleteWhenDeletedLocally: false, deleteAfterDays: null })).toMatch(/does not keep mail on the server/);
    expect(serverCopiesText({ leaveOnServer: true, deleteWhenDeletedLocally: true, deleteAfterDays: null })).toMatch(/deleted there at the next Get Mail/);
    expect(serverCopiesText({ leaveOnServer: true, deleteWhenDeletedLocally: false, deleteAfterDays: 14 })).toMatch(/stay until 14 days after/);
  });
});
