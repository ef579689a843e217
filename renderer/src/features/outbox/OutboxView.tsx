/**
 * The Outbox folder: each message with where it stands (waiting, sending, trying again, may
 * have been sent, not sent) in plain words and what the user can do about it. Main holds the
 * truth (outboxStatus); the list is asked again on every `outboxChanged`.
 */
import { useState } from 'react';
import { call, isApiError } from '../../api/client.js';
import { ConfirmDialog, failureText } from '../../app/ConfirmDialog.js';
import { useMessages, useServices } from '../../app/context.js';
import { stateText, type OutboxEntry as Entry } from './outbox-text.js';
import { useNow, useOutbox } from './useOutbox.js';
import './outbox.css';

export interface OutboxViewProps {
  accountId: string;
  title: string;
  /** The account's settings; `focusPassword` to type the outgoing password there. */
  onOpenSettings: (accountId: string, focusPassword: boolean) => void;
  /** Show the message in the reading pane. */
  onOpen?: (id: string) => void;
  /** Edit: once it is back in Drafts (same id), open it to go on writing. */
  onEdit?: (id: string) => void;
}

type Action = 'resendMessage' | 'markSent' | 'cancelSend' | 'discardQueued';

/** Declining main's own question ("Send it again?") is not a failure to report; Popbox closing (`closing`) is. */
const declined = (e: unknown) => isApiError(e) && e.code === 'cancelled';

function OutboxEntry({ item, now, onOpenSettings, onOpen, onEdit, onDiscard }: { item: Entry; now: number; onOpenSettings: OutboxViewProps['onOpenSettings']; onOpen?: (id: string) => void; onEdit?: (id: string) => void; onDiscard: (item: Entry) => void }) {
  const { api } = useServices();
  const store = useMessages();
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<string | null>(null);
  const row = store.get(item.id);
  const subject = row?.subject || '(no subject)';
  const st = stateText(item, now);
  const act = async (method: Action) => {
    setBusy(true);
    setFailure(null);
    try {
      await call(api, method, { id: item.id });
      if (method === 'cancelSend') onEdit?.(item.id);
    } catch (e) {
      if (!declined(e)) setFailure(failureText(e));
    } finally {
      setBusy(false);
    }
  };
  const button = (label: string, method: Action, title?: string) => (
    <button type="button" className="small" disabled={busy} title={title} onClick={() => void act(method)}>
      {label}
    </button>
  );
  // Sent already (some recipients refused it): only the notice is left to dismiss; it stays in Sent.
  if (item.state === 'sent') {
    return (
      <li className={`outbox-item tone-${st.tone}`} aria-label={subject} data-id={item.id}>
        <div className="outbox-line">
          <span className="outbox-subject">{subject}</span>
          <span className="outbox-state">{st.headline}</span>
        </div>
        {st.refusals && <p className="outbox-problem">{st.refusals}</p>}
        {failure && <p role="alert" className="error-text">{failure}</p>}
        <div className="outbox-actions">{button('Dismiss', 'discardQueued', 'The message stays in Sent')}</div>
      </li>
    );
  }
  const sendable = item.state !== 'sending';
  // Some recipients have it already: it can never go back to Drafts (sent again, they would get it twice).
  const delivered = (item.sentTo?.length ?? 0) > 0;
  return (
    <li className={`outbox-item tone-${st.tone}`} aria-label={subject} data-id={item.id}>
      <div className="outbox-line">
        {onOpen ? (
          <button type="button" className="outbox-open outbox-subject" onClick={() => onOpen(item.id)}>
            {subject}
          </button>
        ) : (
          <span className="outbox-subject">{subject}</span>
        )}
        <span className="outbox-state">{st.headline}</span>
      </div>
      <div className="outbox-to muted">To: {item.to.join(', ')}</div>
      {st.problem && (
        <p className="outbox-problem" role={st.tone === 'error' ? 'alert' : undefined}>
          {st.problem.text}
        </p>
      )}
      {st.refusals && <p className="outbox-problem">{st.refusals}</p>}
      {failure && <p role="alert" className="error-text">{failure}</p>}
      {sendable && (
        <div className="outbox-actions">
          {st.problem?.fix === 'password' && (
            <button type="button" className="small primary" onClick={() => onOpenSettings(item.accountId, true)}>
              Enter password
            </button>
          )}
          {st.problem?.fix === 'settings' && (
            <button type="button" className="small" onClick={() => onOpenSettings(item.accountId, false)}>
              Open settings
            </button>
          )}
          {item.state === 'waiting' || item.state === 'retrying' ? button('Send now', 'resendMessage') : button('Send again', 'resendMessage', item.state === 'maybe-sent' ? 'The recipients may get it twice' : undefined)}
          {(item.state === 'maybe-sent' || item.state === 'failed' || delivered) && button('Mark as sent', 'markSent', delivered ? 'File it in Sent and stop trying the others' : 'File it in Sent without sending it')}
          {item.state !== 'maybe-sent' && !delivered && button('Edit', 'cancelSend', 'Back to Drafts, not sent')}
          <button type="button" className="small danger" disabled={busy} onClick={() => onDiscard(item)}>
            Discard
          </button>
        </div>
      )}
    </li>
  );
}

export function OutboxView({ accountId, title, onOpenSettings, onOpen, onEdit }: OutboxViewProps) {
  const { api } = useServices();
  const store = useMessages();
  const items = useOutbox([accountId]) as Entry[] | null;
  const now = useNow(!!items?.some((i) => i.nextAttemptAt !== null));
  const [discarding, setDiscarding] = useState<Entry | null>(null);
  return (
    <div className="list-pane outbox-pane">
      <h2 className="list-title">{title}</h2>
      <div className="list-header">
        <span className="count" aria-live="polite">
          {items === null ? 'Loading…' : `${items.length} message${items.length === 1 ? '' : 's'}`}
        </span>
      </div>
      <section className="outbox-scroll" aria-label="Outbox">
        {items !== null && items.length === 0 ? (
          <p className="empty">Nothing waits to be sent.</p>
        ) : (
          <ul className="outbox-list">
            {(items ?? []).map((item) => (
              <OutboxEntry key={item.id} item={item} now={now} onOpenSettings={onOpenSettings} {...(onOpen ? { onOpen } : {})} {...(onEdit ? { onEdit } : {})} onDiscard={setDiscarding} />
            ))}
          </ul>
        )}
      </section>
      {discarding && (
        <ConfirmDialog
          label="Discard this message?"
          action="Discard"
          danger
          onClose={() => setDiscarding(null)}
          onConfirm={async () => {
            await call(api, 'discardQueued', { id: discarding.id });
          }}
        >
          {discarding.sentTo?.length ? (
            <p>
              “{store.get(discarding.id)?.subject || '(no subject)'}” was already sent to {discarding.sentTo.join(', ')}: it goes to Sent, and is not tried again for {discarding.to.join(', ')}.
            </p>
          ) : (
            <p>“{store.get(discarding.id)?.subject || '(no subject)'}” will not be sent. It goes to Trash, where you can still open it.</p>
          )}
        </ConfirmDialog>
      )}
    </div>
  );
}
