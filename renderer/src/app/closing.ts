/**
 * Work refused because Popbox is closing (main's sessions take no new work then) comes back
 * `cancelled`, as a person's "no" to main's own question does. The "no" needs no words; the
 * refusal does, or a click just did nothing.
 */
import { CLOSING_MESSAGE } from '../../../shared/error-codes.js';
import { isApiError } from '../api/client.js';

export const CLOSING_TEXT = 'Popbox is closing; try again after it starts.';

export function refusedAtClose(e: unknown): boolean {
  return isApiError(e) && e.code === 'cancelled' && e.message === CLOSING_MESSAGE;
}
