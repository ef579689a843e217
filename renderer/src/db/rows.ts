/** From the change feed's records to read-model rows. */
import type { JunkedBy, MessageRecord, MessageFlags } from '../../../shared/changes.js';
import { isWithin, roleKey } from '../../../shared/folders.js';
import type { Address, MessageSummary } from '../../../shared/messages.js';
import type { MessageRow } from './database.js';
import { foldText } from './search.js';

const bit = (b: boolean): 0 | 1 => (b ? 1 : 0);

export function senderLabel(from: Address[]): string {
  const first = from[0];
  if (!first) return '(no sender)';
  return first.name || first.address || '(no sender)';
}

/** Folders of the user's own mail: there a row names whom it went to, not the user again. */
const OWN_MAIL = [roleKey('sent'), roleKey('drafts'), roleKey('outbox')];

export function isOwnMail(folder: string): boolean {
  return OWN_MAIL.some((k) => isWithin(folder, k));
}

/** The first recipient's name (or address), or null when there is none. */
export function firstRecipient(row: Pick<MessageRow, 'to' | 'cc'>): string | null {
  const first = row.to[0] ?? row.cc[0];
  return first ? first.name || first.address : null;
}

/**
 * What the list sorts "by name" on: the name the row shows. In Sent, Drafts and Outbox that is
 * the first recipient (the row says "To: Ann Lee"); sorting there by the sender, the user on
 * every row, left the list in no order a reader could see.
 */
export function nameKey(row: Pick<MessageRow, 'folder' | 'fromKey' | 'to' | 'cc'>): string {
  return isOwnMail(row.folder) ? (firstRecipient(row) ?? '').toLowerCase() : row.fromKey;
}

export function subjectKey(subject: string): string {
  return subject
    .replace(/^\s*((re|fwd?|aw|wg|sv|vs|tr|rif|enc)\s*(\[\d+\])?\s*:\s*)+/i, '')
    .trim()
    .toLowerCase();
}

export function summaryFields(s: MessageSummary, receivedAt: number) {
  const parsed = s.date ? Date.parse(s.date) : NaN;
  const date = Number.isFinite(parsed) ? parsed : receivedAt;
  const sender = senderLabel(s.from);
  return {
    date,
    hasDate: bit(Number.isFinite(parsed)),
    hasAttachments: bit(s.hasAttachments),
    size: s.size,
    subject: s.subject,
    from: s.from,
    to: s.to,
    cc: s.cc,
    snippet: s.snippet,
    messageId: s.messageId,
    fromKey: sender.toLowerCase(),
    subjectKey: subjectKey(s.subject),
  };
}

/** What search looks in: sender name and address, subject and snippet, lower case. */
export function searchText(row: Pick<MessageRow, 'from' | 'subject' | 'snippet'>): string {
  return foldText(`${senderLabel(row.from)} ${row.from.map((a) => a.address).join(' ')} ${row.subject} ${row.snippet}`);
}

export function flagFields(f: MessageFlags) {
  return { seen: bit(f.seen), flagged: bit(f.flagged) };
}

export function toRow(m: MessageRecord): MessageRow {
  const row: MessageRow = {
    id: m.id,
    accountId: m.accountId,
    folder: m.folder,
    receivedAt: m.receivedAt,
    partial: bit(m.partial),
    ...flagFields(m.flags),
    ...summaryFields(m.summary, m.receivedAt),
  };
  if (m.trashedFrom !== undefined) row.trashedFrom = m.trashedFrom;
  if (m.junkedBy !== undefined) row.junkedBy = m.junkedBy;
  return row;
}

/**
 * The row filed in another folder (a `move` change): `trashedFrom` only while in Trash,
 * `junkedBy` only while in Junk (each move says them anew, as main's journal reads it).
 */
export function movedRow(row: MessageRow, folder: string, trashedFrom: string | undefined, junkedBy?: JunkedBy): MessageRow {
  const { trashedFrom: _old, junkedBy: _by, ...rest } = row;
  return { ...rest, folder, ...(trashedFrom !== undefined ? { trashedFrom } : {}), ...(junkedBy !== undefined ? { junkedBy } : {}) };
}
