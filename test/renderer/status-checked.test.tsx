/**
 * The status bar between checks: it says when mail was last checked (as Apple Mail's "Updated
 * at…"), instead of an empty strip that looked the same whether Popbox was checking or had
 * stopped. Gone while an account checks or has an error (those lines say more).
 */
import { screen, waitFor, within } from '@testing-library/react';
import { expect, it } from 'vitest';
import { formatListDate } from '../../renderer/src/app/format.js';
import { checkedText } from '../../renderer/src/features/status/StatusArea.js';
import { addHomeAndWork, appPerTest } from './support/app-harness.js';

const t = appPerTest('status-checked');

it('says when mail was last checked while all is quiet, and nothing of it while checking or failing', async () => {
  const { home, work } = await addHomeAndWork(t.s);
  t.render();
  const bar = await screen.findByRole('contentinfo', { name: 'Status' });
  await screen.findByRole('grid', { name: 'Messages' });
  // The reading pane loads on its own; waited for, so it does not arrive after the test ends.
  await screen.findByText('Select a message to read it.');
  const quiet = { state: 'idle' as const, nextRunAt: null, lastError: null, failures: 0 };
  const at = new Date();
  at.setHours(9, 5, 0, 0);
  // Never checked yet: nothing to say.
  await t.db.status.bulkPut([{ accountId: home.id, ...quiet, lastSuccessAt: null }, { accountId: work.id, ...quiet, lastSuccessAt: null }]);
  await waitFor(() => expect(bar.textContent).toBe(''));
  // Both checked: the older of the two (each was checked at or after it).
  await t.db.status.bulkPut([{ accountId: home.id, ...quiet, lastSuccessAt: at.getTime() + 60_000 }, { accountId: work.id, ...quiet, lastSuccessAt: at.getTime() }]);
  const line = await within(bar).findByText(`Checked for mail at ${formatListDate(at.getTime())}.`);
  // Seen, not spoken: in a live region a screen reader read it out after every check.
  expect(line.closest('[aria-live], [role="status"], [role="alert"], [role="log"]')).toBeNull();
  // Checking now: the progress line, not the old time, and it is announced.
  await t.db.status.put({ accountId: work.id, ...quiet, state: 'syncing', lastSuccessAt: at.getTime() });
  await waitFor(() => expect(bar.textContent).toBe('Work: Checking…'));
  expect(within(bar).getByText('Work: Checking…').closest('[aria-live="polite"]')).not.toBeNull();
  // A failure says what is wrong instead, and is still announced.
  await t.db.status.put({ accountId: work.id, ...quiet, lastSuccessAt: at.getTime(), lastError: { code: 'timeout', message: 'no answer' }, failures: 1 });
  await waitFor(() => expect(bar.textContent).toMatch(/^Work: the server did not answer in time/));
  expect(within(bar).getByText(/^Work: the server did not answer in time/).closest('[aria-live="polite"]')).not.toBeNull();
});

it('names the day when the last check was before today', () => {
  // Local noon: a UTC instant is another day, or just past midnight, in some zones (Fiji: 00:00).
  const now = new Date(2026, 11, 6, 12).getTime();
  expect(checkedText(now - 3 * 86_400_000, now)).toBe(`Checked for mail on ${formatListDate(now - 3 * 86_400_000, now)}.`);
  expect(checkedText(now - 60_000, now)).toMatch(/^Checked for mail at \d/);
});
