/**
 * Follows the journal from one look to the next, for the views kept beside it (which arrivals the
 * rules have not seen, what is in Trash and Junk): the first look, and any look after the journal
 * was compacted past the previous one, reads every record; the others read only the changes since
 * the previous look. A view that re-reads the records those changes name then answers what
 * reading every record would (issue 18: a check or a purge no longer costs time in proportion to
 * the whole store).
 */
import type { Change } from '../../../shared/changes.js';
import type { Journal } from './journal.js';

export class JournalCursor {
  /** The journal state up to which every change was handed out; undefined before the first look. */
  private at: number | undefined;

  constructor(private readonly journal: Journal) {}

  /**
   * The changes since the previous look, in order, or null when the caller must read every record
   * (`journal.all()`): the first look, or a journal compacted past the previous one. Either way
   * the cursor moves to the journal's state now. Read what you need before awaiting anything: the
   * changes and the records are then of the same moment, and no append falls between them and the
   * state noted.
   */
  next(): readonly Change[] | null {
    const from = this.at;
    this.at = this.journal.state;
    if (from === undefined) return null;
    const since = this.journal.changesSince(from);
    return 'cannotCalculate' in since ? null : since.changes;
  }
}

/** The message a change is about; none for a change of an account's folder tree. */
export function changedMessage(c: Change): string | undefined {
  return c.t === 'add' ? c.m.id : c.t === 'folders' ? undefined : c.id;
}
