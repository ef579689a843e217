/** The text of new-mail notifications: one message by sender and subject, many as a summary. */
import type { MessageRecord } from '../../shared/changes.js';
import { INBOX } from '../../shared/folders.js';

export interface MailNotification {
  title: string;
  body: string;
  /** The message to open on click (one message), or null (open the inbox). */
  openId: string | null;
}

const MAX_BODY = 180;

function sender(m: MessageRecord): string {
  const f = m.summary.from[0];
  return f?.name || f?.address || 'Unknown sender';
}

function clip(s: string, n = MAX_BODY): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}

/**
 * Linux notification daemons may render a body as markup (`<b>`, `<a href>`, `<img src>`); a
 * subject is the sender's text, so it goes as text.
 */
export function escapeMarkup(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** Null when nothing new should be announced (e.g. only messages already read). */
export function newMailNotification(arrived: readonly MessageRecord[], opts: { markup?: boolean } = {}): MailNotification | null {
  const note = plainNotification(arrived);
  if (!note || !opts.markup) return note;
  return { ...note, title: escapeMarkup(note.title), body: escapeMarkup(note.body) };
}

function plainNotification(arrived: readonly MessageRecord[]): MailNotification | null {
  const unread = arrived.filter((m) => !m.flags.seen && m.folder === INBOX);
  if (unread.length === 0) return null;
  if (unread.length === 1) {
    const m = unread[0]!;
    return { title: clip(sender(m), 80), body: clip(m.summary.subject || '(no subject)'), openId: m.id };
  }
  const senders = [...new Set(unread.map(sender))];
  const shown = senders.slice(0, 3).join(', ') + (senders.length > 3 ? ` and ${senders.length - 3} more` : '');
  return { title: `${unread.length} new messages`, body: clip(`From ${shown}`), openId: null };
}

/** The badge / tray count text: empty at zero, capped so it fits. */
export function badgeText(unread: number): string {
  if (unread <= 0) return '';
  return unread > 999 ? '999+' : String(unread);
}
