/** What stops or questions a Send before it goes to main: no recipient, a mistyped address, size, "attached" with nothing attached. */
import { addressOf, isValidEntry } from './addresses.js';
import { attachmentWord } from './attached-words.js';
import { checkSize, type SizeCheck } from './limits.js';
import { attachmentBytes, type ComposeState } from './model.js';

export interface SendProblems {
  /** Words next to a field; any of these stops the Send. */
  fields: Partial<Record<'to' | 'cc' | 'bcc', string>>;
  size: SizeCheck | null;
  /** The word that promises an attachment when nothing is attached (asks "Send anyway?"). */
  missingAttachment: string | null;
}

const utf8 = new TextEncoder();

export function sendProblems(s: ComposeState): SendProblems {
  const fields: SendProblems['fields'] = {};
  for (const f of ['to', 'cc', 'bcc'] as const) {
    const bad = s[f].filter((e) => !isValidEntry(e));
    if (bad.length) fields[f] = `Not a valid address: ${bad.map(addressOf).join(', ')}. Correct it (double-click it) or remove it.`;
  }
  if (!s.to.length && !s.cc.length && !s.bcc.length) fields.to = 'Add at least one recipient.';
  const textBytes = utf8.encode(s.text).length + (s.html ? utf8.encode(s.html).length : 0);
  const attached = s.stored.length + s.files.length > 0;
  return { fields, size: checkSize(textBytes, attachmentBytes(s), s.sizeLimit), missingAttachment: attached ? null : attachmentWord(s.text, s.subject) };
}

export function blocksSend(p: SendProblems): boolean {
  return Object.keys(p.fields).length > 0 || !!p.size?.blocking;
}
