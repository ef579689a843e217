/** Which field a refusal from main is about, so its words can be shown next to that field. */
import { addressOf } from './addresses.js';
import type { ComposeState } from './model.js';

export type ComposeField = 'from' | 'to' | 'cc' | 'bcc' | 'subject' | 'attachments' | 'general';

export function fieldOfError(message: string, s: Pick<ComposeState, 'to' | 'cc' | 'bcc'>): ComposeField {
  const lower = message.toLowerCase();
  for (const field of ['to', 'cc', 'bcc'] as const) {
    if (s[field].some((e) => addressOf(e) && lower.includes(addressOf(e).toLowerCase()))) return field;
  }
  // The contract's own checks name the field ("send: cc.2: …", "subject: must be …").
  const named = /(?:^|[\s:])(to|cc|bcc|subject|attachments|storedAttachments|identityId)(?:[.\s:[]|$)/i.exec(message);
  if (named) {
    const f = named[1]!.toLowerCase();
    if (f === 'storedattachments') return 'attachments';
    if (f === 'identityid') return 'from';
    return f as ComposeField;
  }
  if (/attachment/.test(lower)) return 'attachments';
  if (/recipient/.test(lower)) return 'to';
  if (/identity|outgoing server|send as/.test(lower)) return 'from';
  return 'general';
}
