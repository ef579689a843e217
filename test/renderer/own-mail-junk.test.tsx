/**
 * Junk is not offered for what the user wrote (a new user's walkthrough found it on Sent
 * messages): marking it would move their own mail to Junk and teach the filter it is spam.
 * Mark as unread stays (Thunderbird keeps it). Received mail keeps Junk.
 */
import { act, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { expect, it } from 'vitest';
import type { PopboxApi } from '../../shared/api.js';
import type { MessageRecord } from '../../shared/changes.js';
import { record } from './service-api.js';
import { appPerTest } from './support/app-harness.js';

const t = appPerTest('own-mail-junk');

it('a Sent message offers no Junk (pane, context menu, the ! key) but keeps Mark as unread; an Inbox message keeps Junk', async () => {
  const account = await t.s.service.addAccount({ name: 'Home', host: '127.0.0.1', port: 995, security: 'tls', user: 'bob', checkAtStartup: false, password: { source: 'keychain' } }, 'pw');
  const m = record({ subject: 'Lunch?', from: 'Bob Baker', accountId: account.id, folder: 'Sent', flags: { seen: true, flagged: false } });
  const sent: MessageRecord = { ...m, summary: { ...m.summary, to: [{ name: 'Ann Lee', address: 'ann@example.org' }] } };
  const got = record({ subject: 'Cheap pills', from: 'Spammer', accountId: account.id });
  await t.s.service.journal.append([sent, got].map((m) => ({ t: 'add' as const, m })));
  const junked: string[][] = [];
  const api: PopboxApi = {
    ...t.s.api,
    markJunk: async ({ ids }: { ids: string[] }) => {
      junked.push([...ids]);
      return { ok: true, value: null };
    },
  } as PopboxApi;
  t.render(api);
  const grid = await screen.findByRole('grid', { name: 'Messages' });
  await waitFor(() => expect(within(grid).getAllByRole('row')).toHaveLength(1), { timeout: 10_000 });

  // The Inbox message: Junk in the pane and in the menu.
  await act(async () => fireEvent.click(within(grid).getByRole('row')));
  const inboxBar = await screen.findByRole('toolbar', { name: 'Message actions' });
  expect(within(inboxBar).getByRole('button', { name: 'Junk' })).toBeTruthy();
  await act(async () => fireEvent.contextMenu(within(grid).getByRole('row'), { clientX: 5, clientY: 5 }));
  expect(within(screen.getByRole('menu')).getByRole('menuitem', { name: /^Junk/ })).toBeTruthy();
  await act(async () => fireEvent.keyDown(screen.getByRole('menu'), { key: 'Escape' }));

  const home = await within(screen.getByRole('navigation', { name: 'Folders' })).findByRole('region', { name: 'Home' });
  await act(async () => fireEvent.click(await within(home).findByRole('button', { name: /^Sent/ })));
  await waitFor(() => expect(within(grid).getByRole('row').getAttribute('aria-label')).toMatch(/^To: Ann Lee, Lunch\?/), { timeout: 10_000 });
  await act(async () => fireEvent.click(within(grid).getByRole('row')));
  await waitFor(() => expect(screen.getByRole('heading', { name: 'Lunch?' })).toBeTruthy());
  const bar = screen.getByRole('toolbar', { name: 'Message actions' });
  expect(within(bar).queryByRole('button', { name: 'Junk' })).toBeNull();
  expect(within(bar).getByRole('button', { name: 'Mark as unread' })).toBeTruthy();

  await act(async () => fireEvent.contextMenu(within(grid).getByRole('row'), { clientX: 5, clientY: 5 }));
  const menu = screen.getByRole('menu');
  expect(within(menu).queryByRole('menuitem', { name: /^Junk/ })).toBeNull();
  expect(within(menu).getByRole('menuitem', { name: /^Mark as unread/ })).toBeTruthy();
  await act(async () => fireEvent.keyDown(menu, { key: 'Escape' }));

  // The key does nothing to it either: main is never asked, the row stays in Sent.
  await act(async () => within(grid).getByRole('row').focus());
  await act(async () => fireEvent.keyDown(window, { key: '!' }));
  await new Promise((r) => setTimeout(r, 300));
  expect(junked).toEqual([]);
  expect(within(grid).getAllByRole('row')).toHaveLength(1);
});
