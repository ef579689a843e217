/**
 * Where Run now and the preview look: the Inboxes (where new mail lands), or every folder but
 * those a filter must not reach into (a queued message in the Outbox, a draft, mail in Trash).
 */
import { INBOX, isWithin } from '../../../../shared/folders.js';
import type { MessageStore } from '../../db/message-store.js';

export type Scope = 'inbox' | 'all';

export const SCOPE_WORDS: Record<Scope, string> = { inbox: 'the Inbox', all: 'all folders except Drafts, Outbox and Trash' };

export function inScope(folder: string, scope: Scope): boolean {
  if (scope === 'inbox') return folder === INBOX;
  return folder !== 'Drafts' && folder !== 'Outbox' && !isWithin(folder, 'Trash');
}

/** The stored messages in the scope, newest first (from the read model). */
export function scopeIds(store: MessageStore, scope: Scope): string[] {
  return store.viewIds(scope === 'inbox' ? { kind: 'unified' } : { kind: 'all' }, 'date').filter((id) => inScope(store.get(id)?.folder ?? '', scope));
}
