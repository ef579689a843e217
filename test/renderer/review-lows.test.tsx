/**
 * Review lows from the walkthrough, as a person sees them:
 * - Junk on a selection mixing Sent and Inbox mail moves the received messages and says what it
 *   left ("2 of your own messages were left where they are") in the same note as the move and its
 *   Undo; before, it junked them silently (and then said it in the status bar, apart from the note).
 * - A list of every folder (a search of all mail) names its name order "From / To": its rows
 *   show the sender of received mail and the recipient of the user's own; before, "Sender".
 * - The Sender / Recipient and Subject orders are A to Z in the reader's alphabet: "Émile"
 *   before "Zoe", "Item 9" before "Item 10" (before: lower-cased code units, É after Z).
 */
import { act, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { PopboxApi } from '../../shared/api.js';
import type { MessageRecord } from '../../shared/changes.js';
import { MessageStore } from '../../renderer/src/db/message-store.js';
import { record } from './service-api.js';
import { appPerTest } from './support/app-harness.js';

const t = appPerTest('review-lows');

describe('Junk on a mixed selection', () => {
  it('junks the received message and says that the two of the user’s own were left; the name order reads “From / To”', async () => {
    const account = await t.s.service.addAccount({ name: 'Home', host: '127.0.0.1', port: 995, security: 'tls', user: 'bob', checkAtStartup: false, password: { source: 'keychain' } }, 'pw');
    const sent = (subject: string): MessageRecord => {
      const m = record({ subject, from: 'Bob Baker', accountId: account.id, folder: 'Sent', flags: { seen: true, flagged: false } });
      return { ...m, summary: { ...m.summary, to: [{ name: 'Ann Lee', address: 'ann@example.org' }] } };
    };
    const spam = record({ subject: 'Lunch deal: cheap pills', from: 'Spammer', accountId: account.id });
    await t.s.service.journal.append([sent('Lunch on Friday?'), sent('Re: Lunch'), spam].map((m) => ({ t: 'add' as const, m })));
    const junked: string[][] = [];
    const api: PopboxApi = {
      ...t.s.api,
      markJunk: async ({ ids }: { ids: string[] }) => {
        junked.push([...ids]);
        return { ok: true, value: null };
      },
      // main's full-text search is not what this is about: the list is the quick filter of every folder.
      search: async () => ({ ok: false, error: { code: 'storage', message: 'the index is being rebuilt' } }),
    } as PopboxApi;
    t.render(api);
    const grid = await screen.findByRole('grid', { name: 'Messages' });
    await waitFor(() => expect(within(grid).getAllByRole('row')).toHaveLength(1), { timeout: 10_000 });
    await act(async () => fireEvent.change(screen.getByRole('searchbox'), { target: { value: 'lunch' } }));
    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'All folders' })));
    await waitFor(() => expect(within(grid).getAllByRole('row')).toHaveLength(3), { timeout: 10_000 });
    // Rows say the recipient of Bob's own mail and the sender of what he got: so does the order's name.
    const order = screen.getByRole('combobox', { name: /Sort by/ });
    expect(within(order).getByRole('option', { name: 'From / To' })).toBeTruthy();
    expect(within(order).queryByRole('option', { name: 'Sender' })).toBeNull();

    await act(async () => within(grid).getAllByRole('row')[0]!.click());
    await act(async () => fireEvent.keyDown(window, { key: 'a', ctrlKey: true }));
    const bar = await screen.findByRole('toolbar', { name: 'Selected messages' });
    await act(async () => fireEvent.click(within(bar).getByRole('button', { name: 'Junk' })));
    await waitFor(() => expect(junked).toEqual([[spam.id]]));
    // One note says both, with its Undo (the status bar beside it said the second half apart).
    const note = await screen.findByText('Marked 1 message as junk. 2 of your own messages were left where they are.');
    expect(within(note.closest('.toast') as HTMLElement).getByRole('button', { name: 'Undo' })).toBeTruthy();
    expect(within(screen.getByRole('contentinfo', { name: 'Status' })).queryByText(/left where/)).toBeNull();
  });
});

describe('the name and subject orders', () => {
  it('go A to Z in the reader’s alphabet: accents and case do not count, numbers by value', () => {
    const names = ['Zoe', 'Émile', 'ann', 'Bob', 'Óscar', 'élodie'];
    const rows = names.map((from, i) => record({ from, subject: `Item ${[10, 9, 1, 100, 2, 20][i]}`, date: `2026-03-0${i + 1}T10:00:00Z` }));
    const store = new MessageStore();
    store.commit(store.stage(rows.map((m, i) => ({ s: i + 1, t: 'add' as const, m }))));
    const view = { kind: 'all' } as const;
    const from = (id: string) => store.get(id)!.from[0]!.name;
    expect(store.viewIds(view, 'from').map(from)).toEqual(['ann', 'Bob', 'élodie', 'Émile', 'Óscar', 'Zoe']);
    expect(store.viewIds(view, 'subject').map((id) => store.get(id)!.subject)).toEqual(['Item 1', 'Item 2', 'Item 9', 'Item 10', 'Item 20', 'Item 100']);
  });
});
