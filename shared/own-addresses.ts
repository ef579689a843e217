/**
 * Every address the user writes as: each account's email and each of its identities, lower
 * case. Main leaves them out of a Reply all and the address book; the renderer leaves them out
 * of the conversation's outsider rule (a stranger at the user's own mail provider is not let in
 * by the user being on the To line). One function so the two cannot drift apart. Pure.
 */

/** What the rule reads of an account (main's settings and the renderer's rows both have it). */
export interface OwnAddressSource {
  email?: string | null | undefined;
  identities?: readonly { address: string }[] | undefined;
}

export function ownAddresses(accounts: readonly OwnAddressSource[]): Set<string> {
  const own = new Set<string>();
  for (const a of accounts) {
    if (a.email) own.add(a.email.toLowerCase());
    for (const i of a.identities ?? []) own.add(i.address.toLowerCase());
  }
  return own;
}
