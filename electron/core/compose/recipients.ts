/**
 * Who a reply goes to and who writes it: Reply-To over From, Reply all with the user's own
 * addresses taken out and duplicates merged (by address, any case, keeping a display name),
 * a reply to one's own sent message going to its recipients, and the identity the original was
 * addressed to. Pure: the caller reads the original's headers and the accounts.
 */
import type { AccountSettings, Identity } from '../../../shared/accounts.js';
import type { Address } from '../../../shared/messages.js';

export interface OriginalHeaders {
  from: readonly Address[];
  to: readonly Address[];
  cc: readonly Address[];
  replyTo: readonly Address[];
  /** Delivered-To / X-Original-To: where the mail server put it (a Bcc to the user shows only here). */
  deliveredTo: readonly Address[];
}

// Every address the user writes as: one rule with the renderer's outsider split (shared/).
export { ownAddresses } from '../../../shared/own-addresses.js';

/** "Ann Example <ann@example.org>", quoting a name with specials ("Doe, John"). */
export function formatAddress(a: Address): string {
  const name = a.name.replace(/[\r\n]+/g, ' ').trim();
  if (!a.address) return name;
  if (!name || name.toLowerCase() === a.address.toLowerCase()) return a.address;
  // RFC 5322 atext plus spaces and dots needs no quotes; anything else does (commas, brackets, quotes).
  const plain = /^[\p{L}\p{N}!#$%&'*+\-/=?^_`{|}~ .]+$/u.test(name) && !name.includes('..') && !/^\.|\.$/.test(name);
  return plain ? `${name} <${a.address}>` : `"${name.replace(/(["\\])/g, '\\$1')}" <${a.address}>`;
}

/** In order, once per address (any case); a later entry lends its display name to one without. */
export function mergeAddresses(list: readonly Address[]): Address[] {
  const out: Address[] = [];
  const at = new Map<string, number>();
  for (const a of list) {
    if (!a.address) continue;
    const key = a.address.toLowerCase();
    const i = at.get(key);
    if (i === undefined) {
      at.set(key, out.length);
      out.push({ name: a.name, address: a.address });
    } else if (!out[i]!.name && a.name) out[i] = { ...out[i]!, name: a.name };
  }
  return out;
}

function isOwn(own: ReadonlySet<string>, a: Address): boolean {
  return own.has(a.address.toLowerCase());
}

/** The original came from the user: filed in Sent, or From is one of the user's addresses. */
export function sentByUser(original: Pick<OriginalHeaders, 'from'>, own: ReadonlySet<string>, inSent: boolean): boolean {
  return inSent || (original.from.length > 0 && original.from.every((a) => isOwn(own, a)));
}

export function replyRecipients(
  original: OriginalHeaders,
  opts: { all: boolean; own: ReadonlySet<string>; bySelf: boolean },
): { to: Address[]; cc: Address[] } {
  const { own } = opts;
  let to: Address[];
  if (opts.bySelf) {
    // Following up one's own message: to the people it went to, not to oneself.
    to = mergeAddresses(original.to.length > 0 ? original.to : original.from);
  } else {
    to = mergeAddresses(original.replyTo.length > 0 ? original.replyTo : original.from);
  }
  if (!opts.all) return { to, cc: [] };
  const others = mergeAddresses([...to, ...(opts.bySelf ? [] : original.to), ...original.cc]);
  // The user's own addresses go, except when nobody else is left to write to (a note to oneself).
  const toKept = to.filter((a) => !isOwn(own, a));
  const finalTo = toKept.length > 0 ? toKept : to;
  const inTo = new Set(finalTo.map((a) => a.address.toLowerCase()));
  const cc = others.filter((a) => !isOwn(own, a) && !inTo.has(a.address.toLowerCase()));
  return { to: finalTo, cc };
}

/**
 * The identity a reply is written as: the account's identity whose address the original was
 * addressed to (To, Cc, Delivered-To; for one's own message, its From), else the account's
 * default, else its first; null for an account without identities.
 */
export function replyIdentity(account: Pick<AccountSettings, 'identities'>, original: OriginalHeaders, bySelf: boolean): Identity | null {
  const addressed = [...(bySelf ? original.from : []), ...original.to, ...original.cc, ...original.deliveredTo].map((a) => a.address.toLowerCase());
  for (const address of addressed) {
    const found = account.identities.find((i) => i.address.toLowerCase() === address);
    if (found) return found;
  }
  return account.identities.find((i) => i.default) ?? account.identities[0] ?? null;
}
