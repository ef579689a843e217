/**
 * Account settings' "At the next check" describes the form being edited (walkthrough M1): with
 * "Leave messages on server" unticked but not saved, it said "No messages will be deleted from the
 * server." (the saved settings) and a stale "Settings saved." stood beside it; Save then deleted
 * all 202 server copies at the next Get Mail. It now asks main with the form's deletion settings,
 * says they apply once saved, and an edit clears "Settings saved.".
 */
import { act, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { expect, it } from 'vitest';
import type { PopboxApi } from '../../shared/api.js';
import type { PendingDeletion } from '../../shared/contract.js';
import { appPerTest } from './support/app-harness.js';

const t = appPerTest('deletion-preview');

it('previews the deletions of the settings in the form, not the saved ones, and drops a stale "Settings saved."', async () => {
  const account = await t.s.service.addAccount({ name: 'Bob', host: '127.0.0.1', port: 995, security: 'tls', user: 'bob', checkAtStartup: false, leaveOnServer: true, password: { source: 'keychain' } }, 'pw');
  // Two downloaded messages still on the server: deleted at the next check only where copies are not left there.
  const asked: unknown[] = [];
  const downloaded = (n: number): PendingDeletion => ({ id: `m${n}`, accountId: account.id, uidl: `u${n}`, subject: `Message ${n}`, from: 'Ann', date: null, reason: 'downloaded' });
  const api: PopboxApi = {
    ...t.s.api,
    pendingDeletions: async (input) => {
      asked.push(input.policy);
      return { ok: true, value: input.policy && !input.policy.leaveOnServer ? [downloaded(1), downloaded(2)] : [] };
    },
  } as PopboxApi;
  t.render(api);
  fireEvent.click(await screen.findByRole('button', { name: 'Account settings' }));
  fireEvent.click(await within(await screen.findByRole('navigation', { name: 'Accounts' })).findByRole('button', { name: 'Bob' }));
  const preview = await screen.findByRole('region', { name: 'Server deletions at the next check' });
  await within(preview).findByText('No messages will be deleted from the server.');

  // Save once (nothing changed): "Settings saved."
  await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Save' })));
  await screen.findByText('Settings saved.');

  // Untick Leave messages on server, not saved: the preview says what Save would do, and when.
  await act(async () => fireEvent.click(screen.getByLabelText('Leave messages on server')));
  await within(preview).findByText('2 messages will be deleted from the server:');
  expect(within(preview).getByText('With the server-copy settings above, once you save them.')).toBeTruthy();
  expect(asked.at(-1)).toEqual({ leaveOnServer: false, deleteAfterDays: null, deleteWhenDeletedLocally: false });
  expect(screen.queryByText('Settings saved.')).toBeNull();
  expect(t.s.service.listAccounts()[0]!.leaveOnServer).toBe(true); // nothing saved yet

  // Ticked again: back to the saved settings, without the "once you save" line.
  await act(async () => fireEvent.click(screen.getByLabelText('Leave messages on server')));
  await within(preview).findByText('No messages will be deleted from the server.');
  await waitFor(() => expect(within(preview).queryByText('With the server-copy settings above, once you save them.')).toBeNull());
});
