/**
 * First-run setup without a keychain (walkthrough C1): on a machine where no keychain answers
 * (no D-Bus), Save account failed with the keychain's error and nothing else: a dead end. The
 * screen now says what happened and offers to keep the password only while Popbox runs (asked
 * for again at each start), and the account is saved that way with its password usable at once.
 */
import { act, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AccountsService } from '../../electron/core/accounts/accounts-service.js';
import type { PopboxApi } from '../../shared/api.js';
import { appPerTest } from './support/app-harness.js';

const t = appPerTest('add-keychain');

beforeAll(() => {
  Element.prototype.scrollIntoView ??= () => {};
});

const KEYCHAIN_ERROR =
  'addAccount: the system keychain could not store the password (Cannot autolaunch D-Bus without X11 $DISPLAY); unlock or start the keyring, or use a password command instead';

describe('Add account where the keychain cannot store the password', () => {
  it('says so and saves the account with the password kept until Popbox closes', async () => {
    const sources: string[] = [];
    const api: PopboxApi = {
      ...t.s.api,
      testConnection: async () => ({ ok: true, value: { greeting: '+OK', secure: true, fingerprint256: null, capabilities: ['UIDL'], pipelining: true, uidl: true, messageCount: 0, mailboxBytes: 0, loginDelaySeconds: null, expireDays: null } }),
      syncNow: async () => ({ ok: true, value: [] }),
      // The keychain of a machine without D-Bus refuses; anything else goes to the real service.
      addAccount: async (input) => {
        sources.push(input.account.password?.source ?? 'keychain');
        if (input.account.password?.source !== 'session') return { ok: false, error: { code: 'secret', message: KEYCHAIN_ERROR } };
        return t.s.api.addAccount(input);
      },
    } as PopboxApi;
    t.render(api);
    const page = within(await screen.findByRole('region', { name: 'Add account' }));
    await act(async () => fireEvent.change(page.getByLabelText('Email address'), { target: { value: 'bob@localhost' } }));
    await act(async () => fireEvent.change(page.getByLabelText('Password'), { target: { value: 'typed-secret' } }));
    await act(async () => fireEvent.click(page.getByRole('button', { name: 'Set up manually' })));
    await act(async () => fireEvent.change(page.getByLabelText('Server'), { target: { value: '127.0.0.1' } }));
    await act(async () => fireEvent.click(page.getByRole('button', { name: 'Test connection' })));
    await waitFor(() => expect((page.getByRole('button', { name: 'Save account' }) as HTMLButtonElement).disabled).toBe(false));
    await act(async () => fireEvent.click(page.getByRole('button', { name: 'Save account' })));

    // What happened, why, and what the choice means; no advice the screens cannot follow.
    const alert = await page.findByRole('alert');
    expect(alert.textContent).toContain('The account was not saved: this computer’s keychain could not store the password (Cannot autolaunch D-Bus without X11 $DISPLAY).');
    expect(alert.textContent).toContain('keep the password only while it runs, without saving it anywhere, and ask for it again each time it starts');
    expect(alert.textContent).not.toContain('password command');
    expect(t.s.service.listAccounts()).toHaveLength(0);

    await act(async () => fireEvent.click(within(alert).getByRole('button', { name: 'Keep the password until Popbox closes' })));
    await waitFor(() => expect(t.s.service.listAccounts()).toHaveLength(1));
    expect(sources).toEqual(['keychain', 'session']);
    const [account] = t.s.service.listAccounts();
    expect(account!.password).toEqual({ source: 'session' });
    // The password typed is the one main logs in with, for as long as this process runs.
    const accounts = (t.s.service as unknown as { accountsService: AccountsService }).accountsService;
    expect((await accounts.credentialsFor(account!)).password).toBe('typed-secret');
  });
});
