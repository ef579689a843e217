/**
 * "On the server" (issue 16 §3): what an account's POP3 mailbox holds right now, seen without
 * downloading it (UIDL + LIST + STAT, headers by TOP, cached in main), and what the person can
 * do from there. Every change comes from main; the page only asks.
 */
import { z } from 'zod';

/** The most messages one listing carries (a mailbox with more is listed newest first, cut). */
export const SERVER_LISTING_MAX = 20_000;
/** The most messages one delete-on-server or download call may name. */
export const SERVER_SELECTION_MAX = 10_000;

const Uidl = z.string().min(1).max(70); // RFC 1939: 1–70 characters 0x21–0x7E

/** Where a message on the server stands here. */
export const ServerMessageLocal = z.enum([
  /** Downloaded whole; `localId` is the stored message. */
  'downloaded',
  /** Downloaded as headers only (bigger than the account's limit); the rest on demand. */
  'headers-only',
  /** Not downloaded (yet): new since the last check, or left on the server on purpose. */
  'not-downloaded',
  /** Downloaded once and deleted here for good; still on the server. */
  'deleted-here',
]);
export type ServerMessageLocal = z.infer<typeof ServerMessageLocal>;

export const ServerMessage = z.object({
  uidl: z.string(),
  /** Size by LIST (a hint: servers count line ends their own way). */
  size: z.number(),
  /** From TOP's headers when fetched ('' until then): the sender as the list shows it. */
  from: z.string(),
  subject: z.string(),
  /** Date header, ISO 8601, or null when unknown or not fetched yet. */
  date: z.string().nullable(),
  /** True once TOP's headers are cached for this UIDL. */
  headersKnown: z.boolean(),
  local: ServerMessageLocal,
  /** The stored message when downloaded (whole or headers only), else null. */
  localId: z.string().nullable(),
  /** Marked for deletion on the server at the next check, and why; null when not. */
  pendingDeletion: z.enum(['downloaded', 'expired', 'deleted-locally', 'filtered', 'chosen']).nullable(),
  /** The junk filter's verdict on the cached headers (null: not classified / filter off). */
  junk: z.object({ verdict: z.enum(['junk', 'unsure', 'ham']), score: z.number() }).nullable(),
  /** Left on the server because the junk filter suspected it (the account's junkOnServer). */
  heldAsJunk: z.boolean(),
});
export type ServerMessage = z.infer<typeof ServerMessage>;

export const ServerListing = z.object({
  accountId: z.string(),
  /** When this listing was read from the server (ms since epoch); null: never, nothing cached. */
  listedAt: z.number().nullable(),
  /** STAT: how many messages and bytes the mailbox holds. */
  messageCount: z.number(),
  mailboxBytes: z.number(),
  /** Newest first (by the server's order: highest message number first). */
  messages: z.array(ServerMessage),
  /** More than SERVER_LISTING_MAX: the oldest were left out of `messages`. */
  truncated: z.boolean(),
  /** Headers not fetched yet (a refresh fetches them in bounded batches). */
  headersPending: z.number(),
});
export type ServerListing = z.infer<typeof ServerListing>;

export const ServerListingInput = z.strictObject({
  accountId: z.string().min(1).max(200),
  /** Connect now (UIDL, LIST, STAT, TOP for uncached headers); false: the cached listing only. */
  refresh: z.boolean().optional(),
});

export const ServerSelection = z.strictObject({
  accountId: z.string().min(1).max(200),
  uidls: z.array(Uidl).min(1).max(SERVER_SELECTION_MAX),
});

export const ServerDownloadInput = ServerSelection.extend({
  /** Download only the headers (the rest on demand, as for messages over the size limit). */
  headersOnly: z.boolean().optional(),
});

export const ServerDeleteResult = z.object({
  /** Deleted on the server and committed (QUIT +OK). */
  deleted: z.number(),
  /** Already gone from the server (another device), nothing to do. */
  gone: z.number(),
});
export type ServerDeleteResult = z.infer<typeof ServerDeleteResult>;

export const ServerDownloadResult = z.object({
  downloaded: z.number(),
  /** Already here (nothing downloaded twice). */
  alreadyHere: z.number(),
  gone: z.number(),
});
export type ServerDownloadResult = z.infer<typeof ServerDownloadResult>;
