/**
 * The IPC contract between the renderer and MailService (DESIGN §1), written once: each
 * method's input and output as zod schemas, from which both sides infer their types and by
 * which main validates every incoming call. The Electron preload, the web host's WebSocket and
 * the CLI all speak exactly this map (GitHub Desktop's ipc-shared.ts is the model).
 */
import { z } from 'zod';
import { AccountSettings, AuthMechanism, DeletionPolicy, PasswordStore, ScreenAccountInput, ScreenAccountPatch, Security, SmtpConnectionTest } from './accounts.js';
import { AccountFolders, ChangesResult, JunkedBy, MessageFlags, MessageRecord } from './changes.js';
import { FolderInfo, FolderKey, FolderPath } from './folders.js';
import type { EventNameKey, MethodName } from './contract-names.js';
import { AddressSuggestion, COMPOSE_LIMITS, ComposeMode, Draft, SaveDraft, StageAttachment, checkMessageTotals, draftFields } from './compose.js';
import { AppError } from './errors.js';
import { MessageBody } from './messages.js';
import { Preferences, PreferencesPatch } from './preferences.js';
import { MAX_RUN_IDS, Rule, RuleList, RuleOutcome } from './rules.js';
import { ServerDeleteResult, ServerDownloadInput, ServerDownloadResult, ServerListing, ServerListingInput, ServerSelection } from './server-view.js';
import { SearchInput, SearchResult } from './search.js';
import { ThreadCursor, ThreadsResult } from './threads.js';

const Id = z.string().min(1).max(200);
const Ids = z.array(Id).min(1).max(100_000);

/** An account as the renderer sees it: never a password, never a password command. */
export const PublicAccount = AccountSettings.transform((a) => ({
  ...a,
  password: { source: a.password.source },
  smtp: a.smtp && { ...a.smtp, password: { source: a.smtp.password.source } },
}));
export type PublicAccount = z.output<typeof PublicAccount>;

export const SyncPhase = z.enum(['connecting', 'authenticating', 'listing', 'downloading', 'deleting', 'finishing']);
export type SyncPhase = z.infer<typeof SyncPhase>;

export const SyncProgress = z.object({
  phase: SyncPhase,
  /** Messages downloaded so far, of `total` planned. */
  done: z.number(),
  total: z.number(),
  bytes: z.number(),
  /** Sum of the LIST sizes planned (a hint). */
  totalBytes: z.number(),
});
export type SyncProgress = z.infer<typeof SyncProgress>;

export const SchedulerState = z.enum(['idle', 'queued', 'syncing', 'retrying', 'needs-password', 'needs-attention', 'offline']);
export type SchedulerState = z.infer<typeof SchedulerState>;

export const AccountStatus = z.object({
  accountId: z.string(),
  state: SchedulerState,
  nextRunAt: z.number().nullable(),
  lastSuccessAt: z.number().nullable(),
  lastError: AppError.pick({ code: true, message: true, fingerprint256: true, expectedFingerprint256: true }).nullable(),
  /** Consecutive failures (drives the backoff). */
  failures: z.number(),
});
export type AccountStatus = z.infer<typeof AccountStatus>;

export const SyncSummary = z.object({
  downloaded: z.number(),
  headersOnly: z.number(),
  skipped: z.number(),
  deletedOnServer: z.number(),
  bytes: z.number(),
  warnings: z.array(z.string()),
  loginDelaySeconds: z.number().optional(),
});
export type SyncSummary = z.infer<typeof SyncSummary>;

export const SyncOutcome = z.discriminatedUnion('ok', [
  z.object({ accountId: z.string(), ok: z.literal(true), result: SyncSummary }),
  z.object({ accountId: z.string(), ok: z.literal(false), error: AppError }),
]);
export type SyncOutcome = z.infer<typeof SyncOutcome>;

export const PendingDeletion = z.object({
  /** The message here, or '' for one never downloaded (chosen in On the server). */
  id: z.string(),
  accountId: z.string(),
  uidl: z.string(),
  subject: z.string(),
  /** The sender as the list shows it ("Ann Example"), or '' when not known. */
  from: z.string().default(''),
  /** The message's Date header (ISO 8601), or null when not known. */
  date: z.string().nullable().default(null),
  /** Why: 'chosen' is a deletion the person chose in On the server (<account>/server-chosen.json). */
  reason: z.enum(['downloaded', 'expired', 'deleted-locally', 'filtered', 'chosen']),
});
export type PendingDeletion = z.infer<typeof PendingDeletion>;

