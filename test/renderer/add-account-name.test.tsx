/**
 * Adding an account (walkthrough finding): the first page asks who the person is, their name,
 * address and password together, as every mail client does; before, "Your name" appeared only
 * once sending was switched on, so a receive-only account had no name for Sent or for sending
 * switched on later. The name typed is saved as the account's identity, sending or not.
 */
import { act, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { beforeAll, describe, expect, it } from 'vitest';
import type { PopboxApi } from '../../shared/api.js';
import { appPerTest } from './support/app-harness.js';

const t = appPerTest('add-name');

beforeAll(() => {
  // jsdom has no scrolling: the test result brings itself into view in a real window.
  Element.prototype.scrollIntoView ??= () => {};
});

describe('Add account: name, address and password on the first page', () => {
  const mount = () => {
    // The connection test answers as a working server would (no POP3 server in jsdom).
    const api: PopboxApi = {
      ...t.s.api,
      testConnection: async () => ({ ok: true, value: { greeting: '+OK', secure: true, fingerprint256: null, capabilities: ['UIDL'], pipelining: true, uidl: true, messageCount: 0, mailboxBytes: 0, loginDelaySeconds: null, expireDays: null } }),
      syncNow: async () => ({ ok: true, value: [] }),
    } as PopboxApi;
    t.render(api);
  };

  it('asks the three together, in that order, and keeps the name as who the account writes as', async () => {
    mount();
    const page = await screen.findByRole('region', { name: 'Add account' });
    const first = within(page);
    const fields = [first.getByLabelText('Your name'), first.getByLabelText('Email address'), first.getByLabelText('Password')];
    // One form, name first (the order a person fills it in).
    expect(new Set(fields.map((f) => f.closest('form'))).size).toBe(1);
    const inputs = [...fields[0]!.closest('form')!.querySelectorAll('input')];
    expect(fields.map((f) => inputs.indexOf(f as HTMLInputElement))).toEqual([0, 1, 2]);

    // A tab in the name is refused on this page, in plain words, before anything is looked up.
    await act(async () => fireEvent.change(fields[0]!, { target: { value: 'Ann\tExample' } }));
    await act(async () => fireEvent.click(first.getByRole('button', { name: 'Set up manually' })));
    expect(first.getAllByRole('alert').map((a) => a.textContent)).toEqual(['A name cannot hold line breaks or tabs.']);
    expect(first.queryByLabelText('Server')).toBeNull();

    await act(async () => fireEvent.change(fields[0]!, { target: { value: 'Ann Example' } }));
    await act(async () => fireEvent.change(fields[1]!, { target: { value: 'ann@localhost' } }));
    await act(async () => fireEvent.change(fields[2]!, { target: { value: 'secret' } }));
    await act(async () => fireEvent.click(first.getByRole('button', { name: 'Set up manually' })));
    await act(async () => fireEvent.change(first.getByLabelText('Server'), { target: { value: '127.0.0.1' } }));
    await act(async () => fireEvent.click(first.getByRole('button', { name: 'Test connection' })));
    await waitFor(() => expect((first.getByRole('button', { name: 'Save account' }) as HTMLButtonElement).disabled).toBe(false));
    await act(async () => fireEvent.click(first.getByRole('button', { name: 'Save account' })));
    await waitFor(() => expect(t.s.service.listAccounts()).toHaveLength(1));
    // Receive only (sending not switched on), and the name is kept all the same.
    const [account] = t.s.service.listAccounts();
    expect(account!.smtp).toBeNull();
    // Server copies are left by default, as Thunderbird does (walkthrough M5: the first sync deleted them all).
    expect(account!).toMatchObject({ leaveOnServer: true, deleteAfterDays: null, deleteWhenDeletedLocally: false });
    expect(account!.identities).toMatchObject([{ name: 'Ann Example', address: 'ann@localhost', default: true }]);
  });
});
