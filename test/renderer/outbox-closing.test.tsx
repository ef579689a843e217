/**
 * The Outbox's buttons when main refuses the work because Popbox is closing (code `closing`):
 * it once came back `cancelled`, as a "no" to main's "Send it again?" does, and the screen said
 * nothing for either, so the click seemed lost. Now the closing says so in one line; the "no"
 * still says nothing.
 */
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, expect, it } from 'vitest';
import type { OutboxItem } from '../../shared/contract.js';
import { CLOSING_MESSAGE } from '../../shared/error-codes.js';
import type { PopboxApi } from '../../renderer/src/api/client.js';
import { ServicesContext, type AppServices } from '../../renderer/src/app/context.js';
import { MessageStore } from '../../renderer/src/db/message-store.js';
import { OutboxView } from '../../renderer/src/features/outbox/OutboxView.js';

afterEach(cleanup);

const POLL = { timeout: 20_000 };

const failed: OutboxItem = {
  id: 'm1',
  accountId: 'acc1',
  state: 'failed',
  attempts: 3,
  nextAttemptAt: null,
  lastError: { code: 'network', message: 'the connection was lost' },
  from: 'alice@example.org',
  to: ['bob@example.org'],
  queuedAt: Date.now() - 60_000,
  sentTo: [],
  refused: [],
};

/** Main's Outbox with one message that failed; Send again answers `code` with `message`. */
function mount(code: 'cancelled' | 'closing', message: string) {
  const asked: string[] = [];
  const api = {
    outboxStatus: async () => ({ ok: true, value: [failed] }),
    resendMessage: async () => (asked.push('resendMessage'), { ok: false, error: { code, message } }),
    on: () => () => {},
  } as unknown as PopboxApi;
  render(
    <ServicesContext.Provider value={{ api, readModel: { store: new MessageStore() } } as unknown as AppServices}>
      <OutboxView accountId="acc1" title="Alice — Outbox" onOpenSettings={() => {}} />
    </ServicesContext.Provider>,
  );
  return asked;
}

it('Send again while Popbox is closing says so in one plain line', async () => {
  const asked = mount('closing', CLOSING_MESSAGE);
  fireEvent.click(await screen.findByRole('button', { name: 'Send again' }, POLL));
  await waitFor(() => expect(screen.getByText('Popbox is closing; try again after it starts.')).toBeTruthy(), POLL);
  expect(asked).toEqual(['resendMessage']);
});

it('a "no" to main’s own question still says nothing', async () => {
  const asked = mount('cancelled', 'Not sent again.');
  const again = await screen.findByRole('button', { name: 'Send again' }, POLL);
  fireEvent.click(again);
  await waitFor(() => expect(asked).toEqual(['resendMessage']), POLL);
  await waitFor(() => expect((again as HTMLButtonElement).disabled).toBe(false), POLL);
  expect(screen.queryByText(/closing/)).toBeNull();
  expect(screen.queryByText('Not sent again.')).toBeNull();
});
