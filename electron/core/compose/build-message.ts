/**
 * What Send is given (recipients, subject, text, attachments, the identity to write as) into
 * the exact bytes the outbox files and sends, and their SMTP envelope. Built by nodemailer's
 * MailComposer (RFC 2047 headers, MIME structure, encodings); this module decides what goes in:
 * From and Reply-To only from one of the account's identities, a Date and a Message-ID of our
 * own, Bcc in the envelope and never in the headers, and every address checked first.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { domainToASCII, domainToUnicode } from 'node:url';
import addressparser from 'nodemailer/lib/addressparser';
import MailComposer from 'nodemailer/lib/mail-composer';
import type { AccountSettings, Identity } from '../../../shared/accounts.js';
import { hasInternationalLocalPart, isMailAddress } from '../../../shared/address.js';
import { AppFailure, isAppFailure } from '../errors.js';
import { CrlfTransform } from './crlf-stream.js';
import { encodeFlowed } from './flowed.js';
import { sanitizeHtml } from './sanitize-html.js';

export interface ComposeAttachment {
  filename: string;
  /** Default: application/octet-stream. */
  contentType?: string | undefined;
  /**
   * The file's bytes: base64 text as they cross the contract, bytes main read itself (a stored
   * part), or a file on this computer read as the message is built (AttachmentFile).
   */
  content: string | Buffer | AttachmentFile;
}

/**
 * A file named by a trusted caller only (the CLI, for its --attach): read as a stream while the
 * message is built, never whole. The contract's schemas give the renderer only base64 strings,
 * so no path can come from a page. `size` is what the caller saw (stat), for limits.
 */
export interface AttachmentFile {
  file: string;
  size: number;
}

function isFile(content: ComposeAttachment['content']): content is AttachmentFile {
  return typeof content === 'object' && !Buffer.isBuffer(content);
}

/** The header that names the identity a draft was written as, so it reopens with it. */
export const DRAFT_IDENTITY_HEADER = 'X-Popbox-Draft-Identity';

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

export interface BuildOptions {
  now?: Date;
  /**
   * Build a draft for the Drafts folder rather than a message to send: recipients may be missing
   * or half typed (kept as typed, control characters removed), Bcc stays in the headers (the
   * user wrote it), and the identity is named in DRAFT_IDENTITY_HEADER.
   */
  draft?: boolean;
  /**
   * Header fields of a trusted caller's own (a filter's forward marks itself with
   * Auto-Submitted, RFC 3834): never from the renderer, whose input has no such field.
   */
  headers?: Readonly<Record<string, string>>;
}

export interface BuiltMessage {
  /** The whole message, CRLF line ends throughout. */
  raw: Buffer;
  envelope: { from: string; to: string[] };
  messageId: string;
}

// eslint-disable-next-line no-control-regex
export const MESSAGE_ID = /^<[^\s<>\x00-\x1f\x7f]{1,996}>$/;
export const CONTENT_TYPE = /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$/;

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
  // NFC: one spelling of jörg whichever way it was typed (RFC 6532 §3.1).
  const address = one?.address ? asciiDomain(one.address.normalize('NFC')) : '';
  // A local part beyond ASCII (jörg@example.org) is an address too: whether the server takes it
  // (SMTPUTF8) is known only when the sender connects, which refuses it there in plain words.
  if (!one || !address || !isMailAddress(address)) {
    throw new AppFailure('invalid', `${field}: ${shown} is not an email address (one address per entry, like bob@example.org or "Bob <bob@example.org>")`);
  }
  return { name: one.name, address };
}

/**
 * An internationalized domain (bücher.example) in its ASCII form (xn--bcher-kva.example, IDNA):
 * every server takes it in the envelope, SMTPUTF8 or not, and MailComposer writes headers so too.
 * With a local part beyond ASCII the address needs SMTPUTF8 anyway, and MailComposer writes its
 * domain in Unicode (RFC 6532): the envelope keeps it so too (checked by IDNA, normalized), so
 * the Outbox names the address the way the headers do. '' for a domain IDNA refuses.
 */
