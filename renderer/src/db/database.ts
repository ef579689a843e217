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
  /** Lower-case sender, subject and snippet: what search looks in. */
  text: string;
}

export interface MetaRow {
  key: string;
  value: unknown;
}

export type AccountRow = PublicAccount;
export type StatusRow = AccountStatus & { progress?: { phase: string; done: number; total: number; bytes: number; totalBytes: number } | null };

export class PopboxDb extends Dexie {
  messages!: EntityTable<MessageRow, 'id'>;
  meta!: EntityTable<MetaRow, 'key'>;
  accounts!: EntityTable<AccountRow, 'id'>;
  status!: EntityTable<StatusRow, 'accountId'>;

  constructor(name = 'popbox', options?: ConstructorParameters<typeof Dexie>[1]) {
    super(name, options);
    this.version(1).stores({
      // Every list index ends in id so that keys are unique and paging by key is exact.
      messages:
        'id, accountId, [folder+date+id], [accountId+folder+date+id], [folder+fromKey+id], [folder+subjectKey+id], [accountId+folder+fromKey+id], [accountId+folder+subjectKey+id], [folder+seen], [accountId+folder+seen]',
      meta: 'key',
      accounts: 'id',
      status: 'accountId',
    });
  }
}
