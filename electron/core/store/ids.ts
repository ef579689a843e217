/**
 * Message identity and Maildir names. A message's id is derived from (account, UIDL), so a
 * second delivery of the same message can only ever land on the same file: no duplicates,
 * whatever crashed in between. UIDLs are arbitrary server bytes and never appear in a path.
 */
import { createHash, randomBytes } from 'node:crypto';

/** 16 hex characters: short enough to type in the CLI, 64 bits against collisions. */
export function messageIdFor(accountId: string, uidl: string): string {
  return createHash('sha256').update(accountId, 'utf8').update('\0').update(uidl, 'latin1').digest('hex').slice(0, 16);
}

export const MESSAGE_ID = /^[0-9a-f]{16}$/;

/** A message filed by Popbox itself (sent, a draft, a copy, an import): no UIDL behind it. */
export function newLocalId(): string {
  return randomBytes(8).toString('hex');
}

/**
 * Maildir flags we set; others found on a file (R, D, P, …) are kept as they are. Trash is a
 * folder: a file marked T ("trashed", what Popbox wrote before it had folders, and what mutt
 * writes for a message marked deleted) is filed in Trash when the mailbox is opened.
 */
export interface Flags {
  seen: boolean;
  flagged: boolean;
}

const FLAG_LETTERS: Record<keyof Flags, string> = { flagged: 'F', seen: 'S' };

export function parseFlags(info: string): { flags: Flags; other: string; trashed: boolean } {
  const flags: Flags = { seen: info.includes('S'), flagged: info.includes('F') };
  const other = [...info].filter((c) => !'FST'.includes(c) && /[A-Za-z]/.test(c)).join('');
  return { flags, other, trashed: info.includes('T') };
}

/** Maildir wants the flag letters in ASCII order. */
export function formatFlags(flags: Flags, other = ''): string {
  const letters = new Set(other);
  for (const [k, letter] of Object.entries(FLAG_LETTERS) as [keyof Flags, string][]) if (flags[k]) letters.add(letter);
  return [...letters].sort().join('');
}

/** "<id>:2,<flags>" in cur/ — the id alone in new/. */
export function curName(id: string, flagLetters: string): string {
  return `${id}:2,${flagLetters}`;
}

/** The id and flag letters of a Maildir file name, or null for a name that is not ours. */
export function parseName(name: string): { id: string; info: string } | null {
  const colon = name.indexOf(':2,');
  const base = colon === -1 ? name : name.slice(0, colon);
  if (!MESSAGE_ID.test(base)) return null;
  return { id: base, info: colon === -1 ? '' : name.slice(colon + 3) };
}
