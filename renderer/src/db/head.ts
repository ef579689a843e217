/**
 * The head: the Unified Inbox's first rows, kept in localStorage so a new window can show them
 * before IndexedDB opens or React loads. A hint only: the pages in IndexedDB are the cache.
 * (No Dexie or React here: the start-up snapshot imports this.)
 */
import { formatListDate } from '../app/format.js';
import type { MessageRow } from './database.js';

/** The IndexedDB database of the app (tests use others). */
export const DEFAULT_DB_NAME = 'popbox';

/** Versioned: a head stored by an older build, in another shape, is never read. */
export const headStorageKey = (dbName: string) => `popbox:head:v4:${dbName}`;

const isRow = (r: unknown): r is MessageRow => {
  const o = r as Partial<MessageRow> | null;
  return (
    !!o &&
    typeof o.id === 'string' &&
    typeof o.accountId === 'string' &&
    typeof o.date === 'number' &&
    typeof o.subject === 'string' &&
    typeof o.snippet === 'string' &&
    Array.isArray(o.from) &&
    o.from.every((a) => !!a && typeof a === 'object') &&
    typeof o.folder === 'string'
  );
};

/** Rows that the list and the snapshot can show without tripping over a missing field. */
export function validHead(rows: unknown): rows is MessageRow[] {
  return Array.isArray(rows) && rows.length > 0 && rows.every(isRow);
}

export interface StoredHead {
  rows: MessageRow[];
  /** The rows' list dates as formatted when stored, if that was today (formatting the first dates of a window costs ~40 ms of ICU start-up). */
  dates: string[] | null;
}

export function readStoredHead(dbName: string): StoredHead | null {
  try {
    const text = globalThis.localStorage?.getItem(headStorageKey(dbName));
    const head = (text ? JSON.parse(text) : null) as { day?: unknown; rows?: unknown; dates?: unknown } | null;
    if (!head || !validHead(head.rows)) return null;
    const dates = head.day === new Date().toDateString() && Array.isArray(head.dates) && head.dates.length === head.rows.length ? (head.dates as string[]) : null;
    return { rows: head.rows, dates };
  } catch {
    return null;
  }
}

export function storeHead(dbName: string, rows: readonly MessageRow[] | null): void {
  try {
    if (rows) globalThis.localStorage?.setItem(headStorageKey(dbName), JSON.stringify({ day: new Date().toDateString(), rows, dates: rows.map((r) => formatListDate(r.date)) }));
    else globalThis.localStorage?.removeItem(headStorageKey(dbName));
  } catch {
    // Full or unavailable: the copy in IndexedDB serves.
  }
}
