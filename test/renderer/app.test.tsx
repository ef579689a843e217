/**
 * The React UI in jsdom, over a real MailService through the contract: first run, the three
 * panes with their accessible names, opening a message (which marks it read in main), and the
 * plain-language sync errors.
 */
import { act, cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { IDBKeyRange, indexedDB } from 'fake-indexeddb';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { shortcutFor } from '../../renderer/src/app/keyboard.js';
import { PopboxDb } from '../../renderer/src/db/database.js';
import { explain } from '../../renderer/src/features/status/explain.js';
import { record, serviceApi, type ServiceApi } from './service-api.js';
import { giveElementsASize, renderApp } from './support/app-harness.js';

// jsdom has no layout: give the list a size so the virtualizer renders rows.
beforeAll(() => giveElementsASize());

let n = 0;
describe('App', () => {
  let s: ServiceApi;
  let db: PopboxDb;
  let stop: () => void;
  beforeEach(async () => {
    s = await serviceApi();
    db = new PopboxDb(`app-${process.pid}-${++n}`, { indexedDB, IDBKeyRange });
  });
  afterEach(async () => {
    cleanup();
    stop?.();
    db.close();
    await s.close();
  });

  const mount = () => {
    const app = renderApp(db, s.api);
    stop = app.stop;
    return app.readModel;
  };

  it('welcomes a first-time user with the add-account flow', async () => {
    mount();
    expect(await screen.findByRole('heading', { name: 'Welcome to Popbox' })).toBeTruthy();
    expect(await screen.findByLabelText('Email address')).toBeTruthy();
  });

  it('shows folders, messages and the reading pane; commands go up, changes come down', async () => {
    const account = await s.service.addAccount({ name: 'Home', host: '127.0.0.1', port: 995, security: 'tls', user: 'me', password: { source: 'keychain' } }, 'pw');
    const a = record({ subject: 'Dinner plans', from: 'Ann', accountId: account.id });
    const b = record({ subject: 'Invoice 42', from: 'Shop', accountId: account.id });
    await s.service.journal.append([a, b].map((m) => ({ t: 'add' as const, m })));
    mount();
    const grid = await screen.findByRole('grid', { name: 'Messages' });
    await waitFor(() => expect(within(grid).getAllByRole('row')).toHaveLength(2));
    const folders = screen.getByRole('navigation', { name: 'Folders' });
    await waitFor(() => expect(within(folders).getAllByLabelText('2 unread')).toHaveLength(2));
    // Each account is a section of its own with its Inbox (and the special folders) inside.
    const home = within(folders).getByRole('region', { name: 'Home' });
    expect(within(home).getByRole('button', { name: /^Inbox/ })).toBeTruthy();
    expect(within(home).getByRole('button', { name: /^Trash/ })).toBeTruthy();
    expect(within(home).getByRole('button', { name: 'New folder in Home' })).toBeTruthy();
    expect(document.title).toBe('Unified Inbox — Popbox');
    expect(screen.getByRole('button', { name: 'Get Mail' })).toBeTruthy();
    expect(screen.getByRole('searchbox')).toBeTruthy();

    // Messages are journaled in the order given, so b is newer: first in the list.
    const rows = within(grid).getAllByRole('row');
    expect(rows[0]!.getAttribute('aria-label')).toMatch(/^Shop, Invoice 42, .*unread/);
    await act(async () => fireEvent.click(within(grid).getByRole('row', { name: /Dinner plans/ })));
    // The reading pane is loaded on first use: look it up each time.
    const reader = () => screen.getByRole('region', { name: 'Message' });
    await waitFor(() => expect(within(reader()).getByRole('heading', { name: 'Dinner plans' })).toBeTruthy());
    // These records exist only in the journal (no stored file), so main refuses to flag them:
    // the failure is reported, and the list keeps main's truth instead of guessing.
    const status = screen.getByRole('contentinfo', { name: 'Status' });
    await waitFor(() => expect(within(status).getByText(/Mark as read failed/)).toBeTruthy());
    expect(s.service.journal.get(a.id)?.flags.seen).toBe(false);
    expect(within(grid).getByRole('row', { name: /Dinner plans/ }).getAttribute('aria-label')).toMatch(/unread/);
    // A change that does come down the feed shows at once.
    await s.service.journal.append([{ t: 'flags', id: a.id, flags: { seen: true, flagged: true } }]);
    await waitFor(() => expect(within(grid).getByRole('row', { name: /Dinner plans/ }).getAttribute('aria-label')).toMatch(/^Ann, Dinner plans, [^,]+, flagged$/));
  });

  it('keeps app-wide choices in main: background, start at login, notifications', async () => {
    await s.service.addAccount({ name: 'Home', host: '127.0.0.1', port: 995, security: 'tls', user: 'me', password: { source: 'keychain' } }, 'pw');
    mount();
    fireEvent.click(await screen.findByRole('button', { name: 'Account settings' }));
    fireEvent.click(await screen.findByRole('button', { name: 'General' }));
    const login = await screen.findByLabelText('Start Popbox when I log in');
    expect((login as HTMLInputElement).checked).toBe(false);
    expect((screen.getByLabelText('Keep checking mail in the tray when the window is closed') as HTMLInputElement).checked).toBe(true);
    await act(async () => fireEvent.click(login));
    await waitFor(() => expect(s.service.preferences().startAtLogin).toBe(true));
    await waitFor(() => expect((screen.getByLabelText('Start Popbox when I log in') as HTMLInputElement).checked).toBe(true));
  });

  it('asks before removing an account, in a dialog with Cancel focused; Cancel keeps it, Remove account removes it', async () => {
    await s.service.addAccount({ name: 'Home', host: '127.0.0.1', port: 995, security: 'tls', user: 'me', password: { source: 'keychain' }, leaveOnServer: true }, 'pw');
    mount();
    fireEvent.click(await screen.findByRole('button', { name: 'Account settings' }));
    const nav = await screen.findByRole('navigation', { name: 'Accounts' });
    fireEvent.click(await within(nav).findByRole('button', { name: 'Home' }));
    fireEvent.click(await screen.findByRole('button', { name: 'Remove account' }));
    let ask = await screen.findByRole('dialog', { name: 'Remove the account “Home”?' });
    expect(within(ask).getByText('Copies still on the server stay there (those already deleted there are lost).')).toBeTruthy();
    expect(document.activeElement?.textContent).toBe('Cancel');
    fireEvent.click(within(ask).getByRole('button', { name: 'Cancel' }));
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(s.service.listAccounts().map((a) => a.name)).toEqual(['Home']);

    fireEvent.click(screen.getByRole('button', { name: 'Remove account' }));
    ask = await screen.findByRole('dialog', { name: 'Remove the account “Home”?' });
    await act(async () => fireEvent.click(within(ask).getByRole('button', { name: 'Remove account' })));
    await waitFor(() => expect(s.service.listAccounts()).toEqual([]));
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
  });

  it('explains sync errors with the action that fixes them', () => {
    const base = { accountId: 'a', state: 'retrying' as const, nextRunAt: Date.UTC(2026, 0, 1, 12, 30), lastSuccessAt: null, failures: 1 };
    expect(explain({ ...base, lastError: { code: 'auth', message: '-ERR' } }, 'Home')?.action).toEqual({ kind: 'password' });
    // No one-click trust from a background sync: a changed certificate sends the user to the settings.
    const cert = explain({ ...base, lastError: { code: 'certificate', message: 'pin mismatch', fingerprint256: 'AB:CD', expectedFingerprint256: '12:34' } }, 'Home');
    expect(cert?.action).toEqual({ kind: 'settings' });
    expect(cert?.certificate).toEqual({ expected: '12:34', presented: 'AB:CD' });
    expect(cert?.text).toMatch(/^Home: the server's certificate has changed\. Someone may be intercepting/);
    expect(explain({ ...base, lastError: { code: 'in-use', message: '[IN-USE]' } }, 'Home')?.text).toMatch(/busy.*try again at/);
    expect(explain({ ...base, lastError: { code: 'storage', message: 'ENOSPC' } }, 'Home')?.text).toMatch(/Nothing was deleted from the server/);
    expect(explain({ ...base, lastError: null }, 'Home')).toBeNull();
  });

  it('maps the mail shortcuts, and leaves typing alone', () => {
    const key = (k: string, mods: Partial<KeyboardEvent> = {}) => ({ key: k, ctrlKey: false, metaKey: false, altKey: false, ...mods });
    const body = document.body;
    expect(shortcutFor(key('j'), body)).toBe('next');
    expect(shortcutFor(key('ArrowUp'), body)).toBe('previous');
    expect(shortcutFor(key('Delete'), body)).toBe('trash');
    expect(shortcutFor(key('u'), body)).toBe('toggle-unread');
    expect(shortcutFor(key('s'), body)).toBe('toggle-flag');
    expect(shortcutFor(key('g'), body)).toBe('get-mail');
    expect(shortcutFor(key('m'), body)).toBe('move');
    expect(shortcutFor(key('a'), body)).toBe('archive');
    expect(shortcutFor(key('z', { ctrlKey: true }), body)).toBe('undo');
    expect(shortcutFor(key('z', { metaKey: true }), body)).toBe('undo');
    expect(shortcutFor(key('a', { ctrlKey: true }), body)).toBe('select-all');
    expect(shortcutFor(key('/'), body)).toBe('search');
    expect(shortcutFor(key('f', { ctrlKey: true }), body)).toBe('search');
    const button = document.createElement('button');
    expect(shortcutFor(key('Enter'), button)).toBeNull();
    expect(shortcutFor(key('Enter'), body)).toBe('open');
    const input = document.createElement('input');
    expect(shortcutFor(key('j'), input)).toBeNull();
    // In a text field Ctrl+Z undoes the typing, and m and a are letters.
    expect(shortcutFor(key('z', { ctrlKey: true }), input)).toBeNull();
    expect(shortcutFor(key('m'), input)).toBeNull();
    expect(shortcutFor(key('f', { ctrlKey: true }), input)).toBe('search');
  });
});
