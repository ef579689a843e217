/**
 * The folder on screen renamed or deleted by someone else (another window, the command line):
 * the window follows it to its new name, or goes to the account's Inbox, and says so, rather
 * than showing the folder that is no longer there as empty. Over a real MailService.
 */
import { cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { IDBKeyRange, indexedDB } from 'fake-indexeddb';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { FolderInfo } from '../../shared/folders.js';
import { PopboxDb } from '../../renderer/src/db/database.js';
import { followFolder } from '../../renderer/src/features/folders/useFollowFolder.js';
import { serviceApi, type ServiceApi } from './service-api.js';
import { giveElementsASize, renderApp } from './support/app-harness.js';

// jsdom has no layout: give the list a size so the virtualizer renders rows.
beforeAll(() => giveElementsASize());

const f = (key: string): FolderInfo => ({ key, path: key.split('.'), role: null });

describe('where a shown folder went', () => {
  it('reads one folder gone and one come as a rename, carrying the folders below it', () => {
    expect(followFolder([f('Work'), f('Work.Projects')], [f('Jobs'), f('Jobs.Projects')], 'Work.Projects')).toBe('Jobs.Projects');
    expect(followFolder([f('Work'), f('Work.Projects')], [f('Work'), f('Work.Clients')], 'Work.Projects')).toBe('Work.Clients');
  });

  it('calls it a delete when nothing came, or when it cannot tell which of several came', () => {
    expect(followFolder([f('Work'), f('Work.Projects')], [], 'Work.Projects')).toBeNull();
    expect(followFolder([f('Work'), f('Home')], [f('A'), f('B')], 'Work')).toBeNull();
    // Something else renamed at the same time the shown folder was deleted.
    expect(followFolder([f('Work'), f('Home')], [f('Family')], 'Work')).toBeNull();
  });
});

let n = 0;
describe('the view follows its folder', () => {
  let s: ServiceApi;
  let db: PopboxDb;
  let stop: () => void;
  beforeEach(async () => {
    s = await serviceApi();
    db = new PopboxDb(`follow-${process.pid}-${++n}`, { indexedDB, IDBKeyRange });
  });
  afterEach(async () => {
    cleanup();
    stop?.();
    db.close();
    await s.close();
  });

  it('renamed elsewhere: shows it under its new name; deleted elsewhere: shows the account’s Inbox; each with a note', async () => {
    const account = await s.service.addAccount({ name: 'Home', host: '127.0.0.1', port: 995, security: 'tls', user: 'me', password: { source: 'keychain' } }, 'pw');
    expect((await s.api.createFolder({ accountId: account.id, path: ['Work', 'Projects'] })).ok).toBe(true);
    ({ stop } = renderApp(db, s.api));
    const folders = await screen.findByRole('navigation', { name: 'Folders' });
    fireEvent.click(await within(folders).findByRole('button', { name: /^Projects/ }));
    await waitFor(() => expect(document.title).toBe('Work / Projects — Home — Popbox'));

    // Another window (or the CLI) renames it: the contract call is not this window's dialog.
    expect((await s.api.renameFolder({ accountId: account.id, folder: 'Work.Projects', path: ['Work', 'Clients'] })).ok).toBe(true);
    await waitFor(() => expect(document.title).toBe('Work / Clients — Home — Popbox'));
    expect(await screen.findByText('The folder “Projects” was renamed to “Clients” elsewhere; showing it there.')).toBeTruthy();
    expect(within(folders).getByRole('button', { name: /^Clients/ }).getAttribute('aria-current')).toBeTruthy();
    expect(screen.getByText('No messages in Work / Clients.')).toBeTruthy();

    // Its parent renamed: it moved with it.
    expect((await s.api.renameFolder({ accountId: account.id, folder: 'Work', path: ['Jobs'] })).ok).toBe(true);
    expect(await screen.findByText('The folder “Clients” was moved elsewhere, to “Jobs / Clients”; showing it there.')).toBeTruthy();
    expect(document.title).toBe('Jobs / Clients — Home — Popbox');

    expect((await s.api.deleteFolder({ accountId: account.id, folder: 'Jobs' })).ok).toBe(true);
    await waitFor(() => expect(document.title).toBe('Inbox — Home — Popbox'));
    expect(await screen.findByText('The folder “Clients” was deleted elsewhere; showing the Inbox.')).toBeTruthy();
    expect(screen.queryByText(/No messages in/)).toBeNull();
  });
});
