/**
 * Conversations with copies (issue 17 §3): two accounts on one machine store a message Alice
 * sent Bob twice (her Sent copy, his Inbox copy, one Message-ID). Bob's list row and reading
 * pane count it once and show his own copy; a duplicate download into one folder counts once;
 * a command on a conversation row acts on the conversation's messages in the list being read.
 */
import { cleanup, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import type { PopboxApi } from '../../shared/api.js';
import type { MessageRecord } from '../../shared/changes.js';
import type { ThreadsResult } from '../../shared/threads.js';
import { ServicesContext, type AppServices } from '../../renderer/src/app/context.js';
import { MessageStore } from '../../renderer/src/db/message-store.js';
import { Conversation } from '../../renderer/src/features/threads/Conversation.js';
import { conversationTargets, groupByConversation } from '../../renderer/src/features/threads/conversation.js';
import { ThreadModel } from '../../renderer/src/features/threads/thread-model.js';
import { record } from './service-api.js';

afterEach(cleanup);

const answer = (ids: string[]): ThreadsResult => ({ epoch: 'e1', version: 1, full: true, threads: [{ id: 't', ids }], gone: [] });

function withId(m: MessageRecord, messageId: string): MessageRecord {
  return { ...m, summary: { ...m.summary, messageId } };
}

function storeWith(...records: MessageRecord[]): MessageStore {
  const store = new MessageStore();
  store.commit(store.stage(records.map((m, i) => ({ s: i + 1, t: 'add' as const, m }))));
  return store;
}

// Alice (account alice) wrote to Bob (account bob); Bob answered from his account.
const ORIGINAL = { subject: 'Trip to the lake', from: 'Alice', date: '2026-02-01T10:00:00Z', snippet: 'Shall we go on Saturday?' };
const aliceSent = withId(record({ ...ORIGINAL, accountId: 'alice', folder: 'Sent', flags: { seen: true, flagged: false } }), '<trip@x>');
const bobInbox = withId(record({ ...ORIGINAL, accountId: 'bob' }), '<trip@x>');
const bobReply = withId(record({ subject: 'Re: Trip to the lake', from: 'Bob', date: '2026-02-02T10:00:00Z', accountId: 'bob', folder: 'Sent', flags: { seen: true, flagged: false }, snippet: 'Count me in' }), '<reply@x>');
const aliceGot = withId(record({ subject: 'Re: Trip to the lake', from: 'Bob', date: '2026-02-02T10:00:00Z', accountId: 'alice', snippet: 'Count me in' }), '<reply@x>');
const all = [aliceSent, bobInbox, bobReply, aliceGot];

describe('copies of one message count once', () => {
  it("Bob's Inbox row: a conversation of 2 (not 4), 1 unread (his copy), dated by the newest", () => {
    const store = storeWith(...all);
    const model = new ThreadModel();
    model.apply(answer(all.map((m) => m.id)));
    const grouped = groupByConversation([bobInbox.id], model, store);
    expect(grouped.info.get(bobInbox.id)).toMatchObject({ count: 2, unread: 1, newest: Date.parse('2026-02-02T10:00:00Z') });
    // Alice's Inbox row: her Sent copy and her copy of the reply (unread).
    expect(groupByConversation([aliceGot.id], model, store).info.get(aliceGot.id)).toMatchObject({ count: 2, unread: 1, newest: Date.parse('2026-02-02T10:00:00Z') });
  });

  it('a message downloaded twice into one folder is one row and no conversation at all', () => {
    const first = withId(record({ subject: 'List news', accountId: 'bob' }), '<list@x>');
    const again = withId(record({ subject: 'List news', accountId: 'bob' }), '<list@x>');
    const store = storeWith(first, again);
    const model = new ThreadModel();
    model.apply(answer([first.id, again.id]));
    const grouped = groupByConversation([again.id, first.id], model, store);
    expect(grouped.ids).toEqual([again.id]);
    expect(grouped.info.size).toBe(0);
  });

  function renderConversation(ids: string[], open: string, store: MessageStore) {
    const api = {
      threads: async () => ({ ok: true, value: answer(ids) }),
      messageBody: async ({ id }: { id: string }) => ({ ok: true, value: { text: `The words of ${id}.`, html: null, attachments: [], cidMap: {}, truncated: false } }),
      on: () => () => {},
    } as unknown as PopboxApi;
    const services = { api, db: {}, readModel: { store } } as unknown as AppServices;
    return render(
      <ServicesContext.Provider value={services}>
        <Conversation id={open} own={new Set<string>()} />
      </ServicesContext.Provider>,
    );
  }

  it("Bob's reading pane lists 2 messages: his Inbox copy (the open one) and his Sent reply, not Alice's copies", async () => {
    const store = storeWith(...all);
    renderConversation(
      all.map((m) => m.id),
      bobInbox.id,
      store,
    );
    await screen.findByText('2 messages in this conversation');
    const items = [...document.querySelectorAll('[data-conversation-id]')].map((e) => e.getAttribute('data-conversation-id'));
    expect(items).toEqual([bobInbox.id, bobReply.id]);
  });
});

describe('commands on conversation rows', () => {
  it("act on every message of the row's conversation listed in the view (copies too), not on those elsewhere", () => {
    const model = new ThreadModel();
    const followUp = withId(record({ subject: 'Re: Trip', accountId: 'bob' }), '<f@x>');
    const dup = withId(record({ subject: 'Re: Trip', accountId: 'bob' }), '<f@x>');
    const alone = record({ subject: 'Other', accountId: 'bob' });
    model.apply(answer([...all.map((m) => m.id), followUp.id, dup.id]));
    // Bob's Inbox lists the original, the follow-up (twice) and another message.
    const inbox = new Set([bobInbox.id, followUp.id, dup.id, alone.id]);
    expect(conversationTargets([followUp.id], model, inbox).sort()).toEqual([bobInbox.id, followUp.id, dup.id].sort());
    expect(conversationTargets([alone.id], model, inbox)).toEqual([alone.id]);
    expect(conversationTargets([alone.id, followUp.id], model, inbox)).toHaveLength(4);
  });
});
