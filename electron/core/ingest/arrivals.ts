/**
 * Which stored messages are arrivals the rules and the junk filter have not seen yet: an
 * account's downloaded messages (they have a UIDL) stored after its "filtered up to" mark.
 *
 * Every check for mail asks, and most find nothing: reading every record of the journal each
 * time cost an empty check time in proportion to the whole store (a 100,000-message store read
 * 100,000 records to find none). The first look at an account reads them all (arrivals left by a
 * kill are found there); later looks read only the journal's changes since the previous one. The
 * answer is the same: a record stored before that look and after the mark would have been one of
 * its arrivals, and the mark never goes back.
 */
import type { MessageRecord } from '../../../shared/changes.js';
import type { Journal } from '../store/journal.js';
import { JournalCursor } from '../store/journal-cursor.js';

export class ArrivalScan {
  /** Per account, where its looks have read the journal up to. */
  private readonly cursors = new Map<string, JournalCursor>();

  constructor(private readonly journal: Journal) {}

  /** The account's downloaded messages stored after `mark` (ms, by download time). */
  after(accountId: string, mark: number): MessageRecord[] {
    const arrived = (m: MessageRecord): boolean => m.accountId === accountId && m.uidl !== '' && m.receivedAt > mark;
    let cursor = this.cursors.get(accountId);
    if (!cursor) this.cursors.set(accountId, (cursor = new JournalCursor(this.journal)));
    const changes = cursor.next();
    if (!changes) return [...this.journal.all()].filter(arrived);
    const found = new Map<string, MessageRecord>();
    for (const c of changes) {
      if (c.t !== 'add') continue;
      const m = this.journal.get(c.m.id);
      if (m && arrived(m)) found.set(m.id, m);
    }
    return [...found.values()];
  }
}