function asciiDomain(address: string): string {
  const at = address.lastIndexOf('@');
  if (at < 1) return address;
  const domain = address.slice(at + 1);
  const international = hasInternationalLocalPart(address);
  // eslint-disable-next-line no-control-regex -- only a non-ASCII domain needs converting
  if (!international && !/[^\x00-\x7f]/.test(domain)) return address;
  const ascii = domainToASCII(domain);
  if (!ascii) return '';
  return `${address.slice(0, at)}@${international ? domainToUnicode(ascii) : ascii}`;
}

function mailboxes(field: string, list: readonly string[] | undefined) {
  return (list ?? []).map((t) => mailbox(field, t));
}

/** A draft keeps what was typed, checked or not: one line each, never a header of its own. */
function draftAddresses(list: readonly string[] | undefined): string[] {
  // eslint-disable-next-line no-control-regex -- a control character could start a header
  return (list ?? []).map((t) => t.replace(/[\x00-\x1f\x7f]+/g, ' ').trim()).filter((t) => t !== '');
}

/** How much of a base64 string is looked at (and decoded) at once: no whole-size copy of 35 MB of text. */
const B64_SLICE = 64 * 1024;

/**
 * Strict base64 (the renderer could send anything): whitespace allowed, nothing else, padding
 * only at the end. Checked a slice at a time; returns the decoded size.
 */
function checkBase64(filename: string, b64: string): number {
  const fail = () => new AppFailure('invalid', `attachment ${JSON.stringify(filename)}: its content is not base64`);
  let chars = 0;
  let pad = 0;
  for (let i = 0; i < b64.length; i += B64_SLICE) {
    const s = b64.slice(i, i + B64_SLICE).replace(/\s+/g, '');
    if (s === '') continue;
    if (pad > 0 ? !/^=+$/.test(s) : !/^[A-Za-z0-9+/]*=*$/.test(s)) throw fail();
    pad += s.length - s.replace(/=+$/, '').length;
    chars += s.length;
  }
  if (pad > 2 || chars % 4 !== 0) throw fail();
  return (chars / 4) * 3 - pad;
}

/**
 * Every line end as CRLF. MailComposer writes headers and boundaries with CRLF but leaves the
 * line breaks of a quoted-printable or 8bit text part as they came (bare LF from a textarea or a
 * file); SMTP requires CRLF, and the outbox files the bytes it sends, so they are made canonical
 * here once, before anything is stored. Base64 parts contain no bare line ends to change.
 */
export function toCrlf(raw: Buffer): Buffer {
  // Byte by byte on the Buffer: a 25 MB attachment is not copied into strings and back
  // (the latin1 round trip held three copies), and a message already canonical is not copied.
  const n = raw.length;
  let extra = 0;
  for (let i = 0; i < n; i++) {
    const c = raw[i];
    if (c === 0x0d) {
      if (raw[i + 1] === 0x0a) i++;
      else extra++;
    } else if (c === 0x0a) extra++;
  }
  if (extra === 0) return raw;
  const out = Buffer.allocUnsafe(n + extra);
  let o = 0;
  let start = 0;
  for (let i = 0; i < n; i++) {
    const c = raw[i];
    if (c === 0x0d && raw[i + 1] === 0x0a) {
      i++;
      continue;
    }
    if (c !== 0x0d && c !== 0x0a) continue;
    o += raw.copy(out, o, start, i);
    out[o++] = 0x0d;
    out[o++] = 0x0a;
    start = i + 1;
  }
  o += raw.copy(out, o, start, n);
  return o === out.length ? out : out.subarray(0, o);
}

/**
 * The built message in one Buffer sized up front (`estimate`, grown if short): collecting the
 * stream's chunks and joining them (what MimeNode.build does) holds the message twice at the end.
 */
