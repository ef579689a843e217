/** The reading pane: header block, actions, the body (sanitized HTML or readable text), attachments. */
import { useEffect, useMemo, useState } from 'react';
import type { Address } from '../../../../shared/messages.js';
import { call, isApiError } from '../../api/client.js';
import { useMessages, useServices } from '../../app/context.js';
import { Dialog } from '../../app/Dialog.js';
import { ActionBar, type BarAction } from '../../app/ActionBar.js';
import { formatBytes, formatFullDate } from '../../app/format.js';
import { AllHeaders } from './AllHeaders.js';
import { useLinkGuard } from './LinkGuard.js';
import { useRawSource } from './useRawSource.js';
import { MessageFrame } from './MessageFrame.js';
import { PlainText } from './PlainText.js';
import { RemovedNote } from './RemovedNote.js';
import { JunkBar } from './JunkBar.js';
import { ACTION_ICONS } from './action-icons.js';
import { sanitizedFor, useMessageBody } from './useMessageBody.js';
import type { MessageActions } from '../inbox/actions.js';
import type { SearchTerm } from '../search/highlight.js';
import { inTrash } from '../folders/tree.js';
import type { MessageRow } from '../../db/database.js';
import { isOwnMail } from '../../db/rows.js';
import { Conversation } from '../threads/Conversation.js';

function addresses(list: Address[]): string {
  return list.map((a) => (a.name && a.address ? `${a.name} <${a.address}>` : a.name || a.address)).join(', ');
}

/** Addresses shown before "and N more": a list mail to 40 people filled the pane with its Cc line. */
export const ADDRESSES_SHOWN = 3;

/**
 * A To or Cc line: the first few addresses and "and 37 more", which shows the rest (as
 * Thunderbird does); a message to 40 colleagues pushed its text below the window. The rest is
 * there but hidden, for paper: Print printed three names and a button nobody can press
 * (reader.css shows it and hides the button when printing).
 */
function AddressLine({ list }: { list: Address[] }) {
  const [all, setAll] = useState(false);
  if (all || list.length <= ADDRESSES_SHOWN + 1) return <dd>{addresses(list)}</dd>;
  return (
    <dd>
      {addresses(list.slice(0, ADDRESSES_SHOWN))}
      <span className="addresses-rest" hidden>
        , {addresses(list.slice(ADDRESSES_SHOWN))}
      </span>{' '}
      <button type="button" className="link-button addresses-more" onClick={() => setAll(true)}>
        and {list.length - ADDRESSES_SHOWN} more
      </button>
    </dd>
  );
}

/**
 * The pane's actions, each with its rank: what is done least waits in More first when the pane
 * is narrow (ActionBar); Reply and Move to Trash (or Restore in Trash) stay longest. Filing and
 * marking show as icons named by their tooltips; writing keeps its words.
 */
function paneActions(row: MessageRow, actions: MessageActions, onMoveTo?: (id: string) => void, onWrite?: (mode: WriteMode, id: string) => void): BarAction[] {
  const id = row.id;
  const out: BarAction[] = [];
  if (onWrite && row.folder === 'Drafts') {
    out.push({ key: 'draft', label: 'Edit draft', rank: 1, className: 'primary', title: 'Go on writing this draft (Enter)', hint: 'Enter', onSelect: () => onWrite('draft', id) });
  } else if (onWrite) {
    out.push(
      { key: 'reply', label: 'Reply', rank: 2, title: 'Reply (R)', hint: 'r', onSelect: () => onWrite('reply', id) },
      { key: 'replyAll', label: 'Reply all', rank: 5, title: 'Reply to all (Shift+R)', hint: 'Shift+R', onSelect: () => onWrite('replyAll', id) },
      { key: 'forward', label: 'Forward', rank: 4, title: 'Forward (F)', hint: 'f', onSelect: () => onWrite('forward', id) },
    );
  }
  out.push(
    { key: 'seen', label: row.seen ? 'Mark as unread' : 'Mark as read', icon: row.seen ? ACTION_ICONS.markUnread : ACTION_ICONS.markRead, rank: 9, title: `${row.seen ? 'Mark as unread' : 'Mark as read'} (U)`, hint: 'u', onSelect: () => actions.setSeen([id], !row.seen) },
    { key: 'flag', label: row.flagged ? 'Unflag' : 'Flag', icon: ACTION_ICONS.flag, rank: 8, pressed: row.flagged === 1, title: `${row.flagged ? 'Unflag' : 'Flag'} (S)`, hint: 's', onSelect: () => actions.setFlagged([id], !row.flagged) },
  );
  if (onMoveTo) out.push({ key: 'move', label: 'Move to…', icon: ACTION_ICONS.move, rank: 6, title: 'Move to a folder (M)', hint: 'm', onSelect: () => onMoveTo(id) });
  if (!inTrash(row.folder)) {
    out.push({ key: 'archive', label: 'Archive', icon: ACTION_ICONS.archive, rank: 3, title: 'Archive (A)', hint: 'a', onSelect: () => actions.archive([id]) });
    // Not for what the user wrote: it would teach the filter their own mail is spam.
    if (!isOwnMail(row.folder)) {
      const junk = row.folder !== 'Junk';
      out.push({ key: 'junk', label: junk ? 'Junk' : 'Not junk', icon: junk ? ACTION_ICONS.junk : ACTION_ICONS.notJunk, rank: 7, title: `${junk ? 'Junk' : 'Not junk'} (!)`, hint: '!', onSelect: () => actions.junk([id], junk) });
    }
    out.push({ key: 'trash', label: 'Move to Trash', icon: ACTION_ICONS.trash, rank: 1, title: 'Move to Trash (Delete)', hint: 'Delete', onSelect: () => actions.trash([id]) });
  } else {
    out.push(
      { key: 'restore', label: 'Restore', rank: 1, onSelect: () => actions.restore([id]) },
      { key: 'forget', label: 'Delete permanently', rank: 2, className: 'danger', onSelect: () => actions.deleteForGood([id]) },
    );
  }
  return out;
}

