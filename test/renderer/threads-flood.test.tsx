/**
 * Hostile conversations (issue 17 §3, review 8): a flood of replies that all reference one of
 * your messages, and a message that joins a trusted conversation from outside it.
 * - The outsider rule (outsiders.ts): who is inside grows from the first message downloaded and
 *   the user's own messages by the domains they name; what is left carries a note.
 * - The pane's window (conversationWindow): the newest rows, or those around the open message.
 * - The pane with 5,000 replies renders a bounded number of rows and pages in older ones.
 * - The list's counts are cached while nothing changes (a keystroke regroups the list).
 */
import { act, cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import type { PopboxApi } from '../../shared/api.js';
import type { MessageRecord } from '../../shared/changes.js';
import type { ThreadsResult } from '../../shared/threads.js';
import { ServicesContext, type AppServices } from '../../renderer/src/app/context.js';
import { MessageStore } from '../../renderer/src/db/message-store.js';
import { Conversation } from '../../renderer/src/features/threads/Conversation.js';
import { CONVERSATION_ROWS, CONVERSATION_STEP, conversationWindow, groupByConversation, ThreadInfoCache } from '../../renderer/src/features/threads/conversation.js';
import { sendConversationKey } from '../../renderer/src/features/threads/keys.js';
import { domainOf, outsiders, type OutsiderRow } from '../../renderer/src/features/threads/outsiders.js';
import { ThreadModel } from '../../renderer/src/features/threads/thread-model.js';
import { record } from './service-api.js';

afterEach(cleanup);

const who = (address: string) => [{ name: '', address }];
let n = 0;
function msg(from: string, to: string[], cc: string[] = [], receivedAt = ++n, folder = 'INBOX'): OutsiderRow {
  return { id: `r${++n}`, folder, from: who(from), to: to.flatMap(who), cc: cc.flatMap(who), receivedAt, date: receivedAt };
}
/** A message written here: filed in Sent. */
const sent = (from: string, to: string[], cc: string[] = []) => msg(from, to, cc, ++n, 'Sent');
const ME = new Set(['bob@home.test']);

describe('the outsider rule', () => {
  it('a genuine exchange has no outsider: replies, a follow-up from the same domain, someone cc-ed in, my own replies', () => {
    const first = msg('ann@acme.test', ['bob@home.test']);
    const mine = sent('bob@home.test', ['ann@acme.test', 'carl@partner.test']);
    const carl = msg('carl@partner.test', ['bob@home.test']);
    const ann2 = msg('Ann.Other@ACME.test.', ['bob@home.test']);
    expect(outsiders([first, mine, carl, ann2], ME)).toEqual(new Map());
  });

  it('an injected reply from another domain is marked with its address; so are two of one outsider vouching for each other', () => {
    const first = msg('ann@acme.test', ['bob@home.test']);
    const reply = sent('bob@home.test', ['ann@acme.test']);
    const evil = msg('billing@acme-payments.test', ['bob@home.test'], ['helper@evil.test']);
    const helper = msg('helper@evil.test', ['bob@home.test'], ['billing@acme-payments.test']);
    expect(outsiders([first, reply, evil, helper], ME)).toEqual(
      new Map([
        [evil.id, 'billing@acme-payments.test'],
        [helper.id, 'helper@evil.test'],
      ]),
    );
  });

  it('a downloaded message forged From: me is not mine: it lets nobody in, and is marked with the others it cc-s', () => {
    const first = msg('ann@acme.test', ['bob@home.test']);
    const forged = msg('bob@home.test', ['bob@home.test'], ['x@evil.test']);
    const reply = msg('x@evil.test', ['bob@home.test']);
    expect(outsiders([first, forged, reply], ME)).toEqual(
      new Map([
        [forged.id, 'bob@home.test'],
        [reply.id, 'x@evil.test'],
      ]),
    );
    // Written here (Sent, Outbox, Drafts), the same message is mine and vouches for evil.test.
    const mine = { ...forged, folder: 'Sent' };
    expect(outsiders([first, mine, reply], ME)).toEqual(new Map());
  });

  it('a forged old Date does not make the intruder the first message: the download order decides', () => {
    const first = msg('ann@acme.test', ['bob@home.test']);
    const evil = { ...msg('x@evil.test', ['bob@home.test'], ['ann@acme.test']), date: 0 };
    expect(outsiders([evil, first], ME)).toEqual(new Map([[evil.id, 'x@evil.test']]));
  });

  it('the user being on the To line does not let in strangers at the user\u2019s own provider', () => {
    const first = msg('ann@acme.test', ['bob@home.test']);
    const stranger = msg('mallory@home.test', ['bob@home.test']);
    expect(outsiders([first, stranger], ME)).toEqual(new Map([[stranger.id, 'mallory@home.test']]));
    // Someone inside naming a colleague at that domain lets the colleague in.
    const cc = msg('ann@acme.test', ['bob@home.test'], ['dana@home.test']);
    expect(outsiders([first, cc, stranger], ME)).toEqual(new Map());
  });

  it('a message without a sender address is outside; a conversation of one has no note; domains compare without case', () => {
    const first = msg('ann@acme.test', ['bob@home.test']);
    const blank = { ...msg('', ['bob@home.test']), from: [] };
    expect(outsiders([first, blank], ME)).toEqual(new Map([[blank.id, '']]));
    expect(outsiders([msg('x@evil.test', [])], ME)).toEqual(new Map());
    expect(domainOf('A@B.Example.')).toBe('b.example');
    expect(domainOf('nobody')).toBe('');
  });

  it('is linear: 20,000 intruders and a chain of 5,000 vouching domains are judged at once', () => {
    const first = msg('ann@d0.test', ['bob@home.test'], ['x@d1.test']);
    const chain = Array.from({ length: 5_000 }, (_, i) => msg(`x@d${i + 1}.test`, [`x@d${i + 2}.test`]));
    const flood = Array.from({ length: 20_000 }, (_, i) => msg(`spam${i}@flood.test`, ['bob@home.test']));
    const out = outsiders([first, ...chain, ...flood], ME);
    expect(out.size).toBe(20_000);
    expect(chain.some((r) => out.has(r.id))).toBe(false);
  });
});

describe('the window of a long conversation', () => {
  it('the newest rows when the open message is among them, else the rows up to a few after it; more on either side on request', () => {
    expect(conversationWindow(3, 2, 0, 0)).toEqual({ start: 0, end: 3 });
    expect(conversationWindow(5_001, 5_000, 0, 0)).toEqual({ start: 5_001 - CONVERSATION_ROWS, end: 5_001 });
    expect(conversationWindow(5_001, 5_000, CONVERSATION_STEP, 0)).toEqual({ start: 5_001 - CONVERSATION_ROWS - CONVERSATION_STEP, end: 5_001 });
    expect(conversationWindow(5_001, 5_000, 99_999, 0).start).toBe(0);
    // The original (oldest) opened from the list: it and the next few, newer ones on request.
    const old = conversationWindow(5_001, 0, 0, 0);
    expect(old.start).toBe(0);
    expect(old.end).toBeLessThanOrEqual(CONVERSATION_ROWS);
    expect(conversationWindow(5_001, 0, 0, 99_999).end).toBe(5_001);
  });
});

const answer = (over: Partial<ThreadsResult>): ThreadsResult => ({ epoch: 'e1', version: 1, full: true, threads: [], gone: [], ...over });

function storeWith(records: MessageRecord[]): MessageStore {
  const store = new MessageStore();
  store.commit(store.stage(records.map((m, i) => ({ s: i + 1, t: 'add' as const, m }))));
  return store;
}

function flood(size: number): { original: MessageRecord; replies: MessageRecord[]; store: MessageStore; ids: string[] } {
  const original = record({ subject: 'Invoice 42', from: 'Ann', date: '2026-02-01T10:00:00Z', snippet: 'Here is the invoice' });
  const replies = Array.from({ length: size }, (_, i) => record({ subject: 'Re: Invoice 42', from: 'Spammer', date: new Date(Date.UTC(2026, 1, 2) + i * 1000).toISOString(), snippet: `Flood ${i}` }));
  const all = [original, ...replies];
  return { original, replies, store: storeWith(all), ids: all.map((m) => m.id) };
}

function renderConversation(ids: string[], open: string, store: MessageStore) {
  const api = {
    threads: async () => ({ ok: true, value: answer({ threads: [{ id: 't', ids }] }) }),
    messageBody: async ({ id }: { id: string }) => ({ ok: true, value: { text: `The words of ${id}.`, html: null, attachments: [], cidMap: {}, truncated: false } }),
    on: () => () => {},
  } as unknown as PopboxApi;
  const services = { api, db: {}, readModel: { store } } as unknown as AppServices;
  return render(
    <ServicesContext.Provider value={services}>
      <Conversation id={open} own={new Set(['bob@home.test'])} />
    </ServicesContext.Provider>,
  );
}

describe('the reading pane with a flood of replies', () => {
  it('5,000 replies: the newest rows and "Show 50 older", which pages in 50 more', async () => {
    const { replies, store, ids } = flood(5_000);
    const newest = replies[replies.length - 1]!;
    const { container } = renderConversation(ids, newest.id, store);
    await screen.findByText('5,001 messages in this conversation');
    const items = () => container.querySelectorAll('.conversation-item').length;
    expect(items()).toBe(CONVERSATION_ROWS);
    expect(container.querySelector('[aria-current="true"]')?.getAttribute('data-conversation-id')).toBe(newest.id);
    expect(screen.getByText(`${(5_001 - CONVERSATION_ROWS).toLocaleString('en-US')} older messages not shown`)).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Show 50 older' }));
    expect(items()).toBe(CONVERSATION_ROWS + CONVERSATION_STEP);
    // e opens only what is shown: 69 bodies asked for, not 5,000.
    act(() => sendConversationKey('expand'));
    expect(await screen.findByText(`The words of ${replies[replies.length - 2]!.id}.`)).toBeTruthy();
    expect(container.querySelectorAll('.conversation-body').length).toBe(CONVERSATION_ROWS + CONVERSATION_STEP - 1);
  });

  it('opening the original of a flooded conversation shows it and a few after it; Shift+J past the last shown brings one more', async () => {
    const { original, replies, store, ids } = flood(5_000);
    const { container } = renderConversation(ids, original.id, store);
    await screen.findByText('5,001 messages in this conversation');
    const shown = () => [...container.querySelectorAll('.conversation-item')].map((li) => li.getAttribute('data-conversation-id'));
    expect(shown()[0]).toBe(original.id);
    const before = shown().length;
    expect(before).toBeLessThanOrEqual(CONVERSATION_ROWS);
    expect(screen.getByRole('button', { name: 'Show 50 newer' })).toBeTruthy();
    for (let i = 0; i < before; i++) act(() => sendConversationKey('next'));
    expect(shown().length).toBe(before + 1);
    expect(container.querySelector('.conversation-item.current')?.getAttribute('data-conversation-id')).toBe(replies[before - 1]!.id);
  });

  it('an injected reply from another domain carries the note; the genuine reply does not', async () => {
    const original = record({ subject: 'Invoice 42', date: '2026-02-01T10:00:00Z', receivedAt: 1 });
    original.summary.from = who('ann@acme.test');
    original.summary.to = who('bob@home.test');
    const genuine = record({ subject: 'Re: Invoice 42', date: '2026-02-02T10:00:00Z', receivedAt: 2 });
    genuine.summary.from = who('ann@acme.test');
    const injected = record({ subject: 'Re: Invoice 42', date: '2026-02-03T10:00:00Z', receivedAt: 3 });
    injected.summary.from = [{ name: 'Ann', address: 'ann@acme-billing.test' }];
    const store = storeWith([original, genuine, injected]);
    renderConversation([original.id, genuine.id, injected.id], injected.id, store);
    const note = await screen.findByRole('note');
    expect(note.textContent).toBe('From outside this conversation: ann@acme-billing.test');
    expect(note.closest('li')?.getAttribute('data-conversation-id')).toBe(injected.id);
    expect(screen.getAllByRole('note')).toHaveLength(1);
  });
});

describe('the list of conversations', () => {
  it('counts a conversation once while nothing changes: a keystroke regroups from the cache', () => {
    const { replies, store, ids } = flood(3);
    const model = new ThreadModel();
    model.apply(answer({ threads: [{ id: 't', ids }] }));
    const cache = new ThreadInfoCache();
    const newest = replies[2]!.id;
    const first = groupByConversation([newest], model, store, cache.validate(model.version, store.version));
    expect(first.info.get(newest)).toMatchObject({ count: 4, unread: 4 });
    // A store that would answer nothing: the cached counts are used, not recounted.
    const empty = { get: () => undefined };
    expect(groupByConversation([newest], model, empty, cache.validate(model.version, store.version)).info.get(newest)).toMatchObject({ count: 4 });
    // A new version (a message changed) counts again.
    model.apply(answer({ version: 2, threads: [{ id: 't', ids }] }));
    expect(groupByConversation([newest], model, empty, cache.validate(model.version, store.version)).info.has(newest)).toBe(false);
  });
});