async function compile(mc: MailComposer, keepBcc: boolean, estimate: number): Promise<Buffer> {
  const node = mc.compile();
  node.keepBcc = keepBcc;
  let out = Buffer.allocUnsafe(Math.max(64 * 1024, estimate));
  let length = 0;
  for await (const chunk of node.createReadStream() as AsyncIterable<Buffer>) {
    if (length + chunk.length > out.length) {
      const bigger = Buffer.allocUnsafe(Math.max(out.length * 2, length + chunk.length));
      out.copy(bigger, 0, 0, length);
      out = bigger;
    }
    length += chunk.copy(out, length);
  }
  return out.subarray(0, length);
}

/** Roughly the built size: base64 grows 4/3 plus line ends, text may grow 3× as quoted-printable. */
function estimateSize(input: ComposeInput, attachmentBytes: number): number {
  const sizes = attachmentBytes;
  return Math.ceil((sizes * 4) / 3 / 76) * 78 + 3 * (input.text.length + (input.html?.length ?? 0)) + 64 * 1024;
}

const FEED_CHUNK = 64 * 1024;

/**
 * Checked base64 (checkBase64) decoded a slice at a time as MailComposer reads it: the whole
 * file is never in memory, as text without its whitespace or as bytes. A slice's whitespace can
 * leave a group of 4 characters split: the rest waits for the next slice.
 */
function feedBase64(b64: string): Readable {
  return Readable.from(
    (function* pieces() {
      let carry = '';
      for (let i = 0; i < b64.length; i += B64_SLICE) {
        const s = carry + b64.slice(i, i + B64_SLICE).replace(/\s+/g, '');
        const whole = s.length - (s.length % 4);
        carry = s.slice(whole);
        if (whole > 0) yield Buffer.from(s.slice(0, whole), 'base64');
      }
    })(),
    { objectMode: false },
  );
}

/** A file read 64 KB at a time, opened only when MailComposer first reads it (a build that fails earlier opens nothing). */
function feedFile(file: string): Readable {
  return Readable.from(
    (async function* pieces() {
      yield* createReadStream(file, { highWaterMark: FEED_CHUNK }) as AsyncIterable<Buffer>;
    })(),
    { objectMode: false },
  );
}

/**
 * The bytes as a stream of 64 KB views (no copies). Handed a Buffer, MailComposer's base64
 * encoder takes it in one piece and makes several whole-size strings of it (encoded, then
 * wrapped): for a 25 MB file that was ~150 MB more at once. Fed in pieces, it encodes a piece at a time.
 */
function feed(bytes: Buffer): Readable {
  return Readable.from(
    (function* pieces() {
      for (let i = 0; i < bytes.length; i += FEED_CHUNK) yield bytes.subarray(i, i + FEED_CHUNK);
    })(),
    { objectMode: false },
  );
}

/**
 * The body parts: the text as format=flowed (RFC 3676) UTF-8, and the rich text, cleaned of
 * anything active, after it as the preferred alternative. Passed as alternatives because
 * MailComposer's own `text` always gets a plain "text/plain; charset=utf-8".
 */
function bodyParts(input: ComposeInput): { alternatives: { content: string; contentType: string }[] } {
  const text = { content: encodeFlowed(input.text), contentType: 'text/plain; charset=utf-8; format=flowed' };
  if (input.html === undefined) return { alternatives: [text] };
  return { alternatives: [text, { content: sanitizeHtml(input.html), contentType: 'text/html; charset=utf-8' }] };
}

/** What both forms build from: one MailComposer set up with every check made, and the envelope. */
interface Prepared {
  mc: MailComposer;
  draft: boolean;
  envelope: BuiltMessage['envelope'];
  messageId: string;
  attachmentBytes: number;
}

