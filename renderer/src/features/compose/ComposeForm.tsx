/**
 * The compose screen itself, the same in the window's panel and in a window of its own: From,
 * To/Cc/Bcc, Subject, body, attachments (button or drop), Send / Send later, Discard. Saving is
 * automatic (useCompose); Close keeps the draft; problems are said next to the field they concern.
 */
import './compose.css';
import { useEffect, useRef, useState, type DragEvent, type FormEvent, type KeyboardEvent } from 'react';
import type { PublicAccount } from '../../../../shared/contract.js';
import { COMPOSE_LIMITS, type Draft } from '../../../../shared/compose.js';
import { call, type PopboxApi } from '../../api/client.js';
import { ConfirmDialog, failureText } from '../../app/ConfirmDialog.js';
import { formatBytes, formatTime } from '../../app/format.js';
import { composeKeyFor } from '../../app/keyboard.js';
import { AddressField } from './AddressField.js';
import { AttachmentList } from './AttachmentList.js';
import { BodyEditor } from './BodyEditor.js';
import { blocksSend, sendProblems } from './checks.js';
import { fieldOfError, type ComposeField } from './errors.js';
import { stageFile, type NewFile } from './files.js';
import { IdentityPicker } from './IdentityPicker.js';
import { attachmentBytes } from './model.js';
import { SendButtons } from './SendButtons.js';
import { identityOf, swapSignature } from './signature.js';
import { useCompose, type SaveStatus } from './useCompose.js';

export interface SentNote {
  id: string;
  accountId: string;
  subject: string;
  sendAt?: number;
}

export interface ComposeFormProps {
  api: PopboxApi;
  draft: Draft;
  accounts: PublicAccount[];
  /** After Close: the draft is saved (or there was nothing to save). */
  onClose: () => void;
  onSent: (note: SentNote) => void;
  onDiscarded: () => void;
  /** The heading's id, for the panel's aria-labelledby. */
  headingId?: string;
  /** A window of its own: closing it with unsaved changes saves them first, then closes. */
  guardUnload?: boolean;
}

function statusText(s: SaveStatus): string {
  if (s.kind === 'saving') return 'Saving…';
  if (s.kind === 'saved') return `Draft saved ${formatTime(s.at)}`;
  if (s.kind === 'failed') return `Draft not saved: ${s.message}`;
  return '';
}

