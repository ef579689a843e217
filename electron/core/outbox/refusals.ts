/**
 * Recipients refused while the server took the message for others, in the words a user reads
 * in the Outbox: "Sent, but not to x@y: unknown recipient (the server said 550 …)". The server's
 * reply is kept as it came (sanitized by smtp/errors.ts); the plain words are a best reading of
 * the reply code and text, and never replace them.
 */
import type { RecipientRefusal } from '../smtp/index.js';
import type { Refusal } from './state.js';

/** Plain words for a refusal, from its reply code, enhanced status code and text. */
export function refusalWords(r: { responseCode?: number; serverText?: string }): string {
  const text = r.serverText ?? '';
  const temporary = r.responseCode !== undefined && r.responseCode >= 400 && r.responseCode < 500;
  if (temporary) return 'refused for now, tried again later';
  if (/\b5\.1\.[1-3]\b|user unknown|unknown user|no such (user|mailbox|recipient)|does not exist|unknown recipient|invalid recipient|recipient address rejected: user/i.test(text)) return 'unknown recipient';
  if (/\b5\.7\.1\b.*relay|relay(ing)? (access )?denied|not permitted to relay|relay not permitted/i.test(text)) return 'relay denied';
  if (/\b5\.2\.2\b|mailbox (is )?full|quota/i.test(text)) return 'mailbox full';
  if (/\b5\.[23]\.[34]\b|too (big|large)/i.test(text)) return 'message too big for this recipient';
  return 'refused by the server';
}

export function refusalOf(r: RecipientRefusal): Refusal {
  const permanent = r.code !== 'sys-temp';
  const said = r.responseCode !== undefined || r.serverText ? ` (the server said ${[r.responseCode, r.serverText].filter((x) => x !== undefined && x !== '').join(' ')})` : '';
  return {
    address: r.address,
    permanent,
    message: `not to ${r.address}: ${refusalWords(r)}${said}`,
    ...(r.responseCode !== undefined ? { responseCode: r.responseCode } : {}),
    ...(r.serverText !== undefined ? { serverText: r.serverText } : {}),
  };
}

/** "Sent to a@x; not to b@y: unknown recipient (…); not yet to c@z: refused for now, tried again later (…)". */
export function refusalsMessage(sentTo: readonly string[], refused: readonly Refusal[]): string {
  const forGood = refused.filter((r) => r.permanent);
  const forNow = refused.filter((r) => !r.permanent);
  const parts: string[] = [];
  if (forGood.length) parts.push(`Sent, but ${forGood.map((r) => r.message).join('; ')}`);
  else if (sentTo.length) parts.push(`Sent to ${sentTo.join(', ')}`);
  for (const r of forNow) parts.push(r.message.replace(/^not to /, 'not yet to '));
  return parts.join('; ');
}
