/**
 * Run now over an Inbox of more than 10,000 messages: the screen sent up to 100,000 ids in one
 * call while main runs the filters on at most 10,000 at a time, so a big Inbox only ever got
 * "The filters did not run: … choose fewer". The limit is one number in shared/ now: the contract
 * refuses a bigger call and Run now sends the ids in slices of it.
 */
import { act, fireEvent, screen, within } from '@testing-library/react';
import { expect, it } from 'vitest';
import type { PopboxApi } from '../../shared/api.js';
import { contract } from '../../shared/contract.js';
import { MAX_RUN_IDS } from '../../shared/rules.js';
import { record } from './service-api.js';
import { appPerTest } from './support/app-harness.js';

const t = appPerTest('rules-run-now-many');
// Every wait's hang guard (the renderer's default is 10 s); never what it checks.
const POLL = { timeout: 60_000 };

it('the contract takes no more ids per run than main runs at once', () => {
  const ids = (n: number) => Array.from({ length: n }, (_, i) => `m${String(i).padStart(8, '0')}`);
  expect(contract.runRules.input.safeParse({ ids: ids(MAX_RUN_IDS) }).success).toBe(true);
  expect(contract.runRules.input.safeParse({ ids: ids(MAX_RUN_IDS + 1) }).success).toBe(false);
});

it('Run now on an Inbox of 10,001 messages runs the filters over all of them, in two calls main takes', async () => {
  const alice = await t.s.service.addAccount({ name: 'Alice', host: '127.0.0.1', port: 995, security: 'tls', user: 'alice', checkAtStartup: false, password: { source: 'keychain' } }, 'pw');
  const many = Array.from({ length: MAX_RUN_IDS + 1 }, () => record({ subject: 'Lunch', accountId: alice.id }));
  await t.s.service.journal.append(many.map((m) => ({ t: 'add' as const, m })));
  // A filter none of them matches (these records have no files to act on): what is checked is
  // that main, behind the contract's check, ran the filters over every one of them.
  await t.s.service.saveRules([{ name: 'Receipts', match: 'all', conditions: [{ field: 'subject', op: 'contains', value: 'receipt' }], actions: [{ t: 'flag' }] }]);
  const calls: number[] = [];
  const api: PopboxApi = {
    ...t.s.api,
    runRules: async (input: { ids: string[] }) => {
      calls.push(input.ids.length);
      return t.s.api.runRules(input);
    },
  } as PopboxApi;
  t.render(api);

  fireEvent.click(await screen.findByRole('button', { name: 'Account settings' }, POLL));
  const nav = await screen.findByRole('navigation', { name: 'Accounts' }, POLL);
  fireEvent.click(within(nav).getByRole('button', { name: 'Filters' }));
  const filters = await screen.findByRole('region', { name: 'Filters' }, POLL);
  await within(filters).findByText(/Runs the saved filters, in order/, undefined, POLL);
  await act(async () => fireEvent.click(within(filters).getByRole('button', { name: 'Run now on Inbox' })));
  // Before, one call of 10,001 ids: "The filters did not run: Rules run on at most 10,000 messages at a time; choose fewer".
  await within(filters).findByText('Checked 10,001 messages: no filter matched.', undefined, POLL);
  expect(calls).toEqual([MAX_RUN_IDS, 1]);
});
