/**
 * A message to many people: the reading pane's Cc line shows the first few and "and 37 more"
 * (as Thunderbird does), which shows the rest. The whole list filled the pane and pushed the
 * message text below the window.
 */
import { act, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { expect, it } from 'vitest';
import { record } from './service-api.js';
import { appPerTest } from './support/app-harness.js';

const t = appPerTest('reader-addresses');

it('a Cc of 40 shows 3 and "and 37 more"; a To of 4 shows whole; the button shows the rest', async () => {
  const account = await t.s.service.addAccount({ name: 'Home', host: '127.0.0.1', port: 995, security: 'tls', user: 'bob', checkAtStartup: false, password: { source: 'keychain' } }, 'pw');
  const people = (k: number, tag: string) => Array.from({ length: k }, (_, i) => ({ name: `${tag} ${i}`, address: `${tag.toLowerCase()}${i}@example.org` }));
  const m = record({ subject: 'Team offsite', from: 'Olga', accountId: account.id });
  await t.s.service.journal.append([{ t: 'add', m: { ...m, summary: { ...m.summary, to: people(4, 'Team'), cc: people(40, 'Colleague') } } }]);
  t.render();
  const grid = await screen.findByRole('grid', { name: 'Messages' });
  await waitFor(() => expect(within(grid).getAllByRole('row')).toHaveLength(1));
  await act(async () => fireEvent.click(within(grid).getByRole('row')));
  await screen.findByRole('region', { name: 'Message' });
  // Looked up each time: the pane is drawn again as the message's body arrives.
  const line = (dt: string) => within(screen.getByRole('region', { name: 'Message' })).getByText(dt, { selector: 'dt' }).nextElementSibling as HTMLElement;
  // What the screen shows: the rest is in the page for printing, hidden (renderer-layout prints it in Chromium).
  const shown = (el: HTMLElement) => {
    const copy = el.cloneNode(true) as HTMLElement;
    for (const h of copy.querySelectorAll('[hidden]')) h.remove();
    return copy.textContent;
  };
  await waitFor(() => expect(shown(line('Cc'))).toBe('Colleague 0 <colleague0@example.org>, Colleague 1 <colleague1@example.org>, Colleague 2 <colleague2@example.org> and 37 more'), { timeout: 10_000 });
  // Four is whole: "and 1 more" would hide as little as it saves.
  expect(line('To').textContent).toContain('Team 3 <team3@example.org>');
  await act(async () => fireEvent.click(within(line('Cc')).getByRole('button', { name: 'and 37 more' })));
  expect(shown(line('Cc'))).toContain('Colleague 39 <colleague39@example.org>');
  expect(within(line('Cc')).queryByRole('button')).toBeNull();
});
