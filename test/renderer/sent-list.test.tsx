/**
 * The Sent list names whom each message went to ("To: Ann Lee"), as Thunderbird and Apple Mail
 * do: it said the user's own name on every row. Other folders keep the sender.
 */
import { act, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { expect, it } from 'vitest';
import type { MessageRecord } from '../../shared/changes.js';
import { record } from './service-api.js';
import { appPerTest } from './support/app-harness.js';

const t = appPerTest('sent-list');

const who = (name: string, address: string) => ({ name, address });

it('Sent rows say "To: Ann Lee" (+ how many more), the Inbox rows their sender', async () => {
  const account = await t.s.service.addAccount({ name: 'Home', host: '127.0.0.1', port: 995, security: 'tls', user: 'bob', checkAtStartup: false, password: { source: 'keychain' } }, 'pw');
  const sent = (subject: string, to: { name: string; address: string }[], cc: { name: string; address: string }[] = []): MessageRecord => {
    const m = record({ subject, from: 'Bob Baker', accountId: account.id, folder: 'Sent', flags: { seen: true, flagged: false } });
    return { ...m, summary: { ...m.summary, to, cc } };
  };
  const got = record({ subject: 'Lunch on Friday', from: 'Ann Lee', accountId: account.id });
  await t.s.service.journal.append(
    [sent('Re: Lunch on Friday', [who('Ann Lee', 'ann@example.org')]), sent('Minutes', [who('', 'team@example.org')], [who('Carl', 'carl@example.org'), who('Dee', 'dee@example.org')]), sent('Note to self', []), got].map((m) => ({ t: 'add' as const, m })),
  );
  t.render();
  const grid = await screen.findByRole('grid', { name: 'Messages' });
  await waitFor(() => expect(within(grid).getAllByRole('row')).toHaveLength(1), { timeout: 10_000 });
  expect(within(grid).getByRole('row').getAttribute('aria-label')).toMatch(/^Ann Lee, Lunch on Friday/);

  // The sidebar may come after the list: waited for, not assumed.
  const home = await within(screen.getByRole('navigation', { name: 'Folders' })).findByRole('region', { name: 'Home' });
  await act(async () => fireEvent.click(await within(home).findByRole('button', { name: /^Sent/ })));
  await waitFor(() => expect(within(grid).getAllByRole('row')).toHaveLength(3), { timeout: 10_000 });
  const labels = within(grid)
    .getAllByRole('row')
    .map((r) => r.getAttribute('aria-label')!.split(', ').slice(0, 2).join(', '))
    .sort();
  expect(labels).toEqual(['To: (no recipients), Note to self', 'To: Ann Lee, Re: Lunch on Friday', 'To: team@example.org +2, Minutes']);
  // What the row shows, not only its name.
  expect(within(grid).getByText('To: Ann Lee')).toBeTruthy();
  await screen.findByText('Select a message to read it.');
});

it('in Sent the name order is "Recipient" and sorts by whom each row shows, not by the sender', async () => {
  const account = await t.s.service.addAccount({ name: 'Home', host: '127.0.0.1', port: 995, security: 'tls', user: 'bob', checkAtStartup: false, password: { source: 'keychain' } }, 'pw');
  // Sent from three identities, so the sender order (Amy, Max, Zed), the date order and the
  // recipient order (Ann, Carl, Mia) all differ.
  const sent = (from: string, to: string): MessageRecord => {
    const m = record({ subject: `From ${from}`, from, accountId: account.id, folder: 'Sent', flags: { seen: true, flagged: false } });
    return { ...m, summary: { ...m.summary, to: [who(to, `${to.split(' ')[0]!.toLowerCase()}@example.org`)] } };
  };
  await t.s.service.journal.append([sent('Zed', 'Ann Lee'), sent('Amy', 'Mia'), sent('Max', 'Carl')].map((m) => ({ t: 'add' as const, m })));
  t.render();
  const grid = await screen.findByRole('grid', { name: 'Messages' });
  const home = await within(screen.getByRole('navigation', { name: 'Folders' })).findByRole('region', { name: 'Home' });
  await act(async () => fireEvent.click(await within(home).findByRole('button', { name: /^Sent/ })));
  await waitFor(() => expect(within(grid).getAllByRole('row')).toHaveLength(3), { timeout: 10_000 });
  const order = screen.getByRole('combobox', { name: /Sort by/ });
  expect(within(order).queryByRole('option', { name: 'Sender' })).toBeNull();
  await act(async () => fireEvent.change(order, { target: { value: 'from' } }));
  expect((within(order).getByRole('option', { name: 'Recipient' }) as HTMLOptionElement).selected).toBe(true);
  const shown = () => within(grid).getAllByRole('row').map((r) => r.getAttribute('aria-label')!.split(', ')[0]);
  await waitFor(() => expect(shown()).toEqual(['To: Ann Lee', 'To: Carl', 'To: Mia']));
  await act(async () => fireEvent.click(screen.getByRole('button', { name: /^Order: A to Z/ })));
  await waitFor(() => expect(shown()).toEqual(['To: Mia', 'To: Carl', 'To: Ann Lee']));
  // The Inbox keeps "Sender".
  await act(async () => fireEvent.click(within(home).getByRole('button', { name: /^Inbox/ })));
  await waitFor(() => expect(within(order).getByRole('option', { name: 'Sender' })).toBeTruthy());
});
