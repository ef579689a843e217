/**
 * The open message's conversation in the reading pane: every message of its thread, oldest
 * first, the others collapsed to a line (sender, date, start of the text) that opens in place;
 * the open message itself is shown in full below. Keys: e opens or closes all the older ones,
 * Shift+J / Shift+K go to the next / previous message of the conversation and open it.
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import { useMessages, useServices } from '../../app/context.js';
import { formatListDate } from '../../app/format.js';
import type { MessageRow } from '../../db/database.js';
import { senderLabel } from '../../db/rows.js';
import { useLinkGuard } from '../reader/LinkGuard.js';
import { PlainText } from '../reader/PlainText.js';
import { useMessageBody } from '../reader/useMessageBody.js';
import { conversationRows } from './conversation.js';
import { onConversationKey } from './keys.js';
import { useThreadModel } from './useConversations.js';

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

export function Conversation({ id }: { id: string }) {
  const { api } = useServices();
  const store = useMessages();
  const model = useThreadModel(api);
  const rows = useMemo(() => conversationRows(model, store, id), [model, model.version, store, store.version, id]);
  const [open, setOpen] = useState<ReadonlySet<string>>(new Set());
  const [current, setCurrent] = useState<string | null>(null);
  const list = useRef<HTMLOListElement>(null);
  useEffect(() => {
    setOpen(new Set());
    setCurrent(null);
  }, [id]);

  const others = rows.filter((r) => r.id !== id);
  useEffect(
    () =>
      onConversationKey((key) => {
        if (others.length === 0) return;
        if (key === 'expand') return setOpen((was) => (others.every((r) => was.has(r.id)) ? new Set() : new Set(others.map((r) => r.id))));
        const at = rows.findIndex((r) => r.id === (current ?? id));
        const next = rows[Math.min(rows.length - 1, Math.max(0, at + (key === 'next' ? 1 : -1)))];
        if (!next) return;
        setCurrent(next.id);
        if (next.id !== id) setOpen((was) => new Set([...was, next.id]));
        list.current?.querySelector(`[data-conversation-id="${CSS.escape(next.id)}"]`)?.scrollIntoView({ block: 'nearest' });
      }),
    [rows, others, current, id],
  );

  if (rows.length < 2) return null;
  const toggle = (m: string) => setOpen((was) => (was.has(m) ? new Set([...was].filter((x) => x !== m)) : new Set([...was, m])));
  return (
    <section className="conversation" aria-label="Conversation">
      <h3 className="conversation-title">
        {rows.length} messages in this conversation{' '}
        <span className="muted">(e opens or closes the others, Shift+J / Shift+K go through them)</span>
      </h3>
      <ol ref={list} className="conversation-list">
        {rows.map((r) => {
          const here = r.id === id;
          const expanded = !here && open.has(r.id);
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
              {expanded && <ConversationBody row={r} />}
            </li>
          );
        })}
      </ol>
    </section>
  );
}
