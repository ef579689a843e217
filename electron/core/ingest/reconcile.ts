import type { MessageFlags } from '../../../shared/changes.js';
import type { Journal } from '../store/journal.js';
import type { AccountMailbox } from '../store/mailbox.js';
import { roleKey } from '../../../shared/folders.js';
import { journalTree } from '../folders/tree.js';
import { recordFor } from './record.js';
import type { SummaryQueue } from './summary-queue.js';

/**
 * Make the journal agree with the Maildir and the ledger after a crash or a change by
 * another tool: a file without a journal record is parsed and added; a record without a
 * file is removed; a ledger entry whose file was deleted by another tool counts as deleted here.
 */
export async function reconcile(box: AccountMailbox, journal: Journal, summaries: SummaryQueue, now: () => number): Promise<void> {
  const removals: { t: 'remove'; id: string }[] = [];
  for (const m of journal.all()) {
    if (m.accountId === box.accountId && !box.maildir.has(m.id)) removals.push({ t: 'remove', id: m.id });
  }
  await journal.append(removals);
  for (const entry of box.ledger.all()) {
    if (entry.deletedLocallyAt === undefined && entry.serverDeletedAt === undefined && entry.goneAt === undefined && !box.maildir.has(entry.id)) {
      box.ledger.deletedLocally(entry.uidl, now());
    }
  }
  await box.ledger.commit();
  // Flags live in the file names and folders are directories; a kill between a batch of
  // renames and its journal append (or a change by another tool) leaves records that
  // disagree: the file wins.
  await journalTree(journal, box);
  const fixes: ({ t: 'flags'; id: string; flags: MessageFlags } | { t: 'move'; id: string; folder: string; trashedFrom?: string; trashedAt?: number })[] = [];
  for (const file of box.maildir.all()) {
    const m = journal.get(file.id);
    if (m && (m.flags.seen !== file.flags.seen || m.flags.flagged !== file.flags.flagged)) {
      fixes.push({ t: 'flags', id: file.id, flags: { seen: file.flags.seen, flagged: file.flags.flagged } });
    }
    // A move to Trash cut short before its journal line still remembers where Restore goes.
    // Into Trash or Junk (a kill, or another tool): dated now, so "empty Trash / delete junk
    // after N days" counts from the move, not from the download.
    if (m && m.folder !== file.folder) fixes.push({ t: 'move', id: file.id, folder: file.folder, ...filedAt(m.folder, file.folder, now) });
  }
  await journal.append(fixes);
  for (const file of box.maildir.all()) {
    if (journal.get(file.id)) continue;
    // A file the ledger does not know (the ledger was lost) is still mail: show it. The next
    // sync that sees its UIDL on the server records it again under the same name.
    const entry = box.ledger.getById(file.id);
    void summaries.add(recordFor(box, { id: file.id, uidl: entry?.uidl ?? '', path: box.maildir.pathOf(file.id)!, partial: entry?.partial ?? false }, now()));
  }
  await summaries.drain();
}

const TRASH = roleKey('trash');
const JUNK = roleKey('junk');

/** What a move found on disk journals besides the folder: when it went into Trash or Junk. */
function filedAt(from: string, to: string, now: () => number): { trashedFrom?: string; trashedAt?: number } {
  if (to === TRASH) return { trashedFrom: from, trashedAt: now() };
  if (to === JUNK) return { trashedAt: now() };
  return {};
}
