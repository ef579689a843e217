/**
 * Which messages are in an account's Trash or Junk, for "Empty Trash / delete junk after N
 * days" (issue 18).
 *
 * Each purge walked every record of the journal to find the few in Trash or Junk: with 100,000
 * messages in the Inbox a purge read 100,000 records per folder. The first look reads them all
 * once (both folders, every account); later looks read only the journal's changes since the
 * previous look. Every change of a record's folder is an add, move, flags (lines from before
 * folders) or remove change, so re-reading the records those changes name keeps the sets the
 * same as a full walk would find. A journal compacted past the last look is walked again.
 */
import type { MessageRecord } from '../../../shared/changes.js';
import type { Journal } from '../store/journal.js';
import { JournalCursor, changedMessage } from '../store/journal-cursor.js';

export class PurgeScan {
  /** Ids filed in each watched folder, by `accountId` + "\n" + folder. */
  private readonly ids = new Map<string, Set<string>>();
  private readonly cursor: JournalCursor;

  constructor(
    private readonly journal: Journal,
    private readonly folders: readonly string[],
  ) {
    this.cursor = new JournalCursor(journal);
  }

  /** The account's records filed in `folder` (one of the watched folders) now. */
  inFolder(accountId: string, folder: string): MessageRecord[] {
    this.catchUp();
    const out: MessageRecord[] = [];
    for (const id of this.ids.get(`${accountId}\n${folder}`) ?? []) {
      const m = this.journal.get(id);
      // Sets are exact after catchUp; the check only guards against a caller's mistake.
      if (m && m.accountId === accountId && m.folder === folder) out.push(m);
    }
    return out;
  }

  private catchUp(): void {
    const changes = this.cursor.next();
    if (changes) {
      for (const c of changes) {
        const id = changedMessage(c);
        if (id !== undefined) this.place(id);
      }
      return;
    }
    this.ids.clear();
    for (const m of this.journal.all()) if (this.folders.includes(m.folder)) this.set(m).add(m.id);
  }

  /** Put an id where its record is now (or nowhere: removed, or in a folder not watched). */
  private place(id: string): void {
    for (const set of this.ids.values()) set.delete(id);
    const m = this.journal.get(id);
    if (m && this.folders.includes(m.folder)) this.set(m).add(id);
  }

  private set(m: MessageRecord): Set<string> {
    const key = `${m.accountId}\n${m.folder}`;
    let set = this.ids.get(key);
    if (!set) this.ids.set(key, (set = new Set()));
    return set;
  }
}
