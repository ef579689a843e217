/**
 * An empty list says that mail is on its way only for mail that will come there: an account's
 * empty Inbox speaks of that account's check, never of another account's download (it said
 * another account's "Downloading 2 of 5", a promise its list never kept); the Unified Inbox
 * speaks of every account and names the one it means.
 */
import { act, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { expect, it } from 'vitest';
import { addHomeAndWork, appPerTest } from './support/app-harness.js';

const t = appPerTest('sync-activity');

it("says only the list's own account's download in its empty Inbox, and every account's in the Unified Inbox", async () => {
  const { home, work } = await addHomeAndWork(t.s);
  t.render();
  const grid = await screen.findByRole('grid', { name: 'Messages' });
  await screen.findByText('Select a message to read it.');
  const quiet = { state: 'idle' as const, nextRunAt: null, lastError: null, failures: 0, lastSuccessAt: null };
  const downloading = { phase: 'downloading', done: 2, total: 5, bytes: 0, totalBytes: 0 };
  // Work downloads; Home is idle.
  await t.db.status.bulkPut([
    { accountId: home.id, ...quiet },
    { accountId: work.id, ...quiet, state: 'syncing', progress: downloading },
  ]);
  await within(grid).findByText('Work: Downloading 2 of 5. Messages appear here as they arrive.');

  const folders = screen.getByRole('navigation', { name: 'Folders' });
  const inbox = (name: string) => within(within(folders).getByRole('region', { name })).getByRole('button', { name: /^Inbox/ });
  await act(async () => fireEvent.click(inbox('Home')));
  await within(grid).findByText('No messages yet. Use Get Mail to check now.');
  expect(within(grid).queryByText(/Downloading/)).toBeNull();

  // Its own folder names no account: it is in the title.
  await act(async () => fireEvent.click(inbox('Work')));
  await within(grid).findByText('Downloading 2 of 5. Messages appear here as they arrive.');

  // Home starts checking too: its Inbox says so, and Work's still says Work's.
  await t.db.status.put({ accountId: home.id, ...quiet, state: 'syncing' });
  await act(async () => fireEvent.click(inbox('Home')));
  await within(grid).findByText('Checking for new mail…');
  expect(within(grid).queryByText(/Downloading/)).toBeNull();
  // Sent is filled by sending, not by a check: it says nothing of either.
  await act(async () => fireEvent.click(within(within(folders).getByRole('region', { name: 'Home' })).getByRole('button', { name: /^Sent/ })));
  await within(grid).findByText('No messages in Sent.');
  await waitFor(() => expect(within(grid).queryByText(/Checking|Downloading/)).toBeNull());
});