/** What "test connection" found, for the add-account flow. */
export const ConnectionReport = z.object({
  greeting: z.string(),
  secure: z.boolean(),
  fingerprint256: z.string().nullable(),
  capabilities: z.array(z.string()),
  pipelining: z.boolean(),
  uidl: z.boolean(),
  messageCount: z.number(),
  mailboxBytes: z.number(),
  loginDelaySeconds: z.number().nullable(),
  expireDays: z.union([z.number(), z.literal('never')]).nullable(),
});
export type ConnectionReport = z.infer<typeof ConnectionReport>;

export const ConnectionTest = z.object({
  host: z.string().min(1).max(253),
  port: z.number().int().min(1).max(65535),
  security: Security,
  user: z.string().min(1).max(512),
  /** Omitted: the stored account's password is used, only when every other field is the stored account's. */
  password: z.string().max(4096).optional(),
  accountId: z.string().optional(),
  authMechanism: AuthMechanism.optional(),
  allowInsecureAuth: z.boolean().optional(),
  tlsFingerprint: z.string().optional(),
});
export type ConnectionTest = z.infer<typeof ConnectionTest>;

const none = z.object({}).strict();

/** What an outgoing server offers, as its test found it. */
export const SmtpReport = z.object({
  secure: z.boolean(),
  fingerprint256: z.string().optional(),
  authenticated: z.boolean(),
  ehlo: z.array(z.string()),
  /** The largest message in bytes; 0: no fixed limit; null: SIZE not offered. */
  sizeLimit: z.number().nullable(),
  smtpUtf8: z.boolean(),
  eightBitMime: z.boolean(),
  pipelining: z.boolean(),
  chunking: z.boolean(),
  dsn: z.boolean(),
  enhancedStatusCodes: z.boolean(),
  authMechanisms: z.array(z.string()),
  startTls: z.boolean(),
});
export type SmtpReport = z.infer<typeof SmtpReport>;

/** What the add-account flow learned from an email address: a known provider, or a probe. */
export const Discovery = z.object({
  /** The provider's name when it is a well-known one. */
  provider: z.string().nullable(),
  /** Something the user must do at the provider first. */
  note: z.string().nullable(),
  server: z.object({ host: z.string(), port: z.number(), security: Security }).nullable(),
  /** The outgoing server, found the same way (null: none answered). */
  smtp: z.object({ host: z.string(), port: z.number(), security: Security }).nullable(),
  user: z.string(),
});
export type Discovery = z.infer<typeof Discovery>;

/** Inline parts (cid: images) are handed over whole; bigger ones are not shown inline. */
export const INLINE_PART_MAX_BYTES = 10 * 1024 * 1024;

/** Send's limits (the renderer is untrusted: nothing it sends may be unbounded). */
export const SEND_LIMITS = COMPOSE_LIMITS;

/**
 * A message to send. No From: the page names one of the account's identities (or none: the
 * default), so it cannot write as anyone the account is not. Strict: unknown fields (a `from`,
 * a `headers`) are refused, not dropped.
 */
export const SendMessage = z
  .strictObject({
    ...draftFields,
    /** Send later: not before this time (ms since epoch). */
    sendAt: z.number().int().nonnegative().optional(),
    /** Skip the undo window. */
    now: z.boolean().optional(),
  })
  .superRefine(checkMessageTotals);
export type SendMessage = z.input<typeof SendMessage>;

/** `sent`: in Sent already, but some recipients refused it for good (see `refused`); shown until dismissed (discardQueued or markSent). */
export const OutboxItemState = z.enum(['waiting', 'sending', 'retrying', 'maybe-sent', 'failed', 'sent']);

/** A recipient the outgoing server refused while it took the message for others. */
export const OutboxRefusal = z.object({
  address: z.string(),
  /** 5xx: never tried again ("Sent, but not to …"). 4xx: in `to`, tried again alone. */
  permanent: z.boolean(),
  /** In plain words, with the server's reply, e.g. "not to x@y: unknown recipient (the server said 550 …)". */
  message: z.string(),
  responseCode: z.number().optional(),
  serverText: z.string().optional(),
});
export type OutboxRefusal = z.infer<typeof OutboxRefusal>;

