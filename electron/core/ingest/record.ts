/** The journal record of a stored message, before its summary is parsed. */
import type { MessageFlags, MessageRecord } from '../../../shared/changes.js';
import { INBOX } from '../../../shared/folders.js';
import type { AccountMailbox } from '../store/mailbox.js';

const NO_FLAGS: MessageFlags = { seen: false, flagged: false };

export interface StoredFileRef {
  id: string;
  uidl: string;
  path: string;
  partial: boolean;
}

export function recordFor(box: AccountMailbox, e: StoredFileRef, now: number): { path: string; base: Omit<MessageRecord, 'summary'> } {
  const entry = box.ledger.get(e.uidl);
  const file = box.maildir.get(e.id);
  return {
    path: e.path,
    base: {
      id: e.id,
      accountId: box.accountId,
      uidl: e.uidl,
      receivedAt: entry?.downloadedAt ?? now,
      partial: e.partial,
      ...(e.partial && entry ? { serverSize: entry.size } : {}),
      flags: file ? { seen: file.flags.seen, flagged: file.flags.flagged } : NO_FLAGS,
      folder: file?.folder ?? INBOX,
    },
  };
}
