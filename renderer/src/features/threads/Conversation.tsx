/**
 * The open message's conversation in the reading pane: every message of its thread, oldest
 * first, the others collapsed to a line (sender, date, start of the text) that opens in place;
 * the open message itself is shown in full below. Keys: e opens or closes all the older ones,
 * Shift+J / Shift+K go to the next / previous message of the conversation and open it.
 *
 * Anyone can send ten thousand messages that reference one of yours, and they all join its
 * conversation: the pane renders a window of it (the newest CONVERSATION_ROWS, or those around
 * the open message) with "Show 50 older" / "Show 50 newer" for the rest, so opening such a
 * conversation costs the same as opening a short one. A message whose sender joined from
 * outside the conversation (outsiders.ts) carries a note naming the sender's address.
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import { pluralWord } from '../../../../shared/plural.js';
import { useMessages, useServices } from '../../app/context.js';
import { formatListDate } from '../../app/format.js';
import type { MessageRow } from '../../db/database.js';
import { senderLabel } from '../../db/rows.js';
import { useLinkGuard } from '../reader/LinkGuard.js';
import { PlainText } from '../reader/PlainText.js';
import { useMessageBody } from '../reader/useMessageBody.js';
import { CONVERSATION_STEP, conversationSplit, conversationWindow } from './conversation.js';
import { onConversationKey } from './keys.js';
import { useThreadModel } from './useConversations.js';

/** 9,950 rather than 9950. */
const count = (n: number): string => n.toLocaleString('en-US');

function ConversationBody({ row }: { row: MessageRow }) {
  const body = useMessageBody(row.id, `${row.partial}`);
  const links = useLinkGuard();
  if (!body || (!body.loaded && !body.error)) return <p className="muted">Loading…</p>;
  if (body.error) return <p role="alert">Cannot show this message: {body.error}</p>;
  // The text; an HTML-only message shows its start here and in full when opened on its own.
  const text = body.loaded?.body.text ?? row.snippet;
  return (
    <div className="conversation-body">
      <PlainText text={text || '(This message has no text.)'} links={links.handlers} />
      {links.element}
    </div>
  );
}

/** `own`: the user's addresses (shared/own-addresses.ts), read once by the list's useConversations. */
export function Conversation({ id, own }: { id: string; own: ReadonlySet<string> }) {
  const { api } = useServices();
  const store = useMessages();
  const model = useThreadModel(api);
  // The split Junk on the list's row uses too (conversationSplit).
  const { rows, outside } = useMemo(() => conversationSplit(model, store, id, own), [model, model.version, store, store.version, id, own]);
  const [open, setOpen] = useState<ReadonlySet<string>>(new Set());
  const [current, setCurrent] = useState<string | null>(null);
  // Rows shown beyond the first window, on either side (a flood of replies is shown a page at a time).
  const [more, setMore] = useState({ older: 0, newer: 0 });
  const list = useRef<HTMLOListElement>(null);
  useEffect(() => {
    setOpen(new Set());
    setCurrent(null);
    setMore({ older: 0, newer: 0 });
  }, [id]);

  const at = rows.findIndex((r) => r.id === id);
  const { start, end } = conversationWindow(rows.length, at, more.older, more.newer);
  const shown = rows.slice(start, end);
  const others = shown.filter((r) => r.id !== id);
  useEffect(
    () =>
      onConversationKey((key) => {
        if (rows.length < 2) return;
        if (key === 'expand') return setOpen((was) => (others.every((r) => was.has(r.id)) ? new Set() : new Set([...was, ...others.map((r) => r.id)])));
        const from = rows.findIndex((r) => r.id === (current ?? id));
        const i = Math.min(rows.length - 1, Math.max(0, from + (key === 'next' ? 1 : -1)));
        const next = rows[i];
        if (!next) return;
        // Stepping past the rows shown shows one more on that side.
        if (i < start) setMore((m) => ({ ...m, older: m.older + (start - i) }));
        if (i >= end) setMore((m) => ({ ...m, newer: m.newer + (i - end + 1) }));
        setCurrent(next.id);
        if (next.id !== id) setOpen((was) => new Set([...was, next.id]));
      }),
    [rows, others, current, id, start, end],
  );
  useEffect(() => {
    // After the render that shows it (a step past the window adds its row first).
    const row = current ? [...(list.current?.children ?? [])].find((li) => li.getAttribute('data-conversation-id') === current) : undefined;
    row?.scrollIntoView?.({ block: 'nearest' });
  }, [current]);

  if (rows.length < 2) return null;
  const toggle = (m: string) => setOpen((was) => (was.has(m) ? new Set([...was].filter((x) => x !== m)) : new Set([...was, m])));
  const hiddenOlder = start;
  const hiddenNewer = rows.length - end;
  return (
    <section className="conversation" aria-label="Conversation">
      <h3 className="conversation-title">
        {count(rows.length)} messages in this conversation{' '}
        <span className="muted">(e opens or closes the others, Shift+J / Shift+K go through them)</span>
      </h3>
      {hiddenOlder > 0 && (
        <p className="conversation-more">
          <button type="button" onClick={() => setMore((m) => ({ ...m, older: m.older + CONVERSATION_STEP }))}>
            Show {count(Math.min(CONVERSATION_STEP, hiddenOlder))} older
          </button>{' '}
          <span className="muted">{count(hiddenOlder)} older {pluralWord(hiddenOlder, 'message')} not shown</span>
        </p>
      )}
      <ol ref={list} className="conversation-list">
        {shown.map((r) => {
          const here = r.id === id;
          const expanded = !here && open.has(r.id);
          const stranger = outside.get(r.id);
          return (
            <li key={r.id} data-conversation-id={r.id} className={`conversation-item${r.seen ? '' : ' unread'}${current === r.id ? ' current' : ''}`} aria-current={here ? 'true' : undefined}>
              {here ? (
                <div className="conversation-head">
                  <span className="sender">{senderLabel(r.from)}</span> <span className="date">{formatListDate(r.date)}</span> <span className="muted">(shown below)</span>
                </div>
              ) : (
                <button type="button" className="conversation-head" aria-expanded={expanded} onClick={() => toggle(r.id)}>
                  <span className="sender">{senderLabel(r.from)}</span> <span className="date">{formatListDate(r.date)}</span>
                  {!expanded && <span className="snippet"> {r.snippet}</span>}
                </button>
              )}
              {stranger !== undefined && (
                <p className="conversation-outside" role="note" title="Nobody else in this conversation wrote to or from this sender's domain: it may have joined by quoting the conversation's message id. Check before you act on it.">
                  From outside this conversation: {stranger || 'no sender address'}
                </p>
              )}
              {expanded && <ConversationBody row={r} />}
            </li>
          );
        })}
      </ol>
      {hiddenNewer > 0 && (
        <p className="conversation-more">
          <button type="button" onClick={() => setMore((m) => ({ ...m, newer: m.newer + CONVERSATION_STEP }))}>
            Show {count(Math.min(CONVERSATION_STEP, hiddenNewer))} newer
          </button>{' '}
          <span className="muted">{count(hiddenNewer)} newer {pluralWord(hiddenNewer, 'message')} not shown</span>
        </p>
      )}
    </section>
  );
}