/** A message in the Outbox as the screens show it. */
export const OutboxItem = z.object({
  id: z.string(),
  accountId: z.string(),
  state: OutboxItemState,
  attempts: z.number(),
  nextAttemptAt: z.number().nullable(),
  lastError: z.object({ code: z.string(), message: z.string(), serverText: z.string().optional(), responseCode: z.number().optional() }).nullable(),
  from: z.string(),
  /** Who the next attempt goes to (after a partial refusal: only those still waiting). */
  to: z.array(z.string()),
  queuedAt: z.number(),
  /** Who already has it (the server took it for them): never sent to again. */
  sentTo: z.array(z.string()).default([]),
  /** Recipients refused while others took it, with the server's words. */
  refused: z.array(OutboxRefusal).default([]),
});
export type OutboxItem = z.infer<typeof OutboxItem>;

/** Every method: its input and output. */
export const contract = {
  listAccounts: { input: none, output: z.array(PublicAccount) },
  /** No password commands here: they run shell commands, so only the CLI sets them. */
  addAccount: { input: z.object({ account: ScreenAccountInput, password: z.string().max(4096).optional(), smtpPassword: z.string().max(4096).optional() }), output: PublicAccount },
  /** Changing where the password goes (host, port, security, …) forgets the stored one unless `password` comes with it. */
  updateAccount: {
    input: z.object({ id: Id, patch: ScreenAccountPatch, password: z.string().max(4096).optional(), smtpPassword: z.string().max(4096).optional() }),
    output: PublicAccount,
  },
  removeAccount: { input: z.object({ id: Id }), output: z.null() },
  /** The accounts in the order the user wants them shown; every id once. */
  reorderAccounts: { input: z.object({ ids: z.array(Id).max(1000) }), output: z.array(PublicAccount) },
  testConnection: { input: ConnectionTest, output: ConnectionReport },
  /** The same for an outgoing server; the stored password only for the stored server's exact settings. */
  testSmtp: { input: SmtpConnectionTest, output: SmtpReport },

  syncNow: { input: z.object({ accountIds: z.array(Id).optional() }), output: z.array(SyncOutcome) },
  syncStatus: { input: none, output: z.array(AccountStatus) },

  changesSince: { input: z.object({ state: z.number().int().nonnegative(), max: z.number().int().min(1).max(100_000).optional() }), output: ChangesResult },
  snapshot: { input: none, output: z.object({ state: z.number(), messages: z.array(MessageRecord), folders: z.array(AccountFolders) }) },

  messageBody: { input: z.object({ id: Id }), output: MessageBody },
  /** The message as stored (for "View source"), decoded as UTF-8 with replacement, size-capped. */
  rawSource: { input: z.object({ id: Id }), output: z.object({ text: z.string(), truncated: z.boolean() }) },
  fetchFull: { input: z.object({ id: Id }), output: z.null() },
  setFlags: { input: z.object({ ids: Ids, flags: MessageFlags.partial() }), output: z.null() },
  moveToTrash: { input: z.object({ ids: Ids }), output: z.null() },
  /** Back to the folder each was trashed from (the inbox when that folder is gone). */
  restore: { input: z.object({ ids: Ids }), output: z.null() },
  /**
   * File messages in a folder of their own account (a special folder's key, e.g. "Archive",
   * names that folder in every account). All ids and the folder are checked before anything moves.
   * Into Junk the person moved them, unless `junkedBy` (an Undo) says who had filed them there (null: nobody recorded).
   */
  moveMessages: { input: z.object({ ids: Ids, folder: FolderKey, junkedBy: JunkedBy.nullable().optional() }), output: z.null() },
  /** Copies get ids of their own (no UIDL: deleting a copy never deletes on the server). */
  copyMessages: { input: z.object({ ids: Ids, folder: FolderKey }), output: z.object({ ids: z.array(z.string()) }) },
  /** Into Archive/<year of the message's date>, made when needed. */
  archive: { input: z.object({ ids: Ids }), output: z.null() },
  /**
   * Junk: learned as junk (a "not junk" lesson taken back) and moved to Junk. `undo` takes back
   * a markNotJunk instead (its lesson removed, the message back in Junk). Each id is a file read.
   */
  markJunk: { input: z.object({ ids: z.array(Id).min(1).max(10_000), undo: z.boolean().optional() }), output: z.null() },
  /** Not junk: learned as good mail and moved out of Junk to where it was (the inbox). `undo` takes back a markJunk. */
  markNotJunk: { input: z.object({ ids: z.array(Id).min(1).max(10_000), undo: z.boolean().optional() }), output: z.null() },
  /** "Train from existing mail": Junk folders as junk, Inbox/Archive/Sent as good mail, at most 5,000 of each. */
  trainJunk: { input: none, output: z.object({ junk: z.number(), ham: z.number() }) },
  /** Delete for good everything in Trash (of one account, or of every account). */
  emptyTrash: { input: z.object({ accountId: Id.optional() }), output: z.null() },
  createFolder: { input: z.object({ accountId: Id, path: FolderPath }), output: FolderInfo },
  /** Rename or move a folder (and what is below it): `path` is its new place. Special folders stay. */
  renameFolder: { input: z.object({ accountId: Id, folder: FolderKey, path: FolderPath }), output: FolderInfo },
  /** Its messages (and its subfolders') go to Trash first; special folders cannot be removed. */
  deleteFolder: { input: z.object({ accountId: Id, folder: FolderKey }), output: z.null() },
  deleteForGood: { input: z.object({ ids: Ids }), output: z.null() },
  /** The host picks the destination (a save dialog); the renderer never names a path. */
  saveAttachment: { input: z.object({ id: Id, attachmentId: z.string().min(1).max(100) }), output: z.object({ saved: z.boolean(), size: z.number(), path: z.string().optional() }) },
  /** The message exactly as stored, as an .eml file; the host picks the destination. */
  saveMessage: { input: z.object({ id: Id }), output: z.object({ saved: z.boolean(), size: z.number(), path: z.string().optional() }) },
  /** With `policy` (one account only): what the next check would delete under those settings instead of the saved ones. */
  pendingDeletions: { input: z.object({ accountId: Id.optional(), policy: DeletionPolicy.optional() }), output: z.array(PendingDeletion) },
  /** An inline part's bytes (a cid: image), base64, at most INLINE_PART_MAX_BYTES. */
  inlinePart: { input: z.object({ id: Id, attachmentId: z.string().min(1).max(100) }), output: z.object({ contentType: z.string(), base64: z.string() }) },
  discoverServer: { input: z.object({ email: z.email().max(254) }), output: Discovery },
  /** Where passwords typed in the screens are kept (the keychain, an encrypted file, memory only): what the Password hint says. */
  passwordStore: { input: none, output: z.object({ kind: PasswordStore }) },
  getPreferences: { input: none, output: Preferences },
  updatePreferences: { input: PreferencesPatch, output: Preferences },

  /** Send: in the account's Outbox on disk when this answers; it goes out after the undo window. */
  send: { input: SendMessage, output: z.object({ id: z.string(), messageId: z.string() }) },
  outboxStatus: { input: z.object({ accountId: Id.optional() }), output: z.array(OutboxItem) },
  /** Undo send: back to Drafts (refused once sending began or when it may have been sent). */
  cancelSend: { input: z.object({ id: Id }), output: z.null() },
  /** Send now: one that failed, one that may have been sent (the user's say), or one waiting. */
  resendMessage: { input: z.object({ id: Id }), output: z.null() },
  /** One that may have been sent did go: filed in Sent. */
  markSent: { input: z.object({ id: Id }), output: z.null() },
  /** Out of the Outbox into Trash, never sent. */
  discardQueued: { input: z.object({ id: Id }), output: z.null() },

  /**
   * Start writing: a new message (of `accountId`, or the default account), or a reply, reply all,
   * forward (inline, or the whole message attached) to stored message `id`: recipients, subject,
   * quoted text, In-Reply-To/References and the identity filled in.
   */
  composeFrom: { input: z.object({ mode: ComposeMode, id: Id.optional(), accountId: Id.optional() }), output: Draft },
  /**
   * A new file for Send or Save draft, 1 MB at a time (offset = bytes staged so far); the answer
   * is the upload's id (the same for every chunk) and its size so far. Bounded per upload, per
   * account and in number; an upload of another account, or unknown, is refused.
   */
  stageAttachment: { input: StageAttachment, output: z.object({ uploadId: z.string(), size: z.number() }) },
  /** Save draft: into Drafts durably; the version it replaces (`draftId`) goes. The new id and its attachments. */
  saveDraft: { input: SaveDraft, output: z.object({ id: z.string(), storedAttachments: Draft.shape.storedAttachments }) },
  /** A stored draft (a message in Drafts) back into its fields, to go on writing. */
  openDraft: { input: z.object({ id: Id }), output: Draft },
  /** Addresses for the To/Cc/Bcc fields, from stored mail: ranked by how often and how recently. */
  suggestAddresses: { input: z.object({ query: z.string().max(COMPOSE_LIMITS.queryChars), limit: z.number().int().min(1).max(COMPOSE_LIMITS.suggestions).optional() }), output: z.array(AddressSuggestion) },

  // ---- filters (rules.ts) ----
  /** The ordered rule list. */
  listRules: { input: none, output: z.array(Rule) },
  /** Replace the whole list (order is the order rules run in); bounded and checked in rules.ts. */
  saveRules: { input: z.object({ rules: RuleList }), output: z.array(Rule) },
  /**
   * The live preview: which stored messages (of one account or all, in one folder or all) the
   * rule would act on, at most `max` of them; nothing changes.
   */
  previewRule: {
    input: z.object({ rule: Rule, accountId: Id.optional(), folder: FolderKey.optional(), max: z.number().int().min(1).max(1000).optional() }),
    output: z.object({ ids: z.array(z.string()), truncated: z.boolean() }),
  },
  /** Run the rules now over a selection; what each message's rules did. */
  runRules: { input: z.object({ ids: Ids.max(MAX_RUN_IDS) }), output: z.array(RuleOutcome) },
  /** Full-text search in the Gmail/notmuch query language: ranked ids, what was understood, snippets; a malformed query is answered, never an error (search.ts). */
  search: { input: SearchInput, output: SearchResult },
  /** Conversations (threads.ts): those changed after `since`, or all of them when it is absent or of another process. */
  threads: { input: z.object({ since: ThreadCursor.optional() }), output: ThreadsResult },

  // ---- On the server (server-view.ts) ----
  /** What the account's mailbox holds now; `refresh` connects (in the account's turn), else the cached listing without a connection. */
  serverListing: { input: ServerListingInput, output: ServerListing },
  /** Delete these on the server without downloading them (asked natively first: gone from every device). */
  deleteOnServer: { input: ServerSelection, output: ServerDeleteResult },
  /** Download exactly these (whole, or headers only), each at most once. */
  downloadFromServer: { input: ServerDownloadInput, output: ServerDownloadResult },
} as const;

