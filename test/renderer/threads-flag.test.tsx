/**
 * A conversation row is flagged when any of its messages is (as Apple Mail and Gmail mark a
 * thread): the Flag order puts such a conversation with the flagged ones, so its row must show
 * the flag. Before, the row showed the flag of whichever message stood for it, so a conversation
 * whose flagged question was older than its reply sat among the flagged rows with no flag.
 */
import { screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { MessageRecord } from '../../shared/changes.js';
import { record } from './service-api.js';
import { appPerTest } from './support/app-harness.js';

const t = appPerTest('threads-flag');
beforeEach(() => localStorage.setItem('popbox.conversations', '1'));
afterEach(() => localStorage.removeItem('popbox.conversations'));

function mail(accountId: string, subject: string, date: string, messageId: string, over: Partial<MessageRecord> = {}, refs: string[] = []): MessageRecord {
  const m = record({ subject, from: 'Ann', date, accountId, ...over });
  return { ...m, summary: { ...m.summary, messageId, inReplyTo: refs.at(-1) ?? null, references: refs } };
}

it('shows the flag on a conversation row when an older message of it is flagged, in its name and as the mark', async () => {
  const account = await t.s.service.addAccount({ name: 'Home', host: '127.0.0.1', port: 995, security: 'tls', user: 'me', checkAtStartup: false, password: { source: 'keychain' } }, 'pw');
  const question = mail(account.id, 'Contract', '2026-11-01T10:00:00Z', '<q@acme.test>', { flags: { seen: true, flagged: true } });
  const reply = mail(account.id, 'Re: Contract', '2026-11-03T10:00:00Z', '<r@acme.test>', { flags: { seen: true, flagged: false } }, ['<q@acme.test>']);
  await t.s.service.journal.append([question, reply].map((m) => ({ t: 'add' as const, m })));
  t.render();
  const grid = await screen.findByRole('grid', { name: 'Messages' });
  await waitFor(() => expect(within(grid).getByRole('row').getAttribute('aria-label')).toMatch(/conversation of 2/));
  const row = within(grid).getByRole('row');
  // The row speaks for the reply (the newest), and for the conversation's flag.
  expect(row.getAttribute('aria-label')).toMatch(/^Ann, Re: Contract, [^,]+, flagged, conversation of 2$/);
  expect(row.querySelector('svg.flag')).not.toBeNull();
});
