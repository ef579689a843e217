/**
 * Writing mail, behind MailService: how a compose screen starts (compose-from.ts), drafts
 * (drafts.ts), attachments that stay in main (stored-attachments.ts), address suggestions
 * (suggest.ts), and what Send needs from them. It reads stored messages through MessageFiles
 * and writes only into Drafts; sending stays with the outbox.
 */
import type { z } from 'zod';
import type { AccountSettings } from '../../../shared/accounts.js';
import type { AddressSuggestion, ComposeMode, Draft, SaveDraft, StagedAttachment, StoredAttachment } from '../../../shared/compose.js';
import { roleKey } from '../../../shared/folders.js';
import { COMPOSE_LIMITS, base64DecodedBytes } from '../../../shared/compose.js';
import { AppFailure } from '../errors.js';
import { readBody } from '../mime/body.js';
import { headerFields } from '../mime/headers.js';
import type { Journal } from '../store/journal.js';
import type { AccountMailbox } from '../store/mailbox.js';
import { pickIdentity, type ComposeAttachment, type ComposeInput } from './build-message.js';
import { composeFrom, type Original } from './compose-from.js';
import { addressesOf, DraftStore, readHeaderLines } from './drafts.js';
import { ownAddresses } from './recipients.js';
import { AttachmentStaging } from './staging.js';
import { readStored, tooBig, type StoredFiles } from './stored-attachments.js';
import { AddressBook } from './suggest.js';

/** How much of the original a reply quotes (the text limit of a draft is 2,000,000 characters). */
const QUOTE_MAX_BYTES = 512 * 1024;

export interface ComposeServiceDeps {
  accounts: { get(idOrName: string): AccountSettings; list(): AccountSettings[] };
  journal: Journal;
  files: StoredFiles;
  withBox<T>(accountId: string, fn: (box: AccountMailbox) => Promise<T>): Promise<T>;
  now(): number;
  /** Where an account's staged uploads go (its `sending/` directory, beside the Maildir). */
  stagingDir(accountId: string): string;
  /** For the dates in attribution lines (tests); default: this computer's. */
  timeZone?: string;
}

/** What Send and Save draft take beyond the message itself. */
export interface ComposeExtras {
  storedAttachments?: readonly StoredAttachment[] | undefined;
  stagedAttachments?: readonly StagedAttachment[] | undefined;
  draftId?: string | undefined;
}

/** A message ready to build, and the staged uploads it took (see ComposeService.settle). */
export type Prepared = ComposeInput & { stagedIds: readonly string[] };

function pageBytes(list: readonly ComposeAttachment[] | undefined): number {
  return (list ?? []).reduce((n, a) => n + (typeof a.content === 'string' ? base64DecodedBytes(a.content) : 'file' in a.content ? a.content.size : a.content.length), 0);
}

export class ComposeService {
  readonly drafts: DraftStore;
  /** The page's new files, staged a chunk at a time (staging.ts). */
  readonly staging: AttachmentStaging;
  private readonly book: AddressBook;
  /** Each account's outgoing server's SIZE as last seen (testSmtp): in memory, null until known. */
  private readonly sizeLimits = new Map<string, number | null>();

  constructor(private readonly deps: ComposeServiceDeps) {
    this.drafts = new DraftStore({ withBox: deps.withBox, journal: deps.journal, locate: (id) => deps.files.locate(id), now: deps.now });
    this.staging = new AttachmentStaging({ dirFor: (id) => deps.stagingDir(this.deps.accounts.get(id).id), now: deps.now });
    this.book = new AddressBook(deps.journal, () => ownAddresses(deps.accounts.list()), deps.now);
  }

  rememberSizeLimit(accountId: string, sizeLimit: number | null): void {
    this.sizeLimits.set(accountId, sizeLimit);
  }

  sizeLimit(accountId: string): number | null {
    return this.sizeLimits.get(accountId) ?? null;
  }

  /** Start writing: a new message (in `accountId`, else the first account that can send), or from a stored message. */
  async composeFrom(mode: ComposeMode, from: { id?: string | undefined; accountId?: string | undefined }): Promise<Draft> {
    const accounts = this.deps.accounts.list();
    if (mode === 'new') {
      const account = from.accountId !== undefined ? this.deps.accounts.get(from.accountId) : (accounts.find((a) => a.smtp !== null) ?? accounts[0]);
      if (!account) throw new AppFailure('invalid', 'Add an account first: there is no account to write from.');
      return composeFrom('new', null, { account, accounts, sizeLimit: this.sizeLimit(account.id), timeZone: this.deps.timeZone });
    }
    if (from.id === undefined) throw new AppFailure('invalid', `Choose a message to ${mode === 'reply' || mode === 'replyAll' ? 'reply to' : 'forward'}.`);
    const original = await this.readOriginal(from.id);
    // The account the original arrived on writes the answer.
    const account = this.deps.accounts.get(this.deps.files.record(from.id).accountId);
    return composeFrom(mode, original, { account, accounts, sizeLimit: this.sizeLimit(account.id), timeZone: this.deps.timeZone });
  }

