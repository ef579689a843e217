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

export class ArrivalScan {
  /** Per account, the journal state up to which every record was looked at. */
  private readonly seen = new Map<string, number>();

  constructor(private readonly journal: Journal) {}

  /** The account's downloaded messages stored after `mark` (ms, by download time). */
  after(accountId: string, mark: number): MessageRecord[] {
    const arrived = (m: MessageRecord): boolean => m.accountId === accountId && m.uidl !== '' && m.receivedAt > mark;
    const from = this.seen.get(accountId);
    // Synchronous from here on: no append can fall between what is read and the state noted.
    this.seen.set(accountId, this.journal.state);
    if (from !== undefined) {
      const since = this.journal.changesSince(from);
      // A journal compacted past that state (or any doubt): everything is read again.
      if (!('cannotCalculate' in since)) {
        const found = new Map<string, MessageRecord>();
        for (const c of since.changes) {
          if (c.t !== 'add') continue;
          const m = this.journal.get(c.m.id);
          if (m && arrived(m)) found.set(m.id, m);
        }
        return [...found.values()];
      }
    }
    return [...this.journal.all()].filter(arrived);
  }
}
