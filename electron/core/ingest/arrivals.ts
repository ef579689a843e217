/**
 * Which stored messages are arrivals the rules and the junk filter have not seen yet: an
 * account's downloaded messages (they have a UIDL) added to the journal after the state its
 * filtering last looked at. Not by download time: a clock stepped back (an RTC in local time, a VM
 * resumed) would leave mail downloaded before it passes the last time seen unfiltered for ever.
 *
 * Every check for mail asks, and most find nothing: the journal's changes since the previous look
 * are read, not every record (a 100,000-message store read 100,000 records to find none). Only
 * when the journal cannot say (no state noted yet, a file written by an older Popbox, or the
 * journal compacted past that state) are every record read and those downloaded after `mark` taken.
 */
import type { MessageRecord } from '../../../shared/changes.js';
import type { Journal } from '../store/journal.js';

export class ArrivalScan {
  /** Per account, the journal state up to which its looks have read. */
  private readonly at = new Map<string, number>();

  constructor(private readonly journal: Journal) {}

  /**
   * The account's arrivals since the journal state `from` (this process's previous look wins),
   * or, when the journal cannot answer from there, those downloaded after `mark` (ms). `state`:
   * the journal's state they were read at, for the next look (persisted by the caller).
   */
  after(accountId: string, mark: number, from?: number): { found: MessageRecord[]; state: number } {
    const mine = (m: MessageRecord | undefined): m is MessageRecord => m !== undefined && m.accountId === accountId && m.uidl !== '';
    const since = this.at.get(accountId) ?? from;
    const state = this.journal.state;
    this.at.set(accountId, state);
    const changes = since === undefined ? null : this.journal.changesSince(since);
    if (!changes || 'cannotCalculate' in changes) return { found: [...this.journal.all()].filter((m) => mine(m) && m.receivedAt > mark), state };
    const found = new Map<string, MessageRecord>();
    for (const c of changes.changes) {
      const m = c.t === 'add' ? this.journal.get(c.m.id) : undefined;
      if (mine(m)) found.set(m.id, m);
    }
    return { found: [...found.values()], state };
  }
}
