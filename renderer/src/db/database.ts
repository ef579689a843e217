/**
 * The read model (DESIGN §2): a cache of what main knows, filled only from the change feed and
 * always rebuildable. Flags are 0/1 (a leftover of the indexed design; rows are stored as JSON
 * pages now and the views compare them as numbers).
 */
import Dexie, { type EntityTable } from 'dexie';
import type { JunkedBy } from '../../../shared/changes.js';
import type { PublicAccount, AccountStatus } from '../../../shared/contract.js';
import type { FolderInfo } from '../../../shared/folders.js';
import type { Address } from '../../../shared/messages.js';
import { DEFAULT_DB_NAME } from './head.js';

export interface MessageRow {
  id: string;
  accountId: string;
  /** The key of the folder it is filed in ("INBOX", "Archive.2026", "Work.Projects"). */
  folder: string;
  /** In Trash: the folder it came from (where Restore puts it back). */
  trashedFrom?: string;
  /** In Junk: who put it there (the filter, a rule, the person), when main recorded it. */
  junkedBy?: JunkedBy;
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

/** Up to PAGE_ROWS message rows in one record (see message-store.ts for why). */
export interface Page {
  n: number;
  rows: MessageRow[];
}

/**
 * A page as stored: its rows as one JSON string, which IndexedDB copies in one piece (a
 * structured clone of 500 rows walks ~3,000 objects each way; JSON is several times faster).
 */
export interface PageRow {
  n: number;
  json: string;
}

/** One account's folder tree, as the last snapshot or `folders` change gave it. */
export interface FolderTreeRow {
  accountId: string;
  folders: FolderInfo[];
}

export interface MetaRow {
  key: string;
  value: unknown;
}

/** An account with its place in the user's order (accounts.json's order; Dexie keys rows by id). */
export type AccountRow = PublicAccount & { position?: number };

/** Accounts in the user's order, for every list that shows them. */
export function inAccountOrder(rows: AccountRow[]): AccountRow[] {
  return rows.sort((a, b) => (a.position ?? 0) - (b.position ?? 0));
}
export type StatusRow = AccountStatus & { progress?: { phase: string; done: number; total: number; bytes: number; totalBytes: number } | null };

export class PopboxDb extends Dexie {
  pages!: EntityTable<PageRow, 'n'>;
  meta!: EntityTable<MetaRow, 'key'>;
  folders!: EntityTable<FolderTreeRow, 'accountId'>;
  accounts!: EntityTable<AccountRow, 'id'>;
  status!: EntityTable<StatusRow, 'accountId'>;

  constructor(name = DEFAULT_DB_NAME, options?: ConstructorParameters<typeof Dexie>[1]) {
    super(name, options);
    // Version 2 kept one record per message with six list indexes; version 3 keeps pages;
    // version 4 files rows in folders by key (3 had 'inbox' | 'trash') and keeps the folder
    // trees. The cache is rebuilt from main rather than migrated.
    this.version(4)
      .stores({
        messages: null,
        search: null,
        pages: 'n',
        meta: 'key',
        folders: 'accountId',
        accounts: 'id',
        status: 'accountId',
      })
      .upgrade(async (tx) => {
        await tx.table('meta').delete('cursor');
        await tx.table('meta').delete('head');
        await tx.table('pages').clear();
      });
  }
}
