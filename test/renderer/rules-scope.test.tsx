/**
 * Filters belong to accounts (walkthrough m6: a filter made in Alice's settings moved 121 of
 * Bob's messages, since every filter ran on every account and nothing said so). A new filter
 * starts scoped to the account whose settings were open, the editor's "Applies to" widens it to
 * every account, the list says whose mail each filter runs on (a filter saved before scopes:
 * every account), the preview counts that account's mail only, and after Run now the preview
 * counts what is left to match.
 */
import { act, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { expect, it } from 'vitest';
import type { PopboxApi } from '../../shared/api.js';
import { record } from './service-api.js';
import { appPerTest } from './support/app-harness.js';

const t = appPerTest('rules-scope');
// Every wait's hang guard (the renderer's default is 10 s); never what it checks.
const POLL = { timeout: 20_000 };

it('a filter made from Alice’s settings is for Alice: the list and the preview say so, Bob’s mail is not counted, and Run now leaves the preview counting what is left', async () => {
  const account = (name: string) => ({ name, host: '127.0.0.1', port: 995, security: 'tls' as const, user: name.toLowerCase(), checkAtStartup: false, password: { source: 'keychain' as const } });
  const alice = await t.s.service.addAccount(account('Alice'), 'pw');
  const bob = await t.s.service.addAccount(account('Bob'), 'pw');
  await t.s.service.journal.append(
    [
      record({ subject: 'Receipt for order 1', accountId: alice.id }),
      record({ subject: 'Receipt for order 2', accountId: alice.id }),
      record({ subject: 'Lunch on Friday', accountId: alice.id }),
      record({ subject: 'Receipt from the bakery', accountId: bob.id }),
    ].map((m) => ({ t: 'add' as const, m })),
  );
  // A filter saved before filters had a scope.
  await t.s.service.saveRules([{ name: 'Flag Ann', match: 'all', conditions: [{ field: 'from', op: 'contains', value: 'ann@' }], actions: [{ t: 'flag' }] }]);
  // Run now as main answers it (these records have no files to move): the saved filters'
  // matches, by main's own evaluation, filed in Receipts.
  const api: PopboxApi = {
    ...t.s.api,
    runRules: async ({ ids }: { ids: string[] }) => {
      const rules = (await t.s.service.listRules()).filter((r) => r.actions.some((a) => a.t === 'move'));
      const moved = (await Promise.all(rules.map((r) => t.s.service.previewRule(r, ids)))).flat();
      await t.s.service.journal.append(moved.map((id) => ({ t: 'move' as const, id, folder: 'Receipts' })));
      return { ok: true, value: moved.map((id) => ({ id, subject: '', rules: ['Receipts'], movedTo: 'Receipts', copiedTo: [], markedRead: false, flagged: false })) };
    },
  } as PopboxApi;
  t.render(api);

  fireEvent.click(await screen.findByRole('button', { name: 'Account settings' }, POLL));
  const nav = await screen.findByRole('navigation', { name: 'Accounts' }, POLL);
  // Alice's settings, then Filters.
  fireEvent.click(await within(nav).findByRole('button', { name: 'Alice' }, POLL));
  fireEvent.click(within(nav).getByRole('button', { name: 'Filters' }));
  const filters = await screen.findByRole('region', { name: 'Filters' }, POLL);
  const list = await within(filters).findByRole('list', { name: 'Filters in order' }, POLL);
  // The old filter keeps working for everyone, and the list says so.
  expect(within(list).getByText('Applies to every account.')).toBeTruthy();

  fireEvent.click(within(filters).getByRole('button', { name: 'New filter' }));
  const editor = within(filters).getByRole('form', { name: 'New filter' });
  const appliesTo = within(editor).getByLabelText('Applies to') as HTMLSelectElement;
  expect(appliesTo.selectedOptions[0]!.textContent).toBe('Alice');
  expect([...appliesTo.options].map((o) => o.textContent)).toEqual(['Alice', 'Bob', 'Every account']);
  fireEvent.change(within(editor).getByLabelText('Filter name'), { target: { value: 'Receipts' } });
  fireEvent.change(within(editor).getByLabelText('Condition 1: value'), { target: { value: 'receipt' } });
  fireEvent.change(within(editor).getByLabelText('Action 1: folder'), { target: { value: 'Receipts' } });
  const preview = within(filters).getByRole('region', { name: 'Preview' });
  // Alice's two receipts; Bob's bakery receipt is not hers.
  await within(preview).findByText('2 stored messages in the Inbox match.', undefined, POLL);
  expect(within(preview).queryByText(/bakery/)).toBeNull();
  // Widened to every account, Bob's receipt counts too; back to Alice.
  fireEvent.change(appliesTo, { target: { value: '' } });
  await within(preview).findByText('3 stored messages in the Inbox match.', undefined, POLL);
  fireEvent.change(appliesTo, { target: { value: alice.id } });
  await within(preview).findByText('2 stored messages in the Inbox match.', undefined, POLL);

  await act(async () => fireEvent.click(within(editor).getByRole('button', { name: 'Save' })));
  await within(filters).findByText('Saved the filter “Receipts”.', undefined, POLL);
  expect((await t.s.service.listRules()).map((r) => [r.name, r.accounts])).toEqual([
    ['Flag Ann', undefined],
    ['Receipts', [alice.id]],
  ]);
  const entries = within(list).getAllByRole('listitem');
  expect(entries.map((e) => e.querySelector('.rule-accounts')?.textContent)).toEqual(['Applies to every account.', 'Applies to Alice.']);

  await act(async () => fireEvent.click(within(filters).getByRole('button', { name: 'Run now on Inbox' })));
  await within(filters).findByText('Checked 4 messages: 2 matched (2 moved).', undefined, POLL);
  // What is left to match in the Inbox after the run: nothing (it said 2 before the fix).
  await within(preview).findByText('No stored message in the Inbox matches.', undefined, POLL);
  await waitFor(() => expect(t.s.service.messages().filter((m) => m.folder === 'Receipts').map((m) => m.accountId)).toEqual([alice.id, alice.id]), POLL);
});

it('with one account, a new filter is for every account (one added later is not left out silently)', async () => {
  const account = (name: string) => ({ name, host: '127.0.0.1', port: 995, security: 'tls' as const, user: name.toLowerCase(), checkAtStartup: false, password: { source: 'keychain' as const } });
  await t.s.service.addAccount(account('Alice'), 'pw');
  t.render(t.s.api);
  fireEvent.click(await screen.findByRole('button', { name: 'Account settings' }, POLL));
  const nav = await screen.findByRole('navigation', { name: 'Accounts' }, POLL);
  fireEvent.click(await within(nav).findByRole('button', { name: 'Alice' }, POLL));
  fireEvent.click(within(nav).getByRole('button', { name: 'Filters' }));
  const filters = await screen.findByRole('region', { name: 'Filters' }, POLL);
  fireEvent.click(await within(filters).findByRole('button', { name: 'New filter' }, POLL));
  const editor = within(filters).getByRole('form', { name: 'New filter' });
  const appliesTo = within(editor).getByLabelText('Applies to') as HTMLSelectElement;
  expect(appliesTo.selectedOptions[0]!.textContent).toBe('Every account');
  expect([...appliesTo.options].map((o) => o.textContent)).toEqual(['Alice', 'Every account']);
});

it('with several accounts and none chosen, a new filter is for the account Settings shows (the first): Settings passes no choice, the Filters page decides', async () => {
  const account = (name: string) => ({ name, host: '127.0.0.1', port: 995, security: 'tls' as const, user: name.toLowerCase(), checkAtStartup: false, password: { source: 'keychain' as const } });
  await t.s.service.addAccount(account('Alice'), 'pw');
  await t.s.service.addAccount(account('Bob'), 'pw');
  t.render(t.s.api);
  fireEvent.click(await screen.findByRole('button', { name: 'Account settings' }, POLL));
  const nav = await screen.findByRole('navigation', { name: 'Accounts' }, POLL);
  // Settings opens on the first account without anyone choosing it.
  await waitFor(() => expect(within(nav).getByRole('button', { name: 'Alice' }).getAttribute('aria-current')).toBe('page'), POLL);
  fireEvent.click(within(nav).getByRole('button', { name: 'Filters' }));
  const filters = await screen.findByRole('region', { name: 'Filters' }, POLL);
  fireEvent.click(await within(filters).findByRole('button', { name: 'New filter' }, POLL));
  const appliesTo = within(within(filters).getByRole('form', { name: 'New filter' })).getByLabelText('Applies to') as HTMLSelectElement;
  await waitFor(() => expect(appliesTo.selectedOptions[0]!.textContent).toBe('Alice'), POLL);
});
