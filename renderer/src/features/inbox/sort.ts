/**
 * The list's orders. Date, sender and subject come sorted and cached from the message store;
 * size and flag are derived from the date order here, so they cost nothing until chosen: size
 * is sorted again only when the folder's membership changes (the date list is a new array then),
 * and "flagged first" is a linear pass that follows every flag change. Either direction of each.
 */
import type { MailboxView, MessageStore, SortKey } from '../../db/message-store.js';

export type ListSort = SortKey | 'size' | 'flag';

export const SORT_LABELS: Record<ListSort, string> = { date: 'Date', from: 'Sender', subject: 'Subject', size: 'Size', flag: 'Flag' };

/**
 * Whose name the rows show: the sender (received mail), the recipient (Sent, Drafts, Outbox), or
 * either, row by row (a search of every folder mixes Sent with the Inbox).
 */
export type ListPeople = 'senders' | 'recipients' | 'mixed';

/** The orders as the list names them: in Sent, Drafts and Outbox the rows (and the order) go by recipient. */
export function sortLabels(people: ListPeople | boolean): Record<ListSort, string> {
  const p = people === true ? 'recipients' : people === false ? 'senders' : people;
  return p === 'recipients' ? { ...SORT_LABELS, from: 'Recipient' } : p === 'mixed' ? { ...SORT_LABELS, from: 'From / To' } : SORT_LABELS;
}

/** How each order reads forwards and reversed, as the direction button says it. */
export const DIRECTION_LABELS: Record<ListSort, [string, string]> = {
  date: ['Newest first', 'Oldest first'],
  from: ['A to Z', 'Z to A'],
  subject: ['A to Z', 'Z to A'],
  size: ['Largest first', 'Smallest first'],
  flag: ['Flagged first', 'Flagged last'],
};

export function isListSort(v: unknown): v is ListSort {
  return typeof v === 'string' && v in SORT_LABELS;
}

const bySize = new WeakMap<string[], string[]>();
const byFlag = new WeakMap<string[], { version: number; ids: string[] }>();
const reversedOf = new WeakMap<string[], string[]>();

export function orderedIds(store: MessageStore, view: MailboxView, sort: ListSort, reversed: boolean): string[] {
  const ids = forwards(store, view, sort);
  if (!reversed) return ids;
  let r = reversedOf.get(ids);
  if (!r) reversedOf.set(ids, (r = ids.slice().reverse()));
  return r;
}

function forwards(store: MessageStore, view: MailboxView, sort: ListSort): string[] {
  if (sort !== 'size' && sort !== 'flag') return store.viewIds(view, sort);
  const dates = store.viewIds(view, 'date');
  if (sort === 'size') {
    let ids = bySize.get(dates);
    if (!ids) {
      const size = (id: string) => store.get(id)?.size ?? 0;
      // Largest first; equal sizes keep the date order (Array.prototype.sort is stable).
      ids = dates.slice().sort((a, b) => size(b) - size(a));
      bySize.set(dates, ids);
    }
    return ids;
  }
  const hit = byFlag.get(dates);
  if (hit && hit.version === store.version) return hit.ids;
  const flagged: string[] = [];
  const rest: string[] = [];
  for (const id of dates) (store.get(id)?.flagged ? flagged : rest).push(id);
  const ids = flagged.concat(rest);
  byFlag.set(dates, { version: store.version, ids });
  return ids;
}
