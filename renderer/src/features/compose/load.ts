/** What a compose screen opens: a new message, a reply or forward of a stored message, or a stored draft. */
import type { ComposeMode, Draft } from '../../../../shared/compose.js';
import { call, type PopboxApi } from '../../api/client.js';

export type ComposeRequest = { mode: ComposeMode; id?: string; accountId?: string } | { mode: 'draft'; id: string };

const MODES = new Set(['new', 'reply', 'replyAll', 'forward', 'forwardAsAttachment', 'draft']);

export function loadDraft(api: PopboxApi, req: ComposeRequest): Promise<Draft> {
  if (req.mode === 'draft') return call(api, 'openDraft', { id: req.id });
  return call(api, 'composeFrom', { mode: req.mode, ...(req.id ? { id: req.id } : {}), ...(req.accountId ? { accountId: req.accountId } : {}) });
}

/** The compose window's address: `#compose?mode=reply&id=…` on the app's own page. */
export function composeHash(req: ComposeRequest): string {
  const q = new URLSearchParams({ mode: req.mode });
  if (req.id) q.set('id', req.id);
  if ('accountId' in req && req.accountId) q.set('accountId', req.accountId);
  return `#compose?${q.toString()}`;
}

export function parseComposeHash(hash: string): ComposeRequest | null {
  const m = /^#compose(?:\?(.*))?$/.exec(hash);
  if (!m) return null;
  const q = new URLSearchParams(m[1] ?? '');
  const mode = q.get('mode') ?? 'new';
  const id = q.get('id') ?? undefined;
  const accountId = q.get('accountId') ?? undefined;
  if (!MODES.has(mode)) return null;
  if (mode === 'draft') return id ? { mode, id } : null;
  if (mode !== 'new' && !id) return null;
  return { mode: mode as ComposeMode, ...(id ? { id } : {}), ...(accountId ? { accountId } : {}) };
}
