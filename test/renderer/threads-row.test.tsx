/**
 * A conversation's row says one message (walkthrough finding): its date is the conversation's
 * newest message's date, and the sender, subject and snippet beside it are that same message's,
 * a reply in Sent included. Before, the row showed the folder's newest message (Ann's question)
 * with the date of the newest in the whole conversation (the user's reply from Sent), and in
 * date order sat where its own message's date put it, under rows that read newer than it.
 */
import { describe, expect, it } from 'vitest';
import type { ThreadsResult } from '../../shared/threads.js';
import { formatListDate } from '../../renderer/src/app/format.js';
import { MessageStore } from '../../renderer/src/db/message-store.js';
import { rowText } from '../../renderer/src/features/inbox/row-text.js';
import { orderedIds } from '../../renderer/src/features/inbox/sort.js';
import { groupByConversation } from '../../renderer/src/features/threads/conversation.js';
import { ThreadModel } from '../../renderer/src/features/threads/thread-model.js';
import { record } from './service-api.js';

const answer = (over: Partial<ThreadsResult>): ThreadsResult => ({ epoch: 'e1', version: 1, full: true, threads: [], gone: [], ...over });

describe('a conversation row', () => {
  // Ann asks (Inbox, 5 Nov); the user answers (Sent, 20 Nov); Bob writes about something else (Inbox, 10 Nov).
  const question = record({ subject: 'Lunch on Friday?', from: 'Ann', date: '2026-11-05T10:00:00Z', snippet: 'Shall we try the new place?' });
  const reply = record({ subject: 'Re: Lunch on Friday?', from: 'Me', date: '2026-11-20T10:00:00Z', snippet: 'Yes, see you at one.', folder: 'Sent', flags: { seen: true, flagged: false } });
  reply.summary.to = [{ name: 'Ann', address: 'ann@example.org' }];
  const other = record({ subject: 'Garden club', from: 'Bob', date: '2026-11-10T10:00:00Z', snippet: 'Meeting moved.' });
  const store = new MessageStore();
  store.commit(store.stage([question, reply, other].map((m, i) => ({ s: i + 1, t: 'add' as const, m }))));
  const model = new ThreadModel();
  model.apply(answer({ threads: [{ id: 't', ids: [question.id, reply.id] }] }));
  /** The Inbox in date order, newest first, as the store lists it. */
  const inbox = [other.id, question.id];

  it('shows the newest message’s sender, subject and snippet with that message’s date', () => {
    const grouped = groupByConversation(inbox, model, store);
    const info = grouped.info.get(question.id)!;
    expect(info.newest).toBe(Date.parse('2026-11-20T10:00:00Z'));
    expect(info.latest.id).toBe(reply.id);
    const shown = rowText(info.latest);
    expect(shown).toMatchObject({ sender: 'To: Ann', subject: 'Re: Lunch on Friday?', snippet: 'Yes, see you at one.', date: formatListDate(info.newest) });
  });

  it('in date order, the conversation goes where its newest message puts it (above Bob’s 10 Nov), either direction', () => {
    expect(groupByConversation(inbox, model, store, undefined, { by: 'date', reversed: false }).ids).toEqual([question.id, other.id]);
    expect(groupByConversation([...inbox].reverse(), model, store, undefined, { by: 'date', reversed: true }).ids).toEqual([other.id, question.id]);
    // A search's ranking is kept as it is.
    expect(groupByConversation(inbox, model, store).ids).toEqual(inbox);
  });

  it('by name, the row goes where the name it shows puts it (Zed’s reply after Bob), either direction', () => {
    // Sender order: Ann's question (A) comes first and stood for the conversation, whose newest message, shown, is Zed's.
    const ask = record({ subject: 'Trip', from: 'Ann', date: '2026-11-01T10:00:00Z' });
    const answerOf = record({ subject: 'Re: Trip', from: 'Zed', date: '2026-11-02T10:00:00Z' });
    const bob = record({ subject: 'Bills', from: 'Bob', date: '2026-11-03T10:00:00Z' });
    const store2 = new MessageStore();
    store2.commit(store2.stage([ask, answerOf, bob].map((m, i) => ({ s: i + 1, t: 'add' as const, m }))));
    const model2 = new ThreadModel();
    model2.apply(answer({ threads: [{ id: 't2', ids: [ask.id, answerOf.id] }] }));
    const byName = [ask.id, bob.id, answerOf.id];
    expect(groupByConversation(byName, model2, store2, undefined, { by: 'from', reversed: false }).ids).toEqual([bob.id, ask.id]);
    expect(groupByConversation([...byName].reverse(), model2, store2, undefined, { by: 'from', reversed: true }).ids).toEqual([answerOf.id, bob.id]);
  });
});