export function ComposeForm({ api, draft, accounts, onClose, onSent, onDiscarded, headingId, guardUnload }: ComposeFormProps) {
  const compose = useCompose(api, draft);
  const { state, update } = compose;
  const [showCc, setShowCc] = useState(draft.cc.length > 0);
  const [showBcc, setShowBcc] = useState(draft.bcc.length > 0);
  const [errors, setErrors] = useState<Partial<Record<ComposeField, string>>>({});
  const [askAttach, setAskAttach] = useState<{ word: string; sendAt?: number } | null>(null);
  const [busy, setBusy] = useState(false);
  const [closing, setClosing] = useState<string | null>(null);
  const [confirmDiscard, setConfirmDiscard] = useState(false);
  const [dragging, setDragging] = useState(false);
  const fileInput = useRef<HTMLInputElement>(null);
  const root = useRef<HTMLFormElement>(null);
  const account = accounts.find((a) => a.id === state.accountId);
  const problems = sendProblems(state);
  const suggest = (query: string) => call(api, 'suggestAddresses', { query, limit: 8 });

  const set = (patch: Parameters<typeof update>[0], field?: ComposeField) => {
    update(patch);
    if (field && errors[field]) setErrors((e) => ({ ...e, [field]: undefined }));
  };

  const addFiles = async (list: FileList | File[] | null) => {
    const all = [...(list ?? [])];
    if (!all.length) return;
    // Over Popbox's limit a file is not even read (a 2 GB video would fill the memory first).
    let room = COMPOSE_LIMITS.attachmentBytes - attachmentBytes(compose.current());
    const files = all.filter((f) => (f.size <= room ? ((room -= f.size), true) : false));
    const refused = all.filter((f) => !files.includes(f));
    if (refused.length) {
      setErrors((x) => ({ ...x, attachments: `Not attached: ${refused.map((f) => `${f.name} (${formatBytes(f.size)})`).join(', ')}. At most ${formatBytes(COMPOSE_LIMITS.attachmentBytes)} can be attached in all; share big files by a link.` }));
    }
    if (!files.length) return;
    try {
      // One file after another: each is staged in main a chunk at a time (files.ts).
      const read: NewFile[] = [];
      for (const f of files) read.push(await stageFile(api, compose.current().accountId, f));
      update((s) => ({ files: [...s.files, ...read] }));
      if (!refused.length) setErrors((e) => ({ ...e, attachments: undefined }));
      setAskAttach(null);
    } catch (e) {
      setErrors((x) => ({ ...x, attachments: `Could not attach the file: ${failureText(e)}` }));
    }
  };

  const send = async (sendAt?: number, anyway = false) => {
    const p = sendProblems(compose.current());
    setErrors(p.fields);
    if (p.fields.to || p.fields.cc || p.fields.bcc) {
      if (p.fields.cc) setShowCc(true);
      if (p.fields.bcc) setShowBcc(true);
      return;
    }
    if (blocksSend(p)) return;
    if (p.missingAttachment && !anyway) return setAskAttach({ word: p.missingAttachment, ...(sendAt !== undefined ? { sendAt } : {}) });
    setAskAttach(null);
    setBusy(true);
    try {
      const r = await compose.send(sendAt);
      const sent = compose.current();
      onSent({ id: r.id, accountId: sent.accountId, subject: sent.subject, ...(sendAt !== undefined ? { sendAt } : {}) });
    } catch (e) {
      const message = failureText(e);
      setErrors({ [fieldOfError(message, compose.current())]: message });
      setBusy(false);
    }
  };

  const close = async () => {
    // While Send is under way the message is main's: a save now would file a second copy.
    if (busy) return;
    setClosing(null);
    try {
      // What is typed while the closing save runs is saved too, before saving stops: the panel
      // is still open and takes keys until onClose.
      do {
        await compose.save();
      } while (compose.dirty());
      compose.stop();
      onClose();
    } catch (e) {
      // Closing loses nothing: the panel stays until the draft is saved or the user says so.
      setClosing(failureText(e));
    }
  };

  const discard = async () => {
    compose.stop();
    // A save under way ends first, so the draft deleted is the newest copy.
    await compose.settled();
    const id = compose.current().draftId;
    if (id) await call(api, 'deleteForGood', { ids: [id] });
    onDiscarded();
  };

  // A window closed by the system (its close button, Ctrl+W): not before the draft is saved.
  const closeRef = useRef(close);
  closeRef.current = close;
  useEffect(() => {
    if (!guardUnload) return;
    const onBeforeUnload = (e: BeforeUnloadEvent) => {
      if (!compose.dirty()) return;
      e.preventDefault();
      e.returnValue = '';
      void closeRef.current();
    };
    window.addEventListener('beforeunload', onBeforeUnload);
    return () => window.removeEventListener('beforeunload', onBeforeUnload);
  }, [guardUnload]);

  const onKeyDown = (e: KeyboardEvent<HTMLFormElement>) => {
    // Keys in a dialog or menu on top of the form are theirs.
    if (!root.current?.contains(e.target as Node)) return;
    const key = composeKeyFor(e);
    if (key === 'send') {
      e.preventDefault();
      if (!busy) void send();
    } else if (key === 'close' && !e.defaultPrevented) {
      e.preventDefault();
      void close();
    }
  };
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    if (!busy) void send();
  };
  const onDrop = (e: DragEvent) => {
    if (!e.dataTransfer.types.includes('Files')) return;
    e.preventDefault();
    setDragging(false);
    void addFiles(e.dataTransfer.files);
  };

  const title = state.subject.trim() || (draft.inReplyTo ? 'Reply' : 'New message');
  return (
    <form
      ref={root}
      className={`compose${dragging ? ' dragging' : ''}`}
      onSubmit={onSubmit}
      onKeyDown={onKeyDown}
      onDragOver={(e) => {
        if (!e.dataTransfer.types.includes('Files')) return;
        e.preventDefault();
        e.dataTransfer.dropEffect = 'copy';
        setDragging(true);
      }}
      onDragLeave={(e) => {
        if (e.currentTarget === e.target) setDragging(false);
      }}
      onDrop={onDrop}
      noValidate
    >
      <header className="compose-head">
        <h2 id={headingId} className="compose-title">
          {title}
        </h2>
        <span className={`compose-status${compose.status.kind === 'failed' ? ' failed' : ''}`} role="status" aria-live="polite">
          {statusText(compose.status)}
        </span>
        <button type="button" className="small" onClick={() => void close()} disabled={busy} title="Close (Escape): the draft is kept">
          Close
        </button>
      </header>
      {closing && (
        <div className="banner" role="alert">
          The draft could not be saved: {closing}{' '}
          <button type="button" className="small" onClick={() => void close()}>
            Try again
          </button>{' '}
          <button type="button" className="small danger" onClick={() => (compose.stop(), onClose())}>
            Close without saving
          </button>
        </div>
      )}
      <div className="compose-fields">
        <IdentityPicker
          account={account}
          identityId={state.identityId}
          onChange={(identityId) =>
            set(
              (s) => ({
                identityId,
                // Plain text carries the signature of the identity it is written as.
                ...(s.html === null ? { text: swapSignature(s.text, identityOf(account, s.identityId)?.signature, identityOf(account, identityId)?.signature) } : {}),
              }),
              'from',
            )
          }
          error={errors.from ?? null}
        />
        <div className="compose-to">
          <AddressField label="To" values={state.to} onChange={(to) => set({ to }, 'to')} suggest={suggest} error={errors.to ?? null} autoFocus={!draft.to.length} />
          <span className="cc-toggles">
            {!showCc && (
              <button type="button" className="link-button" onClick={() => setShowCc(true)}>
                Cc
              </button>
            )}
            {!showBcc && (
              <button type="button" className="link-button" onClick={() => setShowBcc(true)}>
                Bcc
              </button>
            )}
          </span>
        </div>
        {showCc && <AddressField label="Cc" values={state.cc} onChange={(cc) => set({ cc }, 'cc')} suggest={suggest} error={errors.cc ?? null} />}
        {showBcc && <AddressField label="Bcc" values={state.bcc} onChange={(bcc) => set({ bcc }, 'bcc')} suggest={suggest} error={errors.bcc ?? null} />}
        <div className={`compose-row${errors.subject ? ' has-error' : ''}`}>
          <label className="compose-label" htmlFor="compose-subject">
            Subject
          </label>
          <input id="compose-subject" type="text" value={state.subject} onChange={(e) => set({ subject: e.target.value }, 'subject')} />
          {errors.subject && (
            <p className="field-error" role="alert">
              {errors.subject}
            </p>
          )}
        </div>
      </div>
      <BodyEditor value={{ text: state.text, html: state.html }} onChange={(b) => set(b)} autoFocus={draft.to.length > 0} />
      <AttachmentList
        state={state}
        onRemoveStored={(i) => set((s) => ({ stored: s.stored.filter((_, k) => k !== i) }), 'attachments')}
        onRemoveFile={(key) => set((s) => ({ files: s.files.filter((f) => f.key !== key) }), 'attachments')}
        warning={problems.size?.message ?? null}
        error={errors.attachments ?? null}
      />
      {askAttach && (
        <div className="banner attach-reminder" role="alert">
          You wrote “{askAttach.word}”, but nothing is attached.{' '}
          <button type="button" className="small primary" onClick={() => fileInput.current?.click()}>
            Attach a file
          </button>{' '}
          <button type="button" className="small" onClick={() => void send(askAttach.sendAt, true)}>
            Send anyway
          </button>
        </div>
      )}
      {errors.general && (
        <p className="field-error" role="alert">
          {errors.general}
        </p>
      )}
      <footer className="compose-foot">
        <SendButtons busy={busy} onSend={(at) => void send(at)} />
        <label className="button attach-button">
          Attach files
          <input ref={fileInput} type="file" multiple className="visually-hidden" aria-label="Attach files" onChange={(e) => (void addFiles(e.target.files), (e.target.value = ''))} />
        </label>
        <span className="compose-hint muted">{dragging ? 'Drop the files to attach them.' : ''}</span>
        <button type="button" className="danger discard" onClick={() => setConfirmDiscard(true)}>
          Discard draft
        </button>
      </footer>
      {confirmDiscard && (
        <ConfirmDialog label="Discard this draft?" action="Discard" danger onConfirm={discard} onClose={() => setConfirmDiscard(false)}>
          <p>The message you are writing is deleted for good.</p>
        </ConfirmDialog>
      )}
    </form>
  );
}