  private async readOriginal(id: string): Promise<Original> {
    const m = this.deps.files.record(id);
    const file = await this.deps.files.locate(id);
    const lines = await readHeaderLines(file);
    const fields = headerFields(lines);
    const body = await readBody(file, { maxTextBytes: QUOTE_MAX_BYTES });
    return {
      id,
      summary: m.summary,
      headers: {
        from: fields.from,
        to: fields.to,
        cc: fields.cc,
        replyTo: addressesOf(lines, 'reply-to'),
        deliveredTo: [...addressesOf(lines, 'delivered-to'), ...addressesOf(lines, 'x-original-to')],
      },
      inSent: m.folder === roleKey('sent'),
      text: body.text,
      html: body.html,
      attachments: body.attachments,
      fileName: this.deps.files.fileName(id),
    };
  }

  /**
   * The message with its stored attachments read (bytes from the store, same account only, all
   * attachments together within the limit), and the draft it came from checked.
   */
  async prepare(account: AccountSettings, input: ComposeInput & ComposeExtras, purpose: 'send' | 'save'): Promise<Prepared> {
    if (input.draftId !== undefined) {
      // For Send, a draft already gone most likely went out already (Send pressed twice): refused.
      // For Save, one deleted meanwhile just leaves nothing to replace (drafts.save).
      if (purpose === 'send') this.drafts.requireDraft(account.id, input.draftId, 'nothing was sent');
      else if (this.deps.journal.get(input.draftId)) this.drafts.requireDraft(account.id, input.draftId, 'nothing was saved');
    }
    const stored = input.storedAttachments ?? [];
    const stagedList = input.stagedAttachments ?? [];
    if (stored.length === 0 && stagedList.length === 0) return { ...input, stagedIds: [] };
    const already = pageBytes(input.attachments);
    if (already > COMPOSE_LIMITS.attachmentBytes) throw tooBig(already);
    // Staged files are read from disk as the message is built; taken until settle().
    const staged = this.staging.take(account.id, stagedList, already);
    try {
      const read = await readStored(this.deps.files, account.id, stored, already + pageBytes(staged.attachments));
      return { ...input, attachments: [...(input.attachments ?? []), ...staged.attachments, ...read], stagedIds: staged.ids };
    } catch (e) {
      this.staging.release(staged.ids);
      throw e;
    }
  }

  /**
   * After Send or Save draft: the staged files it used go once the message is in the Outbox or
   * in Drafts (`done`); after a failure they stay, for the page to try again.
   */
  async settle(message: Prepared, done: boolean): Promise<void> {
    if (done) await this.staging.consume(message.stagedIds);
    else this.staging.release(message.stagedIds);
  }

  /** Save draft: into Drafts durably, then the version it replaces goes. */
  async saveDraft(input: z.output<typeof SaveDraft>): Promise<{ id: string; storedAttachments: Draft['storedAttachments'] }> {
    const account = this.deps.accounts.get(input.accountId);
    const identity = pickIdentity(account, input.identityId);
    const message = await this.prepare(account, input, 'save');
    let saved;
    try {
      saved = await this.drafts.save(account, identity, message, input.draftId);
    } catch (e) {
      await this.settle(message, false);
      throw e;
    }
    await this.settle(message, true);
    return saved;
  }

  async openDraft(id: string): Promise<Draft> {
    const account = this.deps.accounts.get(this.deps.files.record(id).accountId);
    return this.drafts.open(account, id, this.sizeLimit(account.id));
  }

  /** Drafts whose Send is under way (between the check and the draft's removal). */
  private readonly sending = new Set<string>();

  /**
   * Send of a draft takes it for itself first: a second Send of the same draft meanwhile (a
   * second window, a double click) is refused instead of queuing the message twice. The
   * returned function lets go once the first Send has finished either way.
   */
  claimDraft(draftId: string | undefined): () => void {
    if (draftId === undefined) return () => {};
    if (this.sending.has(draftId)) throw new AppFailure('invalid', 'This draft is being sent already (from another window?): it was not sent twice.');
    this.sending.add(draftId);
    return () => this.sending.delete(draftId);
  }

  /** Once its message is queued, the draft it was written in goes (a failure leaves the draft, never the message). */
  async queued(accountId: string, draftId: string | undefined): Promise<void> {
    if (draftId === undefined) return;
    await this.drafts.remove(accountId, draftId).catch(() => {});
  }

  suggestAddresses(query: string, limit: number): AddressSuggestion[] {
    return this.book.suggest(query, limit);
  }

  /** Whether the user has written to this address (the junk filter's "never junk"). */
  hasWrittenTo(address: string): boolean {
    return this.book.hasWrittenTo(address);
  }
}