describe('conversation rows in size and flag order (walkthrough finding: they did not follow the conversation)', () => {
  const inbox = { kind: 'folder' as const, accountId: 'acc1', folder: 'INBOX' };
  const sized = (size: number, over: Parameters<typeof record>[0]) => {
    const r = record(over);
    r.summary.size = size;
    return r;
  };

  it('by size, a conversation goes where its largest message puts it, and the other way round when reversed', () => {
    // A 5 MB scan and a short thank-you in one conversation; a 100 KB message alone.
    const scan = sized(5_000_000, { subject: 'Scans', date: '2026-11-01T10:00:00Z' });
    const thanks = sized(2_000, { subject: 'Re: Scans', date: '2026-11-03T10:00:00Z' });
    const mid = sized(100_000, { subject: 'Photos', date: '2026-11-02T10:00:00Z' });
    const store = new MessageStore();
    store.commit(store.stage([scan, thanks, mid].map((m, i) => ({ s: i + 1, t: 'add' as const, m }))));
    const model = new ThreadModel();
    model.apply(answer({ threads: [{ id: 't', ids: [scan.id, thanks.id] }] }));
    const rows = (reversed: boolean) => groupByConversation(orderedIds(store, inbox, 'size', reversed), model, store, undefined, { by: 'size', reversed }).ids;
    const conversation = (ids: string[]) => ids.map((id) => (id === mid.id ? 'Photos' : 'Scans'));
    expect(conversation(rows(false))).toEqual(['Scans', 'Photos']);
    // Smallest first: the 5 MB conversation last (its thank-you had put it first in both directions).
    expect(conversation(rows(true))).toEqual(['Photos', 'Scans']);
    expect(groupByConversation([scan.id], model, store).info.get(scan.id)?.largest).toBe(5_000_000);
  });

  it('by flag, a conversation with a flagged message is flagged: first when flagged first, last when flagged last', () => {
    const asked = record({ subject: 'Contract', date: '2026-11-01T10:00:00Z', flags: { seen: true, flagged: true } });
    const answered = record({ subject: 'Re: Contract', date: '2026-11-03T10:00:00Z' });
    const newer = record({ subject: 'Newsletter', date: '2026-11-05T10:00:00Z' });
    const store = new MessageStore();
    store.commit(store.stage([asked, answered, newer].map((m, i) => ({ s: i + 1, t: 'add' as const, m }))));
    const model = new ThreadModel();
    model.apply(answer({ threads: [{ id: 't', ids: [asked.id, answered.id] }] }));
    const rows = (reversed: boolean) => groupByConversation(orderedIds(store, inbox, 'flag', reversed), model, store, undefined, { by: 'flag', reversed });
    const first = rows(false);
    expect(first.ids.map((id) => (id === newer.id ? 'Newsletter' : 'Contract'))).toEqual(['Contract', 'Newsletter']);
    expect(first.info.get(first.ids[0]!)?.flagged).toBe(true);
    // Flagged last: the conversation after the unflagged newsletter (its unflagged reply had put it first).
    expect(rows(true).ids.map((id) => (id === newer.id ? 'Newsletter' : 'Contract'))).toEqual(['Newsletter', 'Contract']);
  });
});