async function prepare(identity: Identity, input: ComposeInput, opts: BuildOptions): Promise<Prepared> {
  const draft = opts.draft === true;
  const to = draft ? draftAddresses(input.to) : mailboxes('To', input.to);
  const cc = draft ? draftAddresses(input.cc) : mailboxes('Cc', input.cc);
  const bcc = draft ? draftAddresses(input.bcc) : mailboxes('Bcc', input.bcc);
  if (!draft && to.length + cc.length + bcc.length === 0) throw new AppFailure('invalid', 'The message has no recipients: add at least one address in To, Cc or Bcc.');
  for (const [field, id] of [['In-Reply-To', input.inReplyTo], ...(input.references ?? []).map((r) => ['References', r] as const)] as const) {
    if (id !== undefined && !MESSAGE_ID.test(id)) throw new AppFailure('invalid', `${field}: ${JSON.stringify(id.slice(0, 80))} is not a message id like <abc@example.org>`);
  }
  let totalBytes = 0;
  const attachments = [];
  for (const a of input.attachments ?? []) {
    if (a.contentType !== undefined && !CONTENT_TYPE.test(a.contentType)) throw new AppFailure('invalid', `attachment ${JSON.stringify(a.filename)}: ${JSON.stringify(a.contentType.slice(0, 80))} is not a content type`);
    const contentType = a.contentType ?? 'application/octet-stream';
    const { content } = a;
    // Stored attachments come as bytes, the page's as base64 (checked, then decoded as it is
    // read), the CLI's as files (read as they are needed).
    totalBytes += typeof content === 'string' ? checkBase64(a.filename, content) : isFile(content) ? content.size : content.length;
    // A forwarded message (message/rfc822) cannot be base64 (RFC 2046 §5.2.1): MailComposer
    // labels it 7bit or 8bit, and its line ends become CRLF like the rest, its canonical form.
    if (/^message\//i.test(contentType)) {
      const bytes = typeof content === 'string' ? Buffer.from(content, 'base64') : isFile(content) ? await readAttachmentFile(a.filename, content) : content;
      attachments.push({ filename: a.filename, contentType, content: bytes, contentDisposition: 'attachment' as const });
      continue;
    }
    // Always base64: a text attachment sent quoted-printable keeps its bare line ends literal, and
    // making the message CRLF would then change the file the recipient gets.
    const fed = typeof content === 'string' ? feedBase64(content) : isFile(content) ? feedFile(content.file) : feed(content);
    attachments.push({ filename: a.filename, contentType, content: fed, contentTransferEncoding: 'base64' as const });
  }
  // The sender as the envelope carries it: like a recipient (NFC, an IDN domain as ASCII unless
  // the local part is beyond ASCII). A Message-ID is ASCII whatever the address: the domain's A-label.
  const sender = asciiDomain(identity.address.normalize('NFC')) || identity.address;
  const domain = domainToASCII(sender.slice(sender.lastIndexOf('@') + 1)) || 'popbox.invalid';
  const messageId = `<${randomUUID()}@${domain}>`;
  const mc = new MailComposer({
    from: { name: identity.name, address: identity.address },
    ...(identity.replyTo ? { replyTo: identity.replyTo } : {}),
    to,
    ...(cc.length ? { cc } : {}),
    // No bcc in a message to send: Bcc goes only into the envelope, so no header can show it.
    // A draft keeps it (it never leaves the computer as it is).
    ...(draft && bcc.length ? { bcc } : {}),
    ...(draft || opts.headers ? { headers: { ...opts.headers, ...(draft ? { [DRAFT_IDENTITY_HEADER]: identity.id } : {}) } } : {}),
    // A line break in a subject would start a header of its own: it becomes a space.
    // Other control characters (NUL, ESC) are refused by some servers: they become spaces too.
    // eslint-disable-next-line no-control-regex -- control characters are what is being removed
    subject: input.subject.replace(/[\r\n]+/g, ' ').replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, ' '),
    messageId,
    date: opts.now ?? new Date(),
    ...(input.inReplyTo ? { inReplyTo: input.inReplyTo } : {}),
    ...(input.references?.length ? { references: [...input.references] } : {}),
    ...bodyParts(input),
    attachments,
    // Contents come only from the buffers and streams above, never from a path or URL in the
    // message's options (a trusted caller's file is opened here, by feedFile).
    disableFileAccess: true,
    disableUrlAccess: true,
  });
  const seen = new Set<string>();
  const rcpt: string[] = [];
  for (const m of [...to, ...cc, ...bcc]) {
    if (typeof m === 'string') continue; // a draft has no envelope
    const key = m.address.toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    rcpt.push(m.address);
  }
  return { mc, draft, envelope: { from: sender, to: rcpt }, messageId, attachmentBytes: totalBytes };
}

