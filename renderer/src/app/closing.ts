/**
 * Work refused because Popbox is closing (main's sessions take no new work then) comes back with
 * the code `closing` (shared/error-codes.ts refusedAtClose), never as a person's "no"
 * (`cancelled`, which needs no words). The refusal does need words, or a click just did nothing.
 */
export const CLOSING_TEXT = 'Popbox is closing; try again after it starts.';
