/**
 * Conversations in the renderer: the thread model following main's answers (merges, gone
 * threads), the list grouped one row per conversation with its counts, and the reading pane's
 * conversation: the other messages collapsed, opened by a click or e, walked with Shift+J/K.
 */
import { act, cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import type { PopboxApi } from '../../shared/api.js';
import type { ThreadsResult } from '../../shared/threads.js';
import { shortcutFor } from '../../renderer/src/app/keyboard.js';
import { ServicesContext, type AppServices } from '../../renderer/src/app/context.js';
import { MessageStore } from '../../renderer/src/db/message-store.js';
import { Conversation } from '../../renderer/src/features/threads/Conversation.js';
import { groupByConversation } from '../../renderer/src/features/threads/conversation.js';
import { sendConversationKey } from '../../renderer/src/features/threads/keys.js';
import { ThreadModel } from '../../renderer/src/features/threads/thread-model.js';
import { record } from './service-api.js';

afterEach(cleanup);

const answer = (over: Partial<ThreadsResult>): ThreadsResult => ({ epoch: 'e1', version: 1, full: true, threads: [], gone: [], ...over });

function storeWith(...records: ReturnType<typeof record>[]): MessageStore {
  const store = new MessageStore();
  store.commit(store.stage(records.map((m, i) => ({ s: i + 1, t: 'add' as const, m }))));
  return store;
}

describe('the thread model', () => {
  it('takes all conversations, then changes: a merge moves messages, a gone thread frees its messages', () => {
    const model = new ThreadModel();
    model.apply(answer({ threads: [{ id: 't1', ids: ['a', 'b'] }, { id: 't2', ids: ['c', 'd'] }] }));
    expect(model.conversationOf('b')).toEqual(['a', 'b']);
    expect(model.threadKey('x')).toBe('x');
    model.apply(answer({ full: false, version: 2, threads: [{ id: 't1', ids: ['a', 'b', 'c', 'd', 'e'] }], gone: ['t2'] }));
    expect(model.conversationOf('d')).toEqual(['a', 'b', 'c', 'd', 'e']);
    // Listed under t1 already: t2 going does not take them out again, whatever the order.
    model.apply(answer({ full: false, version: 3, threads: [{ id: 't3', ids: ['d', 'e'] }, { id: 't1', ids: ['a', 'b', 'c'] }] }));
    expect(model.conversationOf('e')).toEqual(['d', 'e']);
    model.apply(answer({ full: false, version: 4, gone: ['t3'] }));
    expect(model.conversationOf('e')).toEqual(['e']);
    expect(model.since).toEqual({ epoch: 'e1', version: 4 });
  });
});

describe('the list in conversations', () => {
  it('shows one row per conversation where its newest message is, with the count and unread count; Trash is left out', () => {
    const old = record({ subject: 'Trip', date: '2026-02-01T10:00:00Z', flags: { seen: true, flagged: false } });
    const reply = record({ subject: 'Re: Trip', date: '2026-02-02T10:00:00Z' });
    const trashed = record({ subject: 'Re: Trip', date: '2026-02-03T10:00:00Z', folder: 'Trash' });
    const alone = record({ subject: 'Other', date: '2026-02-01T12:00:00Z' });
    const store = storeWith(old, reply, trashed, alone);
    const model = new ThreadModel();
    model.apply(answer({ threads: [{ id: 't', ids: [old.id, reply.id, trashed.id] }] }));
    const grouped = groupByConversation([reply.id, alone.id, old.id], model, store);
    expect(grouped.ids).toEqual([reply.id, alone.id]);
    expect(grouped.info.get(reply.id)).toEqual({ count: 2, unread: 1, newest: Date.parse('2026-02-02T10:00:00Z'), latest: store.get(reply.id), largest: 1000, flagged: false });
    expect(grouped.info.has(alone.id)).toBe(false);
  });
});

describe('the conversation in the reading pane', () => {
  function renderConversation(ids: string[], open: string, store: MessageStore) {
    const listeners = new Set<() => void>();
    const api = {
      threads: async () => ({ ok: true, value: answer({ threads: [{ id: 't', ids }] }) }),
      messageBody: async ({ id }: { id: string }) => ({ ok: true, value: { text: `The words of ${id}.`, html: null, attachments: [], cidMap: {}, truncated: false } }),
      on: (_event: string, fn: () => void) => (listeners.add(fn), () => listeners.delete(fn)),
    } as unknown as PopboxApi;
    const services = { api, db: {}, readModel: { store } } as unknown as AppServices;
    return render(
      <ServicesContext.Provider value={services}>
        <Conversation id={open} own={new Set<string>()} />
      </ServicesContext.Provider>,
    );
  }

  it('lists every message, the others collapsed; a click or e opens them, Shift+J/K walk through and open them', async () => {
    const first = record({ subject: 'Trip', from: 'Ann', date: '2026-02-01T10:00:00Z', snippet: 'Shall we go to the lake' });
    const second = record({ subject: 'Re: Trip', from: 'Bob', date: '2026-02-02T10:00:00Z', snippet: 'Yes, Saturday' });
    const third = record({ subject: 'Re: Trip', from: 'Cid', date: '2026-02-03T10:00:00Z', snippet: 'Count me in' });
    const store = storeWith(first, second, third);
    renderConversation([first.id, second.id, third.id], third.id, store);
    await screen.findByText('3 messages in this conversation');
    const ann = screen.getByRole('button', { name: /Ann/ });
    expect(ann.getAttribute('aria-expanded')).toBe('false');
    expect(screen.queryByText(`The words of ${first.id}.`)).toBeNull();
    fireEvent.click(ann);
    expect(await screen.findByText(`The words of ${first.id}.`)).toBeTruthy();
    expect(ann.getAttribute('aria-expanded')).toBe('true');
    // e: all the others open (Bob too), e again: all closed.
    act(() => sendConversationKey('expand'));
    expect(await screen.findByText(`The words of ${second.id}.`)).toBeTruthy();
    act(() => sendConversationKey('expand'));
    await waitFor(() => expect(screen.queryByText(`The words of ${second.id}.`)).toBeNull());
    // From the open (newest) message, Shift+K goes back to Bob's and opens it.
    act(() => sendConversationKey('previous'));
    expect(await screen.findByText(`The words of ${second.id}.`)).toBeTruthy();
    expect(screen.getByRole('button', { name: /Bob/ }).closest('li')!.className).toContain('current');
  });

  it('a message in no conversation shows nothing extra', () => {
    const only = record({ subject: 'Alone' });
    const { container } = renderConversation([], only.id, storeWith(only));
    expect(container.textContent).toBe('');
  });

  it('the keys: t switches conversations, e opens the others, Shift+J/K walk; none of them clashes', () => {
    const at = document.body;
    expect(shortcutFor({ key: 't', ctrlKey: false, metaKey: false, altKey: false }, at)).toBe('toggle-conversations');
    expect(shortcutFor({ key: 'e', ctrlKey: false, metaKey: false, altKey: false }, at)).toBe('expand-conversation');
    expect(shortcutFor({ key: 'J', shiftKey: true, ctrlKey: false, metaKey: false, altKey: false }, at)).toBe('next-in-conversation');
    expect(shortcutFor({ key: 'K', shiftKey: true, ctrlKey: false, metaKey: false, altKey: false }, at)).toBe('previous-in-conversation');
    expect(shortcutFor({ key: 'j', ctrlKey: false, metaKey: false, altKey: false }, at)).toBe('next');
  });
});
