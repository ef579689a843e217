/**
 * What a message row says, shared by the React list and the start-up snapshot (which must not
 * import React): the visible parts and the accessible name.
 */
import { formatListDate } from '../../app/format.js';
import type { MessageRow } from '../../db/database.js';
import { firstRecipient, isOwnMail, senderLabel } from '../../db/rows.js';

export const ROW_HEIGHT = 68;

export interface RowText {
  sender: string;
  subject: string;
  date: string;
  snippet: string;
  /** The row's accessible name: sender, subject, date and its marks. */
  label: string;
}

/**
 * "To: Ann Lee", "To: Ann Lee +2": in Sent every row said the user's own name (as Thunderbird and
 * Apple Mail, whose Sent lists show the recipients, never do).
 */
function recipientsLabel(row: MessageRow): string {
  const first = firstRecipient(row);
  if (first === null) return 'To: (no recipients)';
  const count = row.to.length + row.cc.length;
  return `To: ${first}${count > 1 ? ` +${count - 1}` : ''}`;
}

/**
 * `date`: the list date if already formatted. `flagged` and `unread`: a conversation's row is
 * flagged or unread when any of its messages is, though the row it shows (its newest) may not be.
 */
export function rowText(row: MessageRow, date = formatListDate(row.date), flagged = row.flagged === 1, unread = !row.seen): RowText {
  const sender = isOwnMail(row.folder) ? recipientsLabel(row) : senderLabel(row.from);
  const subject = row.subject || '(no subject)';
  const label = `${sender}, ${subject}, ${date}${unread ? ', unread' : ''}${flagged ? ', flagged' : ''}${row.hasAttachments ? ', has attachments' : ''}`;
  const snippet = row.partial ? '(headers only — open to download the rest)' : row.snippet;
  return { sender, subject, date, snippet, label };
}

/**
 * The row's two marks as SVG paths (24×24), not emoji: a paperclip needs an emoji font, which
 * many Linux desktops lack (it showed as a box), and looking one up slowed the first paint.
 */
export const ICON_PATHS = {
  attach: 'M16.5 6.5v10a4.5 4.5 0 0 1-9 0V5a3 3 0 0 1 6 0v10.5a1.5 1.5 0 0 1-3 0V6.5',
  flag: 'M12 2.5l2.9 6.1 6.6.8-4.9 4.6 1.3 6.6L12 17.3l-5.9 3.3 1.3-6.6-4.9-4.6 6.6-.8z',
} as const;
