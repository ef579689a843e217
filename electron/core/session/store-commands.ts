/**
 * Commands on stored messages (flags, Trash, delete-for-good, the pending server deletions),
 * each a job on its account's session. Renames and ledger reads are quick work that may run
 * beside a sync; delete-for-good waits for its own turn (see account-session.ts).
 */
import type { AccountSettings } from '../../../shared/accounts.js';
import type { MessageFlags, MessageRecord } from '../../../shared/changes.js';
import type { PendingDeletion } from '../../../shared/contract.js';
import type { Journal } from '../store/journal.js';
import { deletionPreview, type DeletionPreview } from '../store/ledger.js';
import { deletionReason } from '../sync/plan.js';
import type { SessionManager } from './session-manager.js';

export interface StoreCommandsDeps {
  sessions: SessionManager;
  journal: Journal;
  /** A message's record, or a not-found failure. */
  record: (id: string) => MessageRecord;
  now: () => number;
}

export class StoreCommands {
  constructor(private readonly deps: StoreCommandsDeps) {}

  /**
   * Change flags of one message or many: per account one pass over the store (renames, one
   * fsync per folder) and one journal append, so marking 100,000 read is not 100,000 opens of
   * the mailbox. All ids are checked first; what was renamed before a failure is journaled.
   */
  async setFlags(idOrIds: string | readonly string[], flags: Partial<MessageFlags>): Promise<void> {
    const { sessions, journal } = this.deps;
    const ids = [...new Set(typeof idOrIds === 'string' ? [idOrIds] : idOrIds)];
    const byAccount = new Map<string, string[]>();
    for (const id of ids) {
      const m = this.deps.record(id);
      byAccount.set(m.accountId, [...(byAccount.get(m.accountId) ?? []), id]);
    }
    for (const [accountId, list] of byAccount) {
      // The change is merged with the flags on disk inside the pass: two quick commands on one
      // message (mark read, then Delete) each keep the other's flag.
      const applied: { id: string; flags: MessageFlags }[] = [];
      let failure: unknown = null;
      await sessions
        .for(accountId)
        .share((box) => box.maildir.setFlagsMany(list, flags, (c) => applied.push(c)))
        .catch((e: unknown) => (failure = e));
      await journal.append(applied.map((c) => ({ t: 'flags' as const, id: c.id, flags: c.flags })));
      if (failure) throw failure;
    }
  }

  /**
   * Delete messages here for good (what emptying Trash does). The server copy follows at the
   * next sync if the account says so. All ids are checked before anything is deleted.
   */
  async deleteForGood(ids: readonly string[], opts: { onlyIn?: string } = {}): Promise<void> {
    const { sessions, journal, now } = this.deps;
    const messages = [...new Set(ids)].map((id) => this.deps.record(id));
    const byAccount = new Map<string, MessageRecord[]>();
    for (const m of messages) byAccount.set(m.accountId, [...(byAccount.get(m.accountId) ?? []), m]);
    for (const [accountId, list] of byAccount) {
      const removed: string[] = [];
      let failure: unknown = null;
      // Its own turn, never beside a sync: the ledger commit would make the sync's staged
      // downloads durable before their directory is fsynced.
      await sessions
        .for(accountId)
        .run(async (box) => {
          // Emptying Trash waited for its turn: what was restored meanwhile is not in Trash now.
          const going = opts.onlyIn === undefined ? list : list.filter((m) => box.maildir.get(m.id)?.folder === opts.onlyIn);
          // Ledger first (one commit for the batch): should an unlink be lost in a crash,
          // reconcile finds the record anyway. Wherever it was filed, a downloaded message
          // deleted here counts as deleted here (copies, sent mail and drafts have no UIDL).
          for (const m of going) if (m.uidl) box.ledger.deletedLocally(m.uidl, now(), deletionPreview(m.summary));
          await box.ledger.commit();
          await box.maildir.removeMany(
            going.map((m) => m.id),
            { ...(opts.onlyIn !== undefined ? { onlyIn: opts.onlyIn } : {}), onRemoved: (id) => removed.push(id) },
          );
        })
        .catch((e: unknown) => (failure = e));
      await journal.append(removed.map((id) => ({ t: 'remove' as const, id })));
      if (failure) throw failure;
    }
  }

  /** The server deletions the next sync of these accounts will make, from each ledger and the settings. */
  async pending(accounts: AccountSettings[]): Promise<PendingDeletion[]> {
    const { sessions, journal, now } = this.deps;
    const out: PendingDeletion[] = [];
    for (const account of accounts) {
      await sessions.for(account.id).share(async (box) => {
        for (const entry of box.ledger.all()) {
          if (entry.serverDeletedAt !== undefined || entry.goneAt !== undefined) continue;
          const reason = deletionReason(entry, account, now());
          if (!reason) continue;
          // A message deleted here is gone from the journal: its ledger entry kept what to show.
          const shown = entry.preview ?? previewOf(journal.get(entry.id));
          out.push({ id: entry.id, accountId: account.id, uidl: entry.uidl, subject: shown.subject, from: shown.from, date: shown.date, reason });
        }
      });
    }
    return out;
  }
}

function previewOf(m: MessageRecord | undefined): DeletionPreview {
  return m ? deletionPreview(m.summary) : { subject: '', from: '', date: null };
}
