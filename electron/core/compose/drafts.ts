/**
 * Drafts as real messages in the account's Drafts folder (Maildir flag D), so another mail
 * program sees them too and nothing but the file holds a draft. Saving writes the new version
 * durably (tmp → fsync → rename → fsync of the folder) and only then removes the version it
 * replaces: a crash in between leaves two versions, never none. A draft is local, so removing
 * one touches no server. Opening one parses it back into the compose screen's fields.
 */
import { roleKey } from '../../../shared/folders.js';
import type { MessageRecord } from '../../../shared/changes.js';
import type { Address } from '../../../shared/messages.js';
import type { AccountSettings, Identity } from '../../../shared/accounts.js';
import type { ComposeAttachment as ListedAttachment, Draft } from '../../../shared/compose.js';
import { AppFailure } from '../errors.js';
import { summarizeSafely } from '../ingest/summary-queue.js';
import { readBody } from '../mime/body.js';
import { fieldValue, headerFields, splitHeader, type HeaderLine } from '../mime/headers.js';
import { readPrefix } from '../mime/raw.js';
import type { Journal } from '../store/journal.js';
import type { AccountMailbox } from '../store/mailbox.js';
import { newLocalId } from '../store/ids.js';
import { buildMessage, DRAFT_IDENTITY_HEADER, type ComposeInput } from './build-message.js';
import { formatAddress } from './recipients.js';

export const DRAFTS = roleKey('drafts');

const HEADER_PREFIX_BYTES = 256 * 1024;

export interface DraftDeps {
  /** Run `fn` with the account's open mailbox, beside a sync (a draft is a quick local write). */
  withBox<T>(accountId: string, fn: (box: AccountMailbox) => Promise<T>): Promise<T>;
  journal: Pick<Journal, 'get' | 'append'>;
  /** The stored file of a message (found again if renamed under the reader). */
  locate(id: string): Promise<string>;
  now(): number;
}

/** The header fields of a stored message (the first 256 KB is plenty for any header). */
export async function readHeaderLines(file: string): Promise<HeaderLine[]> {
  return splitHeader(await readPrefix(file, HEADER_PREFIX_BYTES)).lines;
}

/** Addresses of any header field, decoded as To's are (headerFields reads To, Cc, From only). */
export function addressesOf(lines: readonly HeaderLine[], key: string): Address[] {
  return headerFields(lines.filter((l) => l.key === key).map((l) => ({ ...l, key: 'to' }))).to;
}

export class DraftStore {
  constructor(private readonly deps: DraftDeps) {}

  /** The draft's record, refused in plain words unless it is a draft of this account. */
  requireDraft(accountId: string, id: string, doing = 'nothing was changed'): MessageRecord {
    const m = this.deps.journal.get(id);
    if (!m) throw new AppFailure('invalid', `That draft is no longer in Drafts (it may have been sent or deleted already): ${doing}.`);
    if (m.accountId !== accountId || m.folder !== DRAFTS) throw new AppFailure('invalid', `That message is not a draft of this account: ${doing}.`);
    return m;
  }

  /**
   * Save `input` as a draft written as `identity`, replacing `replaces` (a draft of the same
   * account). Returns the new draft's id and its attachments as the compose screen lists them.
   */
  async save(account: AccountSettings, identity: Identity, input: ComposeInput, replaces?: string): Promise<{ id: string; storedAttachments: ListedAttachment[] }> {
    // A draft deleted meanwhile (in another window) leaves nothing to replace: the text is still saved.
    if (replaces !== undefined && this.deps.journal.get(replaces)) this.requireDraft(account.id, replaces, 'nothing was saved');
    else replaces = undefined;
    const built = await buildMessage(identity, input, { now: new Date(this.deps.now()), draft: true });
    const id = newLocalId();
    const file = await this.deps.withBox(account.id, async (box) => {
      await box.maildir.addMessage(built.raw, DRAFTS, { seen: true, flagged: false }, id, 'D');
      const p = box.maildir.pathOf(id)!;
      const m: MessageRecord = { id, accountId: account.id, uidl: '', receivedAt: this.deps.now(), partial: false, flags: { seen: true, flagged: false }, folder: DRAFTS, summary: await summarizeSafely(p) };
      await this.deps.journal.append([{ t: 'add', m }]);
      // Only now, with the new version durable, does the old one go. Should that fail, the save
      // still succeeded: two versions are left, never none, and the user can delete one.
      if (replaces !== undefined) await this.removeIn(box, account.id, replaces).catch(() => {});
      return p;
    });
    const body = await readBody(file, { maxTextBytes: 0 });
    return { id, storedAttachments: body.attachments.map((a) => ({ id, attachmentId: a.id, filename: a.filename ?? `attachment-${a.id}`, contentType: a.contentType, size: a.size })) };
  }

  /** Remove a draft (sent, or replaced by a newer save): local only, no server effect. */
  async remove(accountId: string, id: string): Promise<void> {
    this.requireDraft(accountId, id);
    await this.deps.withBox(accountId, (box) => this.removeIn(box, accountId, id));
  }

  private async removeIn(box: AccountMailbox, accountId: string, id: string): Promise<void> {
    const m = this.deps.journal.get(id);
    // Checked again in the mailbox's turn: it may have been moved out of Drafts meanwhile.
    if (!m || m.accountId !== accountId || m.folder !== DRAFTS || box.maildir.get(id)?.folder !== DRAFTS) return;
    // A message with a UIDL came from the server: its deletion is the ledger's business (Delete), not a draft's.
    if (m.uidl !== '') return;
    const removed: string[] = [];
    try {
      await box.maildir.removeMany([id], { onlyIn: DRAFTS, onRemoved: (r) => removed.push(r) });
    } finally {
      await this.deps.journal.append(removed.map((r) => ({ t: 'remove' as const, id: r })));
    }
  }

  /** A stored draft back into the compose screen's fields. */
  async open(account: AccountSettings, id: string, sizeLimit: number | null): Promise<Draft> {
    this.requireDraft(account.id, id);
    const file = await this.deps.locate(id);
    const lines = await readHeaderLines(file);
    const fields = headerFields(lines);
    const body = await readBody(file);
    const named = lines.find((l) => l.key === DRAFT_IDENTITY_HEADER.toLowerCase());
    const namedId = named ? fieldValue(named) : null;
    // A draft from elsewhere (Undo send, another program) names no identity: its From does.
    const identity =
      account.identities.find((i) => i.id === namedId) ??
      account.identities.find((i) => fields.from.some((f) => f.address.toLowerCase() === i.address.toLowerCase())) ??
      null;
    const list = (a: readonly Address[]) => a.filter((x) => x.address || x.name).map(formatAddress);
    return {
      accountId: account.id,
      identityId: identity?.id ?? null,
      to: list(fields.to),
      cc: list(fields.cc),
      bcc: list(addressesOf(lines, 'bcc')),
      subject: fields.subject,
      text: (body.text ?? '').replace(/\r\n?/g, '\n').replace(/\n$/, ''),
      html: body.html,
      inReplyTo: fields.inReplyTo,
      references: fields.references,
      storedAttachments: body.attachments.map((a) => ({ id, attachmentId: a.id, filename: a.filename ?? `attachment-${a.id}`, contentType: a.contentType, size: a.size })),
      draftId: id,
      sizeLimit,
    };
  }
}
