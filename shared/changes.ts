/**
 * The read model's change feed (DESIGN §2, JMAP-style): the renderer keeps a cursor (`state`)
 * and asks for the changes after it; main only pushes a hint that the state moved.
 */
import { z } from 'zod';
import { FolderInfo } from './folders.js';
import { MessageSummary } from './messages.js';
import { RuleName } from './rules.js';

/** Flags kept in the Maildir file name. Trash is a folder now, not a flag. */
export const MessageFlags = z.object({
  seen: z.boolean(),
  flagged: z.boolean(),
});
export type MessageFlags = z.infer<typeof MessageFlags>;

/**
 * Who filed a message in Junk, journaled with the move there (the Junk bar says it): the junk
 * filter on arrival (its score, when known), a rule (its name then), or the person (Junk, or a
 * move into Junk by hand: `moved`). Absent: filed before Popbox recorded it, or found there on
 * disk (another tool, a move cut short by a kill). A move out of Junk forgets it.
 */
export const JunkedBy = z.discriminatedUnion('by', [
  z.object({ by: z.literal('filter'), score: z.number().min(0).max(1).optional() }),
  // A rule's name as the rules schema allows it (bounded, no line breaks or direction marks): moveMessages takes a cause from the screens too.
  z.object({ by: z.literal('rule'), rule: RuleName }),
  z.object({ by: z.literal('you'), moved: z.literal(true).optional() }),
]);
export type JunkedBy = z.infer<typeof JunkedBy>;

/** Who files each message of a move in Junk (undefined: the move says nothing for it). */
export type JunkCause = (id: string) => JunkedBy | undefined;

/** One message as the inbox knows it. */
export const MessageRecord = z.object({
  id: z.string(),
  accountId: z.string(),
  uidl: z.string(),
  /** When it was downloaded (ms since epoch). */
  receivedAt: z.number(),
  /** Only the header is here; the rest can be fetched on demand. */
  partial: z.boolean(),
  /** A headers-only message: its whole size on the server (POP3 LIST), when known. */
  serverSize: z.number().int().nonnegative().optional(),
  flags: MessageFlags,
  /** The key of the folder it is filed in (see folders.ts); "INBOX" for the inbox. */
  folder: z.string(),
  /** In Trash: the folder it was moved there from (where Restore puts it back). */
  trashedFrom: z.string().optional(),
  /** In Trash (or Junk): since when (ms since epoch), for emptying Trash / deleting junk after N days. */
  trashedAt: z.number().optional(),
  /** In Junk: who put it there (see JunkedBy). */
  junkedBy: JunkedBy.optional(),
  summary: MessageSummary,
});
export type MessageRecord = z.infer<typeof MessageRecord>;

export const Change = z.discriminatedUnion('t', [
  z.object({ s: z.number(), t: z.literal('add'), m: MessageRecord }),
  z.object({ s: z.number(), t: z.literal('flags'), id: z.string(), flags: MessageFlags }),
  z.object({ s: z.number(), t: z.literal('partial'), id: z.string(), partial: z.boolean(), summary: MessageSummary }),
  z.object({ s: z.number(), t: z.literal('remove'), id: z.string() }),
  /** Filed in another folder of its account (same id, same file, renamed). */
  z.object({ s: z.number(), t: z.literal('move'), id: z.string(), folder: z.string(), trashedFrom: z.string().optional(), trashedAt: z.number().optional(), junkedBy: JunkedBy.optional() }),
  /** An account's whole folder tree, after any folder was added, renamed or removed. */
  z.object({ s: z.number(), t: z.literal('folders'), accountId: z.string(), folders: z.array(FolderInfo) }),
]);
export type Change = z.infer<typeof Change>;

export const ChangesResult = z.union([
  /** `hasMore`: the answer was cut at the caller's `max`; `state` is its last change's. */
  z.object({ state: z.number(), changes: z.array(Change), hasMore: z.literal(true).optional() }),
  /** The journal was compacted past the cursor: rebuild from a snapshot. */
  z.object({ state: z.number(), cannotCalculate: z.literal(true) }),
]);
export type ChangesResult = z.infer<typeof ChangesResult>;

/** Every account's folder tree, as a snapshot carries it. */
export const AccountFolders = z.object({ accountId: z.string(), folders: z.array(FolderInfo) });
export type AccountFolders = z.infer<typeof AccountFolders>;
