/**
 * The list's conversation counts across changes (useConversations' ThreadInfoCache): a sync
 * batch that flags one message, or a thread answer that changes one conversation, recounts that
 * conversation only, not every conversation in a 5,000-message folder. Counted, not timed.
 */
import { describe, expect, it } from 'vitest';
import type { MessageRecord } from '../../shared/changes.js';
import type { ThreadsResult } from '../../shared/threads.js';
import { MessageStore } from '../../renderer/src/db/message-store.js';
import { groupByConversation, ThreadInfoCache } from '../../renderer/src/features/threads/conversation.js';
import { ThreadModel } from '../../renderer/src/features/threads/thread-model.js';
import { record } from './service-api.js';

const answer = (over: Partial<ThreadsResult>): ThreadsResult => ({ epoch: 'e1', version: 1, full: true, threads: [], gone: [], ...over });

/** 5,000 Inbox messages in 1,000 conversations of 5, newest first as the list has them. */
function folder() {
  const records: MessageRecord[] = Array.from({ length: 5_000 }, (_, i) => record({ subject: `Topic ${i % 1_000}`, date: new Date(Date.UTC(2026, 0, 1) + i * 60_000).toISOString() }));
  const store = new MessageStore();
  let s = 0;
  store.commit(store.stage(records.map((m) => ({ s: ++s, t: 'add' as const, m }))));
  const threads = Array.from({ length: 1_000 }, (_, t) => ({ id: `t${t}`, ids: [0, 1, 2, 3, 4].map((k) => records[t + k * 1_000]!.id) }));
  const model = new ThreadModel();
  model.apply(answer({ threads }));
  const ids = records.map((m) => m.id).reverse();
  return { records, store, model, ids, threads, next: () => ++s };
}

describe('the conversation counts of a 5,000-message folder', () => {
  it('one flag change recounts the one conversation it is in; a thread change recounts only that thread', () => {
    const { records, store, model, ids, threads, next } = folder();
    const cache = new ThreadInfoCache();
    const group = () => groupByConversation(ids, model, store, cache.validate(model.version, store.version));
    const first = group();
    expect(first.ids).toHaveLength(1_000);
    expect(cache.recomputed).toBe(1_000);
    const row = first.ids[0]!;
    expect(first.info.get(row)).toMatchObject({ count: 5, unread: 5 });

    // Main marks one message of the newest conversation read.
    const read = model.conversationOf(row)[0]!;
    store.commit(store.stage([{ s: next(), t: 'flags', id: read, flags: { seen: true, flagged: false } }]));
    const after = group();
    expect(cache.recomputed).toBe(1_001);
    expect(after.info.get(row)).toMatchObject({ count: 5, unread: 4 });

    // A message elsewhere arrives (not in any of these conversations): nothing is recounted.
    const stranger = record({ subject: 'Alone' });
    store.commit(store.stage([{ s: next(), t: 'add', m: stranger }]));
    group();
    expect(cache.recomputed).toBe(1_001);

    // Main's thread answer splits one conversation: only it is recounted.
    const split = threads[500]!;
    model.apply(answer({ version: 2, full: false, threads: [{ id: split.id, ids: split.ids.slice(0, 3) }] }));
    const regrouped = group();
    expect(cache.recomputed).toBe(1_002);
    const splitRow = regrouped.ids.find((id) => model.threadKey(id) === split.id)!;
    expect(regrouped.info.get(splitRow)).toMatchObject({ count: 3 });
    expect(records).toHaveLength(5_000);
  });

});
