/**
 * A conversation row looks unread (bold, with the dot) when any of its messages is unread, as
 * Thunderbird and Gmail show a thread (walkthrough M4). Before, it looked read unless the message
 * standing for it (the newest) was unread: "Re: [ILUG] adsl router modem combo", 1 of 3 unread,
 * showed only a "1/3" badge.
 */
import { screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { MessageRecord } from '../../shared/changes.js';
import { record } from './service-api.js';
import { appPerTest } from './support/app-harness.js';

const t = appPerTest('threads-unread');
beforeEach(() => localStorage.setItem('popbox.conversations', '1'));
afterEach(() => localStorage.removeItem('popbox.conversations'));

function mail(accountId: string, subject: string, date: string, messageId: string, seen: boolean, refs: string[] = []): MessageRecord {
  const m = record({ subject, from: 'Ann', date, accountId, flags: { seen, flagged: false } });
  return { ...m, summary: { ...m.summary, messageId, inReplyTo: refs.at(-1) ?? null, references: refs } };
}

it('a conversation with an older unread message looks unread; one with none unread looks read', async () => {
  const account = await t.s.service.addAccount({ name: 'Home', host: '127.0.0.1', port: 995, security: 'tls', user: 'me', checkAtStartup: false, password: { source: 'keychain' } }, 'pw');
  const thread = [
    mail(account.id, 'adsl router modem combo', '2026-11-01T10:00:00Z', '<a@ilug.test>', false),
    mail(account.id, 'Re: adsl router modem combo', '2026-11-02T10:00:00Z', '<b@ilug.test>', true, ['<a@ilug.test>']),
    mail(account.id, 'Re: adsl router modem combo', '2026-11-03T10:00:00Z', '<c@ilug.test>', true, ['<a@ilug.test>', '<b@ilug.test>']),
  ];
  const read = [mail(account.id, 'Garden club', '2026-10-01T10:00:00Z', '<g@club.test>', true), mail(account.id, 'Re: Garden club', '2026-10-02T10:00:00Z', '<h@club.test>', true, ['<g@club.test>'])];
  await t.s.service.journal.append([...thread, ...read].map((m) => ({ t: 'add' as const, m })));
  t.render();
  const grid = await screen.findByRole('grid', { name: 'Messages' });
  await waitFor(() => expect(within(grid).getAllByRole('row').map((r) => r.getAttribute('aria-label'))).toEqual([expect.stringMatching(/conversation of 3, 1 unread$/), expect.stringMatching(/conversation of 2$/)]));
  const [unread, allRead] = within(grid).getAllByRole('row');
  expect(unread!.classList.contains('unread')).toBe(true);
  expect(allRead!.classList.contains('unread')).toBe(false);
  // A screen reader hears it as unread too: the row's own mark, not only the count after it.
  expect(unread!.getAttribute('aria-label')).toMatch(/, unread, conversation of 3, 1 unread$/);
  expect(allRead!.getAttribute('aria-label')).not.toMatch(/unread/);
});
