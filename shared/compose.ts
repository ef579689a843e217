/**
 * Writing mail, as the compose screen and main agree on it: a draft's fields, how a reply or a
 * forward starts, and attachments that stay in main. An attachment carried over from a stored
 * message (a forward, or a draft saved earlier) is named by message id and attachment id, so
 * the page never has to hold those bytes, and an autosave does not send them again.
 */
import { z } from 'zod';
import { IdentityId } from './accounts.js';

const Id = z.string().min(1).max(200);
const AttachmentId = z.string().min(1).max(100);

export const COMPOSE_LIMITS = {
  recipients: 500,
  subjectChars: 998,
  textChars: 2_000_000,
  htmlChars: 5_000_000,
  attachments: 100,
  /** All attachments together, as sent (before base64). */
  attachmentBytes: 25 * 1024 * 1024,
  references: 100,
  queryChars: 200,
  suggestions: 50,
} as const;

/** How a compose screen starts. */
export const ComposeMode = z.enum(['new', 'reply', 'replyAll', 'forward', 'forwardAsAttachment']);
export type ComposeMode = z.infer<typeof ComposeMode>;

export const Recipient = z.string().min(1).max(998);
export const Recipients = z.array(Recipient).max(COMPOSE_LIMITS.recipients, `must be at most ${COMPOSE_LIMITS.recipients} addresses`);
export const MessageIdText = z.string().min(3).max(998);

/** A new file from the page: its bytes in base64. */
export const SendAttachment = z.strictObject({
  filename: z.string().min(1).max(255),
  contentType: z.string().min(3).max(255).optional(),
  /** The file's bytes in base64. */
  content: z.string().max(Math.ceil(COMPOSE_LIMITS.attachmentBytes / 3) * 4 + 16),
});
export type SendAttachment = z.infer<typeof SendAttachment>;

/**
 * Staging (the page's new files, 1 MB at a time): each chunk is appended to a file in main, and
 * Send / Save draft name the upload by the random id main gave it. The page never names a path,
 * and no 35 MB base64 string crosses the contract whole (issue 15 §5: peak RSS ≤ 150 MB).
 */
export const STAGING_LIMITS = {
  /** Decoded bytes per chunk. */
  chunkBytes: 1024 * 1024,
  /** One upload, and all of an account's uploads together, at once. */
  uploadBytes: COMPOSE_LIMITS.attachmentBytes,
  accountBytes: COMPOSE_LIMITS.attachmentBytes,
  /** Uploads staged at once (every account). */
  uploads: 100,
  /** An upload neither used nor removed by then goes (ms). */
  maxAgeMs: 24 * 60 * 60 * 1000,
} as const;

export const UploadId = z.string().regex(/^[0-9a-f]{32}$/, 'is not an upload id');

/** One chunk of a new file: the first without `uploadId` (main answers one), the rest with it, in order. */
export const StageAttachment = z.strictObject({
  accountId: Id,
  uploadId: UploadId.optional(),
  filename: z.string().min(1).max(255),
  contentType: z.string().min(3).max(255).optional(),
  /** Where this chunk starts in the file (bytes): equal to what is staged so far. */
  offset: z.number().int().nonnegative().max(STAGING_LIMITS.uploadBytes),
  /** The chunk's bytes in base64 (at most STAGING_LIMITS.chunkBytes decoded; may be empty). */
  chunk: z.string().max(Math.ceil(STAGING_LIMITS.chunkBytes / 3) * 4 + 16),
  /** The last chunk: the upload can be sent from now on, and takes no more. */
  final: z.boolean(),
});
export type StageAttachment = z.infer<typeof StageAttachment>;

/** A staged upload, as Send and Save draft name it. */
export const StagedAttachment = z.strictObject({ uploadId: UploadId });
export type StagedAttachment = z.infer<typeof StagedAttachment>;

/**
 * An attachment that is already stored: one attachment of a stored message (`attachmentId` as
 * messageBody lists it), or, without `attachmentId`, the whole message as message/rfc822
 * (forward as attachment). Main reads the bytes; they never cross the contract.
 */
export const StoredAttachment = z.strictObject({ id: Id, attachmentId: AttachmentId.optional() });
export type StoredAttachment = z.infer<typeof StoredAttachment>;

