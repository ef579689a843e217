/**
 * Which of the server's messages the list shows, in which order: MailWasher's everyday filters
 * (what is not here yet, what looks like junk, what the next check deletes) and a sort by any
 * column, newest first by default (the server's own order).
 */
import type { ServerMessage } from '../../../../shared/server-view.js';

export type ServerFilter = 'all' | 'not-downloaded' | 'junk' | 'pending';
export type ServerSort = 'server' | 'from' | 'subject' | 'date' | 'size';

export const FILTER_LABELS: Record<ServerFilter, string> = {
  all: 'All',
  'not-downloaded': 'Not downloaded only',
  junk: 'Suspected junk only',
  pending: 'Will be deleted only',
};

export const suspected = (m: ServerMessage) => m.heldAsJunk || (m.junk !== null && m.junk.verdict !== 'ham');

const KEEP: Record<ServerFilter, (m: ServerMessage) => boolean> = {
  all: () => true,
  'not-downloaded': (m) => m.local === 'not-downloaded' || m.local === 'headers-only',
  junk: suspected,
  pending: (m) => m.pendingDeletion !== null,
};

const dateOf = (m: ServerMessage) => {
  const t = m.date ? Date.parse(m.date) : NaN;
  return Number.isNaN(t) ? -Infinity : t;
};

const collator = new Intl.Collator(undefined, { sensitivity: 'base', numeric: true });

/** Each sort's natural first direction: text A→Z, dates and sizes biggest/newest first. */
const COMPARE: Record<Exclude<ServerSort, 'server'>, (a: ServerMessage, b: ServerMessage) => number> = {
  from: (a, b) => collator.compare(a.from, b.from),
  subject: (a, b) => collator.compare(a.subject, b.subject),
  date: (a, b) => dateOf(b) - dateOf(a),
  size: (a, b) => b.size - a.size,
};

/** `messages` come newest first from main; a sort is stable, so ties keep the server's order. */
export function shownMessages(messages: readonly ServerMessage[], filter: ServerFilter, sort: ServerSort, reversed: boolean): ServerMessage[] {
  const kept = messages.filter(KEEP[filter]);
  if (sort === 'server') return reversed ? kept.reverse() : kept;
  const cmp = COMPARE[sort];
  return kept.sort(reversed ? (a, b) => cmp(b, a) : cmp);
}
