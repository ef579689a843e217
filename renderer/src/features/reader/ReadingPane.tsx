/** The reading pane: header block, actions, the body (sanitized HTML or readable text), attachments. */
import { useEffect, useMemo, useState } from 'react';
import type { Address } from '../../../../shared/messages.js';
import { call, isApiError } from '../../api/client.js';
import { useMessages, useServices } from '../../app/context.js';
import { Dialog } from '../../app/Dialog.js';
import { Menu } from '../../app/Menu.js';
import { formatBytes, formatFullDate } from '../../app/format.js';
import { AllHeaders } from './AllHeaders.js';
import { useLinkGuard } from './LinkGuard.js';
import { useRawSource } from './useRawSource.js';
import { MessageFrame } from './MessageFrame.js';
import { PlainText } from './PlainText.js';
import { RemovedNote } from './RemovedNote.js';
import { JunkBar } from './JunkBar.js';
import { sanitizedFor, useMessageBody } from './useMessageBody.js';
import type { MessageActions } from '../inbox/actions.js';
import type { SearchTerm } from '../search/highlight.js';
import { inTrash } from '../folders/tree.js';
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

function WriteButtons({ id, draft, onWrite }: { id: string; draft: boolean; onWrite: (mode: WriteMode, id: string) => void }) {
  if (draft) {
    return (
      <button type="button" className="primary" onClick={() => onWrite('draft', id)} title="Go on writing this draft (Enter)">
        Edit draft
      </button>
    );
  }
  return (
    <>
      <button type="button" onClick={() => onWrite('reply', id)} title="Reply (R)">
        Reply
      </button>
      <button type="button" onClick={() => onWrite('replyAll', id)} title="Reply to all (Shift+R)">
        Reply all
      </button>
      <button type="button" onClick={() => onWrite('forward', id)} title="Forward (F)">
        Forward
      </button>
    </>
  );
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
  /** Where the More menu opens (under its button), or null when closed. */
  const [moreAt, setMoreAt] = useState<{ x: number; y: number } | null>(null);
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
        <div className="reader-actions" role="toolbar" aria-label="Message actions">
          {onWrite && <WriteButtons id={row.id} draft={row.folder === 'Drafts'} onWrite={onWrite} />}
          <button type="button" onClick={() => actions.setSeen([row.id], !row.seen)}>
            {row.seen ? 'Mark as unread' : 'Mark as read'}
          </button>
          <button type="button" aria-pressed={row.flagged === 1} onClick={() => actions.setFlagged([row.id], !row.flagged)}>
            {row.flagged ? 'Unflag' : 'Flag'}
          </button>
          {onMoveTo && (
            <button type="button" onClick={() => onMoveTo(row.id)} title="Move to a folder (M)">
              Move to…
            </button>
          )}
          {!inTrash(row.folder) ? (
            <>
              <button type="button" onClick={() => actions.archive([row.id])} title="Archive (A)">
                Archive
              </button>
              {/* Not for what the user wrote: it would teach the filter their own mail is spam. */}
              {!isOwnMail(row.folder) && (
                <button type="button" onClick={() => actions.junk([row.id], row.folder !== 'Junk')} title="Junk / Not junk (!)">
                  {row.folder === 'Junk' ? 'Not junk' : 'Junk'}
                </button>
              )}
              <button type="button" onClick={() => actions.trash([row.id])}>
                Move to Trash
              </button>
            </>
          ) : (
            <>
              <button type="button" onClick={() => actions.restore([row.id])}>
                Restore
              </button>
              <button type="button" className="danger" onClick={() => actions.deleteForGood([row.id])}>
                Delete permanently
              </button>
            </>
          )}
          {/* What is seldom done waits in a menu, as in Thunderbird's "More": thirteen buttons took
              three rows of the pane, five in an 800-pixel window, where no line of the message showed. */}
          <button
            type="button"
            aria-haspopup="menu"
            aria-expanded={moreAt !== null}
            onClick={(e) => {
              const r = e.currentTarget.getBoundingClientRect();
              setMoreAt({ x: r.left, y: r.bottom + 2 });
            }}
          >
            More ▾
          </button>
          {moreAt && (
            <Menu
              label="More actions"
              at={moreAt}
              onClose={() => setMoreAt(null)}
              items={[
                { label: 'All headers', onSelect: () => setShowHeaders(true) },
                { label: 'View source', onSelect: () => setShowSource(true) },
                { label: 'Print', onSelect: () => window.print() },
                { label: 'Save as .eml', onSelect: () => void saveMessage() },
              ]}
            />
          )}
        </div>
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
