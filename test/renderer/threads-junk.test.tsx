/**
 * Junk on a conversation row with a planted reply (issue 17 §3, review 8 M1): spam that
 * references Ann's invoice joins her conversation and, as the newest message, is its row. Junk
 * on that row acts on the side of the outsider split the row's message is on: the injected
 * message alone goes to Junk (and is learned as junk); Ann's genuine messages stay.
 */
import { act, cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { IDBKeyRange, indexedDB } from 'fake-indexeddb';
import { afterEach, beforeAll, beforeEach, expect, it } from 'vitest';
import type { PopboxApi } from '../../shared/api.js';
import type { MessageRecord } from '../../shared/changes.js';
import { PopboxDb } from '../../renderer/src/db/database.js';
import { MessageStore } from '../../renderer/src/db/message-store.js';
import { conversationJunkTargets, conversationTargets } from '../../renderer/src/features/threads/conversation.js';
import { ThreadModel } from '../../renderer/src/features/threads/thread-model.js';
import { record, serviceApi, type ServiceApi } from './service-api.js';
import { giveElementsASize, renderApp } from './support/app-harness.js';

// jsdom has no layout: give the list a size so the virtualizer renders rows.
beforeAll(() => giveElementsASize());

let s: ServiceApi;
let db: PopboxDb;
let stop: (() => void) | undefined;
let n = 0;
beforeEach(async () => {
  s = await serviceApi();
  db = new PopboxDb(`threads-junk-${process.pid}-${++n}`, { indexedDB, IDBKeyRange });
  localStorage.setItem('popbox.conversations', '1');
});
afterEach(async () => {
  cleanup();
  stop?.();
  db.close();
  await s.close();
  localStorage.removeItem('popbox.conversations');
});

const who = (name: string, address: string) => [{ name, address }];

/** An account of Bob's (no server is reached: these tests journal their mail directly). */
const addAccount = (name: string, email: string) =>
  s.service.addAccount({ name, email, host: '127.0.0.1', port: 995, security: 'tls', user: 'bob', password: { source: 'keychain' } }, 'pw');

function mail(accountId: string, over: { subject: string; from: [string, string]; date: string; receivedAt: number; messageId: string; refs?: string[] }): MessageRecord {
  const m = record({ subject: over.subject, date: over.date, accountId, receivedAt: over.receivedAt });
  return {
    ...m,
    summary: {
      ...m.summary,
      from: who(...over.from),
      to: who('Bob', 'bob@home.test'),
      messageId: over.messageId,
      inReplyTo: over.refs?.at(-1) ?? null,
      references: over.refs ?? [],
    },
  };
}

it("Junk on a conversation row whose newest message was planted from outside junks that message alone, not Ann's", async () => {
  const account = await addAccount('Home', 'bob@home.test');
  const invoice = mail(account.id, { subject: 'Invoice 42', from: ['Ann', 'ann@acme.test'], date: '2026-02-01T10:00:00Z', receivedAt: 1, messageId: '<inv42@acme.test>' });
  const genuine = mail(account.id, { subject: 'Re: Invoice 42', from: ['Ann', 'ann@acme.test'], date: '2026-02-02T10:00:00Z', receivedAt: 2, messageId: '<inv42-2@acme.test>', refs: ['<inv42@acme.test>'] });
  const planted = mail(account.id, { subject: 'Re: Invoice 42', from: ['Ann', 'billing@evil.test'], date: '2026-02-03T10:00:00Z', receivedAt: 3, messageId: '<x@evil.test>', refs: ['<inv42@acme.test>'] });
  await s.service.journal.append([invoice, genuine, planted].map((m) => ({ t: 'add' as const, m })));

  // What the UI asks main to junk; main's answer is a move to Junk (these records have no file to learn from).
  const junked: string[][] = [];
  const api: PopboxApi = {
    ...s.api,
    markJunk: async ({ ids }: { ids: string[] }) => {
      junked.push([...ids]);
      await s.service.journal.append(ids.map((id) => ({ t: 'move' as const, id, folder: 'Junk', trashedAt: 4 })));
      return { ok: true, value: null };
    },
  } as PopboxApi;
  stop = renderApp(db, api).stop;

  const grid = await screen.findByRole('grid', { name: 'Messages' });
  // One row for the conversation: the planted reply, the newest.
  await waitFor(() => expect(within(grid).getAllByRole('row')).toHaveLength(1));
  await waitFor(() => expect(within(grid).getByRole('row').getAttribute('aria-label')).toMatch(/conversation of 3/));
  await act(async () => fireEvent.click(within(grid).getByRole('row')));
  await act(async () => fireEvent.keyDown(window, { key: '!' }));

  await waitFor(() => expect(junked).toHaveLength(1));
  expect(junked[0]).toEqual([planted.id]);
  await screen.findByText(/Marked 1 message as junk/);
  // Ann's two messages stay in the Inbox, still one conversation.
  await waitFor(() => expect(within(grid).getByRole('row').getAttribute('aria-label')).toMatch(/^Ann, Re: Invoice 42, Feb 2, .*conversation of 2/));
});

it('Junk on a row from inside takes the insiders only; Delete, Archive and Move still take the whole conversation', () => {
  const invoice = mail('acc1', { subject: 'Invoice 42', from: ['Ann', 'ann@acme.test'], date: '2026-02-01T10:00:00Z', receivedAt: 1, messageId: '<a@acme.test>' });
  const genuine = mail('acc1', { subject: 'Re: Invoice 42', from: ['Ann', 'ann@acme.test'], date: '2026-02-02T10:00:00Z', receivedAt: 2, messageId: '<b@acme.test>' });
  const planted = mail('acc1', { subject: 'Re: Invoice 42', from: ['Ann', 'billing@evil.test'], date: '2026-02-03T10:00:00Z', receivedAt: 3, messageId: '<c@evil.test>' });
  const store = new MessageStore();
  store.commit(store.stage([invoice, genuine, planted].map((m, i) => ({ s: i + 1, t: 'add' as const, m }))));
  const model = new ThreadModel();
  model.apply({ epoch: 'e1', version: 1, full: true, threads: [{ id: 't', ids: [invoice.id, genuine.id, planted.id] }], gone: [] });
  const listed = new Set([invoice.id, genuine.id, planted.id]);
  const own = new Set(['bob@home.test']);
  expect(conversationJunkTargets([genuine.id], model, listed, store, own).sort()).toEqual([invoice.id, genuine.id].sort());
  expect(conversationJunkTargets([planted.id], model, listed, store, own)).toEqual([planted.id]);
  expect(conversationTargets([planted.id], model, listed)).toHaveLength(3);
});

it('the pane notes and Junk acts on one split: a first message thrown in Trash does not vouch on the Junk side alone', async () => {
  // Ann's first message (in Trash now) cc'd Carl at evil.test; the pane from the Inbox does not
  // show it, so there Eve's message is the first and Ann's reply is the one "from outside".
  const account = await addAccount('Home', 'bob@home.test');
  const first = mail(account.id, { subject: 'Plans', from: ['Ann', 'ann@acme.test'], date: '2026-02-01T10:00:00Z', receivedAt: 1, messageId: '<p1@acme.test>' });
  first.summary.cc = who('Carl', 'carl@evil.test');
  const eve = mail(account.id, { subject: 'Re: Plans', from: ['Eve', 'eve@evil.test'], date: '2026-02-02T10:00:00Z', receivedAt: 2, messageId: '<p2@evil.test>', refs: ['<p1@acme.test>'] });
  const ann = mail(account.id, { subject: 'Re: Plans', from: ['Ann', 'ann@acme.test'], date: '2026-02-03T10:00:00Z', receivedAt: 3, messageId: '<p3@acme.test>', refs: ['<p1@acme.test>'] });
  const carl = mail(account.id, { subject: 'Re: Plans', from: ['Carl', 'carl@evil.test'], date: '2026-02-04T10:00:00Z', receivedAt: 4, messageId: '<p4@evil.test>', refs: ['<p1@acme.test>'] });
  await s.service.journal.append([first, eve, ann, carl].map((m) => ({ t: 'add' as const, m })));
  await s.service.journal.append([{ t: 'move' as const, id: first.id, folder: 'Trash', trashedFrom: 'INBOX', trashedAt: 5 }]);

  const junked: string[][] = [];
  const api: PopboxApi = {
    ...s.api,
    markJunk: async ({ ids }: { ids: string[] }) => {
      junked.push([...ids]);
      return { ok: true, value: null };
    },
  } as PopboxApi;
  stop = renderApp(db, api).stop;

  const grid = await screen.findByRole('grid', { name: 'Messages' });
  await waitFor(() => expect(within(grid).getByRole('row').getAttribute('aria-label')).toMatch(/^Carl, .*conversation of 3/));
  await act(async () => fireEvent.click(within(grid).getByRole('row')));
  // The pane: Ann's reply is the one from outside (Eve's is the first it shows).
  const note = await screen.findByRole('note');
  expect(note.textContent).toBe('From outside this conversation: ann@acme.test');
  expect(note.closest('li')?.getAttribute('data-conversation-id')).toBe(ann.id);
  // Junk on Carl's row takes Carl's side as the pane draws it: Eve's and Carl's, not Ann's.
  await act(async () => fireEvent.keyDown(window, { key: '!' }));
  await waitFor(() => expect(junked).toHaveLength(1));
  expect([...junked[0]!].sort()).toEqual([eve.id, carl.id].sort());
});

it('Delete on a conversation row of the Unified Inbox takes both accounts\u2019 Inbox copies: the row leaves the list whole', async () => {
  // A list mail and its reply reached both of Bob's accounts: one row (a conversation of 2) in the Unified Inbox.
  const home = await addAccount('Home', 'bob@home.test');
  const work = await addAccount('Work', 'bob@work.test');
  const both = (accountId: string, receivedAt: number) => [
    mail(accountId, { subject: 'Meetup', from: ['Ann', 'ann@list.test'], date: '2026-02-01T10:00:00Z', receivedAt, messageId: '<m1@list.test>' }),
    mail(accountId, { subject: 'Re: Meetup', from: ['Carl', 'carl@list.test'], date: '2026-02-02T10:00:00Z', receivedAt: receivedAt + 1, messageId: '<m2@list.test>', refs: ['<m1@list.test>'] }),
  ];
  const copies = [...both(home.id, 1), ...both(work.id, 3)];
  const other = mail(work.id, { subject: 'Lunch', from: ['Dee', 'dee@work.test'], date: '2026-01-30T10:00:00Z', receivedAt: 5, messageId: '<l@work.test>' });
  await s.service.journal.append([...copies, other].map((m) => ({ t: 'add' as const, m })));

  // What the UI asks main to move; main's answer is the move (these records have no file).
  const trashed: string[][] = [];
  const api: PopboxApi = {
    ...s.api,
    moveToTrash: async ({ ids }: { ids: string[] }) => {
      trashed.push([...ids]);
      await s.service.journal.append(ids.map((id) => ({ t: 'move' as const, id, folder: 'Trash', trashedFrom: 'INBOX', trashedAt: 9 })));
      return { ok: true, value: null };
    },
  } as PopboxApi;
  stop = renderApp(db, api).stop;

  const grid = await screen.findByRole('grid', { name: 'Messages' });
  await waitFor(() => expect(within(grid).getAllByRole('row')).toHaveLength(2));
  const row = within(grid).getByRole('row', { name: /Re: Meetup/ });
  await waitFor(() => expect(row.getAttribute('aria-label')).toMatch(/conversation of 2/));
  await act(async () => fireEvent.click(row));
  await act(async () => fireEvent.keyDown(window, { key: 'Delete' }));

  await waitFor(() => expect(trashed).toHaveLength(1));
  expect([...trashed[0]!].sort()).toEqual(copies.map((m) => m.id).sort());
  // The toast counts what the row counted (2 messages), then says both accounts' copies went: not "4 messages".
  await screen.findByText('Moved 2 messages (4 copies) to Trash.');
  // Nothing of the conversation is left to stand in for the row; the other mail stays.
  await waitFor(() => expect(within(grid).getAllByRole('row')).toHaveLength(1));
  expect(within(grid).getByRole('row').getAttribute('aria-label')).toMatch(/^Dee, Lunch/);
});
