/**
 * The thread index kept beside the journal. Threads are derived data (DESIGN §2): nothing of
 * them is written to disk, so a kill at any moment cannot leave them disagreeing with the mail.
 * They are built from the journal's records (their summaries already hold Message-ID,
 * In-Reply-To and References) the first time someone asks, then follow the journal change by
 * change, the way the renderer's read model does: whatever ingest, a move, a delete or a
 * reconcile after a crash journals reaches them. A journal compacted past the index's cursor
 * (or any doubt) rebuilds them from the records.
 */
import type { MessageRecord } from '../../../shared/changes.js';
import { oneCopyEach, thrownAwayFolder, type CopyViewpoint } from '../../../shared/thread-copies.js';
import type { Journal } from '../store/journal.js';
import { ThreadIndex, type ThreadMessage } from './thread-index.js';

export function threadMessage(m: MessageRecord): ThreadMessage {
  const parsed = m.summary.date ? Date.parse(m.summary.date) : NaN;
  return {
    id: m.id,
    accountId: m.accountId,
    messageId: m.summary.messageId,
    inReplyTo: m.summary.inReplyTo,
    references: m.summary.references,
    subject: m.summary.subject,
    date: Number.isFinite(parsed) ? parsed : m.receivedAt,
  };
}

/**
 * A thread's records with each message once (shared/thread-copies.ts): Alice's Sent copy and
 * Bob's Inbox copy of one message count as one, answered by the copy at `from` (else of its
 * account, else the first kept one). The index itself keeps every copy: each is a file a person
 * can move or delete, and the grouping must not depend on which copy arrived first.
 */
export function oneRecordEach(records: readonly MessageRecord[], from: CopyViewpoint | null): MessageRecord[] {
  return oneCopyEach(
    records,
    (m) => ({ id: m.id, accountId: m.accountId, folder: m.folder, messageId: m.summary.messageId }),
    from,
    (m) => thrownAwayFolder(m.folder),
  );
}

export class JournalThreads {
  private index: ThreadIndex | null = null;
  /** The journal state the index reflects. */
  private state = 0;
  private readonly off: () => void;

  /** `onChanged`: the index's new version, after a journal change moved a thread (only once built). */
  constructor(
    private readonly journal: Journal,
    private readonly onChanged: (version: number) => void = () => {},
  ) {
    this.off = journal.onChange(() => {
      if (!this.index) return;
      const before = this.index.version;
      const epoch = this.index.epoch;
      const index = this.current();
      if (index.epoch !== epoch || index.version !== before) this.onChanged(index.version);
    });
  }

  close(): void {
    this.off();
  }

  /** The index, brought up to the journal's state (built on first use). */
  current(): ThreadIndex {
    if (!this.index) return this.rebuild();
    if (this.state === this.journal.state) return this.index;
    const result = this.journal.changesSince(this.state);
    if ('cannotCalculate' in result) return this.rebuild();
    const touched = new Set<string>();
    for (const c of result.changes) if (c.t === 'add' || c.t === 'partial' || c.t === 'remove') touched.add(c.t === 'add' ? c.m.id : c.id);
    // Removals first and together: each thread they leave is regrouped once per batch.
    const present: MessageRecord[] = [];
    const gone: string[] = [];
    for (const id of touched) {
      const m = this.journal.get(id);
      if (m) present.push(m);
      else gone.push(id);
    }
    this.index.removeMany(gone);
    for (const m of present) this.index.add(threadMessage(m));
    this.state = result.state;
    return this.index;
  }

  /** From the journal's records alone. */
  rebuild(): ThreadIndex {
    const index = new ThreadIndex();
    for (const m of this.journal.all()) index.add(threadMessage(m));
    this.index = index;
    this.state = this.journal.state;
    return index;
  }
}
