/**
 * Choosing another identity in From swaps the signature in the text: "-- " on its own line, then
 * the signature (RFC 3676 §4.3), as main writes it when a message starts.
 */
import type { PublicAccount } from '../../../../shared/contract.js';

type Identity = PublicAccount['identities'][number];

/** The identity a draft writes as: the one named, else the account's default, else its first. */
export function identityOf(account: PublicAccount | undefined, id: string | null): Identity | undefined {
  const list = account?.identities ?? [];
  return list.find((i) => i.id === id) ?? list.find((i) => i.default) ?? list[0];
}

function block(signature: string | undefined): string {
  const sig = signature?.replace(/\r\n?/g, '\n').replace(/\s+$/, '');
  return sig ? `-- \n${sig}` : '';
}

/** The text with the old identity's signature replaced by the new one's (added above a quote, or at the end, when there was none). */
export function swapSignature(text: string, oldSignature: string | undefined, newSignature: string | undefined): string {
  const before = block(oldSignature);
  const after = block(newSignature);
  if (before === after) return text;
  if (before && text.includes(before)) {
    if (after) return text.replace(before, after);
    // No signature now: the block and the blank line before it go.
    return text.replace(new RegExp(`\\n*${before.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`), '');
  }
  if (!after) return text;
  const quote = /\n(On .+ wrote:\n|-{5,}\s*(Forwarded|Original) message)/.exec(text);
  if (quote) return `${text.slice(0, quote.index).replace(/\n+$/, '')}\n\n${after}\n${text.slice(quote.index)}`;
  return `${text.replace(/\n+$/, '')}\n\n${after}\n`;
}
