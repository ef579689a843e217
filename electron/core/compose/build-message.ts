/**
 * What Send is given (recipients, subject, text, attachments, the identity to write as) into
 * the exact bytes the outbox files and sends, and their SMTP envelope. Built by nodemailer's
 * MailComposer (RFC 2047 headers, MIME structure, encodings); this module decides what goes in:
 * From and Reply-To only from one of the account's identities, a Date and a Message-ID of our
 * own, Bcc in the envelope and never in the headers, and every address checked first.
 */
import { randomUUID } from 'node:crypto';
import addressparser from 'nodemailer/lib/addressparser';
import MailComposer from 'nodemailer/lib/mail-composer';
import { z } from 'zod';
import type { AccountSettings, Identity } from '../../../shared/accounts.js';
import { AppFailure } from '../errors.js';

export interface ComposeAttachment {
  filename: string;
  /** Default: application/octet-stream. */
  contentType?: string | undefined;
  /** The file's bytes, base64 (as they cross the contract). */
  content: string;
}

export interface ComposeInput {
  to: readonly string[];
  cc?: readonly string[] | undefined;
  bcc?: readonly string[] | undefined;
  subject: string;
  text: string;
  html?: string | undefined;
  /** The Message-ID replied to, "<…>". */
  inReplyTo?: string | undefined;
  references?: readonly string[] | undefined;
  attachments?: readonly ComposeAttachment[] | undefined;
}

export interface BuiltMessage {
  /** The whole message, CRLF line ends throughout. */
  raw: Buffer;
  envelope: { from: string; to: string[] };
  messageId: string;
}

const ADDRESS = z.string().regex(z.regexes.html5Email).max(254);
// eslint-disable-next-line no-control-regex
const MESSAGE_ID = /^<[^\s<>\x00-\x1f\x7f]{1,996}>$/;
const CONTENT_TYPE = /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$/;

/**
 * The identity a message is written as: the one named (by id), else the account's default, else
 * its first. Never a free From: only an identity the account has.
 */
export function pickIdentity(account: Pick<AccountSettings, 'name' | 'identities'>, identityId?: string): Identity {
  if (identityId !== undefined) {
    const found = account.identities.find((i) => i.id === identityId);
    if (!found) throw new AppFailure('invalid', `account "${account.name}" has no identity ${JSON.stringify(identityId.slice(0, 64))} to send as`);
    return found;
  }
  const chosen = account.identities.find((i) => i.default) ?? account.identities[0];
  if (!chosen) throw new AppFailure('invalid', `account "${account.name}" has no identity (an address to send from): add one in its settings`);
  return chosen;
}

/** "Bob <bob@example.org>" or "bob@example.org" into one checked mailbox. */
function mailbox(field: string, text: string): { name: string; address: string } {
  const shown = JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text);
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(text)) throw new AppFailure('invalid', `${field}: ${shown} has a line break or control character in it`);
  const parsed = addressparser(text, { flatten: true });
  const one = parsed.length === 1 ? parsed[0] : undefined;
  if (!one || !one.address || !ADDRESS.safeParse(one.address).success) {
    throw new AppFailure('invalid', `${field}: ${shown} is not an email address (one address per entry, like bob@example.org or "Bob <bob@example.org>")`);
  }
  return { name: one.name, address: one.address };
}

function mailboxes(field: string, list: readonly string[] | undefined) {
  return (list ?? []).map((t) => mailbox(field, t));
}

/** Strict base64 (the renderer could send anything): whitespace allowed, nothing else. */
function decodeBase64(filename: string, b64: string): Buffer {
  const clean = b64.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(clean) || clean.length % 4 !== 0) {
    throw new AppFailure('invalid', `attachment ${JSON.stringify(filename)}: its content is not base64`);
  }
  return Buffer.from(clean, 'base64');
}

/**
 * Every line end as CRLF. MailComposer writes headers and boundaries with CRLF but leaves the
 * line breaks of a quoted-printable or 8bit text part as they came (bare LF from a textarea or a
 * file); SMTP requires CRLF, and the outbox files the bytes it sends, so they are made canonical
 * here once, before anything is stored. Base64 parts contain no bare line ends to change.
 */
export function toCrlf(raw: Buffer): Buffer {
  return Buffer.from(raw.toString('latin1').replace(/\r\n|\r|\n/g, '\r\n'), 'latin1');
}

function compile(mc: MailComposer): Promise<Buffer> {
  return new Promise((resolve, reject) => mc.compile().build((err, out) => (err ? reject(err) : resolve(out))));
}

export async function buildMessage(identity: Identity, input: ComposeInput, opts: { now?: Date } = {}): Promise<BuiltMessage> {
  const to = mailboxes('To', input.to);
  const cc = mailboxes('Cc', input.cc);
  const bcc = mailboxes('Bcc', input.bcc);
  if (to.length + cc.length + bcc.length === 0) throw new AppFailure('invalid', 'The message has no recipients: add at least one address in To, Cc or Bcc.');
  for (const [field, id] of [['In-Reply-To', input.inReplyTo], ...(input.references ?? []).map((r) => ['References', r] as const)] as const) {
    if (id !== undefined && !MESSAGE_ID.test(id)) throw new AppFailure('invalid', `${field}: ${JSON.stringify(id.slice(0, 80))} is not a message id like <abc@example.org>`);
  }
  const attachments = (input.attachments ?? []).map((a) => {
    if (a.contentType !== undefined && !CONTENT_TYPE.test(a.contentType)) throw new AppFailure('invalid', `attachment ${JSON.stringify(a.filename)}: ${JSON.stringify(a.contentType.slice(0, 80))} is not a content type`);
    // Always base64: a text attachment sent quoted-printable keeps its bare line ends literal, and
    // making the message CRLF would then change the file the recipient gets.
    return { filename: a.filename, contentType: a.contentType ?? 'application/octet-stream', content: decodeBase64(a.filename, a.content), contentTransferEncoding: 'base64' as const };
  });
  const domain = identity.address.slice(identity.address.lastIndexOf('@') + 1);
  const messageId = `<${randomUUID()}@${domain}>`;
  const mc = new MailComposer({
    from: { name: identity.name, address: identity.address },
    ...(identity.replyTo ? { replyTo: identity.replyTo } : {}),
    to,
    ...(cc.length ? { cc } : {}),
    // No bcc here: Bcc goes only into the envelope, so no header can show it.
    // A line break in a subject would start a header of its own: it becomes a space.
    // Other control characters (NUL, ESC) are refused by some servers: they become spaces too.
    // eslint-disable-next-line no-control-regex -- control characters are what is being removed
    subject: input.subject.replace(/[\r\n]+/g, ' ').replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, ' '),
    messageId,
    date: opts.now ?? new Date(),
    ...(input.inReplyTo ? { inReplyTo: input.inReplyTo } : {}),
    ...(input.references?.length ? { references: [...input.references] } : {}),
    text: input.text,
    ...(input.html !== undefined ? { html: input.html } : {}),
    attachments,
    // Contents come only from the buffers above, never from a path or URL the caller names.
    disableFileAccess: true,
    disableUrlAccess: true,
  });
  const raw = toCrlf(await compile(mc));
  const seen = new Set<string>();
  const rcpt: string[] = [];
  for (const m of [...to, ...cc, ...bcc]) {
    const key = m.address.toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    rcpt.push(m.address);
  }
  return { raw, envelope: { from: identity.address, to: rcpt }, messageId };
}