export type Contract = typeof contract;

/** Compile-time: the map and contract-names.ts name exactly the same methods and events. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
export const NAMES_MATCH: Same<keyof Contract, MethodName> & Same<keyof typeof events, EventNameKey> = true;
export type Method = keyof Contract;
export type Input<M extends Method> = z.input<Contract[M]['input']>;
export type Output<M extends Method> = z.output<Contract[M]['output']>;

/** Pushed from main: hints and progress, never data the renderer must trust. */
export const events = {
  stateChanged: z.object({ state: z.number() }),
  syncProgress: z.object({ accountId: z.string(), progress: SyncProgress }),
  accountStatus: AccountStatus,
  /** From the shell's menus, tray and notifications: something for the window to do. */
  command: z.object({ command: z.enum(['get-mail', 'open-settings', 'open-message', 'focus-search']), id: z.string().optional() }),
  /** Said once by the shell, e.g. that passwords are less protected than expected. */
  notice: z.object({ level: z.enum(['info', 'warning']), message: z.string() }),
  /** An account was added, changed, reordered or removed (by a window or the CLI): list them again. Carries nothing, so no secret can ride along. */
  accountsChanged: z.object({}),
  /** The preferences as they are now, after any update. */
  preferencesChanged: Preferences,
  /** Something in this account's Outbox changed (queued, sending, retrying, sent, left): ask outboxStatus. */
  outboxChanged: z.object({ accountId: z.string() }),
  /** What this account's On the server listing shows changed (refreshed, deleted, downloaded, held): ask serverListing. */
  serverChanged: z.object({ accountId: z.string() }),
  /** Some conversation changed (a reply joined, threads merged or split): ask threads with your cursor. */
  threadsChanged: z.object({ version: z.number() }),
} as const;
export type EventName = keyof typeof events;
export type EventPayload<E extends EventName> = z.infer<(typeof events)[E]>;

/** Every answer crossing the boundary: a value or a typed error, never a thrown exception. */
export type Result<T> = { ok: true; value: T } | { ok: false; error: AppError };
