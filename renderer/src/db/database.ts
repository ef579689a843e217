/**
 * The read model (DESIGN §2): a cache of what main knows, filled only from the change feed and
 * always rebuildable. Booleans are stored as 0/1 because IndexedDB cannot index booleans.
 */
import Dexie, { type EntityTable } from 'dexie';
import type { PublicAccount, AccountStatus } from '../../../shared/contract.js';
import type { Address } from '../../../shared/messages.js';

export type Folder = 'inbox' | 'trash';

export interface MessageRow {
  id: string;
  accountId: string;
  folder: Folder;
  /** The Date header, or when it was downloaded (ms since epoch): what the list sorts by. */
  date: number;
  hasDate: 0 | 1;
  receivedAt: number;
  seen: 0 | 1;
  flagged: 0 | 1;
  partial: 0 | 1;
  hasAttachments: 0 | 1;
  size: number;
  subject: string;
  from: Address[];
  to: Address[];
  cc: Address[];
  snippet: string;
  messageId: string | null;
  /** Lower-case keys for sorting by sender and subject ("Re:" and "Fwd:" dropped). */
  fromKey: string;
  subjectKey: string;
}

/**
 * What search looks in, kept apart from the rows: small, so all of it loads into memory fast
 * and every keystroke is answered there.
 */
export interface SearchRow {
  id: string;
  /** Account id (account views sorted by sender or subject filter by it). */
  a: string;
  /** Lower-case sender name and address, subject and snippet. */
  t: string;
}

export interface MetaRow {
  key: string;
  value: unknown;
}

export type AccountRow = PublicAccount;
export type StatusRow = AccountStatus & { progress?: { phase: string; done: number; total: number; bytes: number; totalBytes: number } | null };

export class PopboxDb extends Dexie {
  messages!: EntityTable<MessageRow, 'id'>;
  search!: EntityTable<SearchRow, 'id'>;
  meta!: EntityTable<MetaRow, 'key'>;
  accounts!: EntityTable<AccountRow, 'id'>;
  status!: EntityTable<StatusRow, 'accountId'>;

  constructor(name = 'popbox', options?: ConstructorParameters<typeof Dexie>[1]) {
    super(name, options);
    // Every list index ends in id so that keys are unique and paging by key is exact. Each
    // index costs a write per row, so there are only the ones the views read.
    this.version(2)
      .stores({
        messages: 'id, [folder+date+id], [accountId+folder+date+id], [folder+fromKey+id], [folder+subjectKey+id], [folder+seen], [accountId+folder+seen]',
        search: 'id',
        meta: 'key',
        accounts: 'id',
        status: 'accountId',
      })
      // The cache is rebuilt from main rather than migrated.
      .upgrade(async (tx) => {
        await tx.table('messages').clear();
        await tx.table('meta').delete('cursor');
      });
  }
}
