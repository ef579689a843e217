/**
 * The message being written, as the screen holds it: the Draft's fields, the files added since
 * the last save (their bytes, until a save stores them), and the draft it replaces.
 */
import type { ComposeAttachment, Draft, SaveDraft } from '../../../../shared/compose.js';
import type { SendMessage } from '../../../../shared/contract.js';
import type { NewFile } from './files.js';

export interface ComposeState {
  accountId: string;
  identityId: string | null;
  to: string[];
  cc: string[];
  bcc: string[];
  subject: string;
  text: string;
  /** The rich-text body when the user chose rich text (null: plain text). */
  html: string | null;
  inReplyTo: string | null;
  references: string[];
  /** Attachments main holds (a forward's, or stored by an earlier save). */
  stored: ComposeAttachment[];
  /** Files added since the last save, with their bytes. */
  files: NewFile[];
  draftId: string | null;
  sizeLimit: number | null;
}

export function fromDraft(d: Draft): ComposeState {
  return {
    accountId: d.accountId,
    identityId: d.identityId,
    to: d.to,
    cc: d.cc,
    bcc: d.bcc,
    subject: d.subject,
    text: d.text,
    html: d.html,
    inReplyTo: d.inReplyTo,
    references: d.references,
    stored: d.storedAttachments,
    files: [],
    draftId: d.draftId,
    sizeLimit: d.sizeLimit,
  };
}

/** The fields Save draft and Send share. */
export function draftInput(s: ComposeState): SaveDraft {
  return {
    accountId: s.accountId,
    ...(s.identityId ? { identityId: s.identityId } : {}),
    to: s.to,
    cc: s.cc,
    bcc: s.bcc,
    subject: s.subject,
    text: s.text,
    ...(s.html !== null ? { html: s.html } : {}),
    ...(s.inReplyTo ? { inReplyTo: s.inReplyTo } : {}),
    ...(s.references.length ? { references: s.references } : {}),
    ...(s.files.length ? { stagedAttachments: s.files.map((f) => ({ uploadId: f.uploadId })) } : {}),
    ...(s.stored.length ? { storedAttachments: s.stored.map((a) => ({ id: a.id, ...(a.attachmentId ? { attachmentId: a.attachmentId } : {}) })) } : {}),
    ...(s.draftId ? { draftId: s.draftId } : {}),
  };
}

export function sendInput(s: ComposeState, sendAt?: number): SendMessage {
  return { ...draftInput(s), ...(sendAt !== undefined ? { sendAt } : {}) } as SendMessage;
}

/** Nothing the user would miss: no recipient, subject, text or attachment. */
export function isEmpty(s: ComposeState): boolean {
  return !s.to.length && !s.cc.length && !s.bcc.length && !s.subject.trim() && !s.text.trim() && !(s.html ?? '').replace(/<[^>]*>/g, '').trim() && !s.stored.length && !s.files.length;
}

export function attachmentBytes(s: ComposeState): number {
  return s.stored.reduce((n, a) => n + a.size, 0) + s.files.reduce((n, f) => n + f.size, 0);
}

/**
 * After a save: the draft's new id and stored attachments. `sent` is the state the save was made
 * from; `s` is the newest. What the user removed while the save was under way stays removed (the
 * saved draft still holds it, so it would otherwise come back and be sent: a forward's attachment
 * deliberately taken off), and files added meanwhile stay to be sent next time.
 */
export function afterSave(s: ComposeState, saved: { id: string; storedAttachments: ComposeAttachment[] }, sent: Pick<ComposeState, 'stored' | 'files'>): ComposeState {
  // Main stores the page's new files first, then the stored ones, each list in the order given
  // (compose-service prepare, build-message): position i of the saved list is origins[i].
  const origins: { kept: boolean; filename: string }[] = [
    ...sent.files.map((f) => ({ kept: s.files.some((g) => g.key === f.key), filename: f.filename })),
    ...sent.stored.map((a) => ({ kept: s.stored.includes(a), filename: a.filename })),
  ];
  let stored: ComposeAttachment[];
  if (saved.storedAttachments.length === origins.length) {
    stored = saved.storedAttachments.filter((_, i) => origins[i]!.kept);
  } else {
    // Main listed the draft's parts otherwise: drop one part of the same name per removal.
    const gone = origins.filter((o) => !o.kept).map((o) => o.filename);
    stored = saved.storedAttachments.filter((a) => {
      const i = gone.indexOf(a.filename);
      if (i < 0) return true;
      gone.splice(i, 1);
      return false;
    });
  }
  const sentKeys = new Set(sent.files.map((f) => f.key));
  return {
    ...s,
    draftId: saved.id,
    stored: [...stored, ...s.stored.filter((a) => !sent.stored.includes(a))],
    files: s.files.filter((f) => !sentKeys.has(f.key)),
  };
}