function SourceView({ id, onClose }: { id: string; onClose: () => void }) {
  const src = useRawSource(id);
  return (
    <Dialog label="Message source" onClose={onClose} className="source-dialog" heading>
      {src === null ? <p>Loading…</p> : typeof src === 'string' ? <p role="alert">{src}</p> : <pre className="source">{src.text}</pre>}
      {typeof src === 'object' && src?.truncated && <p>Only the first 8 MB are shown.</p>}
    </Dialog>
  );
}

/** What the pane's Reply, Reply all, Forward and Edit draft buttons start. */
export type WriteMode = 'reply' | 'replyAll' | 'forward' | 'draft';

/** `terms`: a search's words, marked in the body. */
export function ReadingPane({ id, actions, onMoveTo, onWrite, terms, own }: { id: string | null; actions: MessageActions; onMoveTo?: (id: string) => void; onWrite?: (mode: WriteMode, id: string) => void; terms?: readonly SearchTerm[]; own: ReadonlySet<string> }) {
  const { api } = useServices();
  const store = useMessages();
  const row = id ? store.get(id) : undefined;
  const body = useMessageBody(row ? row.id : null, row ? `${row.partial}` : '');
  const [allowedFor, setAllowedFor] = useState<string | null>(null);
  const [senders, setSenders] = useState<string[]>([]);
  const [showSource, setShowSource] = useState(false);
  const [showHeaders, setShowHeaders] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const [fetching, setFetching] = useState(false);
  const [failedImages, setFailedImages] = useState(0);
  const links = useLinkGuard();

  useEffect(() => {
    call(api, 'getPreferences', {}).then((p) => setSenders(p.remoteContentSenders), () => {});
  }, [api]);
  // "Show remote content" is for this viewing, as in Thunderbird; "Always for this sender" stays.
  useEffect(() => {
    setNotice(null);
    setAllowedFor(null);
    setFailedImages(0);
  }, [id]);

  const sender = row?.from[0]?.address.toLowerCase() ?? '';
  const allowRemote = !!row && (allowedFor === row.id || (sender !== '' && senders.includes(sender)));
  const sanitized = useMemo(() => (body?.loaded?.body.html ? sanitizedFor(body.loaded, allowRemote, body.id) : null), [body, allowRemote]);

  if (!id || !row) {
    return (
      <section className="reader empty-reader" aria-label="Message">
        <p>{id ? 'This message is no longer here.' : 'Select a message to read it.'}</p>
      </section>
    );
  }

  const serverSize = body?.loaded?.body.serverSize;
  // A headers-only message has no body to show: the body offers the rest, not the banner too.
  const restInBody = row.partial === 1 && !!body?.loaded && !sanitized && !body.loaded.body.text;
  const attachments = body?.loaded?.body.attachments.filter((a) => !a.inline || !body.loaded?.body.html?.includes(`cid:${a.contentId}`)) ?? [];

  const saved = (r: { saved: boolean; size: number; path?: string | undefined }) =>
    setNotice(r.saved ? `Saved to ${r.path ?? 'the chosen folder'} (${formatBytes(r.size)}).` : 'Not saved.');
  const couldNotSave = (e: unknown) => setNotice(isApiError(e) ? `Could not save: ${e.message}` : String(e));
  const save = (attachmentId: string) => call(api, 'saveAttachment', { id: row.id, attachmentId }).then(saved, couldNotSave);
  const saveMessage = () => call(api, 'saveMessage', { id: row.id }).then(saved, couldNotSave);
  const downloadRest = async () => {
    setFetching(true);
    try {
      await call(api, 'fetchFull', { id: row.id });
    } catch (e) {
      setNotice(isApiError(e) ? `Could not download the rest: ${e.message}` : String(e));
    } finally {
      setFetching(false);
    }
  };
  const alwaysAllow = async () => {
    const p = await call(api, 'updatePreferences', { allowRemoteContentFrom: sender });
    setSenders(p.remoteContentSenders);
  };

  return (
    <section className="reader" aria-label="Message">
      {row.folder === 'Junk' && <JunkBar junkedBy={row.junkedBy} onNotJunk={() => actions.junk([row.id], false)} />}
      <header className="reader-head">
        <h2 className="reader-subject">{row.subject || '(no subject)'}</h2>
        <dl className="reader-fields">
          <dt>From</dt>
          <dd>{addresses(row.from) || '(no sender)'}</dd>
          {row.to.length > 0 && (
            <>
              <dt>To</dt>
              <AddressLine key={`to-${row.id}`} list={row.to} />
            </>
          )}
          {row.cc.length > 0 && (
            <>
              <dt>Cc</dt>
              <AddressLine key={`cc-${row.id}`} list={row.cc} />
            </>
          )}
          <dt>Date</dt>
          <dd>{row.hasDate ? formatFullDate(row.date) : `(no date; downloaded ${formatFullDate(row.receivedAt)})`}</dd>
        </dl>
        {/* What is seldom done waits in More, as in Thunderbird's: thirteen buttons took three rows
            of the pane, five in an 800-pixel window, where no line of the message showed. */}
        <ActionBar
          label="Message actions"
          className="reader-actions"
          moreLabel="More actions"
          actions={paneActions(row, actions, onMoveTo, onWrite)}
          more={[
            { label: 'All headers', onSelect: () => setShowHeaders(true) },
            { label: 'View source', onSelect: () => setShowSource(true) },
            { label: 'Print', onSelect: () => window.print() },
            { label: 'Save as .eml', onSelect: () => void saveMessage() },
          ]}
        />
      </header>
      <Conversation id={row.id} own={own} />
      {row.partial === 1 && (
        <div className="banner" role="status">
          Only the headers of this message were downloaded{serverSize !== undefined ? ` (${formatBytes(serverSize)} on the server)` : ''}.{' '}
          {!restInBody && (
            <button type="button" onClick={downloadRest} disabled={fetching}>
              {fetching ? 'Downloading…' : 'Download the rest'}
            </button>
          )}
        </div>
      )}
      {sanitized && sanitized.blockedRemote > 0 && !allowRemote && (
        <div className="banner remote-banner" role="status">
          Remote content in this message was blocked to protect your privacy.{' '}
          <button type="button" onClick={() => setAllowedFor(row.id)}>
            Show remote content
          </button>
          {sender && (
            <>
              <button type="button" onClick={() => void alwaysAllow()} aria-describedby="remote-sender-note">
                Always for this sender
              </button>{' '}
              {/* The From address is not checked by anyone: a tracker can send as a trusted sender. */}
              <span id="remote-sender-note" className="muted">
                Anyone can claim to be this sender.
              </span>
            </>
          )}
        </div>
      )}
      {allowRemote && failedImages > 0 && (
        <div className="banner remote-banner" role="status">
          {failedImages === 1 ? 'A remote image' : `${failedImages} remote images`} could not be loaded.
        </div>
      )}
      {sanitized && <RemovedNote removed={sanitized.removed} />}
      {notice && (
        <div className="banner" role="status">
          {notice}
        </div>
      )}
      <div className="reader-body">
        {!body || (!body.loaded && !body.error) ? (
          <p className="muted">Loading…</p>
        ) : body.error ? (
          <p role="alert">Cannot show this message: {body.error}</p>
        ) : sanitized ? (
          <MessageFrame html={sanitized.html} remote={allowRemote} onRemoteImagesFailed={setFailedImages} links={links.handlers} terms={terms} />
        ) : body.loaded?.body.text ? (
          <PlainText text={body.loaded.body.text} links={links.handlers} terms={terms} />
        ) : restInBody ? (
          <p>
            <button type="button" onClick={downloadRest} disabled={fetching}>
              {fetching ? 'Downloading…' : `Download the rest${serverSize !== undefined ? ` (${formatBytes(serverSize)})` : ''}`}
            </button>
          </p>
        ) : (
          <p className="muted">(This message has no text.)</p>
        )}
      </div>
      {attachments.length > 0 && (
        <ul className="attachments" aria-label="Attachments">
          {attachments.map((a) => (
            <li key={a.id}>
              <span className="att-name">{a.filename ?? `attachment ${a.id}`}</span> <span className="muted">{formatBytes(a.size)}</span>{' '}
              <button type="button" onClick={() => void save(a.id)} aria-label={`Save ${a.filename ?? `attachment ${a.id}`}`}>
                Save
              </button>
            </li>
          ))}
        </ul>
      )}
      {links.element}
      {showSource && <SourceView id={row.id} onClose={() => setShowSource(false)} />}
      {showHeaders && <AllHeaders id={row.id} onClose={() => setShowHeaders(false)} />}
    </section>
  );
}