async function readAttachmentFile(filename: string, a: AttachmentFile): Promise<Buffer> {
  return fs.readFile(a.file).catch((e: NodeJS.ErrnoException) => {
    throw new AppFailure('invalid', `attachment ${JSON.stringify(filename)}: cannot read ${a.file} (${e.code ?? e.message})`);
  });
}

/** The message in one Buffer: drafts and small callers. */
export async function buildMessage(identity: Identity, input: ComposeInput, opts: BuildOptions = {}): Promise<BuiltMessage> {
  const p = await prepare(identity, input, opts);
  const raw = toCrlf(await compile(p.mc, p.draft, estimateSize(input, p.attachmentBytes)));
  return { raw, envelope: p.envelope, messageId: p.messageId };
}

export interface BuiltFile {
  /** The whole message in a file of its own in `dir`, CRLF line ends throughout, fsynced. */
  file: string;
  size: number;
  envelope: { from: string; to: string[] };
  messageId: string;
}

/** A day: no build or enqueue takes that long, so such a file was left by a crash. */
const STALE_MS = 24 * 60 * 60 * 1000;

/** Files a crash left between build and enqueue (named by when they were started): removed, nothing else. */
async function sweepStale(dir: string): Promise<void> {
  const names = await fs.readdir(dir).catch(() => [] as string[]);
  for (const name of names) {
    const started = Number(/^(\d+)\.\d+\.[0-9a-f]+\.eml$/.exec(name)?.[1]);
    if (started && Date.now() - started > STALE_MS) await fs.rm(path.join(dir, name), { force: true }).catch(() => {});
  }
}

/**
 * The same message streamed into a new file in `dir` (for the Outbox to rename in: the same
 * filesystem), never whole in memory: a 25 MB attachment goes from its source (a file, base64
 * text) through MailComposer and the CRLF pass to the disk 64 KB at a time. The file is fsynced
 * before this resolves; on failure it is removed.
 */
export async function buildMessageToFile(identity: Identity, input: ComposeInput, dir: string, opts: BuildOptions = {}): Promise<BuiltFile> {
  const p = await prepare(identity, input, opts);
  const node = p.mc.compile();
  node.keepBcc = p.draft;
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  await sweepStale(dir);
  const file = path.join(dir, `${Date.now()}.${process.pid}.${randomBytes(6).toString('hex')}.eml`);
  let size = 0;
  try {
    const handle = await fs.open(file, 'wx', 0o600);
    try {
      await pipeline(node.createReadStream() as Readable, new CrlfTransform(), async (source: AsyncIterable<Buffer>) => {
        for await (const chunk of source) {
          await handle.write(chunk);
          size += chunk.length;
        }
      });
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch (e) {
    await fs.rm(file, { force: true }).catch(() => {});
    if (isAppFailure(e)) throw e;
    const err = e as NodeJS.ErrnoException;
    throw new AppFailure(err.syscall === 'open' && err.path !== file ? 'invalid' : 'storage', `cannot write the message to send: ${err.code ?? err.message}${err.path && err.path !== file ? ` (${err.path})` : ''}`);
  }
  return { file, size, envelope: p.envelope, messageId: p.messageId };
}
