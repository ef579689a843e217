/**
 * Where Run now and the preview look: the Inboxes (where new mail lands), or every folder but
 * those a filter must not reach into (a queued message in the Outbox, a draft, mail in Trash).
 */
import { FILTERS_REACH_WORDS, INBOX, filtersReach } from '../../../../shared/folders.js';
import type { MessageStore } from '../../db/message-store.js';

export type Scope = 'inbox' | 'all';

export const SCOPE_WORDS: Record<Scope, string> = { inbox: 'the Inbox', all: FILTERS_REACH_WORDS };

export function inScope(folder: string, scope: Scope): boolean {
  if (scope === 'inbox') return folder === INBOX;
  return filtersReach(folder);
}

/** The stored messages in the scope, newest first (from the read model). */
export function scopeIds(store: MessageStore, scope: Scope): string[] {
  return store.viewIds(scope === 'inbox' ? { kind: 'unified' } : { kind: 'all' }, 'date').filter((id) => inScope(store.get(id)?.folder ?? '', scope));
}
