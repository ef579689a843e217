/**
 * How a compose screen starts (new, reply, reply all, forward, forward as attachment), from the
 * original as read from the store. Pure: the rules live in subject.ts, recipients.ts and
 * quote.ts; this puts them together into the Draft the screen opens with.
 */
import type { AccountSettings } from '../../../shared/accounts.js';
import { COMPOSE_LIMITS, type ComposeAttachment, type ComposeMode, type Draft } from '../../../shared/compose.js';
import type { AttachmentInfo, MessageSummary } from '../../../shared/messages.js';
import { MESSAGE_ID } from './build-message.js';
import { forwardText, newText, replyText, type QuoteOptions } from './quote.js';
import { formatAddress, ownAddresses, replyIdentity, replyRecipients, sentByUser, type OriginalHeaders } from './recipients.js';
import { forwardSubject, replySubject } from './subject.js';

export interface Original {
  id: string;
  summary: Pick<MessageSummary, 'subject' | 'date' | 'messageId' | 'references' | 'size'>;
  headers: OriginalHeaders;
  /** Filed in Sent: the user wrote it. */
  inSent: boolean;
  text: string | null;
  html: string | null;
  attachments: readonly AttachmentInfo[];
  /** What a save dialog would call it: "<subject>.eml". */
  fileName: string;
}

export interface ComposeContext {
  /** The account the draft belongs to: the original's, or the one chosen for a new message. */
  account: AccountSettings;
  /** Every account (the user's own addresses are all of theirs). */
  accounts: readonly AccountSettings[];
  sizeLimit: number | null;
  timeZone?: string | undefined;
}

/** References of a reply: the original's References and its Message-ID, at most 100 (the first and the last 99). */
export function replyReferences(original: Pick<MessageSummary, 'references' | 'messageId'>): string[] {
  // Only ids Send accepts: an odd one in old mail must not make the reply unsendable.
  const refs = original.references.filter((r) => MESSAGE_ID.test(r));
  const own = original.messageId !== null && MESSAGE_ID.test(original.messageId) ? original.messageId : null;
  if (own && refs[refs.length - 1] !== own) refs.push(own);
  const max = COMPOSE_LIMITS.references;
  // The first names the thread's root, the last ones the parents: the middle is what can go.
  return refs.length > max ? [refs[0]!, ...refs.slice(-(max - 1))] : refs;
}

function blank(ctx: ComposeContext): Draft {
  const identity = ctx.account.identities.find((i) => i.default) ?? ctx.account.identities[0] ?? null;
  return {
    accountId: ctx.account.id,
    identityId: identity?.id ?? null,
    to: [],
    cc: [],
    bcc: [],
    subject: '',
    text: newText({ signature: identity?.signature }),
    html: null,
    inReplyTo: null,
    references: [],
    storedAttachments: [],
    draftId: null,
    sizeLimit: ctx.sizeLimit,
  };
}

export function composeFrom(mode: ComposeMode, original: Original | null, ctx: ComposeContext): Draft {
  const draft = blank(ctx);
  if (mode === 'new' || original === null) return draft;
  const own = ownAddresses(ctx.accounts);
  const bySelf = sentByUser(original.headers, own, original.inSent);
  const identity = replyIdentity(ctx.account, original.headers, bySelf);
  const opts: QuoteOptions = { signature: identity?.signature, timeZone: ctx.timeZone };
  const quoted = { ...original.headers, subject: original.summary.subject, date: original.summary.date, text: original.text, html: original.html };
  const base = { ...draft, identityId: identity?.id ?? null };
  if (mode === 'reply' || mode === 'replyAll') {
    const { to, cc } = replyRecipients(original.headers, { all: mode === 'replyAll', own, bySelf });
    return {
      ...base,
      to: to.map(formatAddress),
      cc: cc.map(formatAddress),
      subject: replySubject(original.summary.subject),
      text: replyText(quoted, opts),
      inReplyTo: original.summary.messageId !== null && MESSAGE_ID.test(original.summary.messageId) ? original.summary.messageId : null,
      references: replyReferences(original.summary),
    };
  }
  if (mode === 'forward') {
    // The original's files go along; images that only illustrate its HTML stay behind with it.
    const kept: ComposeAttachment[] = original.attachments
      .filter((a) => !a.inline)
      .map((a) => ({ id: original.id, attachmentId: a.id, filename: a.filename ?? `attachment-${a.id}`, contentType: a.contentType, size: a.size }));
    return { ...base, subject: forwardSubject(original.summary.subject), text: forwardText(quoted, opts), storedAttachments: kept };
  }
  // Forward as attachment: the whole message, as it was received.
  return {
    ...base,
    subject: forwardSubject(original.summary.subject),
    text: newText(opts),
    storedAttachments: [{ id: original.id, filename: original.fileName, contentType: 'message/rfc822', size: original.summary.size }],
  };
}
