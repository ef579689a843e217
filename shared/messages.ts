/**
 * Messages as the inbox and the reader see them: decoded, plain data that crosses the IPC
 * boundary. The raw bytes stay in the main process's Maildir; these are derived from them.
 */
import { z } from 'zod';

export const Address = z.object({
  /** Display name, decoded; empty when the header gave none. */
  name: z.string(),
  /** The addr-spec; empty when a header named someone without an address. */
  address: z.string(),
});
export type Address = z.infer<typeof Address>;

export const SNIPPET_MAX_CHARS = 200;

export const MessageSummary = z.object({
  subject: z.string(),
  from: z.array(Address),
  to: z.array(Address),
  cc: z.array(Address),
  /** ISO 8601 in UTC; null when the Date header is missing or unreadable (never "now"). */
  date: z.string().nullable(),
  /** With angle brackets, as in References, so threads can be matched by plain equality. */
  messageId: z.string().nullable(),
  inReplyTo: z.string().nullable(),
  references: z.array(z.string()),
  /** Bytes of the stored message. */
  size: z.number().int().nonnegative(),
  /** True when the message has an attachment other than an image embedded in its HTML. */
  hasAttachments: z.boolean(),
  /** Start of the text (or of the HTML as text), whitespace collapsed. */
  snippet: z.string().max(SNIPPET_MAX_CHARS),
});
export type MessageSummary = z.infer<typeof MessageSummary>;

export const AttachmentInfo = z.object({
  /** Position among the message's attachments in MIME order ("1", "2", …): stable for one message file. */
  id: z.string(),
  filename: z.string().nullable(),
  contentType: z.string(),
  /** Decoded bytes. */
  size: z.number().int().nonnegative(),
  /** Content-ID without the angle brackets, as `cid:` URLs name it. */
  contentId: z.string().nullable(),
  /** Meant to be shown inside the HTML (referenced by cid) rather than listed as a file. */
  inline: z.boolean(),
});
export type AttachmentInfo = z.infer<typeof AttachmentInfo>;

export const MessageBody = z.object({
  /** The text/plain parts; null when the message has none. */
  text: z.string().nullable(),
  /** The text/html parts exactly as received: untrusted, the renderer must sanitize before showing it. */
  html: z.string().nullable(),
  attachments: z.array(AttachmentInfo),
  /** Content-ID (without <>) → attachment id, for resolving `cid:` references in the HTML. */
  cidMap: z.record(z.string(), z.string()),
  /** Text or HTML was cut at the size limit. */
  truncated: z.boolean(),
  /** A headers-only message: its whole size on the server (POP3 LIST), when known. */
  serverSize: z.number().int().nonnegative().optional(),
});
export type MessageBody = z.infer<typeof MessageBody>;