/** The fields of a message being written, as Send and Save draft take them. */
export const draftFields = {
  accountId: Id,
  identityId: IdentityId.optional(),
  to: Recipients.default([]),
  cc: Recipients.default([]),
  bcc: Recipients.default([]),
  subject: z.string().max(COMPOSE_LIMITS.subjectChars),
  /** The plain text as typed (sent as format=flowed). */
  text: z.string().max(COMPOSE_LIMITS.textChars),
  /** The rich-text body, when the user wrote one: sent as multipart/alternative beside `text`. */
  html: z.string().max(COMPOSE_LIMITS.htmlChars).optional(),
  inReplyTo: MessageIdText.optional(),
  references: z.array(MessageIdText).max(COMPOSE_LIMITS.references).optional(),
  attachments: z.array(SendAttachment).max(COMPOSE_LIMITS.attachments).optional(),
  storedAttachments: z.array(StoredAttachment).max(COMPOSE_LIMITS.attachments).optional(),
  /** New files staged with stageAttachment (complete), each once; removed once sent or saved. */
  stagedAttachments: z.array(StagedAttachment).max(COMPOSE_LIMITS.attachments).optional(),
  /** The stored draft this message came from: removed once the message is queued (or replaced by a newer save). */
  draftId: Id.optional(),
};

/**
 * The bytes a base64 text decodes to, roughly (as the limits count them: characters other than
 * whitespace, times 3/4). Counted 64 KB at a time: stripping the whitespace from a 25 MB file's
 * text in one go made a 35 MB copy of it on every Send.
 */
export function base64DecodedBytes(b64: string): number {
  let chars = 0;
  for (let i = 0; i < b64.length; i += 65536) chars += b64.slice(i, i + 65536).replace(/\s+/g, '').length;
  return Math.floor((chars * 3) / 4);
}

/**
 * The limits on a whole message that one field cannot check: recipients in To, Cc and Bcc
 * together, and the new files' bytes together (before base64). Both Send and Save draft: the
 * page is untrusted, and a draft is built in main like a message to send.
 */
export function checkMessageTotals(m: { to: readonly string[]; cc: readonly string[]; bcc: readonly string[]; attachments?: readonly { content: string }[] | undefined }, ctx: z.RefinementCtx): void {
  const n = m.to.length + m.cc.length + m.bcc.length;
  if (n > COMPOSE_LIMITS.recipients) ctx.addIssue({ code: 'custom', path: ['to'], message: `${n} recipients: at most ${COMPOSE_LIMITS.recipients} in To, Cc and Bcc together` });
  const bytes = (m.attachments ?? []).reduce((sum, a) => sum + base64DecodedBytes(a.content), 0);
  if (bytes > COMPOSE_LIMITS.attachmentBytes) ctx.addIssue({ code: 'custom', path: ['attachments'], message: `the attachments are too large together (at most ${COMPOSE_LIMITS.attachmentBytes / 1024 / 1024} MB)` });
}

/** Save draft: into the account's Drafts folder, durably; the older version (draftId) goes. */
export const SaveDraft = z.strictObject(draftFields).superRefine(checkMessageTotals);
export type SaveDraft = z.input<typeof SaveDraft>;

/** A stored attachment as the compose screen lists it. */
export const ComposeAttachment = z.object({
  id: z.string(),
  attachmentId: z.string().optional(),
  filename: z.string(),
  contentType: z.string(),
  size: z.number().int().nonnegative(),
});
export type ComposeAttachment = z.infer<typeof ComposeAttachment>;

/** What a compose screen opens with: a new message, a reply, a forward, or a stored draft. */
export const Draft = z.object({
  accountId: z.string(),
  identityId: z.string().nullable(),
  to: z.array(z.string()),
  cc: z.array(z.string()),
  bcc: z.array(z.string()),
  subject: z.string(),
  text: z.string(),
  html: z.string().nullable(),
  inReplyTo: z.string().nullable(),
  references: z.array(z.string()),
  storedAttachments: z.array(ComposeAttachment),
  /** Set when this is a stored draft (saving again replaces it). */
  draftId: z.string().nullable(),
  /** The outgoing server's SIZE limit in bytes when known (0: no fixed limit; null: not known yet). */
  sizeLimit: z.number().nullable(),
});
export type Draft = z.infer<typeof Draft>;

/** An address the user wrote to or heard from, best first. */
export const AddressSuggestion = z.object({ name: z.string(), address: z.string() });
export type AddressSuggestion = z.infer<typeof AddressSuggestion>;
